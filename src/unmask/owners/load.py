"""The entity graph of a case as compact arrays, for one day, and small walks over it in SQL.

:func:`load_graph` reads every current entity and edge with raw DBAPI cursors (no ORM objects) into
numpy arrays: entity index ↔ internal id / source id / name / schema / topmark, and the edges as COO
arrays with their kind and share bounds (fractions 0–1, NaN where the source gives none).

What "current" means, here and in every query:

- merged entities are folded into their canonical entity (``merged_into``, followed to the end);
- records that were closed or replaced (``replaced``) are history and left out;
- an edge counts on day ``at`` (default: today) unless it ended before (``end_date < at``) or
  started after it (``start_date > at``);
- BODS component records stay in the graph (paths, exports) but are not counted a second time in
  ownership: a component edge into the subject of an indirect statement that lists it in
  ``componentRecords`` is left out of :meth:`OwnerGraph.ownership_system` (the indirect statement
  carries the share); the other component edges count (:func:`double_counted`).

:class:`SqlGraph` answers the same questions for a few entities without loading the graph: merges,
frontier queries on the indexed ``src_id``/``dst_id`` columns, entity details; the query commands
use it to answer in well under a second on large cases.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection, bindparam, text

from unmask.core.errors import UnmaskError
from unmask.core.store import Store
from unmask.owners.graph import EDGE_KINDS

if TYPE_CHECKING:
    from unmask.owners.effective import OwnershipSystem

KINDS: tuple[str, ...] = (*EDGE_KINDS, "other")
"""Edge kinds and their codes (index); a kind the table does not know is ``other``."""
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
OWNERSHIP_KINDS: tuple[str, ...] = ("ownership", "unknown_interest")
"""Kinds that hold shares; an interest without a share is ownership of unknown share (0–100 %)."""
CONTROL_KINDS: tuple[str, ...] = ("control", "directorship", "nominee", "representation")
"""Control without shares: shown next to ownership, never multiplied into it."""

CHUNK = 200_000


def _kind_case(column: str) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(KINDS[:-1]))
    return f"CASE {column} {whens} ELSE {len(KINDS) - 1} END"


CURRENT_EDGE = (
    "NOT COALESCE(e.replaced, FALSE)"
    " AND (e.end_date IS NULL OR e.end_date >= :at)"
    " AND (e.start_date IS NULL OR e.start_date <= :at)"
)


def _driver_sql(conn: Connection, sql: str, params: dict[str, Any]) -> tuple[str, Any]:
    """Named ``:param`` SQL in the driver's own paramstyle (for raw DBAPI cursors)."""
    style = conn.dialect.paramstyle
    names: list[str] = []

    def repl(m: re.Match[str]) -> str:
        names.append(m.group(1))
        return "?" if style == "qmark" else f"%({m.group(1)})s"

    out = re.sub(r"(?<![:\w]):(\w+)", repl, sql)
    if style == "qmark":
        return out, tuple(params[n] for n in names)
    return out, params


def _at_param(conn: Connection, at: dt.date) -> Any:
    return at.isoformat() if conn.dialect.name == "sqlite" else at


def _raw_rows(conn: Connection, sql: str, params: dict[str, Any]) -> Iterator[list[Any]]:
    """Rows of a query in chunks, straight from the DBAPI cursor."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        q, p = _driver_sql(conn, sql, params)
        cur.execute(q, p)
        while True:
            rows = cur.fetchmany(CHUNK)
            if not rows:
                break
            yield list(rows)
    finally:
        cur.close()


def _columns(chunks: Iterable[list[Any]], dtypes: Sequence[Any]) -> list[np.ndarray]:
    parts: list[list[np.ndarray]] = [[] for _ in dtypes]
    for rows in chunks:
        for k, col in enumerate(zip(*rows, strict=True)):
            dtype = dtypes[k]
            if dtype is object:
                arr = np.empty(len(col), dtype=object)
                arr[:] = col
            else:
                arr = np.array(col, dtype=dtype)
            parts[k].append(arr)
    return [np.concatenate(p) if p else np.empty(0, dtype=d) for p, d in zip(parts, dtypes, strict=True)]


def _canonical(ids: np.ndarray, merged_into: np.ndarray) -> np.ndarray:
    """The canonical internal id of every entity (merges followed to the end, cycles broken)."""
    pos = np.searchsorted(ids, merged_into)
    pos = np.clip(pos, 0, max(len(ids) - 1, 0))
    valid = (merged_into >= 0) & (len(ids) > 0)
    valid &= ids[pos] == merged_into if len(ids) else valid
    target = np.where(valid, pos, np.arange(len(ids)))
    for _ in range(64):  # pointer jumping: log2 of the longest merge chain
        nxt = target[target]
        if np.array_equal(nxt, target):
            break
        target = nxt
    return ids[target]


def double_counted(
    indirect: Iterable[tuple[int, str | None]], components: Iterable[tuple[int, str | None, int]]
) -> set[int]:
    """Component edges that an indirect statement already carries: not counted a second time.

    ``indirect``: (subject, properties JSON) of current indirect, non-component statements;
    ``components``: (edge id, source record ID, subject) of current component edges. A component
    edge is double-counted when it leads into the subject of an indirect statement that lists it in
    its BODS ``componentRecords``: the statement's share already covers that chain. The other
    component edges (the owners of the intermediate entities) are the only record of those holdings
    and count as usual.
    """
    listed: dict[int, set[str]] = {}
    for subject, raw in indirect:
        records = properties_of(raw).get("componentRecords") or []
        if records:
            listed.setdefault(subject, set()).update(str(r) for r in records)
    return {
        eid for eid, record, subject in components if record is not None and record in listed.get(subject, ())
    }


def _double_counted_sql(conn: Connection, at: dt.date, canonical: Any = None) -> set[int]:
    """:func:`double_counted` over the whole store for day ``at``."""
    canon = canonical or (lambda i: i)
    params = {"at": _at_param(conn, at)}
    comps = [
        (int(i), r, canon(int(d)))
        for i, r, d in conn.execute(
            text(
                "SELECT e.id, e.source_id, e.dst_id FROM owner_edge e"
                f" WHERE COALESCE(e.component, FALSE) AND {CURRENT_EDGE}"
            ),
            params,
        )
    ]
    if not comps:
        return set()
    indirect = [
        (canon(int(d)), raw)
        for d, raw in conn.execute(
            text(
                "SELECT e.dst_id, e.properties FROM owner_edge e WHERE e.direct = FALSE"
                " AND NOT COALESCE(e.component, FALSE) AND e.properties LIKE '%componentRecords%'"
                f" AND {CURRENT_EDGE}"
            ),
            params,
        )
    ]
    return double_counted(indirect, comps)


@dataclass
class OwnerGraph:
    """The current graph as arrays. Entity ``i`` is the canonical entity ``entity_id[i]``."""

    entity_id: npt.NDArray[np.int64]
    source_id: npt.NDArray[Any]
    name: npt.NDArray[Any]
    schema: npt.NDArray[Any]
    topmark: npt.NDArray[Any]
    topmarked: npt.NDArray[np.bool_]
    """Per entity: its source marks it as a chain top (``topmark`` says why, when labels are loaded)."""
    alias_id: npt.NDArray[np.int64]
    """Every internal id that maps to an entity (merged ones included), sorted …"""
    alias_index: npt.NDArray[np.int64]
    """… and the entity index each maps to."""
    edge_id: npt.NDArray[np.int64]
    src: npt.NDArray[np.int64]
    dst: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    share_low: npt.NDArray[np.float64]
    share_high: npt.NDArray[np.float64]
    component: npt.NDArray[np.bool_]
    direct: npt.NDArray[np.int8]
    """1 direct, 0 indirect, -1 not said."""
    double_counted: npt.NDArray[np.bool_]
    """Component edges already carried by an indirect statement (see :func:`double_counted`)."""
    at: dt.date

    @property
    def n(self) -> int:
        return len(self.entity_id)

    @property
    def n_edges(self) -> int:
        return len(self.edge_id)

    def index_of_internal(self, internal_id: int) -> int | None:
        k = int(np.searchsorted(self.alias_id, internal_id))
        if k < len(self.alias_id) and self.alias_id[k] == internal_id:
            return int(self.alias_index[k])
        return None

    def find(self, ref: str) -> int:
        """The entity index of a source ID (or ``#<internal id>``); one clear error otherwise."""
        if ref.startswith("#") and ref[1:].isdigit():
            found = self.index_of_internal(int(ref[1:]))
            if found is None:
                raise UnmaskError(f"no current entity with internal id {ref[1:]}", where=ref)
            return found
        hits = np.unique(np.flatnonzero(self.source_id == ref))
        if len(hits) == 1:
            return int(hits[0])
        if not len(hits):
            raise UnmaskError("no current entity with this ID in the case", where=ref)
        raise UnmaskError(
            "ambiguous ID: " + ", ".join(f"#{self.entity_id[h]} ({self.schema[h]})" for h in hits[:5]),
            where=ref,
        )

    def ownership_mask(self) -> npt.NDArray[np.bool_]:
        """Edges that hold shares and count: component edges an indirect statement carries do not."""
        codes = [KIND_CODE[k] for k in OWNERSHIP_KINDS]
        return np.isin(self.kind, codes) & ~self.double_counted

    def ownership_system(self) -> OwnershipSystem:
        from unmask.owners.effective import OwnershipSystem

        m = self.ownership_mask()
        return OwnershipSystem.build(
            self.n, self.src[m], self.dst[m], self.share_low[m], self.share_high[m], self.topmarked
        )


def _numeric_rows(
    conn: Connection, table: str, exprs: Sequence[str], where: str, params: dict[str, Any]
) -> npt.NDArray[np.float64]:
    """All-numeric columns as one float array (rows × len(exprs)), straight from the DBAPI cursor.

    NULL must be mapped to a number in ``exprs`` (COALESCE); each chunk of tuples becomes a 2-D
    array in one call, with no Python object per value kept.
    """
    where_sql = f" WHERE {where}" if where else ""
    sql = f"SELECT {', '.join(exprs)} FROM {table} e{where_sql} ORDER BY e.id"
    parts = [np.array(rows, dtype=np.float64) for rows in _raw_rows(conn, sql, params)]
    return np.concatenate(parts) if parts else np.empty((0, len(exprs)))


def load_graph(store: Store, at: dt.date | None = None, *, labels: bool = True) -> OwnerGraph:
    """Read the graph for day ``at`` (default today). ``labels=False`` skips source ids, names, schemas."""
    import unmask.owners.tables  # noqa: F401  (the owner tables on the shared metadata)

    at = at or dt.date.today()
    with store.engine.connect() as conn:
        ent = _numeric_rows(
            conn,
            "owner_entity",
            (
                "e.id",
                "COALESCE(e.merged_into, -1)",
                # replaced × 2 + marked as a chain top, one column
                "CASE WHEN COALESCE(e.replaced, FALSE) THEN 2 ELSE 0 END"
                " + CASE WHEN e.topmark IS NULL THEN 0 ELSE 1 END",
            ),
            "",
            {},
        )
        ids = ent[:, 0].astype(np.int64)
        merged = ent[:, 1].astype(np.int64)
        flags = ent[:, 2].astype(np.int8)
        replaced = flags >> 1
        marked = (flags & 1).astype(bool)
        n_all = len(ids)
        source_id = name = schema = topmark = np.full(n_all, None, dtype=object)
        if labels:
            source_id, name, schema, topmark = _columns(
                _raw_rows(conn, "SELECT source_id, name, schema, topmark FROM owner_entity ORDER BY id", {}),
                (object, object, object, object),
            )
        canon = _canonical(ids, merged)
        keep = (canon == ids) & (replaced == 0)
        entity_id = ids[keep]
        # aliases: every id whose canonical entity is kept and that is not itself replaced
        canon_pos = np.searchsorted(entity_id, canon)
        canon_pos = np.clip(canon_pos, 0, max(len(entity_id) - 1, 0))
        alias_ok = (replaced == 0) & (len(entity_id) > 0)
        if len(entity_id):
            alias_ok &= entity_id[canon_pos] == canon
        alias_id = ids[alias_ok]
        alias_index = canon_pos[alias_ok]

        edges = _numeric_rows(
            conn,
            "owner_edge",
            (
                "e.id",
                "e.src_id",
                "e.dst_id",
                "COALESCE(e.share_min, -1)",
                "COALESCE(e.share_max, -1)",
                # kind × 16 + component × 4 + (direct + 1), one column
                f"{_kind_case('e.kind')} * 16"
                " + CASE WHEN COALESCE(e.component, FALSE) THEN 4 ELSE 0 END"
                " + CASE WHEN e.direct IS NULL THEN 0 WHEN e.direct THEN 2 ELSE 1 END",
            ),
            CURRENT_EDGE,
            {"at": _at_param(conn, at)},
        )
        merged_to = {int(a): int(c) for a, c in zip(ids[canon != ids], canon[canon != ids], strict=True)}
        excluded = _double_counted_sql(conn, at, lambda i: merged_to.get(i, i))
    eid = edges[:, 0].astype(np.int64)
    esrc, edst = edges[:, 1].astype(np.int64), edges[:, 2].astype(np.int64)
    smin = np.where(edges[:, 3] < 0, np.nan, edges[:, 3])
    smax = np.where(edges[:, 4] < 0, np.nan, edges[:, 4])
    packed = edges[:, 5].astype(np.int64)
    ekind = (packed >> 4).astype(np.int8)
    comp = ((packed >> 2) & 1).astype(bool)
    direct = ((packed & 3) - 1).astype(np.int8)

    top_id = int(ids.max()) if len(ids) else 0
    lut = None
    if len(alias_id) and top_id <= 4 * len(ids) + 1024:  # dense keys: a lookup table beats a search
        lut = np.full(top_id + 1, -1, dtype=np.int64)
        lut[alias_id] = alias_index

    def to_index(internal: np.ndarray) -> np.ndarray:
        if not len(alias_id):
            return np.full(len(internal), -1, dtype=np.int64)
        if lut is not None:
            inside = (internal >= 0) & (internal <= top_id)
            return np.where(inside, lut[np.clip(internal, 0, top_id)], -1)
        pos = np.clip(np.searchsorted(alias_id, internal), 0, len(alias_id) - 1)
        return np.where(alias_id[pos] == internal, alias_index[pos], -1)

    s, d = to_index(esrc), to_index(edst)
    ok = (s >= 0) & (d >= 0)
    return OwnerGraph(
        entity_id=entity_id,
        source_id=source_id[keep],
        name=name[keep],
        schema=schema[keep],
        topmark=topmark[keep],
        topmarked=marked[keep],
        alias_id=alias_id,
        alias_index=alias_index.astype(np.int64),
        edge_id=eid[ok],
        src=s[ok],
        dst=d[ok],
        kind=ekind[ok],
        share_low=smin[ok] / 100.0,
        share_high=smax[ok] / 100.0,
        component=comp[ok],
        direct=direct[ok],
        double_counted=np.isin(eid[ok], np.fromiter(excluded, dtype=np.int64, count=len(excluded))),
        at=at,
    )


# -- small walks in SQL ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EdgeRow:
    """One current edge, endpoints given as canonical internal ids."""

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


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class WalkUp:
    """The ancestors of an entity: ownership edges among them, their rows, and links into/out of them."""

    edges: list[EdgeRow]
    entities: dict[int, EntityRow]
    into: list[EdgeRow]
    out_of: list[EdgeRow]


EDGE_COLUMNS = (
    "e.id, e.kind, e.src_id, e.dst_id, e.share_min, e.share_max, e.voting_min, e.voting_max, e.direct,"
    " e.component, e.role, e.start_date, e.end_date, e.source_id, e.import_id, e.line, e.capture_id"
)
IN_CHUNK = 2000


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def properties_of(raw: str | None) -> dict[str, list[Any]]:
    """An entity's stored properties (JSON) as FtM-style lists; unreadable JSON reads as none."""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v if isinstance(v, list) else [v] for k, v in data.items()}


class SqlGraph:
    """Frontier queries on the store for one day: merges folded, history left out."""

    def __init__(self, conn: Connection, at: dt.date | None = None) -> None:
        import unmask.owners.tables  # noqa: F401

        self.conn = conn
        self.at = at or dt.date.today()
        merged = conn.execute(
            text("SELECT id, merged_into FROM owner_entity WHERE merged_into IS NOT NULL")
        ).all()
        parent = {int(a): int(b) for a, b in merged}
        self._canon: dict[int, int] = {}
        for a in parent:
            seen = {a}
            c = parent[a]
            while c in parent and c not in seen:
                seen.add(c)
                c = parent[c]
            self._canon[a] = c
        self._members: dict[int, list[int]] = {}
        for a, c in self._canon.items():
            self._members.setdefault(c, []).append(a)

    def canonical(self, internal_id: int) -> int:
        return self._canon.get(internal_id, internal_id)

    def members(self, ids: Iterable[int]) -> list[int]:
        out: list[int] = []
        for i in ids:
            out.append(i)
            out.extend(self._members.get(i, ()))
        return out

    def _in_chunks(self, sql: str, ids: Sequence[int], **params: Any) -> Iterator[Any]:
        stmt = text(sql).bindparams(bindparam("ids", expanding=True))
        for k in range(0, len(ids), IN_CHUNK):
            yield from self.conn.execute(stmt, {"ids": list(ids[k : k + IN_CHUNK]), **params})

    def find(self, ref: str) -> int:
        """Canonical internal id for a source ID, an identifier value, or ``#<internal id>``."""
        if ref.startswith("#") and ref[1:].isdigit():
            rows = self.conn.execute(
                text("SELECT id FROM owner_entity WHERE id = :i"), {"i": int(ref[1:])}
            ).all()
        else:
            rows = self.conn.execute(
                text("SELECT id FROM owner_entity WHERE source_id = :r AND NOT COALESCE(replaced, FALSE)"),
                {"r": ref},
            ).all()
            if not rows:
                rows = self.conn.execute(
                    text(
                        "SELECT DISTINCT i.entity_id FROM owner_identifier i JOIN owner_entity o"
                        " ON o.id = i.entity_id WHERE i.value = :r AND NOT COALESCE(o.replaced, FALSE)"
                    ),
                    {"r": ref},
                ).all()
        found = sorted({self.canonical(int(r[0])) for r in rows})
        if not found:
            raise UnmaskError("no current entity with this ID in the case", where=ref)
        if len(found) > 1:
            raise UnmaskError(
                "ambiguous ID, several entities have it: "
                + ", ".join(f"#{i}" for i in found[:5])
                + " (pass #<internal id>)",
                where=ref,
            )
        return found[0]

    def edges(self, ids: Sequence[int], *, side: str, kinds: Sequence[str] | None = None) -> list[EdgeRow]:
        """Current edges whose ``side`` (``src``, ``dst`` or ``both``) is one of the entities."""
        member_ids = self.members(ids)
        where_kind = ""
        params: dict[str, Any] = {"at": _at_param(self.conn, self.at)}
        if kinds is not None:
            # `|| ''` keeps planners off the low-selectivity kind index (the src/dst index is the one)
            where_kind = " AND (e.kind || '') IN (" + ", ".join(f":k{i}" for i in range(len(kinds))) + ")"
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
        sides = ("src", "dst") if side == "both" else (side,)
        rows: dict[int, EdgeRow] = {}
        for s in sides:
            sql = (
                f"SELECT {EDGE_COLUMNS} FROM owner_edge e"
                " JOIN owner_entity a ON a.id = e.src_id JOIN owner_entity b ON b.id = e.dst_id"
                f" WHERE e.{s}_id IN :ids AND {CURRENT_EDGE}{where_kind}"
                " AND NOT COALESCE(a.replaced, FALSE) AND NOT COALESCE(b.replaced, FALSE)"
            )
            stmt_params = dict(params)
            for r in self._in_chunks(sql, member_ids, **stmt_params):
                rows[int(r[0])] = self._edge_row(r)
        return sorted(rows.values(), key=lambda e: e.id)

    def _edge_row(self, r: Any) -> EdgeRow:
        return EdgeRow(
            id=int(r[0]),
            kind=str(r[1]),
            src=self.canonical(int(r[2])),
            dst=self.canonical(int(r[3])),
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

    @staticmethod
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
        )

    def entities(self, ids: Sequence[int]) -> dict[int, EntityRow]:
        sql = (
            "SELECT id, source_id, schema, name, topmark, properties, import_id, line, capture_id"
            " FROM owner_entity WHERE id IN :ids"
        )
        return {int(r[0]): self._entity_row(r) for r in self._in_chunks(sql, list(ids))}

    def walk_up(
        self, x: int, kinds: Sequence[str], *, into: Sequence[str] = (), out_of: Sequence[str] = ()
    ) -> WalkUp | None:
        """All ancestors of ``x`` over ``kinds`` edges in a few recursive queries (owners of a marked chain
        top are not followed): their edges and entities, plus the current ``into`` edges pointing at them
        and ``out_of`` edges leaving them. None when the case has merges (the frontier walk folds those)."""
        if self._canon:
            return None
        names = {"k": kinds, "i": into, "o": out_of}
        params: dict[str, Any] = {"x": x, "at": _at_param(self.conn, self.at)}
        in_sql: dict[str, str] = {}
        for p, values in names.items():
            params.update({f"{p}{i}": k for i, k in enumerate(values)})
            in_sql[p] = "(e.kind || '') IN (" + ", ".join(f":{p}{i}" for i in range(len(values))) + ")"
        step = (
            " FROM up JOIN owner_entity t ON t.id = up.id JOIN owner_edge e ON e.dst_id = up.id"
            f" JOIN owner_entity s ON s.id = e.src_id WHERE t.topmark IS NULL AND {in_sql['k']}"
            f" AND {CURRENT_EDGE} AND NOT COALESCE(s.replaced, FALSE)"
        )
        cte = f"WITH RECURSIVE up(id) AS (SELECT CAST(:x AS INTEGER) UNION SELECT e.src_id{step})"

        ent_cols = (
            "s.id, s.source_id, s.schema, s.name, s.topmark, s.properties, s.import_id, s.line, s.capture_id"
        )
        own: list[EdgeRow] = []
        ents = self.entities([x])
        for r in self.conn.execute(text(f"{cte} SELECT {EDGE_COLUMNS}, {ent_cols}{step}"), params):
            own.append(self._edge_row(r))
            if int(r[17]) not in ents:
                ents[int(r[17])] = self._entity_row(r[17:])
        into_rows: list[EdgeRow] = []
        out_rows: list[EdgeRow] = []
        if into or out_of:
            other = (
                " JOIN owner_entity a ON a.id = e.src_id JOIN owner_entity b ON b.id = e.dst_id"
                f" WHERE {CURRENT_EDGE} AND NOT COALESCE(a.replaced, FALSE)"
                " AND NOT COALESCE(b.replaced, FALSE)"
            )
            # the walked set is known now: look its edges up by id (the recursive query is not run again)
            parts = []
            if into:
                parts.append(
                    f"SELECT 1, {EDGE_COLUMNS} FROM owner_edge e{other}"
                    f" AND e.dst_id IN :ids AND {in_sql['i']}"
                )
            if out_of:
                parts.append(
                    f"SELECT 2, {EDGE_COLUMNS} FROM owner_edge e{other}"
                    f" AND e.src_id IN :ids AND {in_sql['o']}"
                )
            extra = {k: v for k, v in params.items() if k != "x"}
            for r in self._in_chunks(" UNION ALL ".join(parts), sorted(ents), **extra):
                (into_rows if r[0] == 1 else out_rows).append(self._edge_row(r[1:]))
        return WalkUp(
            edges=sorted(own, key=lambda e: e.id),
            entities=ents,
            into=sorted(into_rows, key=lambda e: e.id),
            out_of=sorted(out_rows, key=lambda e: e.id),
        )

    def double_counted(self, edges: Iterable[EdgeRow]) -> set[int]:
        """:func:`double_counted` among these edges (the indirect statements' properties are read)."""
        rows = list(edges)
        comps = [(e.id, e.source_id, e.dst) for e in rows if e.component]
        wanted = [e.id for e in rows if e.direct is False and not e.component]
        if not comps or not wanted:
            return set()
        sql = "SELECT e.dst_id, e.properties FROM owner_edge e WHERE e.id IN :ids"
        indirect = [(self.canonical(int(d)), raw) for d, raw in self._in_chunks(sql, wanted)]
        return double_counted(indirect, comps)

    def import_paths(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        rows = self._in_chunks("SELECT id, path FROM owner_import WHERE id IN :ids", wanted)
        return {int(r[0]): str(r[1]) for r in rows}

    def capture_urls(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = sorted({i for i in ids if i is not None})
        if not wanted:
            return {}
        rows = self._in_chunks("SELECT id, url FROM capture WHERE id IN :ids", wanted)
        return {int(r[0]): str(r[1]) for r in rows}

    def address_counts(self, addresses: Iterable[str]) -> dict[str, int]:
        """How many current entities in the case give each address (through the ``owner_address`` index)."""
        from unmask.owners.graph import address_key

        keyed: dict[str, list[str]] = {}
        for addr in {a for a in addresses if a and a.strip()}:
            keyed.setdefault(address_key(addr), []).append(addr)
        stmt = text(
            "SELECT a.key, COUNT(DISTINCT a.entity_id) FROM owner_address a"
            " JOIN owner_entity e ON e.id = a.entity_id"
            " WHERE a.key IN :keys AND e.merged_into IS NULL AND NOT COALESCE(e.replaced, FALSE)"
            " GROUP BY a.key"
        ).bindparams(bindparam("keys", expanding=True))
        keys = sorted(keyed)
        counts: dict[str, int] = {}
        for k in range(0, len(keys), IN_CHUNK):
            rows = self.conn.execute(stmt, {"keys": keys[k : k + IN_CHUNK]}).all()
            counts.update({str(key): int(n) for key, n in rows})
        return {addr: counts.get(key, 0) for key, addrs in keyed.items() for addr in addrs}

    def address_entity_counts(self, address_ids: Sequence[int]) -> dict[int, int]:
        """Entities linked to each Address entity by a current ``address`` edge."""
        if not address_ids:
            return {}
        out: dict[int, set[int]] = {}
        for e in self.edges(address_ids, side="dst", kinds=("address",)):
            out.setdefault(e.dst, set()).add(e.src)
        return {k: len(v) for k, v in out.items()}
