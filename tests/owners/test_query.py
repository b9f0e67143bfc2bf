"""The one resolver every command uses, and "current" as the query layer writes it once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.owners import DATA, SHARED, resolved
from tests.owners.build import Builder
from unmask.core.case import Case
from unmask.owners.emit import emit
from unmask.owners.importers.load import import_files
from unmask.owners.query import AmbiguousId, UnknownId
from unmask.owners.show import show
from unmask.owners.specs import NodeSpec
from unmask.owners.ultimate import ultimate

GLEIF = SHARED / "gleif"
LEI = "010CMKZ3VON21WF2ZD45"


def _registry(case: Case, tmp_path: Path) -> None:
    lines = [
        {
            "id": "ftm-lantern",
            "schema": "Company",
            "properties": {
                "name": ["Shenzhen Lanternfish Technology Co., Ltd."],
                "jurisdiction": ["cn"],
                "registrationNumber": ["91440300MA5EXAMPLE"],
                "leiCode": ["5493000INVENTED00042"],
            },
        },
        {"id": "ftm-mira", "schema": "Person", "properties": {"name": ["Mira Quillon"]}},
        {
            "id": "own-1",
            "schema": "Ownership",
            "properties": {"owner": ["ftm-mira"], "asset": ["ftm-lantern"], "percentage": ["70"]},
        },
    ]
    path = tmp_path / "registry.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    import_files(case.store, [path])


def test_every_kind_of_id_names_the_entity(case: Case, tmp_path: Path) -> None:
    """The FtM id, the LEI (with or without its scheme, in either case), the registry number, the
    internal key, the exact name and the name as another source writes it all name one entity."""
    _registry(case, tmp_path)
    company = resolved(case, "ftm-lantern")
    for ident in (
        "5493000INVENTED00042",
        "lei:5493000INVENTED00042",
        "lei:5493000invented00042",
        "5493000invented00042",
        "91440300MA5EXAMPLE",
        "registration:cn:91440300MA5EXAMPLE",
        "ftm:ftm-lantern",
        f"#{company.id}",
        "Shenzhen Lanternfish Technology Co., Ltd.",
        "SHENZHEN LANTERNFISH TECHNOLOGY COMPANY LIMITED",
        "  shenzhen lanternfish technology  ",
    ):
        assert resolved(case, ident).id == company.id, ident


def test_an_app_and_a_platform_are_named_by_what_the_case_found(case: Case) -> None:
    emit(
        case.store,
        [NodeSpec("App", "com.invented.viewer", "Invented Viewer", {}, [("app", "com.invented.viewer")])],
    )
    assert resolved(case, "com.invented.viewer").schema == "App"
    assert resolved(case, "app:com.invented.viewer").schema == "App"


def test_ambiguous_names_list_their_candidates(case: Case) -> None:
    b = Builder(case)
    b.entity("reg-1", "Harbour Nominees Ltd")
    b.entity("reg-2", "HARBOUR NOMINEES LIMITED")
    b.entity("reg-3", "Harbour Nominees Ltd")
    with pytest.raises(AmbiguousId) as exact:
        resolved(case, "Harbour Nominees Ltd")  # two exact matches; the normalised third is not asked
    assert f"#{b.ids['reg-1']}" in str(exact.value) and f"#{b.ids['reg-3']}" in str(exact.value)
    assert f"#{b.ids['reg-2']}" not in str(exact.value)
    with pytest.raises(AmbiguousId, match="this name names 3 entities"):
        resolved(case, "harbour nominees")
    b.merge("reg-3", "reg-1")
    b.merge("reg-2", "reg-1")
    assert resolved(case, "harbour nominees").id == b.ids["reg-1"]  # merged: one entity


def test_unknown_ids_and_history(case: Case) -> None:
    b = Builder(case)
    b.entity("P")
    b.entity("OLD", "Closed Invented Ltd", replaced=True)
    b.edge("P", "OLD", 100)
    with pytest.raises(UnknownId, match="NOPE"):
        resolved(case, "NOPE")
    with pytest.raises(UnknownId, match="internal key"):
        resolved(case, "#987654")
    assert resolved(case, "OLD").replaced  # `show` shows a closed record …
    assert show(case, "OLD", note=None)["replaced"] is True
    with pytest.raises(UnknownId, match="history"):
        ultimate(case, "OLD", note=None)  # … that has no ultimate owners today


def test_queries_take_an_lei_with_its_scheme(case: Case) -> None:
    """`owners show lei:X` worked and `owners ultimate lei:X` did not: one resolver serves both."""
    import_files(case.store, [GLEIF / "rr-data.json", GLEIF / "lei-data.json"])
    result = ultimate(case, f"lei:{LEI}", note=None)
    assert result["entity"] == LEI and result["owners"]
    assert show(case, f"lei:{LEI.lower()}", note=None)["id"] == LEI


def test_csv_notes_name_their_entities(case: Case) -> None:
    import_files(case.store, [DATA / "notes.csv"])
    assert resolved(case, "mira quillon").name == "Mira Quillon"
    assert {o["id"] for o in ultimate(case, "Quiet Lake Apps Ltd", note=None)["owners"]} >= {
        "Orchid Ventures LLC"
    }


def test_normalised_names_across_punctuation_and_scripts(case: Case) -> None:
    b = Builder(case)
    b.entity("e1", "Acme-Widgets Holdings, S.A.")
    b.entity("e2", "ООО Ромашка")
    b.entity("e3", "Acme Widgets Holdings 2 Ltd")
    assert resolved(case, "acme widgets holdings").id == b.ids["e1"]
    assert resolved(case, "ромашка").id == b.ids["e2"]
    assert resolved(case, "Ромашка ООО").id == b.ids["e2"]
