"""FollowTheMoney entities (JSON lines), validated against followthemoney's model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.owners import DATA, edges, entity, resolved
from unmask.core.case import Case
from unmask.owners.importers import detect
from unmask.owners.importers.load import ImportFailed, import_files


def test_ftm_entities_and_interval_edges(case: Case) -> None:
    path = DATA / "ftm-entities.jsonl"
    assert detect(path).name == "ftm"
    [result] = import_files(case.store, [path])
    assert not result.skipped
    kinds = {e["source_id"]: e for e in edges(case)}
    own = kinds["own-1"]
    assert (own["kind"], own["src"], own["dst"], own["share_min"]) == (
        "ownership",
        "pe-mira",
        "co-lantern",
        60,
    )
    assert own["start_date"].isoformat() == "2020-01-01"  # forward reference (owner defined later) resolved
    assert kinds["dir-1"]["kind"] == "directorship"
    assert kinds["rep-1"]["kind"] == "representation" and kinds["rep-1"]["role"] == "nominee shareholder"
    assert kinds["fam-1"]["kind"] == "family"
    assert kinds["mem-1"]["kind"] == "control"
    assert kinds["co-lantern/addressEntity"]["kind"] == "address"
    assert kinds["sec-1/issuer"]["src"] == "co-lantern"
    company = entity(case, "co-lantern")
    assert company.schema == "Company" and company.name == "Lanternfish Media Holdings Ltd."
    # identifiers: registration number, website domain, e-mail
    assert resolved(case, "2001234").id == company.id
    assert resolved(case, "lanternfish.example").id == company.id
    assert resolved(case, "mira@quillon.example").source_id == "pe-mira"


def test_unknown_schema_and_dangling_reference(sqlite_case: Case, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [
        {"id": "a", "schema": "Company", "properties": {"name": ["Alder Invented Ltd"]}},
        {"id": "b", "schema": "Spaceship", "properties": {}},
        {"id": "c", "schema": "Ownership", "properties": {"owner": ["nobody"], "asset": ["a"]}},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    with pytest.raises(ImportFailed) as err:
        import_files(sqlite_case.store, [path])
    messages = [f"{p.line}: {p.message}" for _f, p in err.value.problems]
    assert any(m.startswith("2: unknown FtM schema") for m in messages)
    assert any(m.startswith("3: ") and "'nobody'" in m for m in messages)
    assert edges(sqlite_case) == []
