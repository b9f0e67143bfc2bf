"""The bulk writer of imports: records into the graph tables in one transaction.

:class:`GraphWriter` assigns internal keys in memory, inserts rows in batches (``executemany``),
resolves references between records within the import (forward references included), then against
the case, in chunks. :meth:`GraphWriter.finish` ends by moving the graph's version on
(:func:`unmask.owners.query.bump_graph_version`), which makes the compact index stale.
"""

from __future__ import annotations

import datetime as dt
import json
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Table, func, insert, select, text, update

from unmask.core.store.models import utcnow
from unmask.owners.query import ADDRESS, EDGE, ENTITY, IDENT, bump_graph_version
from unmask.owners.specs import (
    EDGE_KINDS,
    STUB,
    EdgeSpec,
    Mark,
    NodeSpec,
    Problem,
    Properties,
    Record,
    Ref,
    Retire,
    address_key,
    dumps,
    loads,
    merge_properties,
)
from unmask.owners.tables import OwnerEdge, OwnerEntity, OwnerIdentifier


class GraphWriter:
    """Bulk writer of one import (one or several files) on one connection, in its transaction.

    Internal keys are assigned here (``max(id) + 1`` onwards), so rows are inserted in batches
    without a round trip per row; run one import at a time per case.
    """

    def __init__(self, conn: Connection, import_id: int | None = None, *, batch: int = 20_000) -> None:
        self.conn = conn
        self.import_id = import_id
        self.batch = batch
        self.now = utcnow()
        self.problems: list[Problem] = []
        self.entities = 0
        self.edges = 0
        self.marked = 0
        """Chain-top marks and records retired (changes to entities that add none)."""
        self._next_entity = (
            int(conn.execute(select(func.coalesce(func.max(OwnerEntity.id), 0))).scalar_one()) + 1
        )
        self._next_edge = int(conn.execute(select(func.coalesce(func.max(OwnerEdge.id), 0))).scalar_one()) + 1
        self._keys: dict[str, int] = {}
        self._idents: dict[tuple[str, str], int] = {}
        self._stubs: set[int] = set()
        self._entity_rows: dict[int, dict[str, Any]] = {}
        self._ident_rows: list[dict[str, Any]] = []
        self._address_rows: list[dict[str, Any]] = []
        self._edge_rows: list[dict[str, Any]] = []
        self._pending: list[tuple[EdgeSpec | Mark, dict[str, Any] | None]] = []
        self._entity_updates: dict[int, NodeSpec] = {}
        self._by_source: dict[str, list[int]] = {}
        self._superseded: set[int] = set()
        self._marks: list[tuple[int, Mark]] = []
        self._retired: list[Retire] = []
        self._sqlite_text: dict[dt.date, str] = {}
        self._deferred: list[tuple[str, str]] = []

    # -- entities --------------------------------------------------------------------------------

    def entity(
        self,
        schema: str,
        source_id: str,
        name: str | None = None,
        properties: Properties | None = None,
        identifiers: Sequence[tuple[str, str]] = (),
        **extra: Any,
    ) -> int:
        return self.node(NodeSpec(schema, source_id, name, properties or {}, identifiers, **extra))

    def node(self, spec: NodeSpec) -> int:
        """Insert an entity, or return the one this import already has under the same source ID or
        identifier (its description completed with this one)."""
        known = self._keys.get(spec.source_id)
        if known is None:
            for ident in spec.identifiers:
                known = self._idents.get(ident)
                if known is not None:
                    break
        if known is not None:
            self._keys.setdefault(spec.source_id, known)
            self._update(known, spec)
            return known
        return self._insert(spec)

    def _insert(self, spec: NodeSpec, *, stub: bool = False) -> int:
        eid = self._next_entity
        self._next_entity += 1
        props = spec.properties
        if stub:
            props = {**props, STUB: ["true"]}
            self._stubs.add(eid)
        self._entity_rows[eid] = {
            "id": eid,
            "source_id": spec.source_id,
            "schema": spec.schema,
            "name": spec.name,
            "properties": dumps(props),
            "topmark": spec.topmark,
            "first_seen": spec.first_seen or self.now,
            "last_seen": spec.last_seen or self.now,
            "import_id": self.import_id,
            "capture_id": spec.capture_id,
            "line": spec.line,
            "merged_into": None,
            "replaced": spec.replaced,
        }
        self._keys.setdefault(spec.source_id, eid)
        for scheme, value in spec.identifiers:
            if (scheme, value) not in self._idents:
                self._idents[(scheme, value)] = eid
                self._ident_rows.append({"entity_id": eid, "scheme": scheme, "value": value})
        self._addresses(eid, spec.properties)
        self.entities += 1
        if len(self._entity_rows) >= self.batch:
            self.flush()
        return eid

    def _update(self, eid: int, spec: NodeSpec) -> None:
        row = self._entity_rows.get(eid)
        if row is None:
            pending = self._entity_updates.get(eid)
            if pending is not None:
                spec = NodeSpec(
                    spec.schema,
                    spec.source_id,
                    spec.name or pending.name,
                    merge_properties(pending.properties, spec.properties),
                    [*pending.identifiers, *spec.identifiers],
                    spec.topmark or pending.topmark,
                    spec.replaced,
                    spec.line,
                    spec.capture_id,
                )
            self._entity_updates[eid] = spec
        else:
            props = loads(row["properties"])
            if eid in self._stubs:
                props.pop(STUB, None)
                self._stubs.discard(eid)
                row.update(schema=spec.schema, line=spec.line, capture_id=spec.capture_id)
            row["name"] = spec.name or row["name"]
            row["properties"] = dumps(merge_properties(props, spec.properties))
            row["topmark"] = spec.topmark or row["topmark"]
            row["replaced"] = spec.replaced
        for scheme, value in spec.identifiers:
            if (scheme, value) not in self._idents:
                self._idents[(scheme, value)] = eid
                self._ident_rows.append({"entity_id": eid, "scheme": scheme, "value": value})
        self._addresses(eid, spec.properties)

    def _addresses(self, eid: int, properties: Properties) -> None:
        """Index rows for the entity's addresses (a repeat after a re-description is harmless: the
        mass-address count counts distinct entities)."""
        keys = {address_key(str(v)) for v in properties.get("address", []) if str(v).strip()}
        self._address_rows.extend({"entity_id": eid, "key": key} for key in keys)

    def known(self, ref: Ref) -> int | None:
        """The entity this import already has for a reference (no case look-up)."""
        if ref.scheme is None:
            return self._keys.get(ref.value)
        found = self._idents.get((ref.scheme, ref.value))
        return found if found is not None else self._keys.get(ref.value)

    # -- edges and marks -------------------------------------------------------------------------

    def edge(
        self,
        kind: str,
        src: Ref | int,
        dst: Ref | int,
        share_min: float | None = None,
        share_max: float | None = None,
        **extra: Any,
    ) -> None:
        self.add_edge(EdgeSpec(kind, src, dst, share_min, share_max, **extra))

    def add_edge(self, spec: EdgeSpec) -> None:
        if spec.kind not in EDGE_KINDS:
            raise ValueError(f"unknown edge kind {spec.kind!r}")
        eid = self._next_edge
        self._next_edge += 1
        src = spec.src if isinstance(spec.src, int) else self.known(spec.src)
        dst = spec.dst if isinstance(spec.dst, int) else self.known(spec.dst)
        row: dict[str, Any] = {"id": eid, **spec.row(src, dst, self.import_id, self.now)}
        if spec.source_id is not None:
            if spec.supersedes:
                self._superseded.update(self._by_source.get(spec.source_id, ()))
                self._by_source[spec.source_id] = [eid]
            elif spec.source_id in self._by_source:
                self._by_source[spec.source_id].append(eid)
        if row["src_id"] is None or row["dst_id"] is None:
            self._pending.append((spec, row))
            return
        self._edge_rows.append(row)
        self.edges += 1
        if len(self._edge_rows) >= self.batch:
            self.flush()

    def mark(self, mark: Mark) -> None:
        target = self.known(mark.ref)
        if target is None:
            self._pending.append((mark, None))
        else:
            self._marks.append((target, mark))

    def add(self, record: Record) -> None:
        """Write any record an importer yields (problems are collected, not written)."""
        if isinstance(record, NodeSpec):
            self.node(record)
        elif isinstance(record, EdgeSpec):
            self.add_edge(record)
        elif isinstance(record, Mark):
            self.mark(record)
        elif isinstance(record, Retire):
            self._retired.append(record)
        else:
            self.problems.append(record)

    # -- writing ---------------------------------------------------------------------------------

    def flush(self) -> None:
        if self._entity_rows:
            self._insert_rows(ENTITY, list(self._entity_rows.values()))
            self._entity_rows = {}
        if self._ident_rows:
            self._insert_rows(IDENT, self._ident_rows)
            self._ident_rows = []
        if self._address_rows:
            self._insert_rows(ADDRESS, self._address_rows)
            self._address_rows = []
        if self._edge_rows:
            self._insert_rows(EDGE, self._edge_rows)
            self._edge_rows = []

    def _insert_rows(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Batched INSERT. On SQLite straight through the driver's ``executemany`` (values rendered
        the way SQLAlchemy stores them), which is what makes million-row imports fast."""
        if self.conn.dialect.name != "sqlite":
            self.conn.execute(insert(table), rows)
            return
        columns = list(rows[0])
        sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        getter = operator.itemgetter(*columns)
        timed = [i for i, c in enumerate(columns) if isinstance(table.c[c].type, Date | DateTime)]
        cache = self._sqlite_text
        values: list[Any] = []
        for row in rows:
            vals = list(getter(row))
            for i in timed:
                stamp = vals[i]
                if stamp is not None:
                    text_ = cache.get(stamp)
                    if text_ is None:
                        text_ = cache[stamp] = _sqlite_time(stamp)
                    vals[i] = text_
            values.append(vals)
        cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.executemany(sql, values)
        finally:
            cursor.close()
        if len(cache) > 100_000:
            cache.clear()

    def defer_indexes(self) -> None:
        """For a large import on SQLite: drop the graph tables' indexes now and build them again in
        :meth:`finish` (sorting once beats millions of random B-tree inserts). Transactional: a
        rolled-back import leaves them as they were."""
        if self.conn.dialect.name != "sqlite" or self._deferred:
            return
        self._deferred = [
            (name, sql)
            for name, sql in self.conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                "AND tbl_name IN ('owner_entity', 'owner_identifier', 'owner_edge', 'owner_address')"
            )
        ]
        for name, _sql in self._deferred:
            self.conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def _restore_indexes(self) -> None:
        for _name, sql in self._deferred:
            self.conn.exec_driver_sql(sql)
        self._deferred = []

    def finish(self) -> list[Problem]:
        """Resolve what was left pending, write everything, and return the problems of the import
        (including references nothing answered)."""
        self.flush()
        self._restore_indexes()
        self._resolve_pending()
        self.flush()
        self._apply_updates()
        if self._superseded:
            ids = sorted(self._superseded)
            for chunk in _chunks(ids, 500):
                self.conn.execute(update(EDGE).where(EDGE.c.id.in_(chunk)).values(replaced=True))
        self._apply_marks()
        self._apply_retired()
        if self.conn.dialect.name == "postgresql":
            for table in ("owner_entity", "owner_edge"):
                self.conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )
                )
        bump_graph_version(self.conn)
        return self.problems

    def _resolve_pending(self) -> None:
        if not self._pending:
            return
        refs: dict[Ref, int | None] = {}  # → line of the first record naming it
        for spec, row in self._pending:
            if isinstance(spec, Mark):
                refs.setdefault(spec.ref, spec.line)
                continue
            assert row is not None
            for end, key in ((spec.src, "src_id"), (spec.dst, "dst_id")):
                if row[key] is None and isinstance(end, Ref):
                    refs.setdefault(end, spec.line)
        answers = {ref: self.known(ref) for ref in refs}
        self.flush()
        missing = [ref for ref, found in answers.items() if found is None]
        answers.update(_case_lookup(self.conn, missing, self.import_id))
        for ref in missing:
            if answers.get(ref) is None and ref.stub:
                answers[ref] = self.known(ref) or self._insert(_stub_spec(ref, refs[ref]), stub=True)
        for spec, row in self._pending:
            if isinstance(spec, Mark):
                target = answers.get(spec.ref)
                if target is None:
                    self.problems.append(Problem(spec.line, f"points at unknown record {spec.ref.value!r}"))
                else:
                    self._marks.append((target, spec))
                continue
            assert row is not None
            unknown = []
            for end, key in ((spec.src, "src_id"), (spec.dst, "dst_id")):
                if row[key] is None and isinstance(end, Ref):
                    row[key] = answers.get(end)
                    if row[key] is None:
                        unknown.append(end.value)
            if unknown:
                what = " and ".join(repr(u) for u in unknown)
                self.problems.append(Problem(spec.line, f"statement points at unknown record {what}"))
                continue
            self._edge_rows.append(row)
            self.edges += 1
        self._pending = []

    def _apply_updates(self) -> None:
        for eid, spec in self._entity_updates.items():
            old = self.conn.execute(
                select(OwnerEntity.properties, OwnerEntity.name, OwnerEntity.topmark).where(
                    OwnerEntity.id == eid
                )
            ).one()
            props = merge_properties(loads(old.properties), spec.properties)
            values: dict[str, Any] = {
                "name": spec.name or old.name,
                "topmark": spec.topmark or old.topmark,
                "replaced": spec.replaced,
            }
            if eid in self._stubs:
                props.pop(STUB, None)
                values.update(schema=spec.schema, line=spec.line, capture_id=spec.capture_id)
            values["properties"] = dumps(props)
            self.conn.execute(update(ENTITY).where(ENTITY.c.id == eid).values(**values))
        self._entity_updates = {}

    def _apply_retired(self) -> None:
        for retire in self._retired:
            for chunk in _chunks(list(retire.source_ids), 500):
                for table in (EDGE, ENTITY):
                    stmt = update(table).where(table.c.source_id.in_(chunk)).values(replaced=True)
                    if not retire.this_import and self.import_id is not None:
                        stmt = stmt.where(table.c.import_id.is_distinct_from(self.import_id))
                    self.marked += self.conn.execute(stmt).rowcount
        self._retired = []

    def _apply_marks(self) -> None:
        self.marked += len(self._marks)
        for eid, mark in self._marks:
            old = self.conn.execute(
                select(OwnerEntity.properties, OwnerEntity.topmark).where(OwnerEntity.id == eid)
            ).one()
            values: dict[str, Any] = {"topmark": old.topmark or mark.topmark}
            if mark.note:
                props = loads(old.properties)
                notes = props.setdefault("notes", [])
                note = json.dumps(mark.note, ensure_ascii=False, sort_keys=True)
                if note not in notes:
                    notes.append(note)
                values["properties"] = dumps(props)
            self.conn.execute(update(ENTITY).where(ENTITY.c.id == eid).values(**values))
        self._marks = []


def _sqlite_time(value: dt.date) -> str:
    """A date or timestamp as SQLAlchemy stores it in SQLite."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


def _stub_spec(ref: Ref, line: int | None) -> NodeSpec:
    idents = [(ref.scheme, ref.value)] if ref.scheme else []
    return NodeSpec(ref.stub or "LegalEntity", ref.value, ref.name, {}, idents, line=line)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _case_lookup(conn: Connection, refs: Sequence[Ref], import_id: int | None) -> dict[Ref, int]:
    """Entities of the case (earlier imports, case findings) that answer references; canonical
    (unmerged) and oldest first when several do."""
    found: dict[Ref, int] = {}
    by_scheme: dict[str | None, list[Ref]] = {}
    for ref in refs:
        by_scheme.setdefault(ref.scheme, []).append(ref)
    for scheme, group in by_scheme.items():
        for chunk in _chunks(group, 500):
            values = [r.value for r in chunk]
            hits: dict[str, int] = {}
            if scheme is not None:
                rows = conn.execute(
                    select(OwnerIdentifier.value, OwnerIdentifier.entity_id)
                    .join(OwnerEntity, OwnerEntity.id == OwnerIdentifier.entity_id)
                    .where(OwnerIdentifier.scheme == scheme, OwnerIdentifier.value.in_(values))
                    .order_by(OwnerEntity.merged_into.is_not(None), OwnerEntity.id.desc())
                )
                hits.update((v, i) for v, i in rows)
            rest = [v for v in values if v not in hits]
            if rest:
                rows = conn.execute(
                    select(OwnerEntity.source_id, OwnerEntity.id)
                    .where(OwnerEntity.source_id.in_(rest))
                    .order_by(OwnerEntity.merged_into.is_not(None), OwnerEntity.id.desc())
                )
                hits.update((v, i) for v, i in rows)
            rest = [v for v in values if v not in hits]
            if rest and scheme is None:  # a source ID may also be written as any identifier's value
                rows = conn.execute(
                    select(OwnerIdentifier.value, OwnerIdentifier.entity_id)
                    .join(OwnerEntity, OwnerEntity.id == OwnerIdentifier.entity_id)
                    .where(OwnerIdentifier.value.in_(rest))
                    .order_by(OwnerEntity.merged_into.is_not(None), OwnerEntity.id.desc())
                )
                hits.update((v, i) for v, i in rows)
            for ref in chunk:
                if ref.value in hits:
                    found[ref] = hits[ref.value]
    return found
