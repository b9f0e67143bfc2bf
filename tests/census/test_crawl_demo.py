"""End to end on the bundled demo platform: exact figures, minimal requests, no media, resume, re-crawl."""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.census.conftest import UNMASK, crawl, stats
from unmask.demo.platform import DemoPlatform
from unmask.demo.server import SpawnedServer, spawn

FIGURE_KEYS = (
    "videos",
    "photos",
    "galleries",
    "views",
    "uploaders",
    "targets",
    "first_upload",
    "last_upload",
)


def server_stats(server: SpawnedServer) -> dict[str, Any]:
    with urllib.request.urlopen(server.url + "/__stats") as resp:
        data: dict[str, Any] = json.load(resp)
        return data


def assert_figures(got: dict[str, Any], platform: DemoPlatform) -> None:
    expected = platform.expected_figures()
    for key in FIGURE_KEYS:
        assert got[key] == expected[key], key
    assert got["hours"] == pytest.approx(expected["hours"], abs=0.01)


@pytest.mark.slow
def test_demo_census_is_exact_minimal_and_media_free(new_case: Path, demo_server: SpawnedServer) -> None:
    platform = DemoPlatform(seed=11, scale=0.01)
    summary = crawl(new_case, demo_server.url + "/", "--adapter", "demo")
    assert summary["status"] == "complete"
    figures = stats(new_case)
    assert_figures(figures, platform)
    assert figures["requests"] <= 1.1 * platform.minimum_requests() + 1  # +1: Scrapy's own robots.txt check
    served = server_stats(demo_server)
    assert served.get("media", 0) == 0
    assert served.get("disallowed", 0) == 0  # robots.txt is obeyed
    assert sum(figures["monthly"][i]["videos"] for i in range(len(figures["monthly"]))) == figures["videos"]
    assert figures["top_targets"] and all(t["name"] for t in figures["top_targets"])


@pytest.mark.slow
def test_generic_crawler_on_a_standards_based_site(new_case: Path) -> None:
    platform = DemoPlatform(seed=5, scale=0.005)
    with spawn(seed=5, scale=0.005, flavour="schema") as server:
        server.wait_ready()
        summary = crawl(new_case, server.url + "/")
        served = server_stats(server)
    assert summary["status"] == "complete"
    assert_figures(stats(new_case), platform)
    assert served.get("media", 0) == 0


@pytest.mark.slow
def test_kill_9_then_rerun_gives_the_complete_census(new_case: Path, seeded: random.Random) -> None:
    platform = DemoPlatform(seed=3, scale=0.02)
    with spawn(seed=3, scale=0.02, latency_ms=5) as server:
        server.wait_ready()
        args = [*UNMASK, "census", "crawl", server.url + "/", "--case", str(new_case), "--adapter", "demo",
                "--delay", "0", "--concurrency", "4", "--quiet"]  # fmt: skip
        for _ in range(2):
            # the kill point: after a random number of answered requests (not a time), seeded
            kill_at = server_stats(server)["total"] + seeded.randint(5, 60)
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while proc.poll() is None and server_stats(server)["total"] < kill_at:
                time.sleep(0.01)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
        summary = crawl(new_case, server.url + "/", "--adapter", "demo")
    assert summary["status"] == "complete"
    assert summary["resumed"] is True or summary["session"] == 1
    assert_figures(stats(new_case), platform)


@pytest.mark.slow
def test_recrawl_counts_new_items_and_marks_removed(new_case: Path) -> None:
    early, late = dt.date(2024, 6, 1), dt.date(2024, 12, 15)
    with spawn(seed=9, scale=0.01, as_of=early) as server:
        server.wait_ready()
        first_url = server.url
        first = crawl(new_case, server.url + "/", "--adapter", "demo")
    assert first["status"] == "complete"
    assert_figures(stats(new_case), DemoPlatform(seed=9, scale=0.01, as_of=early))
    port = int(first_url.rsplit(":", 1)[1])
    with spawn(seed=9, scale=0.01, as_of=late, port=port) as server:  # same address: same platform
        server.wait_ready()
        second = crawl(new_case, server.url + "/", "--adapter", "demo")
    assert second["status"] == "complete" and second["run"] == first["run"] + 1
    assert second["requests"] < first["requests"]  # the newest-first listings stopped at known items
    figures = stats(new_case)
    assert_figures(figures, DemoPlatform(seed=9, scale=0.01, as_of=late))
    assert figures["removed"] > 0
    assert figures["runs"][-1]["incremental"] is True


@pytest.mark.slow
def test_census_on_a_postgresql_store(tmp_path: Path, pg_database: str, demo_server: SpawnedServer) -> None:
    from tests.helpers.cli import unmask

    case = tmp_path / "pg-case"
    unmask("init", str(case), "--db", pg_database)
    summary = crawl(case, demo_server.url + "/", "--adapter", "demo")
    assert summary["status"] == "complete"
    assert_figures(stats(case), DemoPlatform(seed=11, scale=0.01))
    assert not (case / "unmask.db").exists()
