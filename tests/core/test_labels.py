"""The terminal shows plain words for internal values; `--json` keeps the contract's values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import unmask
from unmask.cli.infra import _source_name
from unmask.core.labels import _table, label, words
from unmask.infra.changes import CHANGE_KINDS
from unmask.infra.registry import SOURCES, describe, load_class

NOTES = Path(__file__).resolve().parents[1] / "owners" / "data" / "notes.csv"


@pytest.mark.slow
def test_owners_ultimate_says_why_an_owner_is_at_the_top_in_words(new_case: Path) -> None:
    case = str(new_case)
    unmask("owners", "import", str(NOTES), "--case", case)
    text = unmask("owners", "ultimate", "Quiet Lake Apps Ltd", "--case", case).stdout
    assert "nobody recorded as owner" in text and "no_known_owner" not in text
    assert "directorship" in text  # Mira Quillon's directorship, under control without shares
    answer = json.loads(unmask("owners", "ultimate", "Quiet Lake Apps Ltd", "--case", case, "--json").stdout)
    assert {o["top"] for o in answer["owners"]} == {"no_known_owner"}  # the contract's value
    shown = unmask("owners", "show", "Lanternfish Media Holdings Ltd.", "--case", case).stdout
    assert "nominee arrangement" in shown and "LegalEntity" not in shown


def test_a_skipped_source_is_named_as_case_yaml_names_it_not_by_its_class() -> None:
    assert _source_name("unmask.infra.web:WebFingerprint") == "web"
    assert _source_name("unmask.infra.absent:SomeSource") == "absent"  # not installed: its module's name
    for path in SOURCES:
        source = load_class(path)
        assert source is not None and _source_name(path) == source.name


def test_every_change_kind_and_option_type_has_words() -> None:
    """A new change kind or option type gets its words in labels.yaml (else the terminal shows code)."""
    table = _table()
    assert {kind.name for kind in CHANGE_KINDS} <= set(table["infra_change"])
    types = {option["type"] for source in describe() for option in source["options"]}
    assert types <= set(table["option_type"])


def test_values_not_in_the_table_read_as_words() -> None:
    assert words("no_known_owner") == "no known owner"
    assert words("NO_KNOWN_PERSON") == "no known person"
    assert words("LegalEntity") == "legal entity"
    assert words("subjectExemptFromDisclosure") == "subject exempt from disclosure"
    assert label("owner_flag", "offshore:VG") == "offshore jurisdiction (VG)"
    assert label("owner_top", "NATURAL_PERSONS").startswith("owned by natural persons")
    assert label("owner_top", "interested-party-has-not-provided-information") == (
        "interested party has not provided information"
    )
    assert label("owner_top", None) == ""
