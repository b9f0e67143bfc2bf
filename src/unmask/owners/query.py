"""The one owner query layer: what "current" means, which entity a user's ID names, and every read of
the graph tables that the commands, the exports, the compact index and the report make.

**Current** is written here once, as SQLAlchemy expressions (:func:`live_entity`, :func:`canonical_entity`,
:func:`live_edge`, :func:`current_edge`):

- an entity merged into another (``merged_into``) counts as its canonical entity, the end of the
  ``merged_into`` chain (:class:`Merges`);
- a record that was closed or replaced (``replaced``) is history;
- an interest counts on day ``at`` unless it ended before (``end_date < at``) or started after it
  (``start_date > at``).

**IDs** (:func:`resolve`): ``#123`` (internal key), the source ID an entity was imported with (FtM id,
LEI, BODS recordId or statementId, registry number, domain, an app's package name …), an identifier
value with or without its scheme (``lei:5493…``, a bare LEI, a registration number, an ISIN), then a
name, exactly, then normalised (:func:`unmask.owners.names.normalize_name`). The first of these steps
that names anything answers; when it names several entities the ID is refused with the candidates.

**Graph version** (:func:`graph_version`, :func:`bump_graph_version`): every write to the graph moves
the one row of ``owner_graph_state`` on, in the writer's transaction; the compact index
(:mod:`unmask.owners.index`) compares it with its own.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    Connection,
    Date,
    FromClause,
    Integer,
    Select,
    Table,
    and_,
    case,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)

from unmask.core.errors import UnmaskError
from unmask.owners.specs import KINDS, OWNERSHIP_KINDS, properties_of
from unmask.owners.tables import (
    OwnerAddress,
    OwnerEdge,
    OwnerEntity,
    OwnerGraphState,
    OwnerIdentifier,
    OwnerImport,
)

ENTITY = cast(Table, OwnerEntity.__table__)
EDGE = cast(Table, OwnerEdge.__table__)
IDENT = cast(Table, OwnerIdentifier.__table__)
ADDRESS = cast(Table, OwnerAddress.__table__)
IMPORT = cast(Table, OwnerImport.__table__)
STATE = cast(Table, OwnerGraphState.__table__)

IN_CHUNK = 2000
"""Ids per ``IN (…)`` look-up."""
CHUNK = 200_000
"""Rows per fetch when reading whole tables into arrays."""
NO_START = np.iinfo(np.int32).min
NO_END = np.iinfo(np.int32).max
"""Day numbers standing for a missing start or end date."""


# -- "current", once --------------------------------------------------------------------------------------


def live_entity(entity: FromClause) -> ColumnElement[bool]:
    """The entity row is not history (closed or replaced)."""
    return func.coalesce(entity.c.replaced, false()) == false()


def canonical_entity(entity: FromClause) -> ColumnElement[bool]:
    """The entity row is current and not merged into another (a node of the graph)."""
    return and_(entity.c.merged_into.is_(None), live_entity(entity))


def live_edge(edge: FromClause) -> ColumnElement[bool]:
    """The edge's record was not closed or replaced (ended interests included)."""
    return func.coalesce(edge.c.replaced, false()) == false()


def current_edge(edge: FromClause, at: dt.date) -> ColumnElement[bool]:
    """The edge counts on day ``at``: not replaced, not ended before, not started after."""
    return and_(
        live_edge(edge),
        or_(edge.c.end_date.is_(None), edge.c.end_date >= at),
        or_(edge.c.start_date.is_(None), edge.c.start_date <= at),
    )


def day_number(column: Any, dialect: str) -> ColumnElement[int]:
    """A date column as days since 1970-01-01 (NULL stays NULL)."""
    if dialect == "sqlite":
        return sql_cast(func.julianday(column) - 2440587.5, Integer)
    return sql_cast(column - sql_cast(literal("1970-01-01"), Date), Integer)


def day_of(at: dt.date) -> int:
    """A day as the index stores dates: days since 1970-01-01."""
    return (at - dt.date(1970, 1, 1)).days


# -- the graph version -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphVersion:
    version: int
    stamp: str
    """Random per change, so that a store rebuilt from scratch never matches an older index."""


def has_entities(conn: Connection) -> bool:
    return conn.execute(select(ENTITY.c.id).limit(1)).first() is not None


def graph_version(conn: Connection) -> GraphVersion:
    row = conn.execute(select(STATE.c.version, STATE.c.stamp).where(STATE.c.id == 1)).first()
    if row is None:
        return GraphVersion(0, "")
    return GraphVersion(int(row.version), str(row.stamp))


def bump_graph_version(conn: Connection) -> None:
    """Record that the graph changed (in the caller's transaction): the compact index is stale."""
    stamp = uuid.uuid4().hex
    done = conn.execute(
        update(STATE).where(STATE.c.id == 1).values(version=STATE.c.version + 1, stamp=stamp)
    ).rowcount
    if not done:
        conn.execute(insert(STATE).values(id=1, version=1, stamp=stamp))


# -- merges -------------------------------------------------------------------------------------------------


class Merges:
    """The case's merges (few): every merged entity → its canonical entity, and back."""

    def __init__(self, conn: Connection) -> None:
        rows = conn.execute(
            select(ENTITY.c.id, ENTITY.c.merged_into).where(ENTITY.c.merged_into.is_not(None))
        )
        parent = {int(a): int(b) for a, b in rows}
        self._canon: dict[int, int] = {}
        for a in parent:
            seen = {a}
            c = parent[a]
            while c in parent and c not in seen:
                seen.add(c)
                c = parent[c]
            self._canon[a] = c
        self._members: dict[int, list[int]] = {}
        for a, c in sorted(self._canon.items()):
            self._members.setdefault(c, []).append(a)

    def __bool__(self) -> bool:
        return bool(self._canon)

    def canonical(self, internal_id: int) -> int:
        return self._canon.get(internal_id, internal_id)

    def members(self, internal_id: int) -> list[int]:
        """The entity and every entity merged into it (chains followed)."""
        return [internal_id, *self._members.get(internal_id, ())]

    def items(self) -> Iterable[tuple[int, int]]:
        """(merged entity, canonical entity) pairs."""
        return self._canon.items()


class MergeView(Protocol):
    """Where merges are looked up: :class:`Merges` (the store) or the compact index."""

    def canonical(self, internal_id: int) -> int: ...

    def members(self, internal_id: int) -> list[int]: ...


# -- rows by id --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class EntityRow:
    id: int
    source_id: str
    schema: str
    name: str | None
    topmark: str | None
    properties: dict[str, list[Any]]
    import_id: int | None
    line: int | None
    capture_id: int | None
    replaced: bool = False
    merged_into: int | None = None

    def brief(self) -> dict[str, Any]:
        """How an entity is named in query answers."""
        return {"id": self.source_id, "name": self.name, "internal_id": self.id, "schema": self.schema}


@dataclass(slots=True)
class EdgeRow:
    """One edge, endpoints given as canonical internal ids."""

    id: int
    kind: str
    src: int
    dst: int
    share_min: float | None
    share_max: float | None
    voting_min: float | None
    voting_max: float | None
    direct: bool | None
    component: bool
    role: str | None
    start_date: dt.date | None
    end_date: dt.date | None
    source_id: str | None
    import_id: int | None
    line: int | None
    capture_id: int | None


_ENTITY_COLUMNS = (
    ENTITY.c.id,
    ENTITY.c.source_id,
    ENTITY.c.schema,
    ENTITY.c.name,
    ENTITY.c.topmark,
    ENTITY.c.properties,
    ENTITY.c.import_id,
    ENTITY.c.line,
    ENTITY.c.capture_id,
    ENTITY.c.replaced,
    ENTITY.c.merged_into,
)
_EDGE_COLUMNS = (
    EDGE.c.id,
    EDGE.c.kind,
    EDGE.c.src_id,
    EDGE.c.dst_id,
    EDGE.c.share_min,
    EDGE.c.share_max,
    EDGE.c.voting_min,
    EDGE.c.voting_max,
    EDGE.c.direct,
    EDGE.c.component,
    EDGE.c.role,
    EDGE.c.start_date,
    EDGE.c.end_date,
    EDGE.c.source_id,
    EDGE.c.import_id,
    EDGE.c.line,
    EDGE.c.capture_id,
)


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _entity_row(r: Any) -> EntityRow:
    return EntityRow(
        id=int(r[0]),
        source_id=str(r[1]),
        schema=str(r[2]),
        name=r[3],
        topmark=r[4],
        properties=properties_of(r[5]),
        import_id=r[6],
        line=r[7],
        capture_id=r[8],
        replaced=bool(r[9]),
        merged_into=r[10],
    )


def _by_ids(conn: Connection, stmt: Select[Any], column: Any, ids: Iterable[int]) -> Iterator[Any]:
    """Rows whose ``column`` is one of ``ids`` (integers, written into the statement), straight from
    the driver: answers name thousands of entities at times."""
    wanted = sorted({int(i) for i in ids})
    for k in range(0, len(wanted), IN_CHUNK):
        for rows in _raw_rows(conn, stmt.where(column.in_(wanted[k : k + IN_CHUNK]))):
            yield from rows


def entities(conn: Connection, ids: Iterable[int], *, properties: bool = True) -> dict[int, EntityRow]:
    """Entity rows by internal id (as stored: history and merged entities included); without their
    properties (left empty) when only their names are wanted."""
    columns = _ENTITY_COLUMNS if properties else (*_ENTITY_COLUMNS[:5], literal(None), *_ENTITY_COLUMNS[6:])
    return {int(r[0]): _entity_row(r) for r in _by_ids(conn, select(*columns), ENTITY.c.id, ids)}


def edges(
    conn: Connection, ids: Iterable[int], fold: Callable[[int], int] | None = None
) -> dict[int, EdgeRow]:
    """Edge rows by id, their ends as canonical internal ids (``fold`` follows merges)."""
    canon = fold or (lambda i: i)
    return {int(r[0]): _edge_row(r, canon) for r in _by_ids(conn, select(*_EDGE_COLUMNS), EDGE.c.id, ids)}


def _edge_row(r: Any, fold: Callable[[int], int]) -> EdgeRow:
    """An edge from a row of :data:`_EDGE_COLUMNS` (first), its ends folded."""
    return EdgeRow(
        id=int(r[0]),
        kind=str(r[1]),
        src=fold(int(r[2])),
        dst=fold(int(r[3])),
        share_min=r[4],
        share_max=r[5],
        voting_min=r[6],
        voting_max=r[7],
        direct=None if r[8] is None else bool(r[8]),
        component=bool(r[9]),
        role=r[10],
        start_date=_date(r[11]),
        end_date=_date(r[12]),
        source_id=r[13],
        import_id=r[14],
        line=r[15],
        capture_id=r[16],
    )


def import_paths(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    """The file of each import."""
    rows = _by_ids(conn, select(IMPORT.c.id, IMPORT.c.path), IMPORT.c.id, (i for i in ids if i is not None))
    return {int(i): str(p) for i, p in rows}


def capture_urls(conn: Connection, ids: Iterable[int | None]) -> dict[int, str]:
    """The URL of each evidence capture."""
    from unmask.core.store.models import Capture

    capture = cast(Table, Capture.__table__)
    wanted = (i for i in ids if i is not None)
    return {
        int(i): str(u) for i, u in _by_ids(conn, select(capture.c.id, capture.c.url), capture.c.id, wanted)
    }


def edge_source(row: EdgeRow, files: dict[int, str], urls: dict[int, str]) -> dict[str, Any]:
    """Where an edge comes from: the record, the import file and line, or the evidence capture."""
    return {
        "record_id": row.source_id,
        "file": files.get(row.import_id) if row.import_id is not None else None,
        "line": row.line,
        "capture_id": row.capture_id,
        "url": urls.get(row.capture_id) if row.capture_id is not None else None,
    }


# -- the resolver ------------------------------------------------------------------------------------------


class UnknownId(UnmaskError):
    """An ID that names no entity."""


class AmbiguousId(UnmaskError):
    """An ID that names several entities."""


UPPER_SCHEMES = ("lei", "isin", "bic")
"""Identifier schemes whose values are upper case (a value typed in lower case still matches)."""


def _name_candidates(conn: Connection, name: str) -> list[int]:
    """Entities whose name normalises like ``name`` (legal forms, case and punctuation aside).

    The words of the normalised name, in their order, narrow the scan in the database first (``LIKE``,
    which ignores the case of ASCII letters; words with other letters are left to the comparison), then
    every candidate is normalised and compared."""
    from unmask.owners.names import normalize_name

    key = normalize_name(name)
    if not key:
        return []
    words = [w for w in key.split() if w.isascii()]
    stmt = select(ENTITY.c.id, ENTITY.c.name).where(ENTITY.c.name.is_not(None))
    if words:
        stmt = stmt.where(func.replace(ENTITY.c.name, ".", "").ilike("%" + "%".join(words) + "%"))
    rows = conn.execution_options(stream_results=True, yield_per=20_000).execute(stmt)
    return [int(i) for i, candidate in rows if normalize_name(str(candidate)) == key]


def _steps(ident: str) -> Iterator[tuple[str, Callable[[Connection], list[int]]]]:
    """The look-ups of :func:`resolve`, in order: what they match, and how."""

    def rows(stmt: Select[Any]) -> Callable[[Connection], list[int]]:
        return lambda conn: [int(r[0]) for r in conn.execute(stmt)]

    yield "ID", rows(select(ENTITY.c.id).where(ENTITY.c.source_id == ident))
    match = IDENT.c.value == ident
    cuts = [k for k, c in enumerate(ident) if c == ":"][:4]  # scheme:value, the scheme may hold a colon
    for k in cuts:
        scheme, value = ident[:k].lower(), ident[k + 1 :]
        if scheme and value:
            value = value.upper() if scheme in UPPER_SCHEMES else value
            match = or_(match, and_(IDENT.c.scheme == scheme, IDENT.c.value == value))
    if not cuts and ident.isalnum() and ident.upper() != ident:  # a bare LEI or ISIN in lower case
        match = or_(match, and_(IDENT.c.scheme.in_(UPPER_SCHEMES), IDENT.c.value == ident.upper()))
    yield "identifier", rows(select(IDENT.c.entity_id).where(match).distinct())
    yield "name", rows(select(ENTITY.c.id).where(ENTITY.c.name == ident))
    yield "name", lambda conn: _name_candidates(conn, ident)


def resolve(conn: Connection, ident: str, merges: MergeView | None = None) -> EntityRow:
    """The entity a user means (its canonical entity when it was merged into another).

    Current entities are preferred to history; the first look-up that names anything answers
    (:class:`UnknownId` when none does, :class:`AmbiguousId` listing the candidates when it names
    several entities).
    """
    merges = merges if merges is not None else Merges(conn)
    ident = ident.strip()
    if ident.startswith("#") and ident[1:].isdigit():
        found = entities(conn, [merges.canonical(int(ident[1:]))])
        if not found:
            raise UnknownId("no entity with this internal key in the case", where=ident)
        return next(iter(found.values()))
    if not ident:
        raise UnknownId("an empty ID names no entity")
    for what, look_up in _steps(ident):
        ids = look_up(conn)
        if not ids:
            continue
        rows = entities(conn, ids)
        current = [r for r in rows.values() if not r.replaced]
        canon_ids = sorted({merges.canonical(r.id) for r in (current or rows.values())})
        canon = entities(conn, canon_ids)
        if len(canon) == 1:
            return next(iter(canon.values()))
        listed = ", ".join(
            " ".join(x for x in (f"#{c.id}", c.schema, c.name or c.source_id) if x)
            for c in list(canon.values())[:10]
        )
        more = f" (and {len(canon) - 10} more)" if len(canon) > 10 else ""
        raise AmbiguousId(
            f"this {what} names {len(canon)} entities: {listed}{more}; pass one as '#KEY'", where=ident
        )
    raise UnknownId(
        "no entity with this ID, identifier or name in the case (`unmask owners show '#KEY'` takes an "
        "internal key)",
        where=ident,
    )


def resolve_current(conn: Connection, ident: str, merges: MergeView | None = None) -> EntityRow:
    """:func:`resolve`, refusing an entity that is history (a closed or replaced record)."""
    row = resolve(conn, ident, merges)
    if row.replaced:
        raise UnknownId(
            f"#{row.id} is history (its record was closed or replaced): no current entity", where=ident
        )
    return row


# -- `owners show` -------------------------------------------------------------------------------------------


def describe(conn: Connection, entity: EntityRow, merges: MergeView, *, limit: int = 200) -> dict[str, Any]:
    """An entity with its identifiers, sources (import file and line, or capture) and neighbours by
    edge kind, history included (edges of entities merged into it included, ends shown as their
    canonical entity); at most ``limit`` edges each way."""
    from unmask.core.store.models import Capture

    capture = cast(Table, Capture.__table__)
    members = merges.members(entity.id)
    rows = conn.execute(
        select(
            ENTITY.c.id,
            ENTITY.c.source_id,
            ENTITY.c.import_id,
            ENTITY.c.line,
            ENTITY.c.capture_id,
            ENTITY.c.first_seen,
            ENTITY.c.last_seen,
            IMPORT.c.path,
            IMPORT.c.format,
            capture.c.url,
        )
        .select_from(
            ENTITY.outerjoin(IMPORT, IMPORT.c.id == ENTITY.c.import_id).outerjoin(
                capture, capture.c.id == ENTITY.c.capture_id
            )
        )
        .where(ENTITY.c.id.in_(members))
        .order_by(ENTITY.c.id)
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
        select(IDENT.c.scheme, IDENT.c.value).where(IDENT.c.entity_id.in_(members)).distinct()
    ).all()
    listed: list[tuple[str, Any]] = []
    for direction, here in (("out", EDGE.c.src_id), ("in", EDGE.c.dst_id)):
        stmt = (
            select(*_EDGE_COLUMNS, EDGE.c.replaced, EDGE.c.first_seen, EDGE.c.last_seen, IMPORT.c.path)
            .select_from(EDGE.outerjoin(IMPORT, IMPORT.c.id == EDGE.c.import_id))
            .where(here.in_(members))
            .order_by(EDGE.c.kind, EDGE.c.id)
            .limit(limit)
        )
        listed.extend((direction, r) for r in conn.execute(stmt))

    def other_end(direction: str, edge: Any) -> int:
        return merges.canonical(int(edge.dst_id if direction == "out" else edge.src_id))

    others = entities(conn, {other_end(d, r) for d, r in listed})
    neighbours: dict[str, list[dict[str, Any]]] = {}
    for direction, edge in listed:
        other = others[other_end(direction, edge)]
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
    this = next(r for r in rows if r.id == entity.id)
    return {
        "id": entity.source_id,
        "key": f"#{entity.id}",
        "schema": entity.schema,
        "name": entity.name,
        "topmark": entity.topmark,
        "replaced": entity.replaced,
        "properties": entity.properties,
        "identifiers": [{"scheme": s, "value": v} for s, v in idents],
        "first_seen": this.first_seen,
        "last_seen": this.last_seen,
        "sources": sources,
        "neighbours": neighbours,
    }


# -- whole tables as arrays (the compact index, load_graph) --------------------------------------------------


def _raw_rows(conn: Connection, stmt: Select[Any]) -> Iterator[list[Any]]:
    """Rows of a statement in chunks, straight from the DBAPI cursor (no SQLAlchemy row objects)."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(str(compiled))
        while True:
            rows = cur.fetchmany(CHUNK)
            if not rows:
                break
            yield list(rows)
    finally:
        cur.close()


def _numeric(conn: Connection, stmt: Select[Any], width: int) -> npt.NDArray[np.float64]:
    """All-numeric columns (NULL mapped to a number in the statement) as one float array."""
    parts = [np.array(rows, dtype=np.float64) for rows in _raw_rows(conn, stmt)]
    return np.concatenate(parts) if parts else np.empty((0, width))


def _kind_code(column: Any) -> ColumnElement[int]:
    return case({k: i for i, k in enumerate(KINDS[:-1])}, value=column, else_=len(KINDS) - 1)


def _flag(condition: ColumnElement[bool], value: int) -> ColumnElement[int]:
    return case((condition, value), else_=0)


@dataclass(frozen=True)
class EntityArrays:
    """Every entity row: internal id (ascending), merged_into (-1: none), history, chain-top mark."""

    id: npt.NDArray[np.int64]
    merged_into: npt.NDArray[np.int64]
    replaced: npt.NDArray[np.bool_]
    topmarked: npt.NDArray[np.bool_]


def entity_arrays(conn: Connection) -> EntityArrays:
    stmt = select(
        ENTITY.c.id,
        func.coalesce(ENTITY.c.merged_into, -1),
        # replaced × 2 + marked as a chain top, one column
        _flag(func.coalesce(ENTITY.c.replaced, false()) != false(), 2)
        + _flag(ENTITY.c.topmark.is_not(None), 1),
    ).order_by(ENTITY.c.id)
    ent = _numeric(conn, stmt, 3)
    flags = ent[:, 2].astype(np.int8)
    return EntityArrays(
        id=ent[:, 0].astype(np.int64),
        merged_into=ent[:, 1].astype(np.int64),
        replaced=(flags >> 1).astype(bool),
        topmarked=(flags & 1).astype(bool),
    )


def entity_labels(conn: Connection) -> tuple[npt.NDArray[Any], ...]:
    """Source id, name, schema and chain-top mark of every entity row (ascending internal id)."""
    stmt = select(ENTITY.c.source_id, ENTITY.c.name, ENTITY.c.schema, ENTITY.c.topmark).order_by(ENTITY.c.id)
    parts: list[list[np.ndarray]] = [[], [], [], []]
    for rows in _raw_rows(conn, stmt):
        for k, col in enumerate(zip(*rows, strict=True)):
            arr = np.empty(len(col), dtype=object)
            arr[:] = col
            parts[k].append(arr)
    return tuple(np.concatenate(p) if p else np.empty(0, dtype=object) for p in parts)


@dataclass(kw_only=True)
class EdgeFacts:
    """What the arrays say of each edge: its kind (code), shares in percent (NaN: not given), whether it
    is a component and direct, its dates as day numbers (:data:`NO_START`/:data:`NO_END` when not
    given)."""

    kind: npt.NDArray[np.int8]
    share_min: npt.NDArray[np.float64]
    share_max: npt.NDArray[np.float64]
    component: npt.NDArray[np.bool_]
    direct: npt.NDArray[np.int8]
    """1 direct, 0 indirect, -1 not said."""
    start: npt.NDArray[np.int32]
    end: npt.NDArray[np.int32]


@dataclass(kw_only=True)
class EdgeArrays(EdgeFacts):
    """Every edge whose record is not history (ascending id), with its ends' entity ids."""

    id: npt.NDArray[np.int64]
    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]


def edge_arrays(conn: Connection) -> EdgeArrays:
    dialect = conn.dialect.name
    stmt = (
        select(
            EDGE.c.id,
            EDGE.c.src_id,
            EDGE.c.dst_id,
            func.coalesce(EDGE.c.share_min, -1),
            func.coalesce(EDGE.c.share_max, -1),
            # kind × 16 + component × 4 + (direct + 1), one column
            _kind_code(EDGE.c.kind) * 16
            + _flag(func.coalesce(EDGE.c.component, false()) != false(), 4)
            + case((EDGE.c.direct.is_(None), 0), (EDGE.c.direct != false(), 2), else_=1),
            func.coalesce(day_number(EDGE.c.start_date, dialect), int(NO_START)),
            func.coalesce(day_number(EDGE.c.end_date, dialect), int(NO_END)),
        )
        .where(live_edge(EDGE))
        .order_by(EDGE.c.id)
    )
    e = _numeric(conn, stmt, 8)
    packed = e[:, 5].astype(np.int64)
    return EdgeArrays(
        id=e[:, 0].astype(np.int64),
        src=e[:, 1].astype(np.int64),
        dst=e[:, 2].astype(np.int64),
        kind=(packed >> 4).astype(np.int8),
        share_min=np.where(e[:, 3] < 0, np.nan, e[:, 3]),
        share_max=np.where(e[:, 4] < 0, np.nan, e[:, 4]),
        component=((packed >> 2) & 1).astype(bool),
        direct=((packed & 3) - 1).astype(np.int8),
        start=e[:, 6].astype(np.int32),
        end=e[:, 7].astype(np.int32),
    )


def double_counted(
    indirect: Iterable[tuple[int, str | None]], components: Iterable[tuple[int, str | None, int]]
) -> set[int]:
    """Component edges that an indirect statement already carries: not counted a second time.

    ``indirect``: (subject, properties JSON) of indirect, non-component statements;
    ``components``: (edge id, source record ID, subject) of component edges. A component edge is
    double-counted when it leads into the subject of an indirect statement that lists it in its BODS
    ``componentRecords``: the statement's share already covers that chain. The other component edges
    (the owners of the intermediate entities) are the only record of those holdings and count as usual.
    """
    listed: dict[int, set[str]] = {}
    for subject, raw in indirect:
        records = properties_of(raw).get("componentRecords") or []
        if records:
            listed.setdefault(subject, set()).update(str(r) for r in records)
    return {
        eid for eid, record, subject in components if record is not None and record in listed.get(subject, ())
    }


def carriers(conn: Connection, canonical_of: Callable[[int], int]) -> list[tuple[int, int]]:
    """(component edge, indirect edge carrying it) pairs among ownership edges that are not history.

    A pair counts on a day when the indirect statement does (:func:`double_counted`, day by day)."""
    own = EDGE.c.kind.in_(OWNERSHIP_KINDS)
    comps = [
        (int(i), r, canonical_of(int(d)))
        for i, r, d in conn.execute(
            select(EDGE.c.id, EDGE.c.source_id, EDGE.c.dst_id).where(
                own, live_edge(EDGE), func.coalesce(EDGE.c.component, false()) != false()
            )
        )
    ]
    if not comps:
        return []
    indirect = conn.execute(
        select(EDGE.c.id, EDGE.c.dst_id, EDGE.c.properties).where(
            own,
            live_edge(EDGE),
            EDGE.c.direct == false(),
            func.coalesce(EDGE.c.component, false()) == false(),
            EDGE.c.properties.like("%componentRecords%"),
        )
    ).all()
    pairs = []
    for i, d, raw in indirect:
        for comp in double_counted([(canonical_of(int(d)), raw)], comps):
            pairs.append((comp, int(i)))
    return sorted(pairs)


JURISDICTION_KEYS = ("jurisdiction", "country", "mainCountry")
"""The properties an entity's jurisdictions are read from, in this order."""


def jurisdiction_rows(conn: Connection) -> Iterator[list[tuple[Any, ...]]]:
    """Chunks of (internal id, JSON of ``jurisdiction``, of ``country``, of ``mainCountry``) of the
    canonical entities that may give one (few distinct values: the caller parses each once).

    On SQLite its JSON functions pick the values out (properties that are not JSON read as none);
    elsewhere the properties are read and parsed here."""
    where = and_(
        canonical_entity(ENTITY),
        or_(ENTITY.c.properties.like("%jurisdiction%"), ENTITY.c.properties.like("%ountry%")),
    )
    if conn.dialect.name == "sqlite":  # the -> operator gives JSON text, for a string as for a list
        cols: list[Any] = [literal_column(f"owner_entity.properties -> '$.{k}'") for k in JURISDICTION_KEYS]
        yield from _raw_rows(
            conn, select(ENTITY.c.id, *cols).where(where, func.json_valid(ENTITY.c.properties))
        )
        return
    for rows in _raw_rows(conn, select(ENTITY.c.id, ENTITY.c.properties).where(where)):
        out = []
        for i, raw in rows:
            props = properties_of(raw)
            out.append((i, *(json.dumps(props[k]) if k in props else None for k in JURISDICTION_KEYS)))
        yield out


def address_counts(conn: Connection) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """For every entity that gives an address: how many canonical entities of the case give one of
    its addresses, at most (its own count included). Returns (internal ids, counts)."""
    e = ENTITY.alias("e")
    stmt = select(ADDRESS.c.entity_id, ADDRESS.c.key, _flag(canonical_entity(e), 1)).select_from(
        ADDRESS.join(e, e.c.id == ADDRESS.c.entity_id)
    )
    groups: dict[str, int] = {}
    parts: list[npt.NDArray[np.int64]] = []
    for rows in _raw_rows(conn, stmt):
        part = np.empty((len(rows), 3), dtype=np.int64)
        part[:, 0] = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        part[:, 1] = np.fromiter((groups.setdefault(r[1], len(groups)) for r in rows), np.int64, len(rows))
        part[:, 2] = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
        parts.append(part)
    if not parts:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    rows_ = np.concatenate(parts)
    width = max(len(groups), 1)
    _, first = np.unique(rows_[:, 0] * width + rows_[:, 1], return_index=True)  # (entity, key) once each
    eid, key, counted = rows_[first, 0], rows_[first, 1], rows_[first, 2]
    per_key = np.bincount(key, weights=counted, minlength=len(groups)).astype(np.int64)[key]
    order = np.argsort(eid, kind="stable")
    eid, per_key = eid[order], per_key[order]
    starts = np.flatnonzero(np.r_[True, eid[1:] != eid[:-1]])
    return eid[starts], np.maximum.reduceat(per_key, starts)


# -- streams for the exports ---------------------------------------------------------------------------------


def duplicate_source_ids(conn: Connection) -> set[str]:
    """Source IDs that several canonical entities share."""
    rows = conn.execute(
        select(ENTITY.c.source_id)
        .where(canonical_entity(ENTITY))
        .group_by(ENTITY.c.source_id)
        .having(func.count() > 1)
    )
    return {str(r[0]) for r in rows}


def person_names(conn: Connection) -> Iterator[tuple[int, str]]:
    """(internal id, name) of every canonical ``Person``."""
    rows = conn.execute(
        select(ENTITY.c.id, ENTITY.c.name).where(ENTITY.c.schema == "Person", canonical_entity(ENTITY))
    )
    for i, name in rows:
        yield int(i), str(name or "")


def all_import_paths(conn: Connection) -> dict[int, str]:
    return {int(i): str(p) for i, p in conn.execute(select(IMPORT.c.id, IMPORT.c.path))}


def stream_entities(conn: Connection) -> Iterator[EntityRow]:
    """Every canonical entity (the nodes of the graph), by internal id."""
    stmt = select(*_ENTITY_COLUMNS).where(canonical_entity(ENTITY)).order_by(ENTITY.c.id)
    for r in conn.execution_options(stream_results=True, yield_per=5000).execute(stmt):
        yield _entity_row(r)


@dataclass(frozen=True)
class ExportEdge:
    """An edge that is not history, with both ends as stored (fold merges with :class:`Merges`)."""

    row: EdgeRow
    src_source_id: str
    src_schema: str
    dst_source_id: str
    dst_schema: str


def stream_edges(conn: Connection) -> Iterator[ExportEdge]:
    """Every edge whose record and both ends are not history (ended interests included), by id."""
    a, b = ENTITY.alias("a"), ENTITY.alias("b")
    stmt = (
        select(*_EDGE_COLUMNS, a.c.source_id, a.c.schema, b.c.source_id, b.c.schema)
        .select_from(EDGE.join(a, a.c.id == EDGE.c.src_id).join(b, b.c.id == EDGE.c.dst_id))
        .where(live_edge(EDGE), live_entity(a), live_entity(b))
        .order_by(EDGE.c.id)
    )
    as_stored = int
    for r in conn.execution_options(stream_results=True, yield_per=5000).execute(stmt):
        yield ExportEdge(_edge_row(r, as_stored), str(r[17]), str(r[18]), str(r[19]), str(r[20]))


# -- the report's graph view ---------------------------------------------------------------------------------


def entities_of_schemas(conn: Connection, schemas: Sequence[str], limit: int) -> list[int]:
    """The first ``limit`` canonical entities of these schemata, by internal id."""
    stmt = (
        select(ENTITY.c.id)
        .where(ENTITY.c.schema.in_(schemas), canonical_entity(ENTITY))
        .order_by(ENTITY.c.id)
        .limit(limit)
    )
    return [int(r[0]) for r in conn.execute(stmt)]


def most_linked(conn: Connection, n: int) -> list[int]:
    """The ``n`` entities that are the owner/controller side of most edges (as stored)."""
    stmt = select(EDGE.c.src_id).group_by(EDGE.c.src_id).order_by(func.count().desc(), EDGE.c.src_id).limit(n)
    return [int(r[0]) for r in conn.execute(stmt)]
