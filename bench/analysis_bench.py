"""Analysis benchmark: `unmask stats` and `run_analysis` on a case of N synthetic items.

    .venv/bin/python bench/analysis_bench.py [--items 1000000] [--db postgresql://…] [--keep DIR]
        [--keep-db NAME]
    .venv/bin/python bench/analysis_bench.py --stats [--db postgresql://…]    # 300k and 1M, stats only
    .venv/bin/python bench/analysis_bench.py --stats-only DIR                 # re-time a kept case

Generates a fresh case (SQLite by default; with --db, a new database on that PostgreSQL server, dropped
afterwards) holding N items — about 40 % videos, 55 % photos, 5 % galleries, 3 % removed, three crawl
runs, skewed views, uploaders, depicted persons and tags — written directly with executemany bulk inserts.
With --db, --keep DIR and --keep-db NAME the case (database NAME) is kept for profiling; re-time it with
`--measure DIR`. Then times `unmask stats --json` as a user runs it (a process of its own, start-up
included: wall time, CPU time of the process, peak memory; three runs), `run_analysis` in a fresh process
and `unmask report`. With --stats it builds a 300,000-item and a 1,000,000-item case and times `stats` only.
Targets (issue 13): `stats` ≤ 1 s on 300,000 items and ≤ 3 s on 1,000,000, on SQLite and PostgreSQL;
`run_analysis` ≤ 5 s and ≤ 1.5 GB for 1,000,000 items on 2 cores.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from unmask.core.case import Case
from unmask.core.store import normalize_url

CHUNK = 50_000
TAGS = [f"tag{i:03d}" for i in range(300)]
START = dt.date(2017, 1, 1)
NOW = dt.datetime(2026, 11, 1)


def _skewed(rng: random.Random, n: int, power: float = 3.0) -> int:
    """1..n, small numbers far more often (a few prolific uploaders, a few much-depicted persons)."""
    return int(n * rng.random() ** power) + 1


INSERT = {
    "platform": "platform (id, base_url, name, created_at)",
    "crawl_run": "crawl_run (id, platform_id, start_url, started_at, status, phase, incremental, sessions)",
    "uploader": "uploader (id, platform_id, name, name_key)",
    "person": "person (id, platform_id, name, name_key, public_figure)",
    "item": "item (id, platform_id, kind, platform_item_id, url, duration_s, views, views_rank, upload_date,"
    " uploader_id, first_seen_run, last_seen_run, first_seen_at, last_seen_at, removed_at, removed_run)",
    "item_person": "item_person (item_id, person_id)",
    "item_label": "item_label (item_id, kind, value)",
    "capture": "capture (id, run_id, purpose, url, method, requested_at, status, content_type,"
    " payload_sha256, payload_length, warc_file, warc_offset, warc_length)",
    "frontier": "frontier (id, run_id, url, url_key, kind, depth, barren, status, capture_id, done_at)",
    "item_source": "item_source (item_id, capture_id, run_id, fields)",
}
SITEMAP_ITEMS = 10_000
"""Items per sitemap file (each a capture that gave upload dates and durations)."""
LISTING_ITEMS = 20
"""Items per listing page (each a capture that gave views and titles): 0.05 requests per item, as measured."""
RUNS = 3


def _sql(table: str, style: str) -> str:
    columns = INSERT[table].count(",") + 1
    return f"INSERT INTO {INSERT[table]} VALUES ({', '.join([style] * columns)}) ON CONFLICT DO NOTHING"


class Generator:
    def __init__(self, n: int, seed: int = 7) -> None:
        self.n, self.rng = n, random.Random(seed)
        self.persons, self.uploaders = max(1, n // 20), max(1, n // 50)

    def fixed(self) -> dict[str, list[tuple[Any, ...]]]:
        return {
            "platform": [(1, "https://example.test", "example", NOW)],
            "crawl_run": [
                (r, 1, "https://example.test/", NOW, "complete", "done", r > 1, 1) for r in (1, 2, 3)
            ],
            "uploader": [(k, 1, f"uploader {k}", f"uploader {k}") for k in range(1, self.uploaders + 1)],
            "person": [(k, 1, f"Person {k}", f"person {k}", k % 10 == 0) for k in range(1, self.persons + 1)],
        }

    def chunk(self, start: int, stop: int) -> dict[str, list[tuple[Any, ...]]]:
        rows: dict[str, list[tuple[Any, ...]]] = {
            "item": [],
            "item_person": [],
            "item_label": [],
            "capture": [],
            "frontier": [],
            "item_source": [],
        }
        for i in range(start, stop):
            kind = self._kind()
            rows["item"].append(self._item(i, kind))
            self._evidence(rows, i)
            if kind != "gallery":
                people = {self._skewed(self.persons) for _ in range(self.rng.choice((0, 1, 1, 1, 2)))}
                rows["item_person"].extend((i, p) for p in people)
            tags = {TAGS[self._skewed(len(TAGS), 2.0) - 1] for _ in range(self.rng.randrange(6))}
            rows["item_label"].extend((i, "tag", tag) for tag in tags)
        return rows

    def _evidence(self, rows: dict[str, list[tuple[Any, ...]]], i: int) -> None:
        """The captures a census of this size leaves: sitemaps and listings, each item sourced from both."""
        sitemap = 1 + (i - 1) // SITEMAP_ITEMS
        listing = 1_000_000 + 1 + (i - 1) // LISTING_ITEMS
        for capture, kind, every, fields in (
            (sitemap, "sitemap", SITEMAP_ITEMS, "upload_date,duration"),
            (listing, "listing", LISTING_ITEMS, "views,title"),
        ):
            if (i - 1) % every == 0:
                url = f"https://example.test/{kind}/{capture}"
                offset = (capture % 1_000_000) * 4096
                rows["capture"].append(
                    (capture, 1, "census", url, "GET", NOW, 200, "text/html", "0" * 64, 4000,
                     "census-1.warc.gz", offset, 4096)
                )  # fmt: skip
                rows["frontier"].append(
                    (capture, 1, url, f"{capture:040d}", kind, 0, 0, "done", capture, NOW)
                )
            rows["item_source"].append((i, capture, 1, fields))

    def _skewed(self, n: int, power: float = 3.0) -> int:
        return _skewed(self.rng, n, power)

    def _kind(self) -> str:
        r = self.rng.random()
        return "video" if r < 0.40 else "photo" if r < 0.95 else "gallery"

    def _item(self, i: int, kind: str) -> tuple[Any, ...]:
        rng = self.rng
        views = int(rng.paretovariate(1.1) * 40) if kind != "gallery" else None
        duration = round(rng.lognormvariate(6.3, 1.0), 1) if kind == "video" else None
        upload = START + dt.timedelta(days=rng.randrange(3600))
        first = 1 + min(RUNS - 1, int(rng.random() ** 4 * RUNS))  # most items found by the first run
        removed = rng.random() < 0.03
        return (
            i, 1, kind, str(i), f"https://example.test/{kind}/{i}", duration, views, 2, upload,
            self._skewed(self.uploaders), first, RUNS, NOW, NOW,
            NOW if removed else None, RUNS if removed else None,
        )  # fmt: skip


def generate(url: str, n: int) -> None:
    engine = create_engine(url)
    style = "%s" if engine.dialect.name == "postgresql" else "?"
    gen = Generator(n)
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        for batch in _batches(gen, n):
            for table, rows in batch.items():
                cur.executemany(_sql(table, style), rows)
            conn.commit()
    finally:
        conn.close()
    if engine.dialect.name == "postgresql":  # the case at rest, as autovacuum leaves it
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def generate_case(root: Path, n: int) -> None:
    """Fill the (new) case at ``root`` with N generated items; print how long that took."""
    case = Case.open(root)
    url = case.database_url
    case.close()
    started = time.perf_counter()
    generate(url, n)
    print(f"generated {n:,} items in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")


def _batches(gen: Generator, n: int) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    yield gen.fixed()
    for start in range(1, n + 1, CHUNK):
        yield gen.chunk(start, min(n + 1, start + CHUNK))


@contextmanager
def fresh_case(db: str | None, keep: Path | None, keep_db: str | None = None) -> Iterator[Path]:
    if keep is not None and db is not None and keep_db:  # PostgreSQL case left in place for profiling
        admin = create_engine(normalize_url(db), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{keep_db}"'))
        admin.dispose()
        Case.init(keep, db=make_url(normalize_url(db)).set(database=keep_db).render_as_string(False)).close()
        yield keep
        return
    if keep is not None:  # SQLite case left in place for profiling
        Case.init(keep).close()
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="unmask-analysis-bench-") as tmp:
        root = Path(tmp) / "case"
        if db is None:
            Case.init(root).close()
            yield root
            return
        name = f"unmask_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(normalize_url(db), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            Case.init(root, db=make_url(normalize_url(db)).set(database=name).render_as_string(False)).close()
            yield root
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def measure(root: Path) -> dict[str, Any]:
    """In this (fresh) process: time run_analysis on the case; peak memory of the process."""
    from unmask.analysis.analyze import run_analysis

    case = Case.open(root)
    started = time.perf_counter()
    result = run_analysis(case)
    seconds = time.perf_counter() - started
    case.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "seconds": round(seconds, 2),
        "peak_mib": round(peak_mib),
        "videos": result["concentration"]["views"]["videos"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--db", help="PostgreSQL server URL (a fresh database is made there); default SQLite")
    ap.add_argument("--keep", type=Path, help="make the (SQLite) case in this new folder and keep it")
    ap.add_argument("--keep-db", help="with --db and --keep: make the case in this new database and keep it")
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--report-only", type=Path, metavar="DIR", help="only time `unmask report` on this case")
    ap.add_argument("--stats", action="store_true", help="build 300k- and 1M-item cases; time stats")
    ap.add_argument("--stats-only", type=Path, metavar="DIR", help="only time `unmask stats` on this case")
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    if args.report_only:
        time_report(args.report_only)
        return
    if args.stats_only:
        time_stats(args.stats_only)
        return
    if args.stats:
        for n, target in STATS_TARGETS.items():
            with fresh_case(args.db, None) as root:
                generate_case(root, n)
                time_stats(root, target)
        return
    if args.keep_db and (args.db is None or args.keep is None):
        ap.error("--keep-db needs --db and --keep")
    with fresh_case(args.db, args.keep, args.keep_db) as root:
        generate_case(root, args.items)
        time_stats(root, STATS_TARGETS.get(args.items))
        for attempt in (1, 2):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(root)], check=True, capture_output=True, text=True
            ).stdout
            figures = json.loads(out)
            print(
                f"run_analysis #{attempt}: {figures['seconds']:.2f} s, "
                f"peak memory {figures['peak_mib']:,} MiB (target ≤ 5 s, ≤ 1,536 MiB)"
            )
        time_report(root)


STATS_TARGETS = {300_000: 1.0, 1_000_000: 3.0}
"""Items → the seconds `unmask stats --json` may take, start-up included (issue 13)."""


def time_stats(root: Path, target: float | None = None, runs: int = 3) -> None:
    """`unmask stats --json` as a user runs it: a process of its own, start-up included. Prints each run's
    wall time, CPU time (user + system of the process; on PostgreSQL the server's work is not in it) and
    peak memory, and the load average, since the machine may be shared. On PostgreSQL the first read of
    a case whose items changed counts them and keeps the tallies; the next reads use what was kept."""
    cmd = [sys.executable, "-m", "unmask", "stats", "--case", str(root), "--json"]
    # as installed: the package's modules compiled once (pip does it at install), whatever
    # PYTHONDONTWRITEBYTECODE says (without bytecode every start compiles ~50 modules: 0.1 s)
    import unmask

    compileall.compile_dir(Path(unmask.__file__).parent, quiet=1)
    walls: list[float] = []
    for attempt in range(1, runs + 1):
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        items = json.loads(out)["items"]
        walls.append(wall)
        print(
            f"unmask stats #{attempt}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak memory ≤ "
            f"{after.ru_maxrss / 1024:,.0f} MiB, {items:,} items present (load average {load:.1f})"
        )
    goal = f" (target ≤ {target:g} s)" if target else ""
    print(f"unmask stats: median {statistics.median(walls):.2f} s wall{goal}")


def time_report(root: Path) -> None:
    """`unmask report` in a fresh process on the same case (it reuses the stored analysis when it fits)."""
    unmask = Path(sys.executable).with_name("unmask")
    with tempfile.TemporaryDirectory(prefix="unmask-report-bench-") as tmp:
        for attempt in (1, 2):
            out = Path(tmp) / f"report-{attempt}.html"
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            started = time.perf_counter()
            subprocess.run(
                [str(unmask), "report", "--case", str(root), "-o", str(out)], check=True, capture_output=True
            )
            seconds = time.perf_counter() - started
            peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
            print(
                f"unmask report #{attempt}: {seconds:.2f} s, peak memory ≤ {peak:,.0f} MiB, "
                f"{out.stat().st_size / 1e6:.1f} MB (target ≤ 15 s)"
            )


if __name__ == "__main__":
    main()
