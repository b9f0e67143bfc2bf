"""Benchmark: import a generated GLEIF-scale graph (golden-copy CSV) into a fresh SQLite case.

    .venv/bin/python bench/owners_import_bench.py [--entities 2000000] [--edges 2500000] [--seed 1]

Prints generation time, import time (target: at most 5 minutes for 2M entities + 2.5M edges), rows
per second and the import process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from owners_data import generate  # bench/ is on sys.path when this script runs

UNMASK = [sys.executable, "-m", "unmask"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entities", type=int, default=2_000_000)
    parser.add_argument("--edges", type=int, default=2_500_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="owners-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        paths = generate(root / "data", args.entities, args.edges, args.seed)
        generated = time.perf_counter() - t0
        case = root / "case"
        subprocess.run([*UNMASK, "init", str(case)], check=True, capture_output=True)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [
                *UNMASK,
                "owners",
                "import",
                str(paths["entities"]),
                str(paths["relationships"]),
                "--case",
                str(case),
                "--json",
            ],
            capture_output=True,
            text=True,
        )
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            sys.exit(f"import failed: {proc.stderr[-2000:]}")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kb, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        db = case / "unmask.db"
        size = db.stat().st_size / 1e6 if db.exists() else 0.0
        rows = args.entities + args.edges
        print(f"generated {args.entities:,} entities + {args.edges:,} edges in {generated:.1f} s")
        print(f"import: {elapsed:.1f} s ({rows / elapsed:,.0f} rows/s), target <= 300 s")
        print(f"CPU time of the init and import processes: {cpu:.1f} s (wall > CPU: I/O or a busy machine)")
        print(f"peak RSS of the import process: {peak_kb / 1024:.0f} MB; database {size:,.0f} MB")


if __name__ == "__main__":
    main()
