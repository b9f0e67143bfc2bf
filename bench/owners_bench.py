"""Benchmark: effective ownership of all entities, `path` queries, naive path enumeration.

    .venv/bin/python bench/owners_bench.py [--entities 2000000] [--edges 2500000] [--seed 1]
                                           [--store] [--min-share 1e-6] [--naive-seconds 60]

The graph has the shape of ``bench/owners_data.py`` (the import benchmark's GLEIF golden-copy
generator): each relationship joins a random child to a parent drawn from the first quarter of the
entities, with a share of 1–60 %, so it has cycles, cross-holdings and one large strongly connected
component among the holding companies. It is generated here straight into arrays (same
distribution, no CSV round trip); ``--store`` also writes it into a fresh SQLite case and times
``load_graph`` reading it back.

Prints: effective ownership of all entities (target ≤ 60 s, peak RSS ≤ 4 GB), one `path` query once
loaded (median of several, target ≤ 100 ms), naive depth-first enumeration of the paths of the same
length on the same graph (time-capped) and the ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from unmask.owners.effective import effective_all
from unmask.owners.load import OwnerGraph, load_graph
from unmask.owners.paths import Adjacency, naive_paths, paths


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(entities: int, edges: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(parent, child, share 0–1) like bench/owners_data.py."""
    rng = np.random.default_rng(seed)
    child = rng.integers(0, entities, edges)
    parent = rng.integers(0, max(1, entities // 4), edges)
    same = parent == child
    parent[same] = (parent[same] + 1) % entities
    share = np.round(rng.uniform(1, 60, edges), 2) / 100.0
    return parent.astype(np.int64), child.astype(np.int64), share


def graph_of(entities: int, parent: np.ndarray, child: np.ndarray, share: np.ndarray) -> OwnerGraph:
    empty = np.empty(entities, dtype=object)
    ids = np.arange(1, entities + 1, dtype=np.int64)
    m = len(parent)
    return OwnerGraph(
        entity_id=ids,
        source_id=empty,
        name=empty,
        schema=np.full(entities, "Company", dtype=object),
        topmark=np.full(entities, None, dtype=object),
        topmarked=np.zeros(entities, dtype=bool),
        alias_id=ids,
        alias_index=np.arange(entities, dtype=np.int64),
        edge_id=np.arange(1, m + 1, dtype=np.int64),
        src=parent,
        dst=child,
        kind=np.zeros(m, dtype=np.int8),
        share_low=share,
        share_high=share,
        component=np.zeros(m, dtype=bool),
        direct=np.ones(m, dtype=np.int8),
        double_counted=np.zeros(m, dtype=bool),
        at=dt.date.today(),
    )


def write_store(root: Path, entities: int, parent: np.ndarray, child: np.ndarray, share: np.ndarray) -> Path:
    """A fresh case with the graph written by plain executemany (the import is benchmarked elsewhere)."""
    from unmask.core.case import Case

    case = Case.init(root / "case")
    url = case.database_url
    case.close()
    db = Path(url.split("sqlite:///", 1)[1])
    con = sqlite3.connect(db)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=OFF")
    con.execute(
        "INSERT INTO owner_import (id, path, format, started_at, entities, edges, skipped, status)"
        " VALUES (1, 'bench', 'gleif', '2026-01-01', 0, 0, 0, 'ok')"
    )
    con.executemany(
        "INSERT INTO owner_entity (id, source_id, schema, name, replaced, import_id)"
        " VALUES (?, ?, 'Company', ?, 0, 1)",
        ((i + 1, f"BNCH{i:016d}", f"Bench Holdings {i} Ltd") for i in range(entities)),
    )
    pct = (share * 100).tolist()
    con.executemany(
        "INSERT INTO owner_edge"
        " (kind, src_id, dst_id, share_min, share_max, component, replaced, import_id, line)"
        " VALUES ('ownership', ?, ?, ?, ?, 0, 0, 1, ?)",
        (
            (int(p) + 1, int(c) + 1, s, s, k)
            for k, (p, c, s) in enumerate(zip(parent.tolist(), child.tolist(), pct, strict=True))
        ),
    )
    con.commit()
    con.close()
    return root / "case"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=2_000_000)
    parser.add_argument("--edges", type=int, default=2_500_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--min-share",
        type=float,
        default=1e-6,
        help="drop effective holdings below this fraction (1e-6: 0.0001 %%)",
    )
    parser.add_argument("--store", action="store_true", help="also write a SQLite case and time load_graph")
    parser.add_argument("--queries", type=int, default=9)
    parser.add_argument("--max-hops", type=int, default=24)
    parser.add_argument("--naive-seconds", type=float, default=60.0)
    args = parser.parse_args()

    t0 = time.perf_counter()
    parent, child, share = generate(args.entities, args.edges, args.seed)
    print(
        f"generated {args.entities:,} entities, {args.edges:,} ownership edges "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    if args.store:
        with tempfile.TemporaryDirectory(prefix="owners-bench-") as tmp:
            t0 = time.perf_counter()
            case_dir = write_store(Path(tmp), args.entities, parent, child, share)
            print(f"wrote the SQLite case in {time.perf_counter() - t0:.1f} s")
            from unmask.core.case import Case

            case = Case.open(case_dir)
            t0 = time.perf_counter()
            loaded = load_graph(case.store, labels=False)
            print(
                f"load_graph (ids, kinds, shares; no labels): {time.perf_counter() - t0:.2f} s for "
                f"{loaded.n:,} entities, {loaded.n_edges:,} edges"
            )
            t0 = time.perf_counter()
            loaded = load_graph(case.store)
            print(f"load_graph with source ids and names: {time.perf_counter() - t0:.2f} s")
            case.close()
            graph = loaded
    else:
        graph = graph_of(args.entities, parent, child, share)

    system = graph.ownership_system()
    t0 = time.perf_counter()
    held = effective_all(system, min_share=args.min_share)
    took = time.perf_counter() - t0
    sizes = np.bincount(held.scc)
    print(
        f"effective ownership of all entities: {took:.1f} s (target 60 s); {held.entries:,} holdings rows, "
        f"{int(held.is_top.sum()):,} chain tops, largest cycle {int(sizes.max()):,} entities, "
        f"{int((sizes > 1).sum()):,} cycles, unbounded {int(held.unbounded.sum())}, "
        f"min share {args.min_share:g}"
    )
    print(f"peak RSS so far: {rss_mb():,.0f} MB (target 4,096 MB)")

    t0 = time.perf_counter()
    adj = Adjacency.of(graph)
    print(f"path index (undirected CSR): {time.perf_counter() - t0:.2f} s")
    rng = np.random.default_rng(args.seed + 1)
    times, lengths = [], []
    pairs = []
    linked = np.flatnonzero(np.diff(adj.indptr) > 0)  # entities with at least one link
    while len(pairs) < args.queries:
        a, b = (int(x) for x in rng.choice(linked, 2))
        if a == b:
            continue
        t0 = time.perf_counter()
        found = paths(graph, a, b, k=10, max_hops=args.max_hops, adjacency=adj)
        times.append(time.perf_counter() - t0)
        lengths.append(found[0].length if found else -1)
        pairs.append((a, b, found))
    print(
        f"path query (k=10): median {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms "
        f"over {len(times)} random pairs of linked entities (target 100 ms); lengths {lengths} (-1: none)"
    )
    a, b, found = next(((a, b, f) for a, b, f in pairs if f and f[0].length >= 3), pairs[0])
    d = found[0].length if found else 6
    t0 = time.perf_counter()
    fast = paths(graph, a, b, k=10, max_hops=args.max_hops, adjacency=adj)
    fast_t = time.perf_counter() - t0
    t0 = time.perf_counter()
    naive, done = naive_paths(adj, a, b, d, limit=10, time_limit=args.naive_seconds)
    naive_t = time.perf_counter() - t0
    state = "finished" if done else f"stopped at the {args.naive_seconds:.0f} s cap"
    print(
        f"naive DFS enumeration of paths up to {d} links: {naive_t:.2f} s ({state}, {len(naive)} found) vs "
        f"bidirectional search {fast_t * 1000:.1f} ms ({len(fast)} paths): "
        f"ratio {naive_t / max(fast_t, 1e-9):,.0f}x" + ("" if done else " (at least)")
    )
    print(f"peak RSS: {rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
