"""GLEIF level 1, level 2 and reporting exceptions: the shared JSON samples and golden-copy CSV."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.owners import DATA, SHARED, edges, entity
from unmask.core.case import Case
from unmask.owners.importers import detect
from unmask.owners.importers.load import import_files

GLEIF = SHARED / "gleif"


def test_level1_level2_and_exceptions_in_one_import(case: Case) -> None:
    files = [GLEIF / "lei-data.json", GLEIF / "rr-data.json", GLEIF / "repex-data.json"]
    assert {detect(f).name for f in files} == {"gleif"}
    results = import_files(case.store, files)
    assert results[0].entities == 13
    assert results[1].edges == 10
    fund = entity(case, "001GPB6A9XPE8XJICC14")
    assert fund.name == "Fidelity Advisor Leveraged Company Stock Fund"
    assert fund.topmark == "NO_KNOWN_PERSON"
    props = json.loads(fund.properties or "{}")
    assert props["jurisdiction"] == ["us-ma"] and "notes" in props
    assert entity(case, "004L5FPTUREIWK9T2N63").topmark == "NON_CONSOLIDATING"
    # level 2: EndNode (parent) → StartNode (child)
    managed = edges(case, role="IS_FUND-MANAGED_BY")
    assert ("5493001Z012YSB2A0K51", "001GPB6A9XPE8XJICC14") in {(e["src"], e["dst"]) for e in managed}
    assert {e["kind"] for e in managed} == {"control"}
    [direct] = edges(case, role="IS_DIRECTLY_CONSOLIDATED_BY")
    assert direct["kind"] == "ownership" and direct["share_min"] is None and direct["direct"] is True
    assert direct["start_date"] == dt.date(2018, 2, 6)
    [ultimate] = edges(case, role="IS_ULTIMATELY_CONSOLIDATED_BY")
    assert ultimate["direct"] is False
    # parents the import has no level 1 record of are placeholders named by their LEI
    parent = entity(case, "ZZG38T0MDR3QY1ETUA76")
    assert parent.schema == "LegalEntity" and "stub" in (parent.properties or "")


def test_level2_then_level1_later_links_by_lei(case: Case) -> None:
    import_files(case.store, [GLEIF / "lei-data.json"])
    import_files(case.store, [GLEIF / "rr-data.json"])
    managed = edges(case, role="IS_FUND-MANAGED_BY")
    fund = [e for e in managed if e["dst"] == "001GPB6A9XPE8XJICC14"]
    assert fund and fund[0]["dst_id"] == entity(case, "001GPB6A9XPE8XJICC14").id


def test_golden_copy_csv(case: Case) -> None:
    l1, l2 = DATA / "lei2-golden-copy-excerpt.csv", DATA / "rr-golden-copy-excerpt.csv"
    assert detect(l1).name == detect(l2).name == "gleif"
    import_files(case.store, [l1, l2])
    shenzhen = entity(case, "INVENTED0000000000B2")
    props = json.loads(shenzhen.properties or "{}")
    assert props["previousName"] == ["深圳灯笼鱼科技有限公司"] and props["jurisdiction"] == ["cn"]
    assert props["registrationNumber"] == ["91440300MA5INVENT1"]
    assert entity(case, "INVENTED0000000000C3").replaced  # RETIRED, INACTIVE
    rows = {e["src"]: e for e in edges(case)}
    held = rows["INVENTED0000000000B2"]
    assert held["dst"] == "INVENTED0000000000A1" and held["share_min"] == held["share_max"] == 75.5
    old = rows["INVENTED0000000000A1"]
    assert old["replaced"] and old["end_date"] == dt.date(2019, 12, 31)


def test_golden_copy_json_is_streamed(sqlite_case: Case, tmp_path: Path) -> None:
    records = [
        {
            "LEI": {"$": "INVENTED0000000000E5"},
            "Entity": {"LegalName": {"$": "Quiet Harbour Holdings S.A.", "@xml:lang": "fr"}},
        },
        {"LEI": {"$": "INVENTED0000000000F6"}, "Entity": {"LegalName": {"$": "Orchid Ventures LLC"}}},
    ]
    path = tmp_path / "golden.json"
    path.write_text(json.dumps({"records": records}, indent=2))
    assert detect(path).name == "gleif"
    [result] = import_files(sqlite_case.store, [path])
    assert result.entities == 2
    assert entity(sqlite_case, "INVENTED0000000000E5").name == "Quiet Harbour Holdings S.A."
