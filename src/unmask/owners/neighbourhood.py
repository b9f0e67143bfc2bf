"""The entities closest to the platform, breadth first over every kind of link (the report's graph view).

Seeds: the case's ``Platform`` entities, else any platform-side node, else the entities that are the
owner/controller side of most links. Each step walks the links counting today, ownership first, then
the others, each by internal id, until ``limit`` entities are reached. Neighbours come from the compact
index; only the entities and the links drawn are read from the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection

from unmask.owners import query
from unmask.owners.index import GraphIndex
from unmask.owners.specs import KIND_CODE, OWNERSHIP_KINDS


@dataclass(frozen=True)
class Neighbourhood:
    order: list[int]
    """Internal ids, breadth first from the seeds."""
    row_of: dict[int, int]
    """Link distance from the seeds."""
    entities: dict[int, query.EntityRow]
    edges: list[query.EdgeRow]
    """The links among the entities of ``order``, by id."""
    has_owner: set[int]
    """Entities some walked ownership link (not a component) leads into."""
    owns: set[int]
    """Entities some walked ownership link leaves."""
    truncated: bool
    """More entities lie beyond the last row."""


def around(
    conn: Connection, index: GraphIndex, schemas: Sequence[str], *, limit: int, day: dt.date | None = None
) -> Neighbourhood | None:
    """The ``limit`` entities closest to the first of ``schemas`` found (see the module docstring)."""
    at = query.day_of(day or dt.date.today())
    seeds: list[int] = []
    for group in ((schemas[0],), tuple(schemas)):
        seeds = query.entities_of_schemas(conn, group, limit)
        if seeds:
            break
    if not seeds:
        seeds = sorted({index.canonical(s) for s in query.most_linked(conn, 3)})
    if not seeds:
        return None
    own_codes = [KIND_CODE[k] for k in OWNERSHIP_KINDS]
    ids = index.entity_id
    walked: list[np.ndarray] = []

    def expand(nodes: list[int]) -> dict[int, list[tuple[bool, int]]]:
        """(not ownership, neighbour) of each node's links counting today, internal ids."""
        where = [(i, index.position(i)) for i in nodes]
        known = np.array([p for _i, p in where if p is not None], dtype=np.int64)
        edges = np.unique(np.r_[index.into(known, at), index.out_of(known, at)])
        walked.append(edges)
        out: dict[int, list[tuple[bool, int]]] = {i: [] for i in nodes}
        ends = zip(
            index.src[edges].tolist(), index.dst[edges].tolist(), index.kind[edges].tolist(), strict=True
        )
        for s, d, k in ends:
            not_own = k not in own_codes
            a, b = int(ids[s]), int(ids[d])
            if a in out:
                out[a].append((not_own, b))
            if b in out and b != a:
                out[b].append((not_own, a))
        return out

    row_of: dict[int, int] = {s: 0 for s in seeds}
    order = list(seeds)
    frontier = list(seeds)
    truncated = False
    depth = 0
    while frontier and len(order) < limit:
        depth += 1
        links = expand(frontier)
        nxt: list[int] = []
        for u in frontier:
            for _not_own, v in sorted(links[u]):  # ownership and control first, then the rest, by id
                if v in row_of:
                    continue
                if len(order) >= limit:
                    truncated = True
                    break
                row_of[v] = depth
                order.append(v)
                nxt.append(v)
        frontier = nxt
    if frontier:
        links = expand(frontier)  # links among the last row
        truncated = truncated or any(v not in row_of for u in frontier for _, v in links[u])
    edges = np.unique(np.concatenate(walked)) if walked else np.empty(0, dtype=np.int64)
    src, dst = ids[index.src[edges]], ids[index.dst[edges]]
    own = np.isin(index.kind[edges], own_codes)
    drawn = np.isin(src, order) & np.isin(dst, order)
    rows = query.edges(conn, index.edge_id[edges[drawn]].tolist(), index.canonical)
    return Neighbourhood(
        order=order,
        row_of=row_of,
        entities=query.entities(conn, order),
        edges=sorted(rows.values(), key=lambda r: r.id),
        has_owner={int(d) for d in dst[own & ~np.asarray(index.component[edges])].tolist()},
        owns={int(s) for s in src[own].tolist()},
        truncated=truncated,
    )
