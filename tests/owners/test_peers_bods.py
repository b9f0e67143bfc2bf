"""Peers' BODS test material, each file a test that states what unmask makes of it.

Fixtures (tests/fixtures/peers/bods/, each folder with its licence and source):

- ``data-standard/examples``: the worked examples of Open Ownership's Beneficial Ownership Data
  Standard (Apache-2.0);
- ``lib-cove-bods``: the test data of Open Ownership's BODS validator (AGPL-3.0): BODS 0.2, 0.3 and
  0.4 packages, and the 0.4 relationship statements of its schema and additional checks.

unmask is an importer, not a validator: it is deliberately lenient about what does not change the
graph (publication details, declaration subjects, annotations, codes it does not use, dates in the
future, a component flag on a record that no indirect statement lists, an interest type it does not
know, which becomes control), and strict about what would make a figure wrong: a statement pointing at
a record the import and the case do not have, a share outside 0–100 % or a range that its bounds
leave empty (``[50, 50)``), an exact share outside the range also given, interests or a share that are
not objects, a record whose type changes within its series, a statement ID used for two different
statements. Such a file changes nothing and names file and line; ``--keep-going`` imports the rest
(``kept``: entities and edges then). lib-cove-bods flags some files as invalid for reasons unmask does
not check (an exact share given together with a consistent range, a series whose dates are out of
order: unmask follows the file's order); they import as given.

The 0.4 relationship statements of lib-cove-bods name an entity and a person that no statement of
the file describes (the validator reads one statement at a time): they are imported into a case that
knows those two records (:data:`CONTEXT`), as a relationship is always read against the case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.owners import PEERS_BODS, edges, entity, resolved
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.owners.importers import detect
from unmask.owners.importers.load import ImportFailed, import_files

PEERS = PEERS_BODS


@dataclass(frozen=True)
class Imports:
    """The file imports: this many entities and edges (and warnings, such as duplicate statements)."""

    entities: int
    edges: int
    warnings: int = 0


@dataclass(frozen=True)
class Fails:
    """The import fails at this line with this problem; ``--keep-going`` keeps ``kept`` (entities,
    edges), or finds nothing left to import (None)."""

    line: int
    problem: str
    kept: tuple[int, int] | None = None


@dataclass(frozen=True)
class Refused:
    """Nothing in the file is a record unmask can read: one error naming file, line and problem."""

    problem: str


CONTEXT = [
    {
        "statementId": "context-1",
        "recordId": "ent-93c75c87ab28f889",
        "recordType": "entity",
        "recordDetails": {
            "isComponent": False,
            "entityType": {"type": "registeredEntity"},
            "name": "Invented Ltd",
        },
    },
    {
        "statementId": "context-2",
        "recordId": "01B68D7633",
        "recordType": "entity",
        "recordDetails": {
            "isComponent": False,
            "entityType": {"type": "registeredEntity"},
            "name": "Invented Plc",
        },
    },
    {
        "statementId": "context-3",
        "recordId": "per-5faa4103dee78621",
        "recordType": "person",
        "recordDetails": {
            "isComponent": False,
            "personType": "knownPerson",
            "names": [{"fullName": "Ina Invented"}],
        },
    },
    {
        "statementId": "context-4",
        "recordId": "018AF6B3EB",
        "recordType": "person",
        "recordDetails": {
            "isComponent": False,
            "personType": "knownPerson",
            "names": [{"fullName": "Ola Invented"}],
        },
    },
]
"""The records the lib-cove-bods relationship statements name (invented names)."""

Expected = Imports | Fails | Refused

DATA_STANDARD_EXAMPLES: dict[str, Expected] = {
    "bods-package-annotations.json": Imports(2, 1),
    "bods-package-entity-owning-entity.json": Imports(2, 1),
    "bods-package-fi-soe.json": Imports(4, 5),
    "bods-package-linking-annotations.json": Imports(2, 1),
    "bods-package.json": Imports(2, 1),
    "fermcat.json": Imports(4, 17),
    "full-pep-declaration.json": Imports(2, 2),
    "indirect-ownership.json": Imports(3, 3),
    "joint-ownership.json": Imports(4, 3),
    "levent.json": Imports(4, 4),
    "listed-company-exempt-from-disclosure.json": Imports(1, 0),
    "mixed-direct-and-indirect-ownership.json": Imports(3, 4),
    "multiple-indirect-ownership.json": Imports(4, 5),
    "multiple-tax-residencies.json": Imports(2, 1),
    "mutilple-indirect-ownership-2.json": Imports(4, 5),
    "nomination.json": Imports(4, 4),
    "plc-entity-statement.json": Imports(1, 0),
    "simple-pep-declaration.json": Imports(2, 2),
    "tecido.json": Imports(3, 18),
}

LIB_COVE_BODS_0_2: dict[str, Expected] = {
    "bad_statement_id_type.json": Refused("statement without statementID"),
    "basic_1.json": Imports(2, 1),
    "beneficialOwnershipOrControl_but_unspecified_person_1.json": Imports(1, 0),
    "component_statement_ids_not_in_package_1.json": Imports(2, 1),
    "entity_address_only_alternative_1.json": Imports(2, 1),
    "entity_address_wrong_type_1.json": Imports(2, 1),
    "iscomponent_true_but_has_component_statement_ids_1.json": Imports(2, 2),
    "iscompontent-os-03-dr-03.json": Imports(3, 3),
    "pep_details_missing_info_but_incorrect_status_1.json": Imports(2, 2),
    "pep_details_no_missing_info_but_incorrect_status_1.json": Imports(2, 2),
    "pep_status_1.json": Imports(2, 2),
    "pep_status_missing_info_1.json": Imports(2, 2),
    "person_address_alternative_and_other_1.json": Imports(2, 1),
    "person_address_only_alternative_1.json": Imports(2, 1),
    "person_address_wrong_type_1.json": Imports(2, 1),
    "statement_is_component_but_is_not_used_1.json": Imports(3, 3),
    "statement_is_component_but_is_used_in_the_wrong_order_1.json": Imports(3, 3),
}

LIB_COVE_BODS_0_3: dict[str, Expected] = {
    "basic_1.json": Imports(2, 1),
    "basic_with_correct_mic_codes_1.json": Imports(2, 1),
    "basic_with_operating_mic_code_missing_1.json": Imports(2, 1),
    "entity_sub_type_does_align_1.json": Imports(2, 1),
    "entity_sub_type_does_not_align_1.json": Imports(2, 1),
    "has_public_listing_information_but_has_public_listing_is_false_1.json": Imports(2, 1),
    "pep_details_but_incorrect_status_1.json": Imports(2, 1),
    "pep_details_but_incorrect_status_2.json": Imports(2, 1),
    "pep_details_missing_info_but_incorrect_status_1.json": Imports(2, 1),
    "pep_details_missing_info_but_no_status_1.json": Imports(2, 1),
    "pep_status_1.json": Imports(2, 1),
}

LIB_COVE_BODS_0_3_0: dict[str, Expected] = {
    "basic_1.json": Imports(2, 1),
}

LIB_COVE_BODS_0_4_ADDITIONAL_CHECKS: dict[str, Expected] = {
    "interested_party_person_with_beneficial_ownership_or_control-invalid-1.json": Imports(2, 1),
    "interested_party_person_with_beneficial_ownership_or_control-valid-1.json": Imports(2, 1),
    "interested_party_person_with_beneficial_ownership_or_control-valid-2.json": Imports(2, 1),
    "relationship_interest_for_trusts-invalid-1.json": Imports(2, 1),
    "relationship_interest_for_trusts-invalid-2.json": Imports(2, 1),
    "relationship_interest_for_trusts-invalid-3.json": Imports(2, 1),
    "relationship_interest_for_trusts-valid-1.json": Imports(2, 1),
    "relationship_interest_for_trusts-valid-2.json": Imports(2, 1),
    "relationship_interest_for_trusts-valid-3.json": Imports(2, 1),
    "relationship_interest_nominee_or_nominator-invalid-1.json": Imports(2, 1),
    "relationship_interest_nominee_or_nominator-invalid-2.json": Imports(2, 1),
    "relationship_interest_nominee_or_nominator-valid-1.json": Imports(2, 1),
    "relationship_interest_nominee_or_nominator-valid-2.json": Imports(2, 1),
    "statement_declaration_subject-invalid-1.json": Imports(2, 1),
    "statement_declaration_subject-invalid-2.json": Imports(2, 1),
    "statement_declaration_subject-valid-1.json": Imports(2, 1),
    "statement_duplicate_statement_id-invalid-1.json": Fails(
        15, "statement ID '1dc0e987-5c57-4a1c-b3ad-61353b66a9b7' was give", kept=(1, 0)
    ),
    "statement_duplicate_statement_id-invalid-2.json": Imports(2, 1, warnings=1),
    "statement_duplicate_statement_id-valid-1.json": Imports(2, 1),
    "statement_entity_is_component-invalid-1.json": Imports(3, 3),
    "statement_entity_is_component-invalid-2.json": Imports(3, 3),
    "statement_entity_is_component-valid-1.json": Imports(3, 3),
    "statement_must_have_unique_statement_identifier-invalid-1.json": Fails(
        15, "statement ID '1dc0e987-5c57-4a1c-b3ad-61353b66a9b7' was give", kept=(1, 0)
    ),
    "statement_must_have_unique_statement_identifier-invalid-2.json": Imports(2, 1, warnings=1),
    "statement_must_have_unique_statement_identifier-invalid-3.json": Fails(
        15, "statement ID '1dc0e987-5c57-4a1c-b3ad-61353b66a9b7' was give", kept=(2, 1)
    ),
    "statement_must_have_unique_statement_identifier-valid-1.json": Imports(2, 1),
    "statement_person_is_component-invalid-1.json": Imports(2, 1),
    "statement_person_is_component-invalid-2.json": Imports(2, 1),
    "statement_person_is_component-valid-1.json": Imports(2, 1),
    "statement_relationship_component_records_are_record_ids-invalid-1.json": Imports(3, 3),
    "statement_relationship_component_records_are_record_ids-invalid-2.json": Imports(3, 3),
    "statement_relationship_component_records_are_record_ids-valid-1.json": Imports(3, 3),
    "statement_relationship_interested_party_entity_or_person-invalid-1.json": Fails(
        28, "unknown record '123'", kept=(2, 0)
    ),
    "statement_relationship_interested_party_entity_or_person-invalid-2.json": Fails(
        45, "unknown record '93b53022ae6a'", kept=(2, 1)
    ),
    "statement_relationship_interested_party_entity_or_person-valid-1.json": Imports(2, 1),
    "statement_relationship_interested_party_entity_or_person-valid-2.json": Imports(2, 1),
    "statement_relationship_interests_share_values-invalid-1.json": Imports(2, 1),
    "statement_relationship_interests_share_values-invalid-2.json": Imports(2, 1),
    "statement_relationship_interests_share_values-invalid-3.json": Imports(2, 1),
    "statement_relationship_interests_share_values-invalid-4.json": Imports(2, 1),
    "statement_relationship_interests_share_values-invalid-5.json": Fails(
        26, "share range [99, 1]% is empty", kept=(2, 0)
    ),
    "statement_relationship_interests_share_values-invalid-6.json": Fails(
        26, "share range (99, 1)% is empty", kept=(2, 0)
    ),
    "statement_relationship_interests_share_values-invalid-7.json": Fails(
        26, "share range [50, 50)% is empty", kept=(2, 0)
    ),
    "statement_relationship_interests_share_values-invalid-8.json": Fails(
        26, "share range (50, 50]% is empty", kept=(2, 0)
    ),
    "statement_relationship_interests_share_values-valid-1.json": Imports(2, 1),
    "statement_relationship_interests_share_values-valid-2.json": Imports(2, 1),
    "statement_relationship_interests_share_values-valid-3.json": Imports(2, 1),
    "statement_relationship_interests_start_end_dates-invalid-1.json": Imports(2, 1),
    "statement_relationship_interests_start_end_dates-valid-1.json": Imports(2, 1),
    "statement_relationship_interests_start_end_dates-valid-2.json": Imports(2, 1),
    "statement_relationship_is_component-invalid-1.json": Imports(3, 3),
    "statement_relationship_is_component-invalid-2.json": Imports(3, 3),
    "statement_relationship_is_component-valid-1.json": Imports(3, 3),
    "statement_relationship_subject_refers_to_entity_statement-invalid-1.json": Imports(2, 1),
    "statement_relationship_subject_refers_to_entity_statement-invalid-2.json": Fails(
        26, "unknown record '123'", kept=(2, 0)
    ),
    "statement_relationship_subject_refers_to_entity_statement-valid-1.json": Imports(2, 1),
    "statement_serialisation-invalid-1.json": Imports(2, 1),
    "statement_serialisation-invalid-2.json": Imports(2, 1),
    "statement_serialisation-invalid-3.json": Fails(13, "unknown record 'c359f58d2977'", kept=(1, 0)),
    "statement_serialisation-invalid-4.json": Fails(15, "unknown record '10478c6cf6de'", kept=(1, 0)),
    "statement_serialisation-valid-1.json": Imports(2, 1),
    "statement_series-invalid-1.json": Imports(2, 0),
    "statement_series-invalid-2.json": Imports(2, 0),
    "statement_series-invalid-3.json": Imports(2, 0),
    "statement_series-invalid-4.json": Imports(2, 0),
    "statement_series-invalid-5.json": Fails(
        15, "record 'c359f58d2977' is a entity record; this statement say", kept=(1, 0)
    ),
    "statement_series-valid-1.json": Imports(2, 0),
    "statement_series-valid-2.json": Imports(2, 0),
}

LIB_COVE_BODS_0_4: dict[str, Expected] = {
    "additional_fields_1.json": Imports(1, 0),
    "additional_fields_2.json": Fails(2, "unknown record '00844529'"),
    "basic_1.json": Imports(2, 1),
    "basic_with_correct_mic_codes_1.json": Imports(1, 0),
    "basic_with_operating_mic_code_missing_1.json": Imports(1, 0),
    "entity_sub_type_does_align_1.json": Imports(1, 0),
    "entity_sub_type_does_not_align_1.json": Imports(1, 0),
    "entity_type_trust_arrangement.json": Imports(1, 0),
    "entity_type_trust_registeredentity.json": Imports(1, 0),
    "has_public_listing_information_but_has_public_listing_is_false_1.json": Imports(1, 0),
    "sample_300_statements.json": Imports(101, 100, warnings=1),
    "statistic_count_declaration_subjects.json": Imports(5, 3),
}

LIB_COVE_BODS_0_4_INVALID_SCHEMA: dict[str, Expected] = {
    "relationship_component_records_not_array.json": Refused("componentRecords must be a list of record IDs"),
    "relationship_component_records_not_string.json": Refused(
        "componentRecords must be a list of record IDs"
    ),
    "relationship_component_records_true.json": Imports(0, 1),
    "relationship_interestedParty_missing.json": Refused("has no interested party"),
    "relationship_interested_party_invalid_type.json": Refused("has no interested party"),
    "relationship_interests_beneficialOwnershipOrControl_not_boolean.json": Imports(0, 1),
    "relationship_interests_details_string.json": Imports(0, 1),
    "relationship_interests_direct_indirect_code.json": Imports(0, 1),
    "relationship_interests_end_date_dateformat.json": Imports(0, 1),
    "relationship_interests_end_date_string.json": Refused("date '1' is not a date"),
    "relationship_interests_exclusive_max_negative.json": Refused("exclusive maximum share -5% is below 0"),
    "relationship_interests_exclusive_max_too_big.json": Refused("exclusive maximum share 105% is above 100"),
    "relationship_interests_exclusive_min_negative.json": Refused("exclusive minimum share -5% is below 0"),
    "relationship_interests_exclusive_min_too_big.json": Refused("exclusive minimum share 105% is above 100"),
    "relationship_interests_no_array.json": Refused("interests must be a list of objects"),
    "relationship_interests_share_exact_too_big.json": Refused("share 500% is above 100"),
    "relationship_interests_share_exact_too_small.json": Refused("share -5% is below 0"),
    "relationship_interests_share_maximum_too_big.json": Refused("maximum share 500% is above 100"),
    "relationship_interests_share_maximum_too_small.json": Refused("maximum share -5% is below 0"),
    "relationship_interests_share_minimum_too_big.json": Refused("minimum share 500% is above 100"),
    "relationship_interests_share_minimum_too_small.json": Refused("minimum share -5% is below 0"),
    "relationship_interests_share_not_object.json": Refused(
        "an interest's share must be an object (exact, minimum, maximum …)"
    ),
    "relationship_interests_share_startDate_format.json": Imports(0, 1),
    "relationship_interests_type_code.json": Imports(0, 1),
    "relationship_isComponent_missing.json": Imports(0, 1),
    "relationship_isComponent_not_boolean.json": Imports(0, 1),
    "relationship_subject_invalid_type.json": Refused("has no subject record"),
    "relationship_subject_missing.json": Refused("has no subject record"),
}

LIB_COVE_BODS_0_4_VALID_SCHEMA: dict[str, Expected] = {
    "relationship.json": Imports(0, 2),
    "relationship_2.json": Imports(0, 3),
    "relationship_component_records.json": Imports(0, 1),
    "relationship_interested_party.json": Imports(0, 1),
    "relationship_interested_party_unspecified_object.json": Fails(2, "unknown record 'ent-93c75c87ab28f88'"),
    "relationship_interests_beneficial_ownership_or_control.json": Imports(0, 1),
    "relationship_interests_details.json": Imports(0, 1),
    "relationship_interests_direct_or_indirect.json": Imports(0, 1),
    "relationship_interests_end_date.json": Imports(0, 1),
    "relationship_interests_share.json": Imports(0, 1),
    "relationship_interests_share_exclusive_minmax.json": Imports(0, 1),
    "relationship_interests_start_date.json": Imports(0, 1),
    "relationship_interests_type.json": Imports(0, 1),
    "relationship_is_component_true.json": Imports(0, 1),
    "relationship_is_component_true2.json": Imports(0, 1),
    "relationship_subject.json": Imports(0, 1),
    "relationship_subject_unspecified_object.json": Imports(1, 1),
}

LIB_COVE_BODS_BLANK: dict[str, Expected] = {
    "basic_1.json": Imports(2, 1),
}

LIB_COVE_BODS_DICT: dict[str, Expected] = {
    "basic_1.json": Imports(2, 1),
}

LIB_COVE_BODS_MIXED: dict[str, Expected] = {
    "0.1_then_0.2.json": Imports(2, 1),
    "0.2_then_0.1.json": Imports(2, 1),
    "0.2_then_dict.json": Imports(2, 1),
    "dict_then_0.2.json": Imports(2, 1),
}

EXPECTED: dict[str, Expected] = {
    **{f"data-standard/examples/{name}": want for name, want in DATA_STANDARD_EXAMPLES.items()},
    **{f"lib-cove-bods/0.2/{name}": want for name, want in LIB_COVE_BODS_0_2.items()},
    **{f"lib-cove-bods/0.3/{name}": want for name, want in LIB_COVE_BODS_0_3.items()},
    **{f"lib-cove-bods/0.3.0/{name}": want for name, want in LIB_COVE_BODS_0_3_0.items()},
    **{
        f"lib-cove-bods/0.4/additional-checks/{name}": want
        for name, want in LIB_COVE_BODS_0_4_ADDITIONAL_CHECKS.items()
    },
    **{f"lib-cove-bods/0.4/{name}": want for name, want in LIB_COVE_BODS_0_4.items()},
    **{
        f"lib-cove-bods/0.4/invalid-schema/{name}": want
        for name, want in LIB_COVE_BODS_0_4_INVALID_SCHEMA.items()
    },
    **{
        f"lib-cove-bods/0.4/valid-schema/{name}": want
        for name, want in LIB_COVE_BODS_0_4_VALID_SCHEMA.items()
    },
    **{f"lib-cove-bods/blank/{name}": want for name, want in LIB_COVE_BODS_BLANK.items()},
    **{f"lib-cove-bods/dict/{name}": want for name, want in LIB_COVE_BODS_DICT.items()},
    **{f"lib-cove-bods/mixed/{name}": want for name, want in LIB_COVE_BODS_MIXED.items()},
}


def _case_for(case: Case, name: str, tmp_path: Path) -> Case:
    if "-schema/relationship" in name:
        context = tmp_path / "context.json"
        context.write_text(json.dumps(CONTEXT), encoding="utf-8")
        import_files(case.store, [context])
    return case


def test_every_fixture_has_an_expectation() -> None:
    assert sorted(str(p.relative_to(PEERS)) for p in PEERS.rglob("*.json")) == sorted(EXPECTED)
    assert (PEERS / "data-standard" / "LICENSE").is_file() and (PEERS / "lib-cove-bods" / "LICENSE").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_peer_fixture(sqlite_case: Case, tmp_path: Path, name: str) -> None:
    path, want = PEERS / name, EXPECTED[name]
    case = _case_for(sqlite_case, name, tmp_path)
    assert detect(path).name == "bods"
    if isinstance(want, Imports):
        [result] = import_files(case.store, [path])
        assert (result.entities, result.edges, len(result.warnings)) == (
            want.entities,
            want.edges,
            want.warnings,
        )
        assert not result.skipped
    elif isinstance(want, Fails):
        with pytest.raises(ImportFailed) as failed:
            import_files(case.store, [path])
        _file, first = failed.value.problems[0]
        assert (first.line, want.problem in first.message) == (want.line, True), first.message
        if want.kept is None:
            with pytest.raises(UnmaskError, match="nothing imported"):
                import_files(case.store, [path], keep_going=True)
        else:
            [kept] = import_files(case.store, [path], keep_going=True)
            assert (kept.entities, kept.edges) == want.kept
            assert want.line in [p.line for p in kept.skipped]
    else:
        with pytest.raises(UnmaskError) as refused:
            import_files(case.store, [path])
        assert str(refused.value).startswith(f"{path}: no bods record in this file")
        assert want.problem in str(refused.value)


# -- what the figures say, on some of them -----------------------------------------------------------------

EXAMPLES = PEERS / "data-standard" / "examples"
COVE = PEERS / "lib-cove-bods" / "0.4"


def _owners(case: Case, ref: str) -> list[tuple[str, float, float]]:
    from unmask.owners.ultimate import ultimate

    return [(o["id"], o["percent_low"], o["percent_high"]) for o in ultimate(case, ref, note=None)["owners"]]


def test_indirect_statements_carry_their_components(case: Case) -> None:
    """Two BODS examples of indirect ownership through components: Person 1 holds 60 % of the
    subject (the indirect statement), not 60 % plus the components' shares, and the intermediate
    companies are Person 1's with a share the data does not give."""
    import_files(case.store, [EXAMPLES / "multiple-indirect-ownership.json"])
    assert _owners(case, "63e3a8a8946f") == [("92ebf964a1f6", 60.0, 60.0)]
    assert _owners(case, "d177864a8b39") == [("92ebf964a1f6", 0.0, 100.0)]
    import_files(case.store, [EXAMPLES / "mutilple-indirect-ownership-2.json"])
    assert _owners(case, "1e049760d6c7") == [("731c7a8e7601", 60.0, 60.0)]


def test_a_record_series_ends_in_its_last_statement(case: Case) -> None:
    """Fermcat: persons come and go over updates and closures; today one person holds it all."""
    import_files(case.store, [EXAMPLES / "fermcat.json"])
    assert _owners(case, "ent-93c75c87ab28f889") == [("per-41c0bb0cef246f7c", 100.0, 100.0)]
    assert entity(case, "per-e334cc6258e56467").replaced and entity(case, "per-5faa4103dee78621").replaced


def test_an_unspecified_subject_is_a_node_of_its_own(case: Case, tmp_path: Path) -> None:
    """A 0.4 relationship whose subject is exempt from disclosure imports: the subject is a node
    standing for it (its reason kept), held by the interested party; the file is not refused."""
    _case_for(case, "0.4/valid-schema/relationship", tmp_path)
    [result] = import_files(
        case.store, [COVE / "valid-schema" / "relationship_subject_unspecified_object.json"]
    )
    assert (result.entities, result.edges) == (1, 1)
    node = entity(case, "rel-b05e7c91e0a04e4f/subject")
    assert node.schema == "LegalEntity" and node.name == "unspecified subject (subjectExemptFromDisclosure)"
    assert json.loads(node.properties or "{}")["unspecifiedReason"] == ["subjectExemptFromDisclosure"]
    [edge] = edges(case)
    assert (edge["src"], edge["dst"], edge["kind"]) == ("per-5faa4103dee78621", node.source_id, "ownership")
    assert (edge["share_min"], edge["share_max"]) == (None, None)


def test_exclusive_bounds_are_kept_and_an_empty_range_is_refused(case: Case, tmp_path: Path) -> None:
    _case_for(case, "0.4/valid-schema/relationship", tmp_path)
    import_files(case.store, [COVE / "valid-schema" / "relationship_interests_share_exclusive_minmax.json"])
    [edge] = edges(case)
    assert (edge["share_min"], edge["share_max"]) == (25, 75)
    assert json.loads(edge["properties"]) | {
        "exclusiveMinimum": True,
        "exclusiveMaximum": True,
    } == json.loads(edge["properties"])
    empty = COVE / "additional-checks" / "statement_relationship_interests_share_values-invalid-7.json"
    with pytest.raises(ImportFailed, match=r"invalid-7.json:26: .*share range \[50, 50\)% is empty"):
        import_files(case.store, [empty])


def test_statement_ids_name_their_record(case: Case) -> None:
    """A BODS 0.4 statementId is an ID users may pass: it names the record the statement is about."""
    import_files(case.store, [EXAMPLES / "fermcat.json"])
    by_record = resolved(case, "per-41c0bb0cef246f7c")
    first_statement = json.loads((EXAMPLES / "fermcat.json").read_text())[1]["statementId"]
    assert resolved(case, first_statement).id == by_record.id
    assert resolved(case, f"bods-statement:{first_statement}").id == by_record.id
