"""The item schema (census/fields.yaml) is the one list of item fields: every other list derives from it."""

from __future__ import annotations

import dataclasses

import pytest

from unmask.census.extract.adapter import FIELD_TYPES
from unmask.census.model import ItemRecord
from unmask.census.schema import EXPORTED, ITEM_FIELDS, WANTABLE, load_fields
from unmask.core.errors import ConfigError
from unmask.core.store.models import Item, ItemLabel, ItemObservation
from unmask.report.export import ITEM_COLUMNS

RECORD_KEYS = {"kind", "url", "platform_id", "from_item_page", "rejected"}
"""What a record carries besides the item's fields (``rejected``: implausible values set aside)."""


def test_item_record_carries_exactly_the_schema_fields() -> None:
    names = [f.name for f in dataclasses.fields(ItemRecord) if f.name not in RECORD_KEYS]
    assert names == [f.name for f in ITEM_FIELDS]


def test_every_stored_field_has_its_columns_in_the_store() -> None:
    columns = set(Item.__table__.c.keys())
    for f in ITEM_FIELDS:
        if f.store == "column":
            assert f.column in columns, f.name
        if f.merge == "ranked":
            assert {f.rank_column, f.run_column} <= columns, f.name
            assert f.column in ItemObservation.__table__.c, f.name  # what each run saw
    assert "kind" in ItemLabel.__table__.c


def test_adapter_fields_and_wanted_names_come_from_the_schema() -> None:
    assert set(FIELD_TYPES) == {f.name for f in ITEM_FIELDS if f.parse}
    for f in ITEM_FIELDS:
        if f.parse:
            assert FIELD_TYPES[f.name].default_parse == f.parse[0]
            assert FIELD_TYPES[f.name].parses == frozenset(f.parse)
            assert FIELD_TYPES[f.name].many == f.many
    assert "uploader_url" not in WANTABLE and "persons" in WANTABLE


def test_export_item_columns_come_from_the_schema() -> None:
    names = [c.name for c in ITEM_COLUMNS]
    exported = [f.export for f in EXPORTED]
    start = names.index(exported[0])
    assert names[start : start + len(exported)] == exported
    assert names[:start] == ["item_id", "platform", "kind", "platform_item_id", "url"]
    assert names[start + len(exported) :] == [
        "first_seen",
        "last_seen",
        "removed_at",
        "capture_ids",
        "evidence_warc",
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("fields: [{name: a, type: text, store: column, merge: replace, wanted: true}]", "needs 'column'"),
        ("fields: [{name: a, type: blob, store: column, column: a, merge: replace, wanted: true}]", "type"),
        ("fields: [{name: a, type: count, store: column, column: a, merge: ranked, wanted: true}]", "ranked"),
        ("fields: [{name: a, type: text, store: column, column: a, merge: replace, wanted: 1, x: 2}]", "'x'"),
        ("fields: [{name: a, type: id, store: label, label: t, merge: union, wanted: 1, export: a}]", "exp"),
        ("nothing: here", "'fields'"),
    ],
)
def test_a_broken_fields_table_is_refused_with_its_problem(text: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        load_fields(text)
