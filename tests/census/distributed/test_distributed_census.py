"""The census over several workers (Redis queue, PostgreSQL store) gives exactly the single-process census,
and a worker killed or a Redis restarted mid-run loses nothing and counts nothing twice."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from warcio.archiveiterator import ArchiveIterator

from tests.census.conftest import UNMASK, crawl, stats, unmask
from tests.census.test_crawl_demo import FIGURE_KEYS, assert_figures
from tests.helpers.ports import refused_port
from tests.helpers.redis_server import RedisServer
from unmask.core.case import Case
from unmask.core.store.models import Capture, Frontier, Item, ItemObservation
from unmask.demo.platform import DemoPlatform
from unmask.demo.server import SpawnedServer

SEED, SCALE = 11, 0.01


def distributed(case: Path, url: str, redis: RedisServer, *extra: str) -> list[str]:
    return [
        *UNMASK, "census", "crawl", url, "--case", str(case), "--adapter", "demo", "--delay", "0",
        "--concurrency", "4", "--workers", "2", "--redis", redis.url, "--json", *extra,
    ]  # fmt: skip


def store_view(path: Path) -> dict[str, Any]:
    """What the store holds of the census: item keys (every one), frontier rows, observations, captures."""
    case = Case.open(path)
    try:
        with case.store.session() as s:
            items = [tuple(r) for r in s.execute(select(Item.kind, Item.platform_item_id))]
            frontier = [tuple(r) for r in s.execute(select(Frontier.url, Frontier.status))]
            observations = s.scalar(select(func.count()).select_from(ItemObservation))
            captures = [
                tuple(r) for r in s.execute(select(Capture.url, Capture.warc_file, Capture.warc_offset))
            ]
        return {"items": items, "frontier": frontier, "observations": observations, "captures": captures}
    finally:
        case.close()


def warc_target(path: Path, offset: int) -> str | None:
    with open(path, "rb") as f:
        f.seek(offset)
        for record in ArchiveIterator(f):
            return record.rec_headers.get_header("WARC-Target-URI")
    return None


@pytest.mark.slow
def test_two_workers_give_exactly_the_single_process_census(
    new_case: Path, pg_case: Path, redis: RedisServer, demo_server: SpawnedServer
) -> None:
    url = demo_server.url + "/"
    single = crawl(new_case, url, "--adapter", "demo")
    proc = subprocess.run(distributed(pg_case, url, redis), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    split = json.loads(proc.stdout)
    assert split["complete"] and split["status"] == "complete"
    for key in ("new_items", "items_present", "removed", "failed", "refused", "gone"):
        assert split[key] == single[key], key
    one, two = stats(new_case), stats(pg_case)
    for key in (*FIGURE_KEYS, "hours", "complete"):
        assert two[key] == one[key], key
    assert_figures(two, DemoPlatform(seed=SEED, scale=SCALE))

    a, b = store_view(new_case), store_view(pg_case)
    assert sorted(b["items"]) == sorted(a["items"]) and len(set(b["items"])) == len(b["items"])
    assert sorted(b["frontier"]) == sorted(a["frontier"])  # each page decided and answered once, alike
    assert b["observations"] == a["observations"]
    # each page fetched once, robots.txt too (Scrapy's own check of it is shared by the workers)
    assert sorted(url for url, _file, _offset in b["captures"]) == sorted(
        url for url, _file, _offset in a["captures"]
    )

    # evidence: one WARC file per worker, and each capture row says where its record is
    warcs = sorted((pg_case / "evidence" / "warc").glob("*.warc.gz"))
    assert len(warcs) == 2 and all("-w1-" in p.name or "-w2-" in p.name for p in warcs)
    for capture_url, warc_file, offset in b["captures"]:
        assert warc_file and offset is not None
        path = pg_case / "evidence" / "warc" / Path(warc_file).name
        assert warc_target(path, offset) == capture_url


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _workers(coordinator: int) -> list[int]:
    """The coordinator's `census worker` processes (not its private redis-server)."""
    out = []
    for child in _children(coordinator):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"worker" in f.read().split(b"\0"):
                    out.append(child)
        except OSError:
            continue
    return out


def _done_rows(path: Path) -> int:
    case = Case.open(path)
    try:
        with case.store.session() as s:
            return int(s.scalar(select(func.count()).where(Frontier.status != "pending")) or 0)
    finally:
        case.close()


def _started(args: list[str], case: Path, after: int, **popen: Any) -> subprocess.Popen[str]:
    """The command started, once ``after`` of its frontier rows are answered."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)
    deadline = time.monotonic() + 120
    while _done_rows(case) < after:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the census did not get going: {proc.communicate()[1][-2000:]}")
        time.sleep(0.05)
    return proc


def _run_with_fault(
    case: Path, server: SpawnedServer, redis: RedisServer, after: int, fault: Any, *extra: str
) -> dict[str, Any]:
    """Run a two-worker census (``extra``: more options); once ``after`` frontier rows are answered,
    ``fault(coordinator pid)``."""
    proc = _started(distributed(case, server.url + "/", redis, *extra), case, after)
    try:
        fault(proc.pid)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-3000:]
    result: dict[str, Any] = json.loads(out)
    return result


def _assert_exact(case: Path, summary: dict[str, Any]) -> None:
    platform = DemoPlatform(seed=SEED, scale=SCALE)
    assert summary["status"] == "complete", summary["incomplete_reasons"]
    figures = stats(case)
    assert figures["complete"] is True
    assert_figures(figures, platform)
    view = store_view(case)
    assert len(set(view["items"])) == len(view["items"]) == summary["items_present"]
    assert summary["new_items"] == summary["items_present"]
    assert all(status != "pending" for _url, status in view["frontier"])


@pytest.mark.slow
def test_a_worker_killed_mid_run_loses_nothing_and_counts_nothing_twice(
    pg_case: Path, redis: RedisServer, slow_demo: SpawnedServer, seeded: random.Random
) -> None:
    killed: list[int] = []

    def kill_one(coordinator: int) -> None:
        workers = _workers(coordinator)
        assert workers, "no worker process found"
        victim = seeded.choice(workers)
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    summary = _run_with_fault(pg_case, slow_demo, redis, seeded.randint(5, 40), kill_one)
    assert killed
    _assert_exact(pg_case, summary)


@pytest.mark.slow
def test_a_redis_restart_mid_run_loses_nothing_and_counts_nothing_twice(
    pg_case: Path, redis: RedisServer, slow_demo: SpawnedServer, seeded: random.Random
) -> None:
    summary = _run_with_fault(
        pg_case, slow_demo, redis, seeded.randint(5, 40), lambda _pid: redis.restart(down_for=1.0)
    )
    _assert_exact(pg_case, summary)


@pytest.mark.slow
def test_an_unreachable_start_page_fails_the_distributed_command_too(
    pg_case: Path, redis: RedisServer
) -> None:
    with refused_port() as port:
        url = f"http://127.0.0.1:{port}/"
        proc = unmask(*distributed(pg_case, url, redis)[3:], check=False)
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and url in lines[0], proc.stderr
    assert "removed" not in proc.stderr


def test_workers_write_gzip_warc_files_named_after_them(tmp_path: Path) -> None:
    from unmask.core.fetch.recorder import EvidenceRecorder

    case = Case.init(tmp_path / "case")
    try:
        recorder = EvidenceRecorder(case.warc_dir, case.store, writer_name="host-1-w2")
        recorder._ensure_file()
        recorder.close()
    finally:
        case.close()
    (path,) = (tmp_path / "case" / "evidence" / "warc").glob("*.warc.gz")
    assert "-host-1-w2-" in path.name
    with gzip.open(path) as f:
        assert f.read(8) == b"WARC/1.1"


@pytest.mark.slow
def test_a_killed_coordinator_stops_its_workers_and_the_same_command_resumes_exactly(
    pg_case: Path, redis: RedisServer, slow_demo: SpawnedServer, seeded: random.Random
) -> None:
    args = distributed(pg_case, slow_demo.url + "/", redis)
    proc = _started(args, pg_case, seeded.randint(5, 40))
    try:
        workers = _workers(proc.pid)
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 60  # twice the workers' lease, and their graceful stop
    while any(os.path.exists(f"/proc/{pid}") for pid in workers):
        assert time.monotonic() < deadline, "the workers of a killed coordinator kept running"
        time.sleep(0.2)
    again = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)
    assert summary["resumed"] is True
    _assert_exact(pg_case, summary)


@pytest.mark.slow
def test_ctrl_c_stops_every_worker_the_run_resumes_exactly_and_a_recrawl_removes_nothing(
    pg_case: Path, redis: RedisServer, slow_demo: SpawnedServer, seeded: random.Random
) -> None:
    args = distributed(pg_case, slow_demo.url + "/", redis)
    # as a terminal's Ctrl-C: SIGINT to the command's whole process group (coordinator and workers)
    proc = _started(args, pg_case, seeded.randint(5, 40), start_new_session=True)
    try:
        workers = _workers(proc.pid)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # a guard against a hang, not a speed target
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err[-3000:]  # interrupted, as any command, after its summary
    assert json.loads(out)["status"] == "interrupted"
    assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)

    resumed = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    summary = json.loads(resumed.stdout)
    assert summary["resumed"] is True and summary["session"] == 2
    _assert_exact(pg_case, summary)
    first = stats(pg_case)

    again = subprocess.run(args, capture_output=True, text=True, timeout=300)  # a re-crawl: a new run
    assert again.returncode == 0, again.stderr[-2000:]
    recrawl = json.loads(again.stdout)
    assert recrawl["resumed"] is False and recrawl["status"] == "complete" and recrawl["removed"] == 0
    second = stats(pg_case)
    for key in (*FIGURE_KEYS, "complete"):
        assert second[key] == first[key], key
