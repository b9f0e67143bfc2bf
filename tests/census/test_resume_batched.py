"""Pages are stored several to a transaction: a crawl killed at any moment still resumes exactly, and
what was stored is not fetched again."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.census.conftest import UNMASK, crawl, stats, unmask_json
from tests.census.test_crawl_demo import assert_figures
from unmask.demo.platform import DemoPlatform
from unmask.demo.server import spawn

DONE = "SELECT url FROM frontier WHERE status = 'done'"


STORED = "SELECT url FROM frontier WHERE status = 'done' AND kind != 'robots'"
"""Pages stored before the kill (robots.txt aside: Scrapy reads it again in every session, to obey it)."""


def _rows(case: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(case / "unmask.db", timeout=30) as db:
        return db.execute(sql).fetchall()


@pytest.mark.slow
def test_kill_9_in_full_flight_refetches_only_pages_not_stored(new_case: Path) -> None:
    platform = DemoPlatform(seed=4, scale=0.02)
    with spawn(seed=4, scale=0.02, latency_ms=5) as server:
        server.wait_ready()
        args = [*UNMASK, "census", "crawl", server.url + "/", "--case", str(new_case), "--adapter", "demo",
                "--delay", "0", "--concurrency", "8", "--quiet"]  # fmt: skip
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        began = time.monotonic()
        while proc.poll() is None and len(_rows(new_case, STORED)) < 40 and time.monotonic() - began < 120:
            time.sleep(0.2)
        assert proc.poll() is None, "the crawl ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stored = {str(url) for (url,) in _rows(new_case, STORED)}
        fetched_before = Counter(str(url) for (url,) in _rows(new_case, "SELECT url FROM capture"))
        summary = crawl(new_case, server.url + "/", "--adapter", "demo")
    assert summary["status"] == "complete" and summary["resumed"] is True
    assert_figures(stats(new_case), platform)
    fetched_after = Counter(str(url) for (url,) in _rows(new_case, "SELECT url FROM capture"))
    assert stored and not {url for url in stored if fetched_after[url] > fetched_before[url]}
    # every capture row points at a whole WARC record, also those written just before the kill
    assert unmask_json("evidence", "verify", "--case", str(new_case))["ok"] is True
