"""The item schema: the fields of a census item, read once from ``fields.yaml``.

Everything that lists item fields derives from ``ITEM_FIELDS``: ``ItemRecord.provided``, the writer's
columns, merges and "still missing" conditions, the adapter's field keys and ``wanted`` names, and the
export's item columns. Nothing here touches the store or the network.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, cast

import yaml

from unmask.core.errors import ConfigError

FieldType = Literal["text", "seconds", "count", "date", "url", "id", "persons", "labels"]
Store = Literal["column", "uploader", "persons", "label"]
Merge = Literal["replace", "ranked", "first", "union"]

_TYPES: frozenset[str] = frozenset(FieldType.__args__)  # type: ignore[attr-defined]
_STORES: frozenset[str] = frozenset(Store.__args__)  # type: ignore[attr-defined]
_MERGES: frozenset[str] = frozenset(Merge.__args__)  # type: ignore[attr-defined]
_EXPORT_TYPES = frozenset({"text", "integer", "real", "date"})
_PAGE_KINDS = frozenset({"robots", "sitemap", "listing", "item", "person", "page"})
_KEYS = frozenset(
    {
        "name",
        "type",
        "store",
        "column",
        "part",
        "label",
        "merge",
        "rank",
        "parse",
        "wanted",
        "export",
        "export_type",
    }
)


@dataclass(frozen=True)
class ItemField:
    name: str
    type: FieldType
    store: Store
    merge: Merge
    parse: tuple[str, ...]
    """``parse:`` values an adapter rule may take, the default first (empty: not read by a plain rule)."""
    wanted: bool
    column: str | None = None
    """The ``item`` column (store ``column``)."""
    part: str | None = None
    """For store ``uploader``: ``name`` or ``url``."""
    label: str | None = None
    """For store ``label``: the ``item_label.kind``."""
    rank: Mapping[str, int] = field(default_factory=dict)
    """For merge ``ranked``: how exact each page kind's value is (higher wins)."""
    export: str | None = None
    export_type: str | None = None

    @property
    def many(self) -> bool:
        """A list of values (persons, tags, categories) rather than one."""
        return self.merge == "union"

    @property
    def rank_column(self) -> str:
        """For merge ``ranked``: the column holding the stored value's rank."""
        return f"{self.column}_rank"

    @property
    def run_column(self) -> str:
        """For merge ``ranked``: the column holding the run that observed the stored value."""
        return f"{self.column}_run"

    def rank_of(self, page_kind: str) -> int:
        return self.rank.get(page_kind, 1)

    @property
    def best_rank(self) -> int:
        return max(self.rank.values(), default=1)


def _fail(index: int, message: str) -> ConfigError:
    return ConfigError(f"fields[{index}]: {message}", where="census/fields.yaml")


def _field(index: int, raw: object) -> ItemField:
    if not isinstance(raw, dict):
        raise _fail(index, "expected a mapping")
    data = cast(dict[str, Any], raw)
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise _fail(index, f"unknown key {unknown[0]!r}")
    for key in ("name", "type", "store", "merge", "wanted"):
        if key not in data:
            raise _fail(index, f"missing {key!r}")
    checks = (("type", _TYPES), ("store", _STORES), ("merge", _MERGES))
    for key, allowed in checks:
        if data[key] not in allowed:
            raise _fail(index, f"{key} {data[key]!r} is not one of {sorted(allowed)}")
    store = data["store"]
    needs = {"column": "column", "uploader": "part", "label": "label"}.get(store)
    if needs is not None and not data.get(needs):
        raise _fail(index, f"store {store!r} needs {needs!r}")
    rank = data.get("rank") or {}
    if data["merge"] == "ranked" and (not rank or store != "column"):
        raise _fail(index, "merge 'ranked' needs store 'column' and a 'rank' table")
    if set(rank) - _PAGE_KINDS:
        raise _fail(index, f"rank names unknown page kinds: {sorted(set(rank) - _PAGE_KINDS)}")
    if ("export" in data) != ("export_type" in data) or data.get("export_type", "text") not in _EXPORT_TYPES:
        raise _fail(
            index, "'export' and 'export_type' go together; types: " + ", ".join(sorted(_EXPORT_TYPES))
        )
    return ItemField(
        name=str(data["name"]),
        type=data["type"],
        store=store,
        merge=data["merge"],
        parse=tuple(str(p) for p in data.get("parse") or ()),
        wanted=bool(data["wanted"]),
        column=data.get("column"),
        part=data.get("part"),
        label=data.get("label"),
        rank={str(k): int(v) for k, v in rank.items()},
        export=data.get("export"),
        export_type=data.get("export_type"),
    )


def load_fields(text: str) -> tuple[ItemField, ...]:
    """Parse and check a fields table (the shipped one, or a test's)."""
    data = yaml.safe_load(text)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), list):
        raise ConfigError("expected a mapping with a 'fields' list", where="census/fields.yaml")
    fields = tuple(_field(i, raw) for i, raw in enumerate(data["fields"]))
    names = [f.name for f in fields]
    if len(set(names)) != len(names):
        raise ConfigError("a field is listed twice", where="census/fields.yaml")
    return fields


@cache
def item_fields() -> tuple[ItemField, ...]:
    return load_fields(resources.files("unmask.census").joinpath("fields.yaml").read_text(encoding="utf-8"))


ITEM_FIELDS: tuple[ItemField, ...] = item_fields()
FIELDS_BY_NAME: Mapping[str, ItemField] = {f.name: f for f in ITEM_FIELDS}
FIELD_NAMES: tuple[str, ...] = tuple(FIELDS_BY_NAME)
WANTABLE: tuple[str, ...] = tuple(f.name for f in ITEM_FIELDS if f.wanted)
COLUMN_FIELDS: tuple[ItemField, ...] = tuple(f for f in ITEM_FIELDS if f.store == "column")
LABEL_FIELDS: tuple[ItemField, ...] = tuple(f for f in ITEM_FIELDS if f.store == "label")
EXPORTED: tuple[ItemField, ...] = tuple(f for f in ITEM_FIELDS if f.export)
