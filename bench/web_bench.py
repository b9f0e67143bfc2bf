"""Web workbench benchmark: page render times of a real `unmask serve` on a large case.

    .venv/bin/python bench/web_bench.py [--items 157000] [--case DIR] [--repeat 5]
        [--db postgresql://…] [--keep DIR] [--keep-db NAME]

Generates a case of N items with analysis_bench's generator (or uses --case DIR; --items 1000000 for the
1M-item check; --db makes it on PostgreSQL; --keep DIR, and --keep-db NAME with --db, keep it to re-time
with --case), starts
`unmask serve --case DIR --port 0` in its own process, waits for its whole-case pages to be computed once
(the server does that at start and again after a census changes the store), then asks each page
--repeat times over loopback and prints the median and the worst wall time per page (request to last
byte). The items table is timed on its first page, a deep page (its cursor after 20 pages), each
filter and each sort. Target: < 300 ms per page at 157,000 items, < 1 s at 1,000,000.
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from analysis_bench import fresh_case, generate_case

PAGES = [
    "/",
    "/items",
    "/items?sort=views",
    "/items?sort=seen",
    "/items?sort=upload&order=asc",
    "/items?kind=video",
    "/items?month=2020-03",
    "/items?tag=tag001",
    "/items?person=5",
    "/items?uploader=3",
    "/items?removed=removed",
    "/items?q=item",
    "/items/1000",
    "/persons",
    "/items?tag=tag291",
    "/items?tag=tag000&sort=views",
    "/items?person=5&removed=all",
    "/census",
    "/history",
    "/report",
    "/infra",
    "/owners",
    "/owners/graph",
    "/charts",
    "/charts.json",
    "/evidence",
    "/apps",
    "/forum",
]


def get(port: int, path: str) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    answer = conn.getresponse()
    body = answer.read()
    conn.close()
    return answer.status, body, time.perf_counter() - started


def deep_page(port: int, slug: str, hops: int = 20) -> str:
    """The items table's address after following 'Next page' ``hops`` times."""
    path = f"/c/{slug}/items"
    for _ in range(hops):
        _, body, _ = get(port, path)
        found = re.search(rb'href="(\?[^"]*after=[^"]*)" rel="next"', body)
        if found is None:
            break
        path = f"/c/{slug}/items" + found.group(1).decode().replace("&amp;", "&")
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=157_000)
    ap.add_argument("--case", type=Path, help="an existing case (default: a generated one)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db", help="PostgreSQL server URL (a fresh database is made there); default SQLite")
    ap.add_argument("--keep", type=Path, help="make the case in this new folder and keep it")
    ap.add_argument("--keep-db", help="with --db and --keep: make the case in this new database and keep it")
    args = ap.parse_args()
    if args.keep_db and (args.db is None or args.keep is None):
        ap.error("--keep-db needs --db and --keep")
    if args.case is not None:
        serve(args.case, args.repeat)
        return
    with fresh_case(args.db, args.keep, args.keep_db) as root:
        started = time.perf_counter()
        generate_case(root, args.items)
        print(f"case of {args.items:,} items made in {time.perf_counter() - started:.0f} s")
        serve(root, args.repeat)


def serve(root: Path, repeat: int) -> None:
    """Start `unmask serve` on the case and time every page ``repeat`` times."""
    slug = root.resolve().name
    proc = subprocess.Popen(
        [sys.executable, "-m", "unmask", "serve", "--case", str(root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().strip().rstrip("/").rsplit(":", 1)[1])
        started = time.perf_counter()
        get(port, f"/c/{slug}/")  # waits for the figures the server computes at start
        print(f"first dashboard (figures computed once): {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        get(port, f"/c/{slug}/charts.json")  # the report's charts, computed once after the figures
        print(f"first charts (the report's chart sections, once): {time.perf_counter() - started:.2f} s")
        pages = [f"/c/{slug}{p}" if p != "/" else f"/c/{slug}/" for p in PAGES]
        pages.insert(2, deep_page(port, slug))
        print(f"{'page':<60} {'median ms':>10} {'worst ms':>9}")
        for path in pages:
            times = []
            for _ in range(repeat):
                status, _, seconds = get(port, path)
                assert status == 200, (path, status)
                times.append(seconds * 1000)
            label = re.sub(r"after=[^&]+", "after=…(page 21)", path.replace(f"/c/{slug}", ""))
            print(f"{label:<60} {statistics.median(times):>10.0f} {max(times):>9.0f}")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


if __name__ == "__main__":
    main()
