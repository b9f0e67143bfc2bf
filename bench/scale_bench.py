"""Scale benchmark: the census of the demo platform by one process and by 1, 2, 4 … workers (docs/scale.md).

    .venv/bin/python bench/scale_bench.py --db postgresql://…/postgres [--scale 0.1] [--latency-ms 20]
        [--workers 1,2,4] [--concurrency 16] [--sites 1]

Each round gets a new database on the given PostgreSQL server (dropped afterwards), a new case on it, a
redis-server of its own (a Unix socket, nothing on disk), and ``--sites`` demo platforms, each in its own
process on a loopback address of its own (127.0.0.1, .2, …: a host each, as separate platforms are, so each
has its own politeness slots), answering after ``--latency-ms``. With one site the round is `unmask census
crawl URL --delay 0 --concurrency C` (the single process, ``workers`` 0 in the table) or with ``--workers N
--redis``; with several sites, one coordinator per site runs at once, each with N workers (many platforms
over one Redis and one PostgreSQL). Printed per round: wall time (all crawls), pages per second in all and
per worker, CPU seconds of the crawlers (coordinators and workers), of the workers alone (from the ``worker
figures:`` line each worker's log ends with), of Redis and of the PostgreSQL backends serving the round's
databases (read from /proc while the round runs), the workers' idle time, the time their requests waited for
the host's slots, the transactions tried again after meeting another worker's, the time PostgreSQL backends
waited on locks (sampled every 50 ms), the share of the run when only one worker got responses, Redis
commands, PostgreSQL transactions and rows written, the load average, and whether every census was complete
and exact.

``--trace`` times each listing row's step in every worker (``UNMASK_TRACE_DIR``): the medians of queued →
claimed → sent → answered → storing → stored, and from a chain page's response to its next page's request
(docs/scale.md, "The serial path").

``--repeat R`` runs the list of worker counts R times, interleaved (1, 2, 1, 2 …), so that the other load
on a shared machine falls on both alike; the last lines give each worker count's median wall time and the
speed-up over one worker (the ratio the issue's promise is about: ``speed-up 2 workers / 1 worker``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
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


class PostgresWatch(threading.Thread):
    """Samples, every 50 ms, the PostgreSQL backends serving ``dbs``: their CPU seconds (from /proc: the
    server runs on this machine) and how many wait on a lock."""

    INTERVAL = 0.05

    def __init__(self, admin_url: str, dbs: Sequence[str]) -> None:
        super().__init__(daemon=True)
        self.admin_url, self.names = admin_url, [make_url(db).database for db in dbs]
        self.cpu: dict[int, float] = {}
        self.lock_samples = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        engine = create_engine(make_url(self.admin_url).set(drivername="postgresql+psycopg"))
        tick = os.sysconf("SC_CLK_TCK")
        query = text(
            "SELECT pid, wait_event_type FROM pg_stat_activity WHERE datname = ANY(:d) "
            "AND pid <> pg_backend_pid()"
        )
        with engine.connect() as conn:
            while not self.stopped.is_set():
                for pid, wait in conn.execute(query, {"d": self.names}).all():
                    self.lock_samples += wait == "Lock"
                    try:
                        with open(f"/proc/{pid}/stat") as stat:
                            fields = stat.read().rsplit(")", 1)[1].split()
                        self.cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
                    except (OSError, IndexError, ValueError):
                        pass
                conn.commit()
                time.sleep(self.INTERVAL)
        engine.dispose()

    def stop(self) -> tuple[float, float]:
        """(CPU seconds of the backends, seconds backends waited on locks, summed over backends)."""
        self.stopped.set()
        self.join(10)
        return round(sum(self.cpu.values()), 2), round(self.lock_samples * self.INTERVAL, 2)


def worker_figures(case: Path) -> list[dict[str, Any]]:
    """The ``worker figures:`` line each worker's crawl log ends with."""
    found = []
    for path in sorted((case / "logs").glob("crawl-run-*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if "worker figures: " in line:
                found.append(json.loads(line.split("worker figures: ", 1)[1]))
    return found


def one_worker_share(figures: Sequence[dict[str, Any]]) -> float | None:
    """The share of the run's half seconds (between its first and last response) when only one worker got
    responses; None with fewer than two workers."""
    if len(figures) < 2:
        return None
    active: list[set[int]] = []
    for fig in figures:
        start, bucket = fig["started"], fig["bucket"]
        active.append({int((start + int(k) * bucket) / bucket) for k in fig["responses"]})
    busy = set().union(*active)
    if not busy:
        return None
    alone = sum(1 for b in busy if sum(b in a for a in active) == 1)
    return round(alone / (max(busy) - min(busy) + 1), 3)


STEPS = ("queued", "claimed", "sent", "answered", "storing", "stored")
"""A listing row's steps as the workers trace them (``StepTrace``), in order."""


def chain_steps(folder: Path) -> dict[str, Any]:
    """Median milliseconds of each part of a listing row's step, from the workers' traces in ``folder``;
    ``answer_to_next_sent``: from a page's response to its chain's next request, and ``same_worker``: the
    share of those two read by one worker."""
    seen: dict[str, dict[str, tuple[float, str]]] = {}
    parents: dict[str, str] = {}
    for path in folder.glob("*.trace"):
        stored: list[str] = []
        for line in path.read_text().splitlines():
            when, event, *ids = line.split()
            for row in ids:
                seen.setdefault(row, {}).setdefault(event, (float(when), path.stem))
            if event == "stored":
                stored = ids
            elif event == "queued":
                parents.update({row: stored[0] for row in ids if stored})
    spans: dict[str, list[float]] = {f"{a}_to_{b}": [] for a, b in itertools.pairwise(STEPS)}
    spans["answer_to_next_sent"] = []
    same = 0
    for row, times in seen.items():
        for a, b in itertools.pairwise(STEPS):
            if a in times and b in times:
                spans[f"{a}_to_{b}"].append(times[b][0] - times[a][0])
        parent = seen.get(parents.get(row, ""), {})
        if "answered" in parent and "sent" in times:
            spans["answer_to_next_sent"].append(times["sent"][0] - parent["answered"][0])
            same += parent["answered"][1] == times.get("answered", ("", ""))[1]
    out: dict[str, Any] = {k: round(1000 * statistics.median(v), 1) for k, v in spans.items() if v}
    out["same_worker"] = round(same / max(len(spans["answer_to_next_sent"]), 1), 2)
    return out


def process_cpu(pid: int) -> float:
    """CPU seconds a process (here: a demo site) has used so far, from /proc."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_counters(url: str) -> tuple[int, float]:
    client = redis.Redis.from_url(url)
    stats, cpu = client.info("stats"), client.info("cpu")
    return int(stats["total_commands_processed"]), float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])


def one_round(args: argparse.Namespace, workers: int) -> dict[str, Any]:
    platform = DemoPlatform(seed=args.seed, scale=args.scale)
    with ExitStack() as stack:
        redis_url = stack.enter_context(private_redis())
        servers = []
        for i in range(args.sites):
            # each site on its own loopback address: a host of its own, with its own politeness slots
            host = f"127.0.0.{i + 1}"
            server = stack.enter_context(
                spawn(seed=args.seed, scale=args.scale, latency_ms=args.latency_ms, host=host)
            )
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
        site_cpu = sum(process_cpu(server.process.pid) for server in servers)
        watch = PostgresWatch(args.db, [db for _case, db in cases])
        watch.start()
        rusage = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        env = dict(os.environ)
        traces = Path(stack.enter_context(_tempdir()))
        if args.trace:
            env["UNMASK_TRACE_DIR"] = str(traces)
        procs = []
        for server, (case, _db) in zip(servers, cases, strict=True):
            cmd = [*UNMASK, "census", "crawl", server.url + "/", "--case", str(case), "--adapter", "demo"]
            cmd += ["--delay", "0", "--concurrency", str(args.concurrency), "--json"]
            if workers:
                cmd += ["--workers", str(workers), "--redis", redis_url]
            procs.append(
                subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
            )
        outs = [p.communicate() for p in procs]
        wall = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        crawler_cpu = (after.ru_utime - rusage.ru_utime) + (after.ru_stime - rusage.ru_stime)
        pg_cpu, pg_lock_wait = watch.stop()
        site_cpu = sum(process_cpu(server.process.pid) for server in servers) - site_cpu
        after_redis = redis_counters(redis_url)
        after_pg = [pg_counters(args.db, db) for _case, db in cases]
        exact = True
        pages = 0
        figures: list[dict[str, Any]] = []
        shares: list[float | None] = []
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
            figures += worker_figures(case)
            shares.append(one_worker_share(worker_figures(case)))
        steps = chain_steps(traces) if args.trace and workers else None
    per = max(workers, 1) * args.sites
    return {
        "workers": workers,
        "sites": args.sites,
        "wall_s": round(wall, 2),
        "requests": pages,
        "pages_per_s": round(pages / wall, 1),
        "pages_per_s_per_worker": round(pages / wall / per, 1),
        "crawler_cpu_s": round(crawler_cpu, 1),
        "workers_cpu_s": round(sum(f["cpu_seconds"] for f in figures), 1),
        "worker_cpu_ms_per_page": round(1000 * sum(f["cpu_seconds"] for f in figures) / max(pages, 1), 1),
        "workers_idle_s": round(sum(f["idle_seconds"] for f in figures), 1),
        "slot_wait_s": round(sum(f["slot_wait_seconds"] for f in figures), 1),
        "transaction_retries": sum(f["transaction_retries"] for f in figures),
        "one_worker_share": (
            round(statistics.mean(x for x in shares if x is not None), 3)
            if any(x is not None for x in shares)
            else None
        ),
        "redis_cpu_s": round(after_redis[1] - before_redis[1], 2),
        "pg_backend_cpu_s": pg_cpu,
        "site_cpu_s": round(site_cpu, 2),
        "pg_lock_wait_s": pg_lock_wait,
        "redis_commands": after_redis[0] - before_redis[0],
        "pg_commits": sum(a[0] - b[0] for a, b in zip(after_pg, before_pg, strict=True)),
        "pg_rows_written": sum(a[1] - b[1] for a, b in zip(after_pg, before_pg, strict=True)),
        "complete_and_exact": exact,
        "load_1min": round(os.getloadavg()[0], 2),
        **({"chain_steps_ms": steps} if steps else {}),
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
    parser.add_argument("--repeat", type=int, default=1, help="rounds per worker count, interleaved")
    parser.add_argument("--trace", action="store_true", help="time the listing rows' steps in the workers")
    args = parser.parse_args()
    if not args.db:
        raise SystemExit("--db postgresql://… (or UNMASK_TEST_PG_URL) is needed")
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    counts = [int(x) for x in args.workers.split(",")]
    walls: dict[int, list[float]] = {n: [] for n in counts}
    for _ in range(args.repeat):
        for n in counts:
            result = one_round(args, n)
            walls[n].append(result["wall_s"])
            print(json.dumps(result), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}", flush=True)
    for line in speedups(walls):
        print(line, flush=True)


def speedups(walls: dict[int, list[float]]) -> list[str]:
    """Each worker count's median wall time, and its speed-up over one worker (wall of 1 / wall of N)."""
    lines = [
        f"median wall, {n} workers: {statistics.median(w):.2f} s ({len(w)} rounds)" for n, w in walls.items()
    ]
    if 1 in walls:
        one = statistics.median(walls[1])
        for n, w in walls.items():
            if n > 1:
                lines.append(f"speed-up {n} workers / 1 worker: {one / statistics.median(w):.2f}")
    return lines


if __name__ == "__main__":
    main()
