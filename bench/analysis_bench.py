"""Analysis benchmark: `run_analysis` on a case of N synthetic items.

    .venv/bin/python bench/analysis_bench.py [--items 1000000] [--db postgresql://…] [--keep DIR]

Generates a fresh case (SQLite by default; with --db, a new database on that PostgreSQL server, dropped
afterwards) holding N items — about 40 % videos, 55 % photos, 5 % galleries, 3 % removed, three crawl
runs, skewed views, uploaders, depicted persons and tags — written directly with executemany bulk inserts.
Then times `run_analysis` in a fresh process and prints its seconds and peak memory (max RSS).
Targets: ≤ 5 s and ≤ 1.5 GB for 1,000,000 items on 2 cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
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
}
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
        rows: dict[str, list[tuple[Any, ...]]] = {"item": [], "item_person": [], "item_label": []}
        for i in range(start, stop):
            kind = self._kind()
            rows["item"].append(self._item(i, kind))
            if kind != "gallery":
                people = {self._skewed(self.persons) for _ in range(self.rng.choice((0, 1, 1, 1, 2)))}
                rows["item_person"].extend((i, p) for p in people)
            tags = {TAGS[self._skewed(len(TAGS), 2.0) - 1] for _ in range(self.rng.randrange(6))}
            rows["item_label"].extend((i, "tag", tag) for tag in tags)
        return rows

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


def _batches(gen: Generator, n: int) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    yield gen.fixed()
    for start in range(1, n + 1, CHUNK):
        yield gen.chunk(start, min(n + 1, start + CHUNK))


@contextmanager
def fresh_case(db: str | None, keep: Path | None) -> Iterator[Path]:
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
    ap.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with fresh_case(args.db, args.keep) as root:
        case = Case.open(root)
        url = case.database_url
        case.close()
        started = time.perf_counter()
        generate(url, args.items)
        print(
            f"generated {args.items:,} items in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})"
        )
        for attempt in (1, 2):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", str(root)], check=True, capture_output=True, text=True
            ).stdout
            figures = json.loads(out)
            print(
                f"run_analysis #{attempt}: {figures['seconds']:.2f} s, "
                f"peak memory {figures['peak_mib']:,} MiB (target ≤ 5 s, ≤ 1,536 MiB)"
            )


if __name__ == "__main__":
    main()
