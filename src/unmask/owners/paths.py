"""Shortest typed paths between two entities, over every edge kind, with the source of every edge.

Edges are walked in both directions (the direction is noted on each hop). A bidirectional
breadth-first search expands, one whole level at a time, the side with the smaller frontier; the
first level at which the two searches meet gives the distance ``d``. Every shortest path crosses that
level at a node seen by both searches at the right depths, so the paths are enumerated from those
middle nodes outwards (up to ``k`` of them, in a stable order). Parallel edges between two entities
(a shareholding and a directorship, two sources for one link) are listed together on their hop.

Two back ends share the search: :class:`Adjacency`, CSR arrays over a loaded :class:`OwnerGraph`
(the Python API and the benchmark), and :class:`IndexNeighbours`, the memory-mapped compact index of
the case (the CLI, which never loads the whole graph), edge keys being edge ids there.
:func:`naive_paths` enumerates simple paths by depth-first search; it exists only so the benchmark
can show what the search saves.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection

from unmask.core.case import Case
from unmask.owners import query
from unmask.owners.csr import rows_of
from unmask.owners.index import GraphIndex, Note, locate, reading, stderr_note
from unmask.owners.specs import KINDS

if TYPE_CHECKING:
    from unmask.owners.load import OwnerGraph

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Hop:
    """One step of a path: from ``a`` to ``b`` over the edges that link them."""

    a: int
    b: int
    edges: tuple[int, ...]
    """Edge keys (positions in the graph arrays, or edge ids for SQL)."""


@dataclass(frozen=True)
class Path:
    nodes: tuple[int, ...]
    hops: tuple[Hop, ...]

    @property
    def length(self) -> int:
        return len(self.hops)


class Neighbours(Protocol):
    def expand(self, nodes: list[int]) -> None:
        """Make the neighbours of ``nodes`` known (may query a store)."""

    def neighbours(self, node: int) -> Iterable[tuple[int, int]]:
        """(neighbour, edge key) pairs of a node whose neighbours are known."""


@dataclass
class Adjacency:
    """Undirected CSR over a loaded graph: for each entity its neighbours and the edge positions."""

    n: int
    indptr: IntArray
    nbr: IntArray
    edge: IntArray

    @classmethod
    def of(cls, graph: OwnerGraph) -> Adjacency:
        m = graph.n_edges
        ends = np.concatenate([graph.src, graph.dst])
        other = np.concatenate([graph.dst, graph.src])
        pos = np.concatenate([np.arange(m), np.arange(m)])
        order = np.argsort(ends, kind="stable")
        indptr = np.zeros(graph.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(ends, minlength=graph.n), out=indptr[1:])
        return cls(graph.n, indptr, other[order].astype(np.int64), pos[order].astype(np.int64))

    def expand(self, nodes: list[int]) -> None:
        return None

    def neighbours(self, node: int) -> Iterable[tuple[int, int]]:
        a, b = int(self.indptr[node]), int(self.indptr[node + 1])
        return zip(self.nbr[a:b].tolist(), self.edge[a:b].tolist(), strict=True)

    def frontier_step(self, frontier: IntArray, dist: IntArray) -> IntArray:
        nb = self.nbr[rows_of(self.indptr, frontier)]
        return np.unique(nb[dist[nb] < 0])


class IndexNeighbours:
    """Neighbours (both directions, every kind) from the compact index, for the edges counting on
    one day; nodes are index positions, edge keys edge ids."""

    def __init__(self, index: GraphIndex, day: int) -> None:
        self.index = index
        self.day = day

    def edges_of(self, nodes: IntArray) -> IntArray:
        """Edge positions touching ``nodes`` (either end) that count on the day, each once."""
        both = np.r_[self.index.into(nodes, self.day), self.index.out_of(nodes, self.day)]
        return np.unique(both)

    def expand(self, nodes: list[int]) -> None:
        return None

    def neighbours(self, node: int) -> Iterable[tuple[int, int]]:
        idx = self.edges_of(np.array([node], dtype=np.int64))
        src, dst = self.index.src[idx].astype(np.int64), self.index.dst[idx].astype(np.int64)
        other = np.where(src == node, dst, src)
        return zip(other.tolist(), self.index.edge_id[idx].tolist(), strict=True)

    def frontier_step(self, frontier: IntArray, dist: IntArray) -> IntArray:
        idx = self.edges_of(frontier)
        nb = np.unique(np.r_[self.index.src[idx], self.index.dst[idx]]).astype(np.int64)
        return nb[dist[nb] < 0]


def _meet(
    step: Callable[[list[int] | IntArray, int], list[int] | IntArray],
    a: int,
    b: int,
    dist_a: dict[int, int] | IntArray,
    dist_b: dict[int, int] | IntArray,
    max_hops: int,
) -> tuple[int, list[int]]:
    """Bidirectional BFS: (distance, middle nodes) or (-1, []) beyond ``max_hops``."""
    if a == b:
        return 0, [a]
    front: list[Any] = [[a], [b]]
    dists = [dist_a, dist_b]
    depth = [0, 0]
    while depth[0] + depth[1] < max_hops and len(front[0]) and len(front[1]):
        s = 0 if len(front[0]) <= len(front[1]) else 1
        new = step(front[s], s)
        depth[s] += 1
        front[s] = new
        other = dists[1 - s]
        if isinstance(new, np.ndarray) and isinstance(other, np.ndarray):
            hits = new[other[new] >= 0].tolist()
        else:
            hits = [int(v) for v in new if int(other[v]) >= 0]
        if hits:
            d = min(depth[s] + int(other[v]) for v in hits)
            mids = sorted(v for v in hits if depth[s] + int(other[v]) == d)
            return d, mids
    return -1, []


def _halves(nb: Neighbours, start: int, dist: dict[int, int] | IntArray, limit: int) -> Iterator[list[int]]:
    """Node sequences from ``start`` down to the root of ``dist`` (distance 0), distances falling by one."""
    stack: list[tuple[int, list[int]]] = [(start, [start])]
    produced = 0
    while stack and produced < limit:
        node, seq = stack.pop()
        dn = int(dist[node])
        if dn == 0:
            produced += 1
            yield seq
            continue
        preds = sorted({v for v, _ in nb.neighbours(node) if int(dist[v]) == dn - 1}, reverse=True)
        for v in preds:
            stack.append((v, [*seq, v]))


def _enumerate(
    nb: Neighbours,
    mids: list[int],
    dist_a: dict[int, int] | IntArray,
    dist_b: dict[int, int] | IntArray,
    k: int,
) -> list[tuple[int, ...]]:
    out: list[tuple[int, ...]] = []
    for x in mids:
        for left in _halves(nb, x, dist_a, k):
            for right in _halves(nb, x, dist_b, k):
                out.append((*reversed(left), *right[1:]))
                if len(out) >= k:
                    return out
    return out


def _hops(nb: Neighbours, nodes: tuple[int, ...]) -> tuple[Hop, ...]:
    hops = []
    for u, v in itertools.pairwise(nodes):
        edges = tuple(sorted({e for w, e in nb.neighbours(u) if w == v}))
        hops.append(Hop(u, v, edges))
    return tuple(hops)


def paths(
    graph: OwnerGraph, a: int, b: int, k: int = 10, *, max_hops: int = 12, adjacency: Adjacency | None = None
) -> list[Path]:
    """Up to ``k`` shortest paths between entity indices ``a`` and ``b`` of a loaded graph."""
    adj = adjacency or Adjacency.of(graph)
    return _search(adj, adj.n, a, b, k, max_hops)


def _search(adj: Adjacency | IndexNeighbours, n: int, a: int, b: int, k: int, max_hops: int) -> list[Path]:
    """The bidirectional search over arrays (whole frontiers a step)."""
    dist_a = np.full(n, -1, dtype=np.int64)
    dist_b = np.full(n, -1, dtype=np.int64)
    dist_a[a] = 0
    dist_b[b] = 0
    dists = (dist_a, dist_b)
    depth = [0, 0]

    def step(frontier: Any, side: int) -> IntArray:
        depth[side] += 1
        new = adj.frontier_step(np.asarray(frontier, dtype=np.int64), dists[side])
        dists[side][new] = depth[side]
        return new

    d, mids = _meet(step, a, b, dist_a, dist_b, max_hops)
    if d < 0:
        return []
    return [Path(p, _hops(adj, p)) for p in _enumerate(adj, mids, dist_a, dist_b, k)]


def naive_paths(
    adj: Adjacency, a: int, b: int, cutoff: int, *, limit: int = 10, time_limit: float = 60.0
) -> tuple[list[tuple[int, ...]], bool]:
    """Simple paths of at most ``cutoff`` hops by plain depth-first enumeration (benchmark only).

    Returns the shortest ``limit`` paths found and whether the enumeration finished in time.
    """
    deadline = time.perf_counter() + time_limit
    indptr, nbr = adj.indptr, adj.nbr
    found: list[tuple[int, ...]] = []
    stack: list[tuple[int, tuple[int, ...]]] = [(a, (a,))]
    steps = 0
    while stack:
        node, seq = stack.pop()
        if node == b:
            found.append(seq)
            continue
        if len(seq) > cutoff:
            continue
        steps += 1
        if steps % 4096 == 0 and time.perf_counter() > deadline:
            return sorted(found, key=len)[:limit], False
        on_path = set(seq)
        for v in nbr[indptr[node] : indptr[node + 1]].tolist():
            if v not in on_path:
                stack.append((v, (*seq, v)))
    return sorted(found, key=len)[:limit], True


# -- JSON ---------------------------------------------------------------------------------------------


def edge_json(row: query.EdgeRow, a: int, files: dict[int, str], urls: dict[int, str]) -> dict[str, Any]:
    """One edge of a hop leaving entity ``a`` (internal id): forward if ``a`` is its owner/controller side."""
    return {
        "edge_id": row.id,
        "kind": row.kind if row.kind in KINDS else "other",
        "role": row.role,
        "direction": "forward" if row.src == a else "backward",
        "share_min": row.share_min,
        "share_max": row.share_max,
        "start_date": row.start_date.isoformat() if row.start_date else None,
        "end_date": row.end_date.isoformat() if row.end_date else None,
        "component": row.component,
        "source": query.edge_source(row, files, urls),
    }


def path_query(
    case: Case,
    ref_a: str,
    ref_b: str,
    *,
    k: int = 10,
    max_hops: int = 12,
    at: dt.date | None = None,
    note: Note | None = stderr_note,
) -> dict[str, Any]:
    """`owners path A B` on a case."""
    with reading(case.store, case.root, note) as (conn, index):
        return path_query_on(conn, index, ref_a, ref_b, k=k, max_hops=max_hops, at=at)


def path_query_on(
    conn: Connection,
    index: GraphIndex,
    ref_a: str,
    ref_b: str,
    *,
    k: int = 10,
    max_hops: int = 12,
    at: dt.date | None = None,
) -> dict[str, Any]:
    """`owners path A B`: shortest typed paths with the source of every edge, as JSON-ready data."""
    day = at or dt.date.today()
    a, b = locate(conn, index, ref_a), locate(conn, index, ref_b)
    found = _search(IndexNeighbours(index, query.day_of(day)), index.n, a, b, k, max_hops)
    ids = index.entity_id
    named = [
        Path(
            tuple(int(ids[v]) for v in p.nodes),
            tuple(Hop(int(ids[h.a]), int(ids[h.b]), h.edges) for h in p.hops),
        )
        for p in found
    ]
    return answer(
        conn, named, int(index.entity_id[a]), int(index.entity_id[b]), day, max_hops, index.canonical
    )


def answer(
    conn: Connection,
    found: list[Path],
    a: int,
    b: int,
    day: dt.date,
    max_hops: int,
    fold: Callable[[int], int],
) -> dict[str, Any]:
    """The JSON answer of `owners path` for paths between internal ids ``a`` and ``b`` (nodes as internal
    ids, edge keys as edge ids), the edges and entities read from the store."""
    used = sorted({e for p in found for h in p.hops for e in h.edges})
    rows = query.edges(conn, used, fold)
    ents = query.entities(conn, {v for p in found for v in p.nodes} | {a, b}, properties=False)
    files = query.import_paths(conn, (r.import_id for r in rows.values()))
    urls = query.capture_urls(conn, (r.capture_id for r in rows.values()))

    def node(v: int) -> dict[str, Any]:
        e = ents[v]
        return {"id": e.source_id, "name": e.name, "schema": e.schema, "internal_id": e.id}

    return {
        "from": ents[a].source_id,
        "to": ents[b].source_id,
        "at": day.isoformat(),
        "length": found[0].length if found else None,
        "max_hops": max_hops,
        "paths": [
            {
                "length": p.length,
                "nodes": [node(v) for v in p.nodes],
                "hops": [
                    {
                        "from": ents[h.a].source_id,
                        "to": ents[h.b].source_id,
                        "edges": [edge_json(rows[e], h.a, files, urls) for e in h.edges],
                    }
                    for h in p.hops
                ],
            }
            for p in found
        ],
    }
