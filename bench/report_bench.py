"""Report benchmark: `unmask report` of a full-scale demo case, HTML and PDF, each in a fresh process.

    .venv/bin/python bench/report_bench.py [--items 157319] [--db postgresql://…] [--case DIR] [--runs 2]

Without --case, generates a case of N synthetic items with analysis_bench's generator (the full-scale
demo crawls 157,319 items: 58,001 videos, 95,320 photos, 3,998 galleries; the generated case has the same
number of items, three crawl runs, sitemaps and listings as evidence, and no stored analysis, so the
report computes it, as after `unmask demo`). With --case, times an existing case (e.g. `unmask demo
--case DIR`, which adds the invented ownership chain). Prints wall time (start-up included), CPU time and
peak memory of each run, and the load average (the machine is shared: CPU time says more than wall time
on a loaded machine).
Target: ≤ 10 s for the HTML and ≤ 10 s for the PDF on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from analysis_bench import fresh_case, generate_case  # bench/ is on sys.path when this script runs

DEMO_ITEMS = 157_319
"""Items of `unmask demo` at full scale (seed 7)."""


def _children() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def time_reports(root: Path, runs: int) -> None:
    unmask = Path(sys.executable).with_name("unmask")
    command = [str(unmask)] if unmask.exists() else [sys.executable, "-m", "unmask"]
    with tempfile.TemporaryDirectory(prefix="unmask-report-bench-") as tmp:
        for suffix in ("html", "pdf"):
            for attempt in range(1, runs + 1):
                out = Path(tmp) / f"report-{attempt}.{suffix}"
                cpu_before, _ = _children()
                load = os.getloadavg()[0]
                started = time.perf_counter()
                subprocess.run(
                    [*command, "report", "--case", str(root), "-o", str(out)], check=True, capture_output=True
                )
                seconds = time.perf_counter() - started
                cpu_after, peak = _children()
                print(
                    f"report {suffix} #{attempt}: {seconds:.2f} s wall, {cpu_after - cpu_before:.2f} s CPU, "
                    f"peak memory ≤ {peak:,.0f} MiB, {out.stat().st_size / 1e3:,.0f} kB, load {load:.1f} "
                    "(target ≤ 10 s)"
                )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=DEMO_ITEMS)
    ap.add_argument("--db", help="PostgreSQL server URL (a fresh database is made there); default SQLite")
    ap.add_argument("--case", type=Path, help="time this existing case instead of generating one")
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    if args.case:
        time_reports(args.case, args.runs)
        return
    with fresh_case(args.db, None) as root:
        generate_case(root, args.items)
        time_reports(root, args.runs)


if __name__ == "__main__":
    main()
