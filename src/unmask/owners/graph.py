"""Writing and reading the case's entity graph.

Modules *emit* entities: they build :class:`NodeSpec`, :class:`EdgeSpec` and :class:`Mark` values and
hand them to a writer. Two writers share those specs:

- :class:`GraphWriter` — the bulk writer of importers: one transaction, internal keys assigned in
  memory, batched ``executemany`` inserts, references between records resolved within the import
  (forward references included), then against the case, in chunks.
- :func:`emit` — the idempotent writer of case findings (platform, domains, addresses): an entity is
  found again by (schema, source ID), an edge by (kind, ends, role), and only its ``last_seen`` moves.

:func:`resolve_id` turns what a user types (a source ID, an identifier such as an LEI or a domain, or
an internal key ``#123``) into one entity row, or fails listing the candidates.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import operator
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Date,
    DateTime,
    Table,
    and_,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    text,
    update,
)

from unmask.core.errors import UnmaskError
from unmask.core.store.db import Store
from unmask.core.store.models import Platform, utcnow
from unmask.owners.tables import OwnerAddress, OwnerEdge, OwnerEntity, OwnerIdentifier, OwnerImport

Properties = dict[str, list[str]]

EDGE_KINDS: tuple[str, ...] = (
    "ownership",
    "control",
    "directorship",
    "nominee",
    "representation",
    "family",
    "address",
    "platform",
    "unknown_interest",
)
"""The kinds of link the graph stores (docs/owners.md)."""
STUB = "stub"
"""Property set on an entity created only because a record named it by a global identifier."""


@dataclass(slots=True, frozen=True)
class Ref:
    """How a record names another entity.

    ``scheme`` None: a source ID (of this import first, then of the case). Otherwise an identifier
    (``lei``, ``registration:gb`` …) looked up in this import, then in the case. ``stub`` names the
    schema of a placeholder entity to create when nothing answers (for global identifiers such as an
    LEI); without it an unknown reference is an error of the record.
    """

    value: str
    scheme: str | None = None
    stub: str | None = None
    name: str | None = None
    """Name of the placeholder, if one is created."""


@dataclass(slots=True)
class NodeSpec:
    """An entity as a source describes it."""

    schema: str
    source_id: str
    name: str | None = None
    properties: Properties = field(default_factory=dict)
    identifiers: Sequence[tuple[str, str]] = ()
    topmark: str | None = None
    replaced: bool = False
    line: int | None = None
    capture_id: int | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None


@dataclass(slots=True)
class EdgeSpec:
    """A typed link from ``src`` (owner, controller, director, nominee…) to ``dst`` (asset, subject)."""

    kind: str
    src: Ref | int
    dst: Ref | int
    share_min: float | None = None
    share_max: float | None = None
    voting_min: float | None = None
    voting_max: float | None = None
    direct: bool | None = None
    component: bool = False
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    replaced: bool = False
    source_id: str | None = None
    role: str | None = None
    properties: dict[str, Any] | None = None
    line: int | None = None
    capture_id: int | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    supersedes: bool = False
    """Earlier edges of this import with the same ``source_id`` become history (a BODS record's
    newer statement replaces the older one)."""


@dataclass(slots=True)
class Mark:
    """A statement about an entity from a record of its own: why it is a chain top (GLEIF reporting
    exception, BODS unspecified interested party, a listing)."""

    ref: Ref
    topmark: str
    note: dict[str, Any] | None = None
    line: int | None = None


@dataclass(slots=True)
class Retire:
    """Records of earlier imports (and, with ``this_import``, of this one) whose source IDs are
    listed are history now: a newer statement replaced or closed them."""

    source_ids: Sequence[str]
    this_import: bool = False


@dataclass(slots=True)
class Problem:
    """Something wrong with a record. ``fatal``: the record is not imported (the import fails unless
    ``--keep-going``); otherwise a warning, the record imported as given."""

    line: int | None
    message: str
    fatal: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "fatal": self.fatal}


Record = NodeSpec | EdgeSpec | Mark | Retire | Problem


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def dumps(value: Any) -> str | None:
    """Compact JSON text of properties (None when empty)."""
    return _ENCODE(value) if value else None


def loads(value: str | None) -> Any:
    return json.loads(value) if value else {}


def merge_properties(old: Properties, new: Properties) -> Properties:
    out = {k: list(v) for k, v in old.items()}
    for key, values in new.items():
        have = out.setdefault(key, [])
        have.extend(v for v in values if v not in have)
    return out


_ENTITY = cast(Table, OwnerEntity.__table__)
_EDGE = cast(Table, OwnerEdge.__table__)
_IDENT = cast(Table, OwnerIdentifier.__table__)
_ADDRESS = cast(Table, OwnerAddress.__table__)


def normalise_address(value: str) -> str:
    """An address compared as text: case-folded, commas dropped, whitespace collapsed."""
    return " ".join(value.casefold().replace(",", " ").split())


def address_key(value: str) -> str:
    """The ``owner_address`` key of an address (SHA-1 of its normalised text)."""
    return hashlib.sha1(normalise_address(value).encode("utf-8")).hexdigest()


_IMPORT = cast(Table, OwnerImport.__table__)


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
        row: dict[str, Any] = {
            "id": eid,
            "kind": spec.kind,
            "src_id": spec.src if isinstance(spec.src, int) else self.known(spec.src),
            "dst_id": spec.dst if isinstance(spec.dst, int) else self.known(spec.dst),
            "share_min": spec.share_min,
            "share_max": spec.share_max,
            "voting_min": spec.voting_min,
            "voting_max": spec.voting_max,
            "direct": spec.direct,
            "component": spec.component,
            "start_date": spec.start_date,
            "end_date": spec.end_date,
            "replaced": spec.replaced,
            "source_id": spec.source_id,
            "role": spec.role,
            "properties": dumps(spec.properties),
            "import_id": self.import_id,
            "line": spec.line,
            "capture_id": spec.capture_id,
            "first_seen": spec.first_seen or self.now,
            "last_seen": spec.last_seen or self.now,
        }
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
            self._insert_rows(_ENTITY, list(self._entity_rows.values()))
            self._entity_rows = {}
        if self._ident_rows:
            self._insert_rows(_IDENT, self._ident_rows)
            self._ident_rows = []
        if self._address_rows:
            self._insert_rows(_ADDRESS, self._address_rows)
            self._address_rows = []
        if self._edge_rows:
            self._insert_rows(_EDGE, self._edge_rows)
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
                self.conn.execute(update(_EDGE).where(_EDGE.c.id.in_(chunk)).values(replaced=True))
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
            self.conn.execute(update(_ENTITY).where(_ENTITY.c.id == eid).values(**values))
        self._entity_updates = {}

    def _apply_retired(self) -> None:
        for retire in self._retired:
            for chunk in _chunks(list(retire.source_ids), 500):
                for table in (_EDGE, _ENTITY):
                    stmt = update(table).where(table.c.source_id.in_(chunk)).values(replaced=True)
                    if not retire.this_import and self.import_id is not None:
                        stmt = stmt.where(table.c.import_id.is_distinct_from(self.import_id))
                    self.conn.execute(stmt)
        self._retired = []

    def _apply_marks(self) -> None:
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
            self.conn.execute(update(_ENTITY).where(_ENTITY.c.id == eid).values(**values))
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


# -- emitting case findings ------------------------------------------------------------------------


def emit(store: Store, records: Iterable[NodeSpec | EdgeSpec], *, label: str = "case") -> tuple[int, int]:
    """Write case findings idempotently: an entity is found again by (schema, source ID), an edge by
    (kind, ends, role); seen again, only ``last_seen`` (and a missing capture) is updated.

    Edge ends are :class:`Ref` to source IDs of entities emitted before them (or internal keys).
    Returns (new entities, new edges). Records land in one ``owner_import`` row of format ``case``.
    """
    new_entities = new_edges = 0
    with store.engine.begin() as conn:
        now = utcnow()
        imp = conn.execute(
            insert(_IMPORT).values(path=label, format="case", started_at=now, status="ok")
        ).inserted_primary_key
        import_id = int(imp[0]) if imp else None
        ids: dict[tuple[str, str], int] = {}
        by_source: dict[str, int] = {}
        for rec in records:
            if isinstance(rec, NodeSpec):
                eid, created = _emit_node(conn, rec, import_id, now)
                ids[(rec.schema, rec.source_id)] = eid
                by_source[rec.source_id] = eid
                new_entities += created
            else:
                src = rec.src if isinstance(rec.src, int) else by_source.get(rec.src.value)
                dst = rec.dst if isinstance(rec.dst, int) else by_source.get(rec.dst.value)
                if src is None or dst is None:
                    raise ValueError(f"emitted edge {rec.kind} names an entity not emitted before it")
                new_edges += _emit_edge(conn, rec, src, dst, import_id, now)
        if new_entities or new_edges:
            conn.execute(
                update(_IMPORT)
                .where(_IMPORT.c.id == import_id)
                .values(finished_at=utcnow(), entities=new_entities, edges=new_edges)
            )
        else:  # nothing new: no import row to show for it
            conn.execute(delete(_IMPORT).where(_IMPORT.c.id == import_id))
    return new_entities, new_edges


def _emit_node(conn: Connection, spec: NodeSpec, import_id: int | None, now: dt.datetime) -> tuple[int, int]:
    row = conn.execute(
        select(OwnerEntity.id, OwnerEntity.capture_id, OwnerEntity.properties)
        .where(OwnerEntity.schema == spec.schema, OwnerEntity.source_id == spec.source_id)
        .order_by(OwnerEntity.id)
        .limit(1)
    ).first()
    seen = spec.last_seen or now
    if row is not None:
        props = merge_properties(loads(row.properties), spec.properties)
        conn.execute(
            update(_ENTITY)
            .where(_ENTITY.c.id == row.id)
            .values(
                last_seen=seen,
                name=spec.name,
                properties=dumps(props),
                capture_id=row.capture_id or spec.capture_id,
            )
        )
        return int(row.id), 0
    result = conn.execute(
        insert(_ENTITY).values(
            source_id=spec.source_id,
            schema=spec.schema,
            name=spec.name,
            properties=dumps(spec.properties),
            topmark=spec.topmark,
            first_seen=spec.first_seen or seen,
            last_seen=seen,
            import_id=import_id,
            capture_id=spec.capture_id,
            line=spec.line,
            replaced=spec.replaced,
        )
    )
    eid = int(result.inserted_primary_key[0])  # type: ignore[index]
    for scheme, value in spec.identifiers:
        conn.execute(insert(_IDENT).values(entity_id=eid, scheme=scheme, value=value))
    for key in {address_key(str(v)) for v in spec.properties.get("address", []) if str(v).strip()}:
        conn.execute(insert(_ADDRESS).values(entity_id=eid, key=key))
    return eid, 1


def _emit_edge(
    conn: Connection, spec: EdgeSpec, src: int, dst: int, import_id: int | None, now: dt.datetime
) -> int:
    role_match = OwnerEdge.role.is_(None) if spec.role is None else OwnerEdge.role == spec.role
    row = conn.execute(
        select(OwnerEdge.id, OwnerEdge.capture_id)
        .where(OwnerEdge.kind == spec.kind, OwnerEdge.src_id == src, OwnerEdge.dst_id == dst, role_match)
        .limit(1)
    ).first()
    seen = spec.last_seen or now
    if row is not None:
        conn.execute(
            update(_EDGE)
            .where(_EDGE.c.id == row.id)
            .values(last_seen=seen, capture_id=row.capture_id or spec.capture_id)
        )
        return 0
    conn.execute(
        insert(_EDGE).values(
            kind=spec.kind,
            src_id=src,
            dst_id=dst,
            direct=spec.direct,
            component=spec.component,
            replaced=spec.replaced,
            source_id=spec.source_id,
            role=spec.role,
            properties=dumps(spec.properties),
            import_id=import_id,
            capture_id=spec.capture_id,
            first_seen=spec.first_seen or seen,
            last_seen=seen,
        )
    )
    return 1


INFRA_NODES: dict[str, tuple[str, str]] = {
    # observation kind → (node schema of the value, role of the edge subject → value)
    "dns.a": ("IPAddress", "resolves_to"),
    "dns.aaaa": ("IPAddress", "resolves_to"),
    "net.asn": ("ASN", "announced_by"),
    "net.asn_name": ("Hoster", "hosted_by"),
    "masking": ("Hoster", "masked_by"),
}


def platform_nodes(store: Store) -> Iterator[NodeSpec | EdgeSpec]:
    """The case's platforms and, when the infra stage has observed them, their domains, addresses,
    networks and hosters, as graph records (Platform → Domain → IPAddress → ASN/Hoster)."""
    from urllib.parse import urlsplit

    with store.engine.connect() as conn:
        platforms = conn.execute(
            select(Platform.id, Platform.base_url, Platform.name, Platform.created_at)
        ).all()
        observations: list[Any] = []
        if inspect(conn).has_table("infra_observation"):
            observations = list(
                conn.execute(
                    text(
                        "SELECT domain, subject, kind, value, first_seen, last_seen, capture_id "
                        "FROM infra_observation ORDER BY id"
                    )
                )
            )
    domains: set[str] = set()
    for platform in platforms:
        host = (urlsplit(platform.base_url).hostname or platform.base_url).lower()
        yield NodeSpec(
            "Platform",
            platform.base_url,
            platform.name,
            {"website": [platform.base_url]},
            [("url", platform.base_url)],
            first_seen=platform.created_at,
        )
        if host not in domains:
            domains.add(host)
            yield NodeSpec("Domain", host, host, {}, [("domain", host)], first_seen=platform.created_at)
        yield EdgeSpec("platform", Ref(platform.base_url), Ref(host), role="served_from")
    emitted: set[tuple[str, str]] = set()
    for obs in observations:
        mapping = INFRA_NODES.get(obs.kind)
        if mapping is None or not obs.value:
            continue
        schema, role = mapping
        subject = str(obs.subject or obs.domain).lower()
        for name in {str(obs.domain).lower(), subject}:
            if name and name not in domains and not _looks_like_ip(name):
                domains.add(name)
                yield NodeSpec("Domain", name, name, {}, [("domain", name)], capture_id=obs.capture_id)
        if str(obs.domain).lower() != subject and not _looks_like_ip(subject):
            yield EdgeSpec("platform", Ref(str(obs.domain).lower()), Ref(subject), role="subdomain")
        value = str(obs.value)
        if (schema, value) not in emitted:
            emitted.add((schema, value))
            scheme = {"IPAddress": "ip", "ASN": "asn"}.get(schema)
            yield NodeSpec(
                schema,
                value,
                value,
                {},
                [(scheme, value)] if scheme else [],
                capture_id=obs.capture_id,
                first_seen=_as_datetime(obs.first_seen),
                last_seen=_as_datetime(obs.last_seen),
            )
        if subject not in domains and _looks_like_ip(subject) and ("IPAddress", subject) not in emitted:
            emitted.add(("IPAddress", subject))
            yield NodeSpec("IPAddress", subject, subject, {}, [("ip", subject)], capture_id=obs.capture_id)
        yield EdgeSpec(
            "platform",
            Ref(subject),
            Ref(value),
            role=role,
            capture_id=obs.capture_id,
            first_seen=_as_datetime(obs.first_seen),
            last_seen=_as_datetime(obs.last_seen),
        )


def _as_datetime(value: Any) -> dt.datetime | None:
    """A timestamp read with plain SQL (a string on SQLite)."""
    if value is None or isinstance(value, dt.datetime):
        return value
    return dt.datetime.fromisoformat(str(value))


def _looks_like_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def emit_case(store: Store) -> tuple[int, int]:
    """Bring the case's platform and infrastructure findings into the graph (idempotent)."""
    return emit(store, platform_nodes(store), label="case:platform")


# -- reading -----------------------------------------------------------------------------------------


class AmbiguousId(UnmaskError):
    """An ID that names several entities."""


class UnknownId(UnmaskError):
    """An ID that names no entity."""


def resolve_id(store: Store, ident: str) -> OwnerEntity:
    """The entity a user means: ``#123`` (internal key), a source ID, or an identifier value (LEI,
    registration number, domain…), optionally as ``scheme:value``. A merged entity answers with its
    canonical entity. Several candidates → :class:`AmbiguousId` listing them."""
    from sqlalchemy.orm import Session

    with Session(store.engine) as session:
        if ident.startswith("#") and ident[1:].isdigit():
            row = session.get(OwnerEntity, int(ident[1:]))
            if row is None:
                raise UnknownId(f"no entity with internal key {ident}")
            row = _canonical(session, row)
            session.expunge(row)
            return row
        rows = list(session.scalars(select(OwnerEntity).where(OwnerEntity.source_id == ident)))
        if not rows:
            match = OwnerIdentifier.value == ident
            if ":" in ident:
                scheme, _, value = ident.partition(":")
                match = or_(match, and_(OwnerIdentifier.scheme == scheme, OwnerIdentifier.value == value))
            ident_rows = select(OwnerIdentifier.entity_id).where(match)
            rows = list(session.scalars(select(OwnerEntity).where(OwnerEntity.id.in_(ident_rows))))
        if not rows:
            raise UnknownId(f"no entity with ID {ident!r} (try `unmask owners show '#KEY'` or a source ID)")
        current = [r for r in rows if not r.replaced]
        canon = {c.id: c for c in (_canonical(session, r) for r in (current or rows))}
        if len(canon) > 1:
            listed = ", ".join(
                f"#{c.id} {c.schema} {c.name or ''}".strip() for c in list(canon.values())[:10]
            )
            raise AmbiguousId(f"ID {ident!r} names {len(canon)} entities: {listed}; pass one as '#KEY'")
        entity = next(iter(canon.values()))
        session.expunge(entity)
        return entity


def _canonical(session: Any, row: OwnerEntity) -> OwnerEntity:
    seen = {row.id}
    while row.merged_into is not None and row.merged_into not in seen:
        nxt = session.get(OwnerEntity, row.merged_into)
        if nxt is None:
            break
        seen.add(nxt.id)
        row = nxt
    return row


def describe(store: Store, entity: OwnerEntity, *, limit: int = 200) -> dict[str, Any]:
    """An entity with its identifiers, sources (import file and line, or capture) and neighbours by
    edge kind (edges of entities merged into it included, ends shown as their canonical entity)."""
    from unmask.core.store.models import Capture

    with store.engine.connect() as conn:
        members = [entity.id] + [
            r.id for r in conn.execute(select(OwnerEntity.id).where(OwnerEntity.merged_into == entity.id))
        ]
        rows = conn.execute(
            select(OwnerEntity, OwnerImport.path, OwnerImport.format, Capture.url)
            .outerjoin(OwnerImport, OwnerImport.id == OwnerEntity.import_id)
            .outerjoin(Capture, Capture.id == OwnerEntity.capture_id)
            .where(OwnerEntity.id.in_(members))
        ).all()
        sources = [
            {
                "key": f"#{r.id}",
                "id": r.source_id,
                "import_id": r.import_id,
                "file": r.path,
                "format": r.format,
                "line": r.line,
                "capture_id": r.capture_id,
                "capture_url": r.url,
            }
            for r in rows
        ]
        idents = conn.execute(
            select(OwnerIdentifier.scheme, OwnerIdentifier.value)
            .where(OwnerIdentifier.entity_id.in_(members))
            .distinct()
        ).all()
        neighbours: dict[str, list[dict[str, Any]]] = {}
        for direction, here in (
            ("out", OwnerEdge.src_id),
            ("in", OwnerEdge.dst_id),
        ):
            edges = conn.execute(
                select(OwnerEdge, OwnerImport.path)
                .outerjoin(OwnerImport, OwnerImport.id == OwnerEdge.import_id)
                .where(here.in_(members))
                .order_by(OwnerEdge.kind, OwnerEdge.id)
                .limit(limit)
            ).all()
            for edge in edges:
                other_id = edge.dst_id if direction == "out" else edge.src_id
                other = conn.execute(
                    select(
                        OwnerEntity.id,
                        OwnerEntity.source_id,
                        OwnerEntity.name,
                        OwnerEntity.schema,
                        OwnerEntity.merged_into,
                    ).where(OwnerEntity.id == other_id)
                ).one()
                if other.merged_into is not None:
                    canon = conn.execute(
                        select(
                            OwnerEntity.id,
                            OwnerEntity.source_id,
                            OwnerEntity.name,
                            OwnerEntity.schema,
                            OwnerEntity.merged_into,
                        ).where(OwnerEntity.id == other.merged_into)
                    ).one()
                    other = canon
                neighbours.setdefault(edge.kind, []).append(
                    {
                        "direction": direction,
                        "id": other.source_id,
                        "key": f"#{other.id}",
                        "name": other.name,
                        "schema": other.schema,
                        "role": edge.role,
                        "share_min": edge.share_min,
                        "share_max": edge.share_max,
                        "voting_min": edge.voting_min,
                        "voting_max": edge.voting_max,
                        "direct": edge.direct,
                        "component": edge.component,
                        "start_date": edge.start_date,
                        "end_date": edge.end_date,
                        "replaced": edge.replaced,
                        "first_seen": edge.first_seen,
                        "last_seen": edge.last_seen,
                        "source": {
                            "edge_key": edge.id,
                            "source_id": edge.source_id,
                            "import_id": edge.import_id,
                            "file": edge.path,
                            "line": edge.line,
                            "capture_id": edge.capture_id,
                        },
                    }
                )
    return {
        "id": entity.source_id,
        "key": f"#{entity.id}",
        "schema": entity.schema,
        "name": entity.name,
        "topmark": entity.topmark,
        "replaced": entity.replaced,
        "properties": loads(entity.properties),
        "identifiers": [{"scheme": s, "value": v} for s, v in idents],
        "first_seen": entity.first_seen,
        "last_seen": entity.last_seen,
        "sources": sources,
        "neighbours": neighbours,
    }
