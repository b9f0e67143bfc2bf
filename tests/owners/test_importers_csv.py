"""Hand notes from registries: CSV owner, asset, percentage, source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.owners import DATA, edges, entity
from unmask.core.case import Case
from unmask.owners.importers import detect
from unmask.owners.importers.load import ImportFailed, import_files
from unmask.owners.importers.values import BadValue, text_share


def test_percentages_as_written() -> None:
    assert (text_share("25").min, text_share("25").max) == (25, 25)
    assert (text_share("25%").min, text_share("25%").max) == (25, 25)
    assert (text_share("10-25").min, text_share("10-25").max) == (10, 25)
    over = text_share(">50")
    assert (over.min, over.max, over.exclusive_min) == (50, None, True)
    assert (text_share("").min, text_share("").max) == (None, None)
    for bad in ("150", "-5", "abc", "30-20"):
        with pytest.raises(BadValue):
            text_share(bad)


def test_notes_import(case: Case) -> None:
    path = DATA / "notes.csv"
    assert detect(path).name == "csv"
    [result] = import_files(case.store, [path])
    assert result.entities == 5 and result.edges == 5
    assert entity(case, "Mira Quillon").schema == "Person"
    rows = {(e["src"], e["dst"]): e for e in edges(case)}
    mira = rows[("Mira Quillon", "Lanternfish Media Holdings Ltd.")]
    assert (mira["share_min"], mira["share_max"], mira["line"]) == (60, 60, 2)
    assert json.loads(mira["properties"])["source"] == "BVI registry extract 2024-03"
    nominee = rows[("Harbour Nominees Ltd", "Lanternfish Media Holdings Ltd.")]
    assert nominee["kind"] == "nominee" and nominee["share_min"] is None
    assert rows[("Orchid Ventures LLC", "Lanternfish Media Holdings Ltd.")]["share_max"] is None
    unknown = rows[("Orchid Ventures LLC", "Quiet Lake Apps Ltd")]
    assert unknown["kind"] == "ownership" and unknown["share_min"] is None
    assert rows[("Mira Quillon", "Quiet Lake Apps Ltd")]["kind"] == "directorship"
    # owners above 100 % (60 + 10 + >50): imported as given, with a warning naming the asset
    assert any("Lanternfish" in w.message and "above 100%" in w.message for w in result.warnings)


def test_note_ids_link_to_entities_of_the_case(case: Case, tmp_path: Path) -> None:
    import_files(case.store, [DATA / "lei2-golden-copy-excerpt.csv"])
    note = tmp_path / "n.csv"
    note.write_text(
        "owner,asset,percentage,source,asset_id\nNoor Invented,,40,call notes,INVENTED0000000000A1\n"
    )
    import_files(case.store, [note])
    [edge] = edges(case)
    assert edge["dst_id"] == entity(case, "INVENTED0000000000A1").id


def test_bad_percentage_names_the_line(case: Case, tmp_path: Path) -> None:
    note = tmp_path / "bad.csv"
    note.write_text("owner,asset,percentage,source\nA Ltd,B Ltd,30,x\nC Ltd,B Ltd,130,y\n")
    with pytest.raises(ImportFailed) as err:
        import_files(case.store, [note])
    assert f"{note}:3" in str(err.value) and "above 100" in str(err.value)
