"""The query path as it was before the compact index: frontier queries in SQL on the store.

Kept here, frozen, as the reference the index path is compared with (tests/owners/test_index.py):
the same walk up from an entity (`owners ultimate`) and the same bidirectional search (`owners
path`), each reading the edge table with its own SQL, merges folded in Python. Only the answer's
formatting (:func:`unmask.owners.ultimate.answer`, :func:`unmask.owners.paths.edge_json`) and the
search's enumeration are shared.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, text

from unmask.owners.effective import OwnershipSystem
from unmask.owners.flags import FlagOptions, jurisdictions
from unmask.owners.paths import Path, _enumerate, _hops, _meet, answer
from unmask.owners.query import EdgeRow, EntityRow, Merges, double_counted
from unmask.owners.specs import CONTROL_KINDS, OWNERSHIP_KINDS, address_key, properties_of
from unmask.owners.ultimate import Chain

CURRENT_EDGE = (
    "NOT COALESCE(e.replaced, FALSE)"
    " AND (e.end_date IS NULL OR e.end_date >= :at)"
    " AND (e.start_date IS NULL OR e.start_date <= :at)"
)
EDGE_COLUMNS = (
    "e.id, e.kind, e.src_id, e.dst_id, e.share_min, e.share_max, e.voting_min, e.voting_max, e.direct,"
    " e.component, e.role, e.start_date, e.end_date, e.source_id, e.import_id, e.line, e.capture_id"
)
IN_CHUNK = 2000


def _date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class SqlGraph:
    """Frontier queries on the store for one day: merges folded, history left out."""

    def __init__(self, conn: Connection, at: dt.date) -> None:
        self.conn = conn
        self.at = at
        self.merges = Merges(conn)  # the store's merges, followed in Python (the index folds them in arrays)

    def canonical(self, internal_id: int) -> int:
        return self.merges.canonical(internal_id)

    def _in_chunks(self, sql: str, ids: Sequence[int], **params: Any) -> Iterator[Any]:
        stmt = text(sql).bindparams(bindparam("ids", expanding=True))
        for k in range(0, len(ids), IN_CHUNK):
            yield from self.conn.execute(stmt, {"ids": list(ids[k : k + IN_CHUNK]), **params})

    def find(self, ref: str) -> int:
        rows = self.conn.execute(
            text("SELECT id FROM owner_entity WHERE source_id = :r AND NOT COALESCE(replaced, FALSE)"),
            {"r": ref},
        ).all()
        (found,) = sorted({self.canonical(int(r[0])) for r in rows})
        return found

    def edges(self, ids: Sequence[int], *, side: str, kinds: Sequence[str] | None = None) -> list[EdgeRow]:
        member_ids = [m for i in ids for m in self.merges.members(i)]
        at = self.at.isoformat() if self.conn.dialect.name == "sqlite" else self.at
        params: dict[str, Any] = {"at": at}
        where_kind = ""
        if kinds is not None:
            where_kind = " AND e.kind IN (" + ", ".join(f":k{i}" for i in range(len(kinds))) + ")"
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
        rows: dict[int, EdgeRow] = {}
        for s in ("src", "dst") if side == "both" else (side,):
            sql = (
                f"SELECT {EDGE_COLUMNS} FROM owner_edge e"
                " JOIN owner_entity a ON a.id = e.src_id JOIN owner_entity b ON b.id = e.dst_id"
                f" WHERE e.{s}_id IN :ids AND {CURRENT_EDGE}{where_kind}"
                " AND NOT COALESCE(a.replaced, FALSE) AND NOT COALESCE(b.replaced, FALSE)"
            )
            for r in self._in_chunks(sql, member_ids, **params):
                rows[int(r[0])] = EdgeRow(
                    int(r[0]), str(r[1]), self.canonical(int(r[2])), self.canonical(int(r[3])), r[4], r[5],
                    r[6], r[7], None if r[8] is None else bool(r[8]), bool(r[9]), r[10], _date(r[11]),
                    _date(r[12]), r[13], r[14], r[15], r[16],
                )  # fmt: skip
        return sorted(rows.values(), key=lambda e: e.id)

    def entities(self, ids: Sequence[int]) -> dict[int, EntityRow]:
        sql = (
            "SELECT id, source_id, schema, name, topmark, properties, import_id, line, capture_id"
            " FROM owner_entity WHERE id IN :ids"
        )
        return {
            int(r[0]): EntityRow(
                int(r[0]), str(r[1]), str(r[2]), r[3], r[4], properties_of(r[5]), r[6], r[7], r[8]
            )
            for r in self._in_chunks(sql, list(ids))
        }

    def double_counted(self, edges: Iterable[EdgeRow]) -> set[int]:
        rows = list(edges)
        comps = [(e.id, e.source_id, e.dst) for e in rows if e.component]
        wanted = [e.id for e in rows if e.direct is False and not e.component]
        if not comps or not wanted:
            return set()
        sql = "SELECT e.dst_id, e.properties FROM owner_edge e WHERE e.id IN :ids"
        indirect = [(self.canonical(int(d)), raw) for d, raw in self._in_chunks(sql, wanted)]
        return double_counted(indirect, comps)

    def address_counts(self, addresses: Iterable[str]) -> dict[str, int]:
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
            counts.update(
                {str(key): int(n) for key, n in self.conn.execute(stmt, {"keys": keys[k : k + IN_CHUNK]})}
            )
        return {addr: counts.get(key, 0) for key, addrs in keyed.items() for addr in addrs}


def sql_chain(conn: Connection, ref: str, at: dt.date, opts: FlagOptions) -> Chain:
    """The chain of `owners ultimate`, walked up with frontier queries (the code before the index)."""
    g = SqlGraph(conn, at)
    x = g.find(ref)
    ents = g.entities([x])
    order = [x]
    frontier = [x]
    own: dict[int, EdgeRow] = {}
    while frontier:
        expand = [i for i in frontier if ents[i].topmark is None]
        wanted = set(expand)
        found: dict[int, None] = {}
        for e in g.edges(expand, side="dst", kinds=OWNERSHIP_KINDS):
            if e.dst not in wanted:
                continue
            own[e.id] = e
            if e.src not in ents:
                found[e.src] = None
        ents.update(g.entities(list(found)))
        new = [i for i in found if i in ents]
        order.extend(new)
        frontier = new
    own = {k: e for k, e in own.items() if e.src in ents}
    control = [e for e in g.edges(order, side="dst", kinds=CONTROL_KINDS) if e.dst in ents]
    addr_edges = g.edges(order, side="src", kinds=("address",))
    places = sorted({e.dst for e in addr_edges})
    linked: dict[int, set[int]] = {}
    for e in g.edges(places, side="dst", kinds=("address",)):
        linked.setdefault(e.dst, set()).add(e.src)
    prop_counts = g.address_counts({str(a) for i in order for a in ents[i].properties.get("address", [])})
    carried = g.double_counted(own.values())

    order = [x, *sorted(i for i in order if i != x)]
    index = {eid: k for k, eid in enumerate(order)}
    counted = sorted((e for e in own.values() if e.id not in carried), key=lambda e: e.id)
    mass = np.zeros(len(order), dtype=bool)
    for k, i in enumerate(order):
        mass[k] = any(
            prop_counts.get(str(a), 0) >= opts.mass_address_threshold
            for a in ents[i].properties.get("address", [])
        )
    for e in addr_edges:
        if len(linked.get(e.dst, ())) >= opts.mass_address_threshold:
            mass[index[e.src]] = True
    system = OwnershipSystem.build(
        len(order),
        [index[e.src] for e in counted],
        [index[e.dst] for e in counted],
        [np.nan if e.share_min is None else e.share_min / 100.0 for e in counted],
        [np.nan if e.share_max is None else e.share_max / 100.0 for e in counted],
        [ents[i].topmark is not None for i in order],
    )
    codes: dict[str, int] = {}
    per_entity = [[codes.setdefault(c, len(codes)) for c in jurisdictions(ents[i].properties)] for i in order]
    return Chain(
        order=np.asarray(order, dtype=np.int64),
        system=system,
        codes=tuple(codes),
        juris_ptr=np.cumsum([0, *(len(c) for c in per_entity)]).astype(np.int64),
        juris_code=np.asarray([c for cs in per_entity for c in cs], dtype=np.int64),
        mass_address=mass,
        control=[(e.id, e.src, e.dst) for e in sorted(control, key=lambda e: e.id)],
    )


def sql_paths(
    conn: Connection, ref_a: str, ref_b: str, at: dt.date, *, k: int, max_hops: int
) -> dict[str, Any]:
    """`owners path` with frontier queries (the code before the index), as JSON-ready data."""
    g = SqlGraph(conn, at)
    a, b = g.find(ref_a), g.find(ref_b)
    rows: dict[int, EdgeRow] = {}
    adj: dict[int, list[tuple[int, int]]] = {}
    expanded: set[int] = set()

    class Neighbours:
        def expand(self, nodes: list[int]) -> None:
            todo = [v for v in nodes if v not in expanded]
            expanded.update(todo)
            for e in g.edges(todo, side="both") if todo else []:
                if e.id in rows:
                    continue
                rows[e.id] = e
                adj.setdefault(e.src, []).append((e.dst, e.id))
                if e.dst != e.src:
                    adj.setdefault(e.dst, []).append((e.src, e.id))

        def neighbours(self, node: int) -> list[tuple[int, int]]:
            return adj.get(node, [])

    nb = Neighbours()
    dists: tuple[dict[int, int], dict[int, int]] = ({a: 0}, {b: 0})
    depth = [0, 0]

    class Dist(dict[int, int]):
        def __missing__(self, key: int) -> int:
            return -1

    dist_a, dist_b = Dist(dists[0]), Dist(dists[1])

    def step(frontier: Any, side: int) -> list[int]:
        depth[side] += 1
        nodes = [int(v) for v in frontier]
        nb.expand(nodes)
        new: list[int] = []
        d = (dist_a, dist_b)[side]
        for u in nodes:
            for v, _ in nb.neighbours(u):
                if d[v] < 0:
                    d[v] = depth[side]
                    new.append(v)
        return sorted(new)

    dist, mids = _meet(step, a, b, dist_a, dist_b, max_hops)
    found = [Path(p, _hops(nb, p)) for p in _enumerate(nb, mids, dist_a, dist_b, k)] if dist >= 0 else []
    return answer(conn, found, a, b, at, max_hops, g.canonical)
