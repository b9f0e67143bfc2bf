"""Evidence replay benchmark: how long the replay takes to start, and to bring its index up to date.

    .venv/bin/python bench/replay_bench.py --case DIR [--add 150000] [--later 1000]

Copies the SQLite case DIR (the full-scale demo case, say) to a temporary folder, optionally adds ADD
synthetic capture rows (so that the index is as large as a big case's), then times, in this process:
the old start-up (the whole CDXJ index written before the server listens, as `write_cdxj` did at start);
the start of :class:`ReplayServer` now (nothing indexed); the first request of the index (built whole);
a request with nothing new (one count query); and one after LATER more captures were recorded (merged in).
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

from unmask.core.case import Case
from unmask.evidence.index import write_cdxj
from unmask.evidence.serve import ReplayServer


class Null:
    def write(self, data: bytes, /) -> int:
        return len(data)


def add_captures(db: Path, count: int) -> None:
    """COUNT capture rows like the case's first recorded one, each with its own URL and offset."""
    conn = sqlite3.connect(db)
    run, warc = conn.execute(
        "SELECT run_id, warc_file FROM capture WHERE warc_file IS NOT NULL ORDER BY id LIMIT 1"
    ).fetchone()
    top = conn.execute("SELECT max(id) FROM capture").fetchone()[0]
    now = dt.datetime(2026, 1, 1)
    rows = [
        (top + n, run, "census", f"https://example.test/extra/{n}", "GET", now, 200, "text/html",
         "0" * 64, 4000, warc, n * 4096, 4096)
        for n in range(1, count + 1)
    ]  # fmt: skip
    conn.executemany(
        "INSERT INTO capture (id, run_id, purpose, url, method, requested_at, status, content_type,"
        " payload_sha256, payload_length, warc_file, warc_offset, warc_length)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    conn.commit()
    conn.close()


def seconds(started: float) -> str:
    return f"{time.perf_counter() - started:.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--case", type=Path, required=True, help="a SQLite case (copied, never changed)")
    ap.add_argument("--add", type=int, default=0, help="synthetic captures added to the copy first")
    ap.add_argument("--later", type=int, default=1000, help="captures added while the replay runs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="unmask-replay-bench-") as tmp:
        root = Path(tmp) / "case"
        shutil.copytree(args.case, root)
        if args.add:
            add_captures(root / "unmask.db", args.add)
        case = Case.open(root)
        try:
            started = time.perf_counter()
            lines = write_cdxj(case, Null())
            print(f"{lines:,} recorded captures")
            print(f"before: start-up with the whole index built first  {seconds(started)}")
            started = time.perf_counter()
            with ReplayServer(case, port=0) as server:
                print(f"now: start-up (nothing indexed)                   {seconds(started)}")
                started = time.perf_counter()
                server.index.current()
                print(f"now: first request of the index (built whole)     {seconds(started)}")
                started = time.perf_counter()
                server.index.current()
                print(f"now: a request with nothing new                   {seconds(started)}")
                add_captures(root / "unmask.db", args.later)
                started = time.perf_counter()
                server.index.current()
                print(f"now: a request after {args.later:,} new captures (merged)   {seconds(started)}")
                assert server.index.lines == lines + args.later
        finally:
            case.close()


if __name__ == "__main__":
    main()
