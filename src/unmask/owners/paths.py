"""Shortest typed paths between two entities, over every edge kind, with the source of every edge.

Edges are walked in both directions (the direction is noted on each hop). A bidirectional
breadth-first search expands, one whole level at a time, the side with the smaller frontier; the
first level at which the two searches meet gives the distance ``d``. Every shortest path crosses that
level at a node seen by both searches at the right depths, so the paths are enumerated from those
middle nodes outwards (up to ``k`` of them, in a stable order). Parallel edges between two entities
(a shareholding and a directorship, two sources for one link) are listed together on their hop.

Two back ends share the search: :class:`Adjacency`, CSR arrays over a loaded :class:`OwnerGraph`
(the Python API and the benchmark), and :class:`SqlNeighbours`, frontier queries on the indexed edge
table (the CLI, which must not load the whole graph). :func:`naive_paths` enumerates simple paths by
depth-first search; it exists only so the benchmark can show what the search saves.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from unmask.owners.effective import _ranges
from unmask.owners.load import KINDS, EdgeRow, OwnerGraph, SqlGraph

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
        idx, _ = _ranges(self.indptr[frontier], self.indptr[frontier + 1] - self.indptr[frontier])
        nb = self.nbr[idx]
        return np.unique(nb[dist[nb] < 0])


class SqlNeighbours:
    """Neighbours from frontier queries on the store (merges folded, history left out)."""

    def __init__(self, graph: SqlGraph) -> None:
        self.graph = graph
        self.rows: dict[int, EdgeRow] = {}
        self.adj: dict[int, list[tuple[int, int]]] = {}
        self.expanded: set[int] = set()

    def expand(self, nodes: list[int]) -> None:
        todo = [v for v in nodes if v not in self.expanded]
        if not todo:
            return
        self.expanded.update(todo)
        for e in self.graph.edges(todo, side="both"):
            if e.id in self.rows:
                continue
            self.rows[e.id] = e
            self.adj.setdefault(e.src, []).append((e.dst, e.id))
            if e.dst != e.src:
                self.adj.setdefault(e.dst, []).append((e.src, e.id))

    def neighbours(self, node: int) -> Iterable[tuple[int, int]]:
        return self.adj.get(node, [])


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
    dist_a = np.full(adj.n, -1, dtype=np.int64)
    dist_b = np.full(adj.n, -1, dtype=np.int64)
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


class _Dist(dict[int, int]):
    def __missing__(self, key: int) -> int:
        return -1


@dataclass
class SqlPaths:
    paths: list[Path]
    neighbours: SqlNeighbours
    a: int
    b: int
    explored: int = field(default=0)


def sql_paths(graph: SqlGraph, a: int, b: int, k: int = 10, *, max_hops: int = 12) -> SqlPaths:
    """The same search with frontier queries on the store (for the CLI)."""
    nb = SqlNeighbours(graph)
    dist_a, dist_b = _Dist({a: 0}), _Dist({b: 0})
    dists = (dist_a, dist_b)
    depth = [0, 0]

    def step(frontier: Any, side: int) -> list[int]:
        depth[side] += 1
        nodes = [int(v) for v in frontier]
        nb.expand(nodes)
        new: list[int] = []
        for u in nodes:
            for v, _ in nb.neighbours(u):
                if dists[side][v] < 0:
                    dists[side][v] = depth[side]
                    new.append(v)
        return sorted(new)

    d, mids = _meet(step, a, b, dist_a, dist_b, max_hops)
    found: list[Path] = []
    if d >= 0:
        found = [Path(p, _hops(nb, p)) for p in _enumerate(nb, mids, dist_a, dist_b, k)]
    return SqlPaths(found, nb, a, b, explored=len(nb.expanded))


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


def edge_source(row: EdgeRow, files: dict[int, str], urls: dict[int, str]) -> dict[str, Any]:
    return {
        "record_id": row.source_id,
        "file": files.get(row.import_id) if row.import_id is not None else None,
        "line": row.line,
        "capture_id": row.capture_id,
        "url": urls.get(row.capture_id) if row.capture_id is not None else None,
    }


def edge_json(row: EdgeRow, a: int, files: dict[int, str], urls: dict[int, str]) -> dict[str, Any]:
    """One edge of a hop leaving entity ``a``: forward if ``a`` is its owner/controller side."""
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
        "source": edge_source(row, files, urls),
    }


def path_query(
    store: Any, ref_a: str, ref_b: str, *, k: int = 10, max_hops: int = 12, at: Any = None
) -> dict[str, Any]:
    """`owners path A B`: shortest typed paths with the source of every edge, as JSON-ready data."""
    with store.engine.connect() as conn:
        g = SqlGraph(conn, at)
        a, b = g.find(ref_a), g.find(ref_b)
        found = sql_paths(g, a, b, k, max_hops=max_hops)
        rows = found.neighbours.rows
        used = {e for p in found.paths for h in p.hops for e in h.edges}
        nodes = sorted({v for p in found.paths for v in p.nodes} | {a, b})
        ents = g.entities(nodes)
        files = g.import_paths(rows[e].import_id for e in used)
        urls = g.capture_urls(rows[e].capture_id for e in used)

    def node(i: int) -> dict[str, Any]:
        e = ents[i]
        return {"id": e.source_id, "name": e.name, "schema": e.schema, "internal_id": i}

    return {
        "from": ents[a].source_id,
        "to": ents[b].source_id,
        "at": g.at.isoformat(),
        "length": found.paths[0].length if found.paths else None,
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
            for p in found.paths
        ],
    }
