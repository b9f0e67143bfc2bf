"""The entity graph of a case as compact arrays, for one day (the Python API and the benchmarks).

:func:`load_graph` reads every current entity and edge into numpy arrays — entity index ↔ internal
id / source id / name / schema / topmark, and the edges as COO arrays with their kind and share bounds
(fractions 0–1, NaN where the source gives none) — through the same reader as the compact index
(:func:`unmask.owners.index.snapshot`), so "current" means the same as in every query
(:mod:`unmask.owners.query`): merged entities folded into their canonical entity, closed or replaced
records left out, interests counting on day ``at`` (default today), BODS component edges that a
counting indirect statement carries marked ``double_counted``.

The query commands never load the whole graph: they read the memory-mapped index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from unmask.core.errors import UnmaskError
from unmask.core.store import Store
from unmask.owners import query
from unmask.owners.effective import OwnershipSystem
from unmask.owners.index import snapshot
from unmask.owners.specs import KIND_CODE, OWNERSHIP_KINDS


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
    """Component edges already carried by an indirect statement (see :func:`query.double_counted`)."""
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
        m = self.ownership_mask()
        return OwnershipSystem.build(
            self.n, self.src[m], self.dst[m], self.share_low[m], self.share_high[m], self.topmarked
        )


def load_graph(store: Store, at: dt.date | None = None, *, labels: bool = True) -> OwnerGraph:
    """Read the graph for day ``at`` (default today). ``labels=False`` skips source ids, names, schemas."""
    at = at or dt.date.today()
    day = query.day_of(at)
    with store.engine.connect() as conn:
        g = snapshot(conn, flags=False)
        n_all = len(g.all_id)
        source_id = name = schema = topmark = np.full(n_all, None, dtype=object)
        if labels:
            source_id, name, schema, topmark = query.entity_labels(conn)
    keep = g.all_pos >= 0
    keep &= g.all_canon == g.all_id
    edges = g.current(np.arange(g.m, dtype=np.int64), day)
    edges = edges[np.argsort(g.edge_id[edges], kind="stable")]  # in id order, as stored
    carried = g.carried_on(edges, day)
    return OwnerGraph(
        entity_id=np.asarray(g.entity_id),
        source_id=source_id[keep],
        name=name[keep],
        schema=schema[keep],
        topmark=topmark[keep],
        topmarked=np.asarray(g.topmarked),
        alias_id=np.asarray(g.all_id[g.all_pos >= 0]),
        alias_index=np.asarray(g.all_pos[g.all_pos >= 0]),
        edge_id=np.asarray(g.edge_id[edges]),
        src=g.src[edges].astype(np.int64),
        dst=g.dst[edges].astype(np.int64),
        kind=np.asarray(g.kind[edges]),
        share_low=g.share_min[edges] / 100.0,
        share_high=g.share_max[edges] / 100.0,
        component=np.asarray(g.component[edges]),
        direct=np.asarray(g.direct[edges]),
        double_counted=carried,
        at=at,
    )
