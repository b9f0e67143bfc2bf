"""OpenCorporates API responses saved as JSON (invented companies and people)."""

from __future__ import annotations

from tests.owners import DATA, edges, entity, resolved
from unmask.core.case import Case
from unmask.owners.importers import detect
from unmask.owners.importers.load import import_files


def test_company_with_officers_and_owners(case: Case) -> None:
    path = DATA / "opencorporates-company.json"
    assert detect(path).name == "opencorporates"
    [result] = import_files(case.store, [path])
    assert not result.skipped
    company = entity(case, "gb/09999993")
    assert company.name == "QUIET LAKE APPS LIMITED"
    assert resolved(case, "09999993").id == company.id
    assert resolved(case, "INVENTED0000000000D4").id == company.id  # LEI among its identifiers
    rows = {(e["src"], e["role"]): e for e in edges(case)}
    director = rows[("officer/900001", "director")]
    assert director["kind"] == "directorship" and director["start_date"].isoformat() == "2019-07-01"
    assert rows[("officer/900002", "secretary")]["end_date"].isoformat() == "2021-01-31"
    ubo = rows[("MIRA QUILLON", "ultimate_beneficial_owner")]
    assert ubo["kind"] == "ownership" and ubo["direct"] is False and ubo["share_min"] is None
    parent = rows[("us_de/7999991", "controlling_entity")]
    assert parent["kind"] == "ownership" and parent["dst"] == "gb/09999993"


def test_officer_search(case: Case) -> None:
    import_files(case.store, [DATA / "opencorporates-officers.json"])
    [edge] = edges(case)
    assert (edge["src"], edge["dst"], edge["kind"]) == ("officer/900003", "vg/1999999", "directorship")
