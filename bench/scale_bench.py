"""Scale benchmark: the census of the demo platform by one process and by 1, 2, 4 … workers (docs/scale.md).

    .venv/bin/python bench/scale_bench.py --db postgresql://…/postgres [--scale 0.1] [--latency-ms 20]
        [--workers 1,2,4] [--concurrency 16] [--sites 1]

Each round gets a new database on the given PostgreSQL server (dropped afterwards), a new case on it, a
redis-server of its own (a Unix socket, nothing on disk), and ``--sites`` demo platforms, each in its own
process on loopback, answering after ``--latency-ms``. With one site the round is `unmask census crawl URL
--delay 0 --concurrency C` (the single process, ``workers`` 0 in the table) or with ``--workers N --redis``;
with several sites, one coordinator per site runs at once, each with N workers (many platforms over one
Redis and one PostgreSQL). Printed per round: wall time (all crawls), pages per second in all and per
worker, CPU seconds of the crawlers (coordinators and workers) and of Redis, Redis commands, PostgreSQL
transactions and rows written, the load average, and whether every census was complete and exact.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from unmask.census.distributed.coordinator import private_redis
from unmask.demo.platform import DemoPlatform
from unmask.demo.server import spawn

UNMASK = [sys.executable, "-m", "unmask"]
FIGURES = ("videos", "photos", "galleries", "views", "uploaders")


@contextmanager
def database(admin_url: str) -> Iterator[str]:
    name = f"unmask_scale_{uuid.uuid4().hex[:10]}"
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def pg_counters(admin_url: str, db: str) -> tuple[int, int]:
    """(transactions committed in ``db``, rows it inserted, updated or deleted) so far. (The server's CPU
    is not measured: the PostgreSQL test server is shared with other work on this machine.)"""
    engine = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT xact_commit, tup_inserted + tup_updated + tup_deleted FROM pg_stat_database "
                "WHERE datname = :d"
            ),
            {"d": make_url(db).database},
        ).one()
    engine.dispose()
    return int(row[0] or 0), int(row[1] or 0)


def redis_counters(url: str) -> tuple[int, float]:
    client = redis.Redis.from_url(url)
    stats, cpu = client.info("stats"), client.info("cpu")
    return int(stats["total_commands_processed"]), float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


def one_round(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    platform = DemoPlatform(seed=args.seed, scale=args.scale)
    with ExitStack() as stack:
        redis_url = stack.enter_context(private_redis())
        servers = []
        for _ in range(args.sites):
            server = stack.enter_context(spawn(seed=args.seed, scale=args.scale, latency_ms=args.latency_ms))
            server.wait_ready()
            servers.append(server)
        cases = []
        for i in range(args.sites):
            db = stack.enter_context(database(args.db))
            case = Path(stack.enter_context(_tempdir())) / f"case{i}"
            subprocess.run([*UNMASK, "init", str(case), "--db", db], check=True, capture_output=True)
            cases.append((case, db))
        before_pg = [pg_counters(args.db, db) for _case, db in cases]
        before_redis = redis_counters(redis_url)
        rusage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        procs = []
        for server, (case, _db) in zip(servers, cases, strict=True):
            cmd = [*UNMASK, "census", "crawl", server.url + "/", "--case", str(case), "--adapter", "demo"]
            cmd += ["--delay", "0", "--concurrency", str(args.concurrency), "--json"]
            if workers:
                cmd += ["--workers", str(workers), "--redis", redis_url]
            procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outs = [p.communicate() for p in procs]
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        crawler_cpu = (after.ru_utime - rusage.ru_utime) + (after.ru_stime - rusage.ru_stime)
        after_redis = redis_counters(redis_url)
        after_pg = [pg_counters(args.db, db) for _case, db in cases]
        exact = True
        pages = 0
        for (out, err), proc, (case, _db) in zip(outs, procs, cases, strict=True):
            if proc.returncode != 0:
                raise SystemExit(f"crawl failed: {err[-2000:]}")
            summary = json.loads(out)
            pages += summary["requests"]
            got = json.loads(
                subprocess.run(
                    [*UNMASK, "stats", "--case", str(case), "--json"],
                    check=True,
                    capture_output=True,
                    text=True,
                ).stdout
            )
            expected = platform.expected_figures()
            exact &= summary["complete"] and all(got[k] == expected[k] for k in FIGURES)
    per = max(workers, 1) * args.sites
    return {
        "workers": workers,
        "sites": args.sites,
        "wall_s": round(wall, 2),
        "requests": pages,
        "pages_per_s": round(pages / wall, 1),
        "pages_per_s_per_worker": round(pages / wall / per, 1),
        "crawler_cpu_s": round(crawler_cpu, 1),
        "redis_cpu_s": round(after_redis[1] - before_redis[1], 2),
        "redis_commands": after_redis[0] - before_redis[0],
        "pg_commits": sum(a[0] - b[0] for a, b in zip(after_pg, before_pg, strict=True)),
        "pg_rows_written": sum(a[1] - b[1] for a, b in zip(after_pg, before_pg, strict=True)),
        "complete_and_exact": exact,
        "load_1min": round(os.getloadavg()[0], 2),
    }


@contextmanager
def _tempdir() -> Iterator[str]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="unmask-scale-") as folder:
        yield folder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", default=os.environ.get("UNMASK_TEST_PG_URL"), help="PostgreSQL admin URL")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", default="0,1,2,4", help="0: the single process (no Redis)")
    parser.add_argument("--sites", type=int, default=1)
    args = parser.parse_args()
    if not args.db:
        raise SystemExit("--db postgresql://… (or UNMASK_TEST_PG_URL) is needed")
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    for n in (int(x) for x in args.workers.split(",")):
        print(json.dumps(one_round(args, n)), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)


if __name__ == "__main__":
    main()
