"""Effective ownership: the sum over all ownership paths of the product of the shares.

With ``A[i, j]`` the share of ``j`` held directly by ``i``, the effective holdings are the Leontief
series ``E = A + A² + … = (I − A)⁻¹ − I``, which also integrates cross-holdings and cycles. The
ultimate owners of ``X`` are the chain tops ``u`` with ``E[u, X] > 0``; a chain top is an entity
nobody is recorded as owning, or one its source marks as a top (``topmark``: listed company,
GLEIF ``NO_KNOWN_PERSON``, …), whose own recorded owners are then not followed.

Nothing is inverted globally. The strongly connected components of the ownership graph are ordered
topologically (Kahn's algorithm, one vectorised step per level), and the holdings of every entity
are pushed down level by level as sparse ``(entity, top, low, high)`` rows: exact on the acyclic
parts, one linear solve per cycle (dense below :data:`DENSE_LIMIT` members, sparse LU above) or,
for a large strongly connected component fed by many tops, its Neumann series summed by pushing
only new contributions. Most entities have a handful of tops above them, so the whole
2-million-entity graph fits in seconds; :func:`effective_for` restricts the same computation to the
ancestors of a few targets.

Bounds: the low run takes unknown shares as 0 and ranges at their minimum, the high run unknown
shares as 100 % and ranges at their maximum, each no larger than what the other owners' low
bounds leave (``high ≤ 1 − Σ low of the others``); every path's product of highs bounds the true
share from above, and results are clipped to 100 %. A cycle whose high system is singular or does
not converge (entities holding each other completely) is flagged ``unbounded``: its members'
owners are scaled to at most 100 % before the solve and the values clipped. A group of entities
that only hold each other, with no outside owner, is its own top: every member is then a chain
top flagged ``circular``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from unmask.owners.csr import ranges, row_ptr

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

EPS = 1e-12
"""Holdings below this (high bound) are dropped: they are rounding noise from long cycles."""
DENSE_LIMIT = 400
"""Cycles with up to this many members are solved with a dense inverse."""
DENSE_CELLS = 4_000_000
"""Above this many (members × tops feeding them), a cycle is summed as a pruned Neumann series."""
NEUMANN_MAX_ITER = 2_000
"""A series still changing after this many steps does not converge (flagged ``unbounded``)."""
EXACT_TOL = 1e-9


@dataclass(frozen=True)
class OwnershipSystem:
    """Direct ownership as arrays over entity indices ``0 … n-1`` (shares as fractions 0–1)."""

    n: int
    src: IntArray
    """Owner index per edge."""
    dst: IntArray
    """Asset index per edge."""
    low: FloatArray
    high: FloatArray
    topmarked: BoolArray
    """Per entity: its source marks it as a chain top."""

    @classmethod
    def build(
        cls,
        n: int,
        src: npt.ArrayLike,
        dst: npt.ArrayLike,
        low: npt.ArrayLike,
        high: npt.ArrayLike,
        topmarked: npt.ArrayLike | None = None,
    ) -> OwnershipSystem:
        """Arrays with NaN for a missing bound: an unknown share is 0–1, a minimum alone is min–1."""
        s = np.asarray(src, dtype=np.int64)
        d = np.asarray(dst, dtype=np.int64)
        lo = np.asarray(low, dtype=np.float64)
        hi = np.asarray(high, dtype=np.float64)
        lo = np.clip(np.where(np.isnan(lo), 0.0, lo), 0.0, 1.0)
        hi = np.clip(np.where(np.isnan(hi), 1.0, hi), 0.0, 1.0)
        hi = np.maximum(hi, lo)
        tm = np.zeros(n, dtype=bool) if topmarked is None else np.asarray(topmarked, dtype=bool)
        return cls(n, s, d, lo, hi, tm)


@dataclass(kw_only=True)
class ChainStructure:
    """The structure of the ownership chains, per entity: what every answer about them carries."""

    is_top: BoolArray
    """Per entity: it is a chain top."""
    circular_top: BoolArray
    """Per entity: a top because it sits in a group that only holds itself."""
    scc: IntArray
    """Strongly connected component label per entity (of the graph after cutting at the tops)."""
    cyclic: BoolArray
    """Per entity: in a cycle (component of more than one member, or a self-holding)."""
    self_holding: BoolArray


@dataclass(kw_only=True)
class Holdings(ChainStructure):
    """Effective holdings per entity: rows ``(entity, top, low, high)`` grouped by entity."""

    n: int
    start: IntArray
    count: IntArray
    top: IntArray
    low: FloatArray
    high: FloatArray
    unbounded: BoolArray
    """Per entity: in a cycle whose high-bound system is singular (clipped)."""
    entries: int = field(default=0)

    def owners_of(self, i: int) -> tuple[IntArray, FloatArray, FloatArray]:
        """Tops holding entity ``i`` and their effective low/high shares (0–1), largest first.

        A top is not its own owner: a chain top has no ultimate owners but itself.
        """
        a, c = int(self.start[i]), int(self.count[i])
        tops, lo, hi = self.top[a : a + c], self.low[a : a + c], self.high[a : a + c]
        keep = tops != i
        tops, lo, hi = tops[keep], lo[keep], hi[keep]
        order = np.lexsort((tops, -hi, -lo))
        return tops[order], lo[order], hi[order]

    def iter_rows(self) -> Iterator[tuple[int, int, float, float]]:
        """Every (entity, top, low, high) with top ≠ entity."""
        for i in range(self.n):
            tops, lo, hi = self.owners_of(i)
            for t, a, b in zip(tops.tolist(), lo.tolist(), hi.tolist(), strict=True):
                yield i, t, a, b


class _Buffer:
    """Growing arrays of holdings rows (amortised doubling)."""

    def __init__(self, capacity: int) -> None:
        self.size = 0
        self.top = np.empty(capacity, dtype=np.int64)
        self.low = np.empty(capacity, dtype=np.float64)
        self.high = np.empty(capacity, dtype=np.float64)

    def append(self, top: IntArray, low: FloatArray, high: FloatArray) -> int:
        k = len(top)
        need = self.size + k
        if need > len(self.top):
            cap = max(need, len(self.top) + len(self.top) // 2)  # 1.5×: the copy is the peak
            self.top = np.resize(self.top, cap)
            self.low = np.resize(self.low, cap)
            self.high = np.resize(self.high, cap)
        at = self.size
        self.top[at:need] = top
        self.low[at:need] = low
        self.high[at:need] = high
        self.size = need
        return at


def _tighten_high(n: int, dst: IntArray, low: FloatArray, high: FloatArray) -> FloatArray:
    """High bounds no larger than what the other owners' low bounds leave (``1 − Σ others' low``)."""
    sum_low = np.bincount(dst, weights=low, minlength=n)
    return np.minimum(high, np.maximum(low, 1.0 - (sum_low[dst] - low)))


def _kahn_levels(n_comp: int, csrc: IntArray, cdst: IntArray) -> IntArray:
    """Level of every node of a DAG: 0 for sources, 1 + the highest level of its predecessors."""
    level = np.zeros(n_comp, dtype=np.int64)
    indeg = np.bincount(cdst, minlength=n_comp).astype(np.int64)
    order = np.argsort(csrc, kind="stable")
    succ = cdst[order]
    indptr = row_ptr(csrc, n_comp)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    seen = len(frontier)
    while len(frontier):
        level[frontier] = depth
        idx, _ = ranges(indptr[frontier], indptr[frontier + 1] - indptr[frontier])
        nxt = succ[idx]
        if not len(nxt):
            break
        dec = np.bincount(nxt, minlength=n_comp)
        touched = np.flatnonzero(dec)
        indeg[touched] -= dec[touched]
        frontier = touched[indeg[touched] == 0]
        seen += len(frontier)
        depth += 1
    if seen != n_comp:  # pragma: no cover - the condensation of a graph is always acyclic
        raise AssertionError("condensation is not acyclic")
    return level


def _scc(n: int, src: IntArray, dst: IntArray) -> tuple[int, IntArray]:
    graph = sp.csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    n_comp, labels = connected_components(graph, directed=True, connection="strong")
    return int(n_comp), labels.astype(np.int64)


def _neumann(a: sp.csr_matrix, d: sp.csr_matrix, threshold: float) -> tuple[sp.csr_matrix, bool]:
    """``V = D + D A + D A² + …`` by pushing only what is new, dropping values below ``threshold``."""
    parts = [d.tocoo()]
    delta = d
    for _ in range(NEUMANN_MAX_ITER):
        delta = (delta @ a).tocsr()
        delta.data[delta.data < threshold] = 0.0
        delta.eliminate_zeros()
        if not delta.nnz:
            break
        parts.append(delta.tocoo())
    else:
        return _sum_coo(parts, d.shape), False
    return _sum_coo(parts, d.shape), True


def _sum_coo(parts: list[sp.coo_matrix], shape: tuple[int, int]) -> sp.csr_matrix:
    rows = np.concatenate([p.row for p in parts])
    cols = np.concatenate([p.col for p in parts])
    vals = np.concatenate([p.data for p in parts])
    return sp.csr_matrix((vals, (rows, cols)), shape=shape)


def _solve_cycle(
    members: IntArray,
    edges: tuple[IntArray, IntArray, FloatArray, FloatArray],
    d_tops: IntArray,
    d_node: IntArray,
    d_low: FloatArray,
    d_high: FloatArray,
    threshold: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, bool]:
    """Holdings of a cycle's members: ``V = D (I − A_CC)⁻¹`` for the low and the high system.

    ``D`` holds what the members receive from outside (rows: tops, columns: members). Small
    systems are solved directly (dense, or sparse LU with a dense right-hand side); a large strongly
    connected component fed by many tops is summed as its Neumann series, pushing only new
    contributions and dropping those below ``threshold``. Returns (node, top, low, high, unbounded).
    """
    m = len(members)
    es, ed, el, eh = edges
    li = np.searchsorted(members, es)
    lj = np.searchsorted(members, ed)
    tops, trow = np.unique(d_tops, return_inverse=True)
    cols = np.searchsorted(members, d_node)
    t = len(tops)
    if m * t > DENSE_CELLS:
        return _solve_cycle_sparse(members, tops, (li, lj, el, eh), (trow, cols, d_low, d_high), threshold)
    unbounded = False
    results = []
    for weights, dvals in ((el, d_low), (eh, d_high)):
        a = sp.csr_matrix((weights, (li, lj)), shape=(m, m))
        system = (sp.identity(m, format="csr") - a).T.tocsc()
        rhs = np.zeros((m, t))
        np.add.at(rhs, (cols, trow), dvals)
        solved: FloatArray | None = None
        if m <= DENSE_LIMIT:
            dense = system.toarray()
            if np.linalg.cond(dense) < 1e12:
                solved = np.linalg.solve(dense, rhs)
        else:
            try:
                solved = splu(system).solve(rhs)
            except RuntimeError:  # exactly singular
                solved = None
        if solved is None or not np.all(np.isfinite(solved)) or solved.min() < -1e-9:
            # entities holding each other completely (or bounds that cannot all hold at once):
            # scale every member's owners to at most 100 %, damp, solve, clip
            unbounded = True
            colsum = np.asarray(a.sum(axis=0)).ravel()
            scale = (1 - 1e-9) / np.maximum(colsum, 1.0)
            damped = (sp.identity(m, format="csc") - a @ sp.diags(scale)).T.tocsc()
            solved = np.linalg.solve(damped.toarray(), rhs) if m <= DENSE_LIMIT else splu(damped).solve(rhs)
            solved = np.nan_to_num(solved, nan=1.0, posinf=1.0, neginf=0.0)
        results.append(np.clip(solved, 0.0, 1.0))
    low_v, high_v = results
    high_v = np.maximum(high_v, low_v)
    node_k, top_k = np.nonzero(high_v > threshold)
    return (
        members[node_k],
        tops[top_k],
        low_v[node_k, top_k],
        high_v[node_k, top_k],
        unbounded,
    )


def _solve_cycle_sparse(
    members: IntArray,
    tops: IntArray,
    internal: tuple[IntArray, IntArray, FloatArray, FloatArray],
    inflow: tuple[IntArray, IntArray, FloatArray, FloatArray],
    threshold: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, bool]:
    m, t = len(members), len(tops)
    li, lj, el, eh = internal
    trow, cols, d_low, d_high = inflow
    solved = []
    unbounded = False
    for weights, dvals in ((el, d_low), (eh, d_high)):
        a = sp.csr_matrix((weights, (li, lj)), shape=(m, m))
        d = sp.csr_matrix((dvals, (trow, cols)), shape=(t, m))
        v, converged = _neumann(a, d, threshold)
        unbounded |= not converged
        solved.append(v.tocoo())
    low_v, high_v = solved
    key_hi = high_v.col.astype(np.int64) * t + high_v.row
    key_lo = low_v.col.astype(np.int64) * t + low_v.row
    keys, inv = np.unique(np.concatenate([key_hi, key_lo]), return_inverse=True)
    hi = np.zeros(len(keys))
    lo = np.zeros(len(keys))
    np.maximum.at(hi, inv[: len(key_hi)], high_v.data)
    np.maximum.at(lo, inv[len(key_hi) :], low_v.data)
    hi = np.clip(np.maximum(hi, lo), 0.0, 1.0)
    lo = np.clip(lo, 0.0, 1.0)
    keep = hi > threshold
    keys, lo, hi = keys[keep], lo[keep], hi[keep]
    return members[keys // t], tops[keys % t], lo, hi, unbounded


def _solve_level_cycles(
    comps: list[int],
    rows: tuple[IntArray, IntArray, FloatArray, FloatArray],
    labels: IntArray,
    cyclic_comp: BoolArray,
    members_of: tuple[IntArray, IntArray],
    internal: tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray, IntArray],
    unbounded: BoolArray,
    threshold: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Replace the inflow rows of this level's cycles by their solved holdings."""
    node, top, lo, hi = rows
    node_order, comp_bounds = members_of
    src, dst, low, high, e_int, int_bounds = internal
    row_comp = labels[node]
    in_cycle = cyclic_comp[row_comp]
    out_node, out_top, out_lo, out_hi = [node[~in_cycle]], [top[~in_cycle]], [lo[~in_cycle]], [hi[~in_cycle]]
    cyc_rows = np.flatnonzero(in_cycle)
    cyc_rows = cyc_rows[np.argsort(row_comp[cyc_rows], kind="stable")]
    comps_arr = np.asarray(comps, dtype=np.int64)
    bounds: IntArray = np.asarray(np.searchsorted(row_comp[cyc_rows], np.r_[comps_arr, comps_arr + 1]))
    for k, c in enumerate(comps):
        r = cyc_rows[bounds[k] : bounds[k + len(comps)]]
        if not len(r):
            continue
        members = node_order[comp_bounds[c] : comp_bounds[c + 1]]
        ie = e_int[int_bounds[c] : int_bounds[c + 1]]
        r_node, r_top, r_lo, r_hi, unb = _solve_cycle(
            members, (src[ie], dst[ie], low[ie], high[ie]), top[r], node[r], lo[r], hi[r], threshold
        )
        if unb:
            unbounded[members] = True
        out_node.append(r_node)
        out_top.append(r_top)
        out_lo.append(r_lo)
        out_hi.append(r_hi)
    node, top = np.concatenate(out_node), np.concatenate(out_top)
    lo, hi = np.concatenate(out_lo), np.concatenate(out_hi)
    order = np.lexsort((top, node))
    return node[order], top[order], lo[order], hi[order]


@dataclass
class _Prepared:
    """The ownership system cut at its chain tops, with its strongly connected components."""

    src: IntArray
    dst: IntArray
    low: FloatArray
    high: FloatArray
    is_top: BoolArray
    circular_top: BoolArray
    n_comp: int
    labels: IntArray
    external: BoolArray
    cyclic_comp: BoolArray
    self_holding: BoolArray


def _prepare(system: OwnershipSystem) -> _Prepared:
    n = system.n
    src, dst = system.src, system.dst
    low = system.low
    high = _tighten_high(n, dst, low, system.high)
    self_holding = np.zeros(n, dtype=bool)
    self_holding[src[src == dst]] = True

    # chain tops: marked by the source, or nobody owns them; their recorded owners are cut
    is_top = system.topmarked.copy()
    keep = ~is_top[dst]
    indeg = np.bincount(dst[keep & (src != dst)], minlength=n)
    is_top |= (indeg == 0) & ~self_holding
    keep = ~is_top[dst]
    src, dst, low, high = src[keep], dst[keep], low[keep], high[keep]

    # groups that only hold each other (no outside owner) are their own tops
    n_comp, labels = _scc(n, src, dst)
    external = labels[src] != labels[dst]
    fed = np.zeros(n_comp, dtype=bool)
    fed[labels[dst[external]]] = True
    closed_comp = ~fed
    circular_top = closed_comp[labels] & ~is_top
    if circular_top.any():
        is_top |= circular_top
        keep = ~is_top[dst]
        src, dst, low, high = src[keep], dst[keep], low[keep], high[keep]
        n_comp, labels = _scc(n, src, dst)
        external = labels[src] != labels[dst]

    sizes = np.bincount(labels, minlength=n_comp)
    loops = np.zeros(n_comp, dtype=bool)
    loops[labels[src[src == dst]]] = True
    cyclic_comp = (sizes > 1) | loops
    return _Prepared(
        src, dst, low, high, is_top, circular_top, n_comp, labels, external, cyclic_comp, self_holding
    )


@dataclass(kw_only=True)
class Column(ChainStructure):
    """Effective ownership of one entity: its tops with low/high shares, and the chain's structure."""

    target: int
    tops: IntArray
    low: FloatArray
    high: FloatArray
    unbounded: bool


def _solve_column(a: sp.csr_matrix, rhs: FloatArray) -> FloatArray | None:
    """``y`` with ``(I − A) y = rhs``, i.e. ``y = rhs + A rhs + A² rhs + …``.

    The series itself first (one sparse product per path length; ownership series converge in a
    few dozen steps), sparse LU when it has not settled after :data:`NEUMANN_MAX_ITER` steps; None
    when the system is singular or the answer is not a share (owners summing far above 100 %).
    """
    y = rhs.copy()
    term = rhs
    for _ in range(NEUMANN_MAX_ITER):
        term = a @ term
        y += term
        if not term.any() or np.abs(term).max() < 1e-16:
            break
    else:
        matrix = (sp.identity(a.shape[0], format="csc") - a).tocsc()
        try:
            y = splu(matrix).solve(rhs)
        except RuntimeError:  # exactly singular
            return None
    matrix = sp.identity(a.shape[0], format="csr") - a
    if not np.all(np.isfinite(y)) or y.min() < -1e-9 or np.abs(matrix @ y - rhs).max() > 1e-9:
        return None
    return np.asarray(y, dtype=np.float64)


def effective_column(system: OwnershipSystem, target: int) -> Column:
    """Ultimate owners of one entity: column ``target`` of ``(I − A)⁻¹``, one sparse solve per bound.

    ``(I − A) y = e_target`` gives ``y[u] = (I − A)⁻¹[u, target]`` for every entity ``u``.

    Exact (no pruning). Falls back to :func:`effective_all` when a system is singular or does not
    converge (entities holding each other completely), which flags and clips.
    """
    prep = _prepare(system)
    n = system.n
    results: list[FloatArray] = []
    unbounded = False
    rhs = np.zeros(n)
    rhs[target] = 1.0
    for k, weights in enumerate((prep.low, prep.high)):
        if k == 1 and np.array_equal(prep.low, prep.high):
            results.append(results[0])  # every share exact: one solve
            break
        y = _solve_column(sp.csr_matrix((weights, (prep.src, prep.dst)), shape=(n, n)), rhs)
        if y is None:
            unbounded = True
            break
        results.append(np.clip(y, 0.0, None))
    cyclic = prep.cyclic_comp[prep.labels]
    if unbounded:
        held = effective_all(system)
        tops, lo, hi = held.owners_of(target)
        structure = {f.name: getattr(held, f.name) for f in fields(ChainStructure)}
        return Column(
            target=target, tops=tops, low=lo, high=hi, unbounded=bool(held.unbounded.any()), **structure
        )
    y_low, y_high = results
    tops = np.flatnonzero(prep.is_top & (np.maximum(y_low, y_high) > EPS))
    tops = tops[tops != target]
    lo = np.minimum(y_low[tops], 1.0)
    hi = np.clip(np.maximum(y_high[tops], lo), 0.0, 1.0)
    order = np.lexsort((tops, -hi, -lo))
    return Column(
        target=target,
        tops=tops[order],
        low=lo[order],
        high=hi[order],
        is_top=prep.is_top,
        circular_top=prep.circular_top,
        scc=prep.labels,
        cyclic=cyclic,
        self_holding=prep.self_holding,
        unbounded=False,
    )


def effective_all(system: OwnershipSystem, *, min_share: float = EPS) -> Holdings:
    """Effective holdings of every entity by its chain tops (see the module docstring).

    Holdings whose high bound is below ``min_share`` (a fraction) are dropped as they arise: the
    default keeps everything but rounding noise; a materiality threshold (1e-6 = 0.0001 %) keeps
    the all-entities pass small on graphs with large strongly connected components.
    """
    n = system.n
    prep = _prepare(system)
    src, dst, low, high = prep.src, prep.dst, prep.low, prep.high
    is_top, circular_top, self_holding = prep.is_top, prep.circular_top, prep.self_holding
    n_comp, labels, external, cyclic_comp = prep.n_comp, prep.labels, prep.external, prep.cyclic_comp
    cyclic = cyclic_comp[labels]

    level = _kahn_levels(n_comp, labels[src[external]], labels[dst[external]])
    node_level = level[labels]
    n_levels = int(level.max()) + 1 if n else 0

    start = np.zeros(n, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    buf = _Buffer(max(16, 2 * n))
    tops = np.flatnonzero(is_top)
    at = buf.append(tops, np.ones(len(tops)), np.ones(len(tops)))
    start[tops] = at + np.arange(len(tops))
    count[tops] = 1
    unbounded = np.zeros(n, dtype=bool)

    # external edges grouped by the level of their asset; internal (cycle) edges by component
    e_ext = np.flatnonzero(external)
    e_ext = e_ext[np.argsort(node_level[dst[e_ext]], kind="stable")]
    ext_bounds = np.searchsorted(node_level[dst[e_ext]], np.arange(n_levels + 1))
    e_int = np.flatnonzero(~external)
    e_int = e_int[np.argsort(labels[dst[e_int]], kind="stable")]
    int_bounds = np.searchsorted(labels[dst[e_int]], np.arange(n_comp + 1))
    node_order = np.argsort(labels, kind="stable")
    comp_bounds = np.searchsorted(labels[node_order], np.arange(n_comp + 1))
    cyclic_by_level: dict[int, list[int]] = {}
    for c in np.flatnonzero(cyclic_comp).tolist():
        cyclic_by_level.setdefault(int(level[c]), []).append(c)

    for lv in range(1, n_levels):
        edges = e_ext[ext_bounds[lv] : ext_bounds[lv + 1]]
        if not len(edges):
            continue
        es, ed = src[edges], dst[edges]
        idx, which = ranges(start[es], count[es])
        node = ed[which]
        top = buf.top[idx]
        lo = buf.low[idx] * low[edges][which]
        hi = buf.high[idx] * high[edges][which]
        key = node * n + top
        ukey, inv = np.unique(key, return_inverse=True)
        lo = np.asarray(np.bincount(inv, weights=lo, minlength=len(ukey)), dtype=np.float64)
        hi = np.asarray(np.bincount(inv, weights=hi, minlength=len(ukey)), dtype=np.float64)
        node, top = ukey // n, ukey % n
        if lv in cyclic_by_level:
            node, top, lo, hi = _solve_level_cycles(
                cyclic_by_level[lv],
                (node, top, lo, hi),
                labels,
                cyclic_comp,
                (node_order, comp_bounds),
                (src, dst, low, high, e_int, int_bounds),
                unbounded,
                min_share,
            )
        keep_rows = hi > min_share
        node, top, lo, hi = node[keep_rows], top[keep_rows], lo[keep_rows], np.minimum(hi[keep_rows], 1.0)
        at = buf.append(top, np.minimum(lo, hi), hi)
        if len(node):
            first = np.flatnonzero(np.r_[True, node[1:] != node[:-1]])
            nodes_here = node[first]
            start[nodes_here] = at + first
            count[nodes_here] = np.diff(np.r_[first, len(node)])

    return Holdings(
        n=n,
        start=start,
        count=count,
        top=buf.top[: buf.size],
        low=buf.low[: buf.size],
        high=buf.high[: buf.size],
        is_top=is_top,
        circular_top=circular_top,
        scc=labels,
        cyclic=cyclic,
        self_holding=self_holding,
        unbounded=unbounded,
        entries=buf.size,
    )


def ancestors(system: OwnershipSystem, targets: npt.ArrayLike) -> IntArray:
    """Entities from which an ownership path leads to one of ``targets`` (targets included)."""
    n = system.n
    order = np.argsort(system.dst, kind="stable")
    owners = system.src[order]
    indptr = row_ptr(system.dst, n)
    seen = np.zeros(n, dtype=bool)
    frontier = np.unique(np.asarray(targets, dtype=np.int64))
    seen[frontier] = True
    while len(frontier):
        frontier = frontier[~system.topmarked[frontier]]  # owners of a marked top are not followed
        idx, _ = ranges(indptr[frontier], indptr[frontier + 1] - indptr[frontier])
        nxt = np.unique(owners[idx])
        frontier = nxt[~seen[nxt]]
        seen[frontier] = True
    return np.flatnonzero(seen)


@dataclass(frozen=True)
class SubSystem:
    """An ownership system restricted to some entities, with the map back to the full indices."""

    system: OwnershipSystem
    nodes: IntArray
    """Full index of each local index."""

    def local(self, full: int) -> int:
        return int(np.searchsorted(self.nodes, full))


def restrict(system: OwnershipSystem, nodes: IntArray) -> SubSystem:
    """The system induced on ``nodes`` (sorted full indices)."""
    nodes = np.unique(nodes)
    mask = np.zeros(system.n, dtype=bool)
    mask[nodes] = True
    e = mask[system.src] & mask[system.dst]
    sub = OwnershipSystem(
        n=len(nodes),
        src=np.searchsorted(nodes, system.src[e]),
        dst=np.searchsorted(nodes, system.dst[e]),
        low=system.low[e],
        high=system.high[e],
        topmarked=system.topmarked[nodes],
    )
    return SubSystem(sub, nodes)


def effective_for(system: OwnershipSystem, targets: npt.ArrayLike) -> tuple[SubSystem, Holdings]:
    """Effective holdings of the targets, computed on their ancestors only."""
    sub = restrict(system, ancestors(system, targets))
    return sub, effective_all(sub.system)


def dense_effective(system: OwnershipSystem, *, bound: str = "low") -> FloatArray:
    """``(I − A)⁻¹ − I`` by a dense inverse: a reference for tests on small graphs (no tops, no cuts)."""
    a = np.zeros((system.n, system.n))
    np.add.at(a, (system.src, system.dst), system.low if bound == "low" else system.high)
    return np.linalg.inv(np.eye(system.n) - a) - np.eye(system.n)
