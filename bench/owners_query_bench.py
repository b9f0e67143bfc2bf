"""Benchmark: ownership queries at registry scale, each a `unmask` process timed with its start-up.

    .venv/bin/python bench/owners_query_bench.py [--shape registry|gleif] [--queries 20] [--seed 1]
                                                 [--persons 20000 --companies 200000 --edges 435000]
                                                 [--entities 2000000 --gleif-edges 2500000]
                                                 [--case DIR]

``--shape registry`` (default): a generated GLEIF-like registry (``owners_data.generate_registry``:
20,000 persons, 200,000 companies, 435,000 ownership edges, cross-holdings and cycles) as FtM JSON lines.
``--shape gleif``: the 2,000,000-entity / 2,500,000-edge GLEIF golden-copy graph of
``owners_data.generate`` (level 1 + level 2 CSV).

The data is imported with ``unmask owners import`` into a fresh SQLite case (wall time and peak RSS of
the import process, which ends by building the compact graph index; target ≤ 300 s for the 2 M graph).
Then, for the ``--queries`` deepest assets (highest level in the condensation of the ownership graph,
i.e. the longest chains of owners above them; ties by more ancestors), each of ``owners ultimate ID``,
``owners show ID`` and ``owners path ID TOP`` (TOP: one of its ultimate owners) runs as its own process
with ``--json``; wall time (start-up included) and peak RSS of each are printed, with median and max.
Targets: each ≤ 1 s on the registry graph (contract: ≤ 3 s), queries ≤ 2 GB on the 2 M graph.
``--case DIR`` reuses a case imported before (the import is then not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from owners_data import generate, generate_registry  # bench/ is on sys.path

UNMASK = [sys.executable, "-m", "unmask"]


@dataclass(frozen=True)
class Run:
    wall: float
    """Seconds, start-up included."""
    cpu: float
    """User + system seconds of the process (what an idle machine's wall time comes to)."""
    rss: float
    """Peak RSS, MB."""
    out: str


def run(args: list[str]) -> Run:
    """One `unmask` process, timed."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([*UNMASK, *args], stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            sys.exit(f"unmask {' '.join(args)} failed: {err.read()[-2000:]}")
        return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read())


def deepest(case: Path, count: int) -> list[int]:
    """Internal ids of the ``count`` assets with the longest chains of owners above them."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from unmask.owners.effective import _kahn_levels, _scc
    from unmask.owners.index import read
    from unmask.owners.specs import KIND_CODE, OWNERSHIP_KINDS

    root = case / "index" / "owners"
    [folder] = [p for p in root.iterdir() if p.name.startswith("v")]
    index = read(folder)
    assert index is not None
    own = np.isin(index.kind, [KIND_CODE[k] for k in OWNERSHIP_KINDS]) & (index.end == np.iinfo(np.int32).max)
    src, dst = index.src[own].astype(np.int64), index.dst[own].astype(np.int64)
    n_comp, labels = _scc(index.n, src, dst)
    external = labels[src] != labels[dst]
    level = _kahn_levels(n_comp, labels[src[external]], labels[dst[external]])[labels]
    size = np.bincount(labels, minlength=n_comp)[labels]
    order = np.lexsort((-size, -level))
    return [int(index.entity_id[k]) for k in order[:count]]


def report(name: str, runs: list[Run], target: float) -> None:
    walls, cpus = [r.wall for r in runs], [r.cpu for r in runs]
    print(
        f"{name:<16} wall median {statistics.median(walls):.2f} s, max {max(walls):.2f} s; "
        f"CPU median {statistics.median(cpus):.2f} s, max {max(cpus):.2f} s; "
        f"peak RSS max {max(r.rss for r in runs):,.0f} MB; {len(runs)} queries (target ≤ {target:g} s each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--shape", choices=("registry", "gleif"), default="registry")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--companies", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=435_000)
    parser.add_argument("--entities", type=int, default=2_000_000)
    parser.add_argument("--gleif-edges", type=int, default=2_500_000)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case", type=Path, help="a case imported before (the import is not timed)")
    parser.add_argument("--no-queries", action="store_true", help="time the import only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="owners-query-bench-") as tmp:
        root = Path(tmp)
        case = args.case
        if case is None:
            t0 = time.perf_counter()
            if args.shape == "registry":
                files = [
                    generate_registry(root / "data", args.persons, args.companies, args.edges, args.seed)
                ]
                what = (
                    f"{args.persons:,} persons, {args.companies:,} companies, {args.edges:,} ownership edges"
                )
            else:
                paths = generate(root / "data", args.entities, args.gleif_edges, args.seed)
                files = [paths["entities"], paths["relationships"]]
                what = f"{args.entities:,} entities, {args.gleif_edges:,} ownership edges (GLEIF CSV)"
            print(f"generated {what} in {time.perf_counter() - t0:.1f} s")
            case = root / "case"
            subprocess.run([*UNMASK, "init", str(case)], check=True, capture_output=True)
            imported = run(["owners", "import", *map(str, files), "--case", str(case), "--json"])
            db = case / "unmask.db"
            index = sum(p.stat().st_size for p in (case / "index").rglob("*") if p.is_file())
            print(
                "import (ends by building the graph index): "
                f"{imported.wall:.1f} s wall, {imported.cpu:.1f} s CPU, "
                f"peak RSS {imported.rss:,.0f} MB; database {db.stat().st_size / 1e6:,.0f} MB, "
                f"index {index / 1e6:,.0f} MB" + (" (target ≤ 300 s)" if args.shape == "gleif" else "")
            )
        if args.no_queries:
            return
        targets = deepest(case, args.queries)
        runs: dict[str, list[Run]] = {"ultimate": [], "show": [], "path": []}
        chains = []
        for internal in targets:
            ref = f"#{internal}"
            answered = run(["owners", "ultimate", ref, "--case", str(case), "--json"])
            runs["ultimate"].append(answered)
            answer = json.loads(answered.out)
            chains.append((answer["chain_size"], len(answer["owners"])))
            runs["show"].append(run(["owners", "show", ref, "--case", str(case), "--json"]))
            top = answer["owners"][-1]["internal_id"] if answer["owners"] else internal
            runs["path"].append(run(["owners", "path", ref, f"#{top}", "--case", str(case), "--json"]))
        sizes = [c for c, _ in chains]
        owners = [o for _, o in chains]
        print(
            f"{len(targets)} deepest assets: chains of {min(sizes):,}–{max(sizes):,} entities "
            f"(median {statistics.median(sizes):,.0f}), {min(owners)}–{max(owners)} ultimate owners"
        )
        target = 1.0 if args.shape == "registry" else 3.0
        for name, measured in runs.items():
            report(f"owners {name}", measured, target)
        print(f"load average during the run: {os.getloadavg()[0]:.1f} (2 cores)")


if __name__ == "__main__":
    main()
