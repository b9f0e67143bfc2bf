"""BODS 0.4 samples (Open Ownership) and the 0.2/0.3 statement shapes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.owners import PEERS_BODS, edges, entity
from unmask.core.case import Case
from unmask.owners.importers.load import import_files

BODS = PEERS_BODS / "data-standard" / "examples"


def test_share_ranges_are_kept_as_given(case: Case) -> None:
    import_files(
        case.store,
        [BODS / "bods-package-entity-owning-entity.json", BODS / "bods-package-linking-annotations.json"],
    )
    [owning] = edges(case, source_id="0f31559c6eec")
    assert (owning["share_min"], owning["share_max"]) == (75, 100)  # minimum 75, exclusiveMaximum 100
    assert json.loads(owning["properties"])["exclusiveMaximum"] is True
    [ranged] = edges(case, source_id="331342ec3940")
    assert (ranged["share_min"], ranged["share_max"]) == (25, 50)  # both bounds exclusive, no point value
    props = json.loads(ranged["properties"])
    assert props["exclusiveMinimum"] and props["exclusiveMaximum"]
    assert ranged["direct"] is None


def test_components_are_flagged_not_double_counted(case: Case) -> None:
    import_files(case.store, [BODS / "indirect-ownership.json"])
    all_edges = edges(case)
    indirect = [e for e in all_edges if not e["component"]]
    assert len(indirect) == 1
    assert (indirect[0]["src"], indirect[0]["dst"]) == ("c25d4d612c2c", "ad3f6c2fcc9e")
    assert indirect[0]["direct"] is False and indirect[0]["share_min"] == indirect[0]["share_max"] == 30
    components = {(e["src"], e["dst"]): e for e in all_edges if e["component"]}
    assert components[("d4ab89ea169a", "ad3f6c2fcc9e")]["share_min"] == 60
    unknown = components[("c25d4d612c2c", "d4ab89ea169a")]
    assert unknown["kind"] == "ownership" and unknown["share_min"] is None and unknown["share_max"] is None


def test_joint_ownership_and_exact_shares(case: Case) -> None:
    import_files(case.store, [BODS / "joint-ownership.json"])
    owners = {e["src"]: e["share_min"] for e in edges(case) if e["dst"] == "91b4236a7d89"}
    assert owners == {"1accb8b18b99": 50, "f040df24d9ec": 50}
    assert entity(case, "91b4236a7d89").schema == "Organization"


def test_nominee_and_nominator(case: Case) -> None:
    import_files(case.store, [BODS / "nomination.json"])
    nominees = {(e["src"], e["role"]) for e in edges(case, kind="nominee")}
    assert nominees == {("101AB1984F", "nominator"), ("102AB1984E", "nominee")}
    [control] = edges(case, source_id="108AC1984E")
    assert control["kind"] == "control" and control["direct"] is False
    assert [e["kind"] for e in edges(case, source_id="107AC1984F")] == ["directorship"]


def test_listed_company_exempt_is_a_chain_top(case: Case) -> None:
    import_files(case.store, [BODS / "listed-company-exempt-from-disclosure.json"])
    listed = entity(case, "4c7ea3bfbe6c")
    assert listed.topmark == "listed"
    assert "subjectExemptFromDisclosure" in (listed.properties or "")  # the unspecified party's note
    assert edges(case) == []


def test_pep_and_listing_identifiers(case: Case) -> None:
    import_files(case.store, [BODS / "full-pep-declaration.json", BODS / "plc-entity-statement.json"])
    assert json.loads(entity(case, "9bcdcc85e803").properties or "{}")["topics"] == ["role.pep"]
    kinds = {e["kind"]: e for e in edges(case, source_id="91e4b9055ca0")}
    assert kinds["control"]["voting_min"] == 25 and kinds["control"]["voting_max"] == 50
    plc = entity(case, "70044236")
    assert plc.topmark == "listed"
    props = json.loads(plc.properties or "{}")
    assert props["leiCode"] == ["PY6ZZQWO2IZFZC3IOL08"] and props["isinCode"] == [
        "GB0009895292",
        "US0463531089",
    ]


def test_updated_and_closed_records_are_history(case: Case) -> None:
    import_files(case.store, [BODS / "tecido.json"])
    current = [e for e in edges(case) if not e["replaced"]]
    assert {(e["src"], e["kind"], e["share_min"]) for e in current} == {
        ("033E84672B", "ownership", 80),
        ("033E84672B", "control", 80),
    }
    assert entity(case, "018AF6B3EB").replaced  # the person's record was closed


def test_state_owned_chain(case: Case) -> None:
    import_files(case.store, [BODS / "bods-package-fi-soe.json"])
    assert entity(case, "05ce06ec97b1").topmark == "state"
    [indirect] = [e for e in edges(case) if not e["component"]]
    assert indirect["src"] == "05ce06ec97b1" and indirect["direct"] is False


def test_statements_of_bods_0_3(case: Case, tmp_path: Path) -> None:
    statements = [
        {
            "statementID": "e-1",
            "statementType": "entityStatement",
            "entityType": "registeredEntity",
            "name": "Quillfeather Trading Ltd",
            "incorporatedInJurisdiction": {"code": "GB"},
            "identifiers": [{"scheme": "GB-COH", "id": "09999991"}],
        },
        {"statementID": "p-1", "statementType": "personStatement", "names": [{"fullName": "Ada Invented"}]},
        {
            "statementID": "o-1",
            "statementType": "ownershipOrControlStatement",
            "subject": {"describedByEntityStatement": "e-1"},
            "interestedParty": {"describedByPersonStatement": "p-1"},
            "interests": [
                {"type": "shareholding", "share": {"minimum": 50, "maximum": 75}},
                {"type": "voting-rights", "share": {"exact": 60}},
            ],
        },
        {
            "statementID": "o-2",
            "statementType": "ownershipOrControlStatement",
            "subject": {"describedByEntityStatement": "e-1"},
            "interestedParty": {"describedByPersonStatement": "p-1"},
            "interests": [{"type": "shareholding", "share": {"exact": 70}}],
            "replacesStatements": ["o-1"],
        },
    ]
    path = tmp_path / "bods03.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in statements) + "\n")
    import_files(case.store, [path])
    rows = {(e["source_id"], e["kind"]): e for e in edges(case)}
    assert rows[("o-1", "ownership")]["share_min"] == 50 and rows[("o-1", "ownership")]["share_max"] == 75
    assert rows[("o-1", "control")]["voting_min"] == 60
    assert rows[("o-1", "ownership")]["replaced"] and not rows[("o-2", "ownership")]["replaced"]
    assert rows[("o-2", "ownership")]["line"] == 4
