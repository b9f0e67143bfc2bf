"""The texts protect reads, per source row and field, as protect/fields.yaml describes them.

Queries are built from the table over the case's real tables (reflected), one id range at a time, so a
scan of millions of items holds one batch in memory.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import MetaData, Table, select
from sqlalchemy.engine import Connection

from unmask.core.privacy import decode_escapes

MAX_VALUES = 200
"""Values of one field of one row read at most (a hostile item with 100,000 tags costs no more)."""
MAX_VALUE_CHARS = 2000


@dataclass(frozen=True)
class FieldSpec:
    name: str
    shape: str
    """column | rows | through | ref"""
    spec: dict[str, Any]
    escaped: bool = False
    optional: bool = False


@dataclass(frozen=True)
class SourceSpec:
    name: str
    table: str
    url: str
    removed: str | None
    optional: bool
    fields: tuple[FieldSpec, ...]


@functools.cache
def source_specs() -> tuple[SourceSpec, ...]:
    raw = yaml.safe_load(resources.files("unmask.protect").joinpath("fields.yaml").read_text("utf-8"))
    out = []
    for source in raw["sources"]:
        fields = []
        for f in source["fields"]:
            shape = next(k for k in ("column", "rows", "through", "ref") if k in f)
            spec = f[shape] if isinstance(f[shape], dict) else {"column": f[shape]}
            fields.append(FieldSpec(f["name"], shape, spec, bool(f.get("escaped")), bool(f.get("optional"))))
        out.append(
            SourceSpec(
                source["name"],
                source["table"],
                source["url"],
                source.get("removed"),
                bool(source.get("optional")),
                tuple(fields),
            )
        )
    return tuple(out)


@dataclass
class Row:
    """One source row's texts: field name → its values (in a stable order)."""

    id: int
    url: str
    removed: bool
    values: dict[str, list[str]]


class SourceReader:
    """Reads one source's rows in id ranges, with the fields its store has."""

    def __init__(self, conn: Connection, spec: SourceSpec) -> None:
        self.spec = spec
        self.meta = MetaData()
        self.conn = conn
        names = set(conn.dialect.get_table_names(conn))
        self.present = spec.table in names
        if not self.present:
            if not spec.optional:
                raise LookupError(f"the store has no table {spec.table}")
            self.fields: tuple[FieldSpec, ...] = ()
            return
        self.table = self._table(spec.table)
        self.fields = tuple(f for f in spec.fields if self._has(f, names))

    def _table(self, name: str) -> Table:
        return Table(name, self.meta, autoload_with=self.conn)

    def _has(self, spec: FieldSpec, names: set[str]) -> bool:
        tables = [spec.spec[k] for k in ("table", "link") if k in spec.spec]
        ok = all(t in names for t in tables) and (
            spec.shape != "column" or spec.spec["column"] in self.table.c
        )
        if not ok and not spec.optional:
            raise LookupError(f"the store lacks what protect reads as {self.spec.name}.{spec.name}")
        return ok

    def ids(self, after: int, limit: int) -> list[int]:
        id_col = self.table.c.id
        query = select(id_col).where(id_col > after).order_by(id_col).limit(limit)
        return [int(i) for (i,) in self.conn.execute(query)]

    def rows(self, low: int, high: int) -> Iterator[Row]:
        """The rows with ids in [low, high], their values per field."""
        t = self.table
        own = [f for f in self.fields if f.shape == "column"]
        removed = t.c[self.spec.removed] if self.spec.removed else None
        columns = [t.c.id, t.c[self.spec.url], *(t.c[f.spec["column"]] for f in own)]
        if removed is not None:
            columns.append(removed)
        query = select(*columns).where(t.c.id.between(low, high)).order_by(t.c.id)
        extra = {f.name: self._values(f, low, high) for f in self.fields if f.shape != "column"}
        escaped = {f.name for f in self.fields if f.escaped}
        for record in self.conn.execute(query):
            row_id = int(record[0])
            values: dict[str, list[str]] = {}
            for i, f in enumerate(own):
                value = record[2 + i]
                if value:
                    text = str(value)[:MAX_VALUE_CHARS]
                    values[f.name] = [decode_escapes(text) if f.name in escaped else text]
            for name, found in extra.items():
                if listed := found.get(row_id):
                    values[name] = [decode_escapes(v) for v in listed] if name in escaped else listed
            gone = removed is not None and record[-1] is not None
            yield Row(row_id, str(record[1] or ""), gone, values)

    def _values(self, spec: FieldSpec, low: int, high: int) -> dict[int, list[str]]:
        s = spec.spec
        if spec.shape == "rows":
            other = self._table(s["table"])
            key, value = other.c[s["key"]], other.c[s["column"]]
            query = select(key, value).where(key.between(low, high)).order_by(key, value)
        elif spec.shape == "through":
            link, other = self._table(s["link"]), self._table(s["table"])
            key, value = link.c[s["key"]], other.c[s["column"]]
            query = (
                select(key, value)
                .join(other, other.c.id == link.c[s["ref"]])
                .where(key.between(low, high))
                .order_by(key, value)
            )
        else:  # ref
            other = self._table(s["table"])
            key, value = self.table.c.id, other.c[s["value"]]
            query = (
                select(key, value)
                .join(other, other.c.id == self.table.c[s["column"]])
                .where(key.between(low, high))
                .order_by(key)
            )
        out: dict[int, list[str]] = defaultdict(list)
        for row_id, text in self.conn.execute(query):
            if text:
                values = out[int(row_id)]
                if len(values) < MAX_VALUES:
                    values.append(str(text)[:MAX_VALUE_CHARS])
        return out
