"""`census crawl --sites FILE`: many platforms into one case. Over shared workers every site gets exactly the
census it gets alone and keeps its own politeness; one after the other, each site's verdict is reported and
a site that cannot be reached is a failure of the command; a bad line is refused before anything starts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.census.conftest import UNMASK, crawl, stats, unmask, unmask_json
from tests.census.distributed.test_distributed_census import _started, _workers
from tests.census.distributed.test_politeness import DELAY, WINDOW, logged_demo
from tests.census.test_crawl_demo import FIGURE_KEYS, assert_figures
from tests.helpers.ports import kernel_port, refused_port
from tests.helpers.redis_server import RedisServer
from unmask.core.case import Case
from unmask.core.store.models import CrawlRun
from unmask.demo.platform import DemoPlatform
from unmask.demo.server import spawn

SCALE = 0.005
SEEDS = (11, 23)


def sites_file(folder: Path, lines: list[str]) -> Path:
    path = folder / "sites.txt"
    path.write_text("# platforms of this case\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def sites_crawl(
    case: Path, sites: Path, *extra: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    args = [*UNMASK, "census", "crawl", "--sites", str(sites), "--case", str(case), "--delay", "0", "--json"]
    return subprocess.run([*args, *extra], capture_output=True, text=True, timeout=timeout)


def platform_stats(case: Path, url: str) -> dict[str, Any]:
    return unmask_json("stats", "--case", str(case), "--platform", url.rstrip("/"))


@pytest.mark.slow
def test_two_platforms_over_two_workers_give_exactly_the_census_each_gives_alone(
    tmp_path: Path, pg_case: Path, redis: RedisServer
) -> None:
    with spawn(seed=SEEDS[0], scale=SCALE) as one, spawn(seed=SEEDS[1], scale=SCALE, latency_ms=5) as two:
        one.wait_ready()
        two.wait_ready()
        urls = [one.url + "/", two.url + "/"]
        alone = []
        for i, url in enumerate(urls):
            case = tmp_path / f"alone{i}"
            unmask("init", str(case))
            alone.append((crawl(case, url, "--adapter", "demo"), stats(case)))
        listed = sites_file(tmp_path, [f"{urls[0]} adapter=demo", f"{urls[1]} adapter=demo concurrency=2"])
        proc = sites_crawl(pg_case, listed, "--workers", "2", "--concurrency", "4", "--redis", redis.url)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["status"] == "complete" and out["complete"] and out["totals"]["sites_complete"] == 2
    assert [site["url"] for site in out["sites"]] == urls
    for url, seed, site, (single, single_stats) in zip(urls, SEEDS, out["sites"], alone, strict=True):
        assert site["status"] == "complete" and site["verdict"] == "This census is complete."
        for key in ("new_items", "items_present", "removed", "failed", "refused", "gone"):
            assert site[key] == single[key], (url, key)
        together = platform_stats(pg_case, url)
        for key in (*FIGURE_KEYS, "hours", "complete"):
            assert together[key] == single_stats[key], (url, key)
        assert_figures(together, DemoPlatform(seed=seed, scale=SCALE))
    assert out["totals"]["items_present"] == sum(single["items_present"] for single, _ in alone)
    # both workers worked: one per site at first (each site's worker log names its run)
    logs = sorted(p.name for p in (pg_case / "logs").glob("crawl-run-*-*-w*.log"))
    assert len({name.split("-")[2] for name in logs}) == 2, logs
    everything = stats(pg_case)
    assert everything["complete"] and [s["status"] for s in everything["sites"]] == ["complete"] * 2
    assert all(s["pages_pending"] == 0 and s["workers_active"] == 0 for s in everything["sites"])


def assert_polite(times: list[float]) -> None:
    """As one process with the delay would ask (the measure of test_politeness)."""
    times = sorted(times)
    assert len(times) >= 20
    spans = [times[i + WINDOW] - times[i] for i in range(len(times) - WINDOW)]
    assert min(spans) >= (WINDOW - 2) * DELAY, sorted(spans)[:3]
    assert len(times) <= (times[-1] - times[0]) / DELAY + 2


@pytest.mark.slow
def test_each_site_keeps_its_own_politeness_while_the_workers_serve_both_at_once(
    tmp_path: Path, pg_case: Path, redis: RedisServer
) -> None:
    with logged_demo("127.0.0.1", 11) as site_a, logged_demo("127.0.0.2", 12) as site_b:
        (url_a, log_a, demo_a), (url_b, log_b, demo_b) = site_a, site_b
        listed = sites_file(tmp_path, [f"{url_a} adapter=demo", f"{url_b} adapter=demo"])
        proc = sites_crawl(
            pg_case,
            listed,
            "--delay",
            str(DELAY),
            "--concurrency",
            "4",
            "--workers",
            "2",
            "--redis",
            redis.url,
        )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["complete"]
    assert_figures(platform_stats(pg_case, url_a), demo_a)
    assert_figures(platform_stats(pg_case, url_b), demo_b)
    assert_polite(log_a.times)
    assert_polite(log_b.times)
    # at once, not one after the other: each site was asked while the other was
    a, b = sorted(log_a.times), sorted(log_b.times)
    assert a[0] < b[-1] and b[0] < a[-1]
    overlap = min(a[-1], b[-1]) - max(a[0], b[0])
    assert overlap > 0.5 * min(a[-1] - a[0], b[-1] - b[0])


@contextmanager
def reaped(proc: subprocess.Popen[str]) -> Iterator[subprocess.Popen[str]]:
    """The process, killed if the block leaves it running (an assertion failed)."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _while_both_at_work(
    proc: subprocess.Popen[str], case: Path, redis: RedisServer, port: int
) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """`census status`, `stats`' sites and the metrics, read once both sites' workers have stored pages."""
    deadline = time.monotonic() + 120
    status: dict[str, Any] = {}
    live: list[dict[str, Any]] = []
    while time.monotonic() < deadline and proc.poll() is None:
        status = unmask_json("census", "status", "--redis", redis.url, "--case", str(case))
        live = stats(case)["sites"]
        working = [r for r in status.get("runs", []) if any(w["pages"] > 0 for w in r["workers"])]
        if len(working) == 2 and all(s["at_work"] and s["workers_active"] >= 1 for s in live):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                return status, live, resp.read().decode()
        time.sleep(0.3)
    return status, live, ""


@pytest.mark.slow
def test_status_stats_and_metrics_show_each_site_while_its_workers_work(
    tmp_path: Path, pg_case: Path, redis: RedisServer
) -> None:
    port = kernel_port()
    with spawn(seed=11, scale=0.01, latency_ms=100) as one, spawn(seed=12, scale=0.01, latency_ms=100) as two:
        one.wait_ready()
        two.wait_ready()
        listed = sites_file(tmp_path, [f"{one.url}/ adapter=demo", f"{two.url}/ adapter=demo"])
        args = [*UNMASK, "census", "crawl", "--sites", str(listed), "--case", str(pg_case), "--delay", "0"]
        args += ["--concurrency", "2", "--workers", "2", "--redis", redis.url, "--metrics-port", str(port)]
        popen = subprocess.Popen([*args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with reaped(popen) as proc:
            status, live, metrics = _while_both_at_work(proc, pg_case, redis, port)
            out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-2000:]
    assert json.loads(out)["complete"]
    sites = {one.url.split("//")[1], two.url.split("//")[1]}
    assert {r["site"] for r in status["runs"]} == sites
    assert {s["site"] for s in live} == sites
    assert all(s["status"] == "running" and s["phase"] in ("enumerate", "fill") for s in live)
    assert all(s["pages_done"] > 0 for s in live)
    for site in sites:
        assert f'unmask_census_site_pages{{site="{site}"}}' in metrics
        assert f'unmask_census_site_workers{{site="{site}"}}' in metrics
    assert "unmask_census_site_failures" in metrics and "unmask_census_site_items" in metrics
    after = stats(pg_case)["sites"]
    assert all(s["status"] == "complete" and not s["at_work"] and s["workers_active"] == 0 for s in after)
    assert not list((pg_case / "logs").glob("census-live-*.json"))  # each run's live file gone with it


@pytest.mark.slow
def test_one_after_the_other_each_site_has_its_verdict_and_an_unreachable_one_fails_the_command(
    tmp_path: Path, new_case: Path
) -> None:
    with spawn(seed=11, scale=0.002) as demo, refused_port() as port:
        demo.wait_ready()
        dead = f"http://127.0.0.1:{port}/"
        listed = sites_file(tmp_path, [f"{demo.url}/ adapter=demo  # the demo", "", dead])
        proc = sites_crawl(new_case, listed)
    assert proc.returncode == 1, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    first, second = out["sites"]
    assert first["status"] == "complete" and first["line"].endswith("sites.txt:2")
    assert_figures(platform_stats(new_case, demo.url), DemoPlatform(seed=11, scale=0.002))
    assert second["status"] == "failed" and second["line"].endswith("sites.txt:4")
    assert second["complete"] is False and dead in second["error"] and second["run"] is None
    assert out["status"] == "failed" and out["totals"]["sites_failed"] == 1
    assert out["totals"]["items_present"] == first["items_present"]
    # the unreachable site marks nothing removed and leaves a failed run, as a single crawl does
    case = Case.open(new_case)
    try:
        with case.store.session() as s:
            assert sorted(s.scalars(select(CrawlRun.status))) == [
                "complete",
                "failed",
            ]
    finally:
        case.close()


BAD_LINES = [
    ("ftp://files.example/", "not an http(s) URL"),
    ("https://a.example/ delay=-1", "delay must be ≥ 0"),
    ("https://a.example/ concurrency=two", "concurrency='two' is not a number"),
    ("https://a.example/ speed=9", "unknown setting 'speed'"),
    ("https://a.example/ adapter", "settings are name=value"),
    ("https://a.example/ adapter=no-such-adapter", "no-such-adapter"),
    ("https://a.example/x https://a.example/y", "settings are name=value"),
    ("https://first.example/a", "https://first.example is already on line 2"),
]


@pytest.mark.parametrize(("line", "said"), BAD_LINES)
def test_a_bad_line_is_one_error_naming_file_and_line_before_anything_starts(
    tmp_path: Path, new_case: Path, line: str, said: str
) -> None:
    listed = sites_file(tmp_path, ["https://first.example/ adapter=demo", "", line])
    proc = unmask(
        "census", "crawl", "--sites", str(listed), "--case", str(new_case), "--workers", "2", check=False
    )
    lines = [text for text in proc.stderr.splitlines() if text.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert f"{listed}:4" in lines[0] and said in lines[0], lines[0]
    case = Case.open(new_case)  # nothing started: no run, no platform, no request
    try:
        with case.store.session() as s:
            assert s.scalar(select(CrawlRun.id)) is None
    finally:
        case.close()
    assert not list((new_case / "logs").glob("*.log")) if (new_case / "logs").exists() else True


def test_sites_and_a_url_together_or_neither_is_a_usage_error(tmp_path: Path, new_case: Path) -> None:
    listed = sites_file(tmp_path, ["https://first.example/"])
    both = unmask(
        "census", "crawl", "https://a.example/", "--sites", str(listed), "--case", str(new_case), check=False
    )
    neither = unmask("census", "crawl", "--case", str(new_case), check=False)
    empty = sites_file(tmp_path, ["# nothing yet"])
    nothing = unmask("census", "crawl", "--sites", str(empty), "--case", str(new_case), check=False)
    missing = unmask(
        "census", "crawl", "--sites", str(tmp_path / "nope.txt"), "--case", str(new_case), check=False
    )
    for proc, said in (
        (both, "not both"),
        (neither, "Missing argument 'URL'"),
        (nothing, "no site in it"),
        (missing, "cannot read it"),
    ):
        lines = [text for text in proc.stderr.splitlines() if text.strip()]
        assert proc.returncode == 2 and len(lines) == 1 and said in lines[0], proc.stderr


@pytest.mark.slow
def test_a_worker_of_the_shared_pool_killed_mid_run_is_replaced_and_every_site_stays_exact(
    tmp_path: Path, pg_case: Path, redis: RedisServer
) -> None:
    slow = {"scale": SCALE, "latency_ms": 30}
    with spawn(seed=SEEDS[0], **slow) as one, spawn(seed=SEEDS[1], **slow) as two:
        one.wait_ready()
        two.wait_ready()
        listed = sites_file(tmp_path, [f"{one.url}/ adapter=demo", f"{two.url}/ adapter=demo"])
        args = [*UNMASK, "census", "crawl", "--sites", str(listed), "--case", str(pg_case), "--delay", "0"]
        args += ["--concurrency", "2", "--workers", "2", "--redis", redis.url, "--json"]
        with reaped(_started(args, pg_case, after=15)) as proc:
            victims = _workers(proc.pid)
            assert victims, "no worker process found"
            words = Path(f"/proc/{victims[0]}/cmdline").read_bytes().decode().split("\0")
            run = words[words.index("--run") + 1]  # the site the victim served
            os.kill(victims[0], signal.SIGKILL)
            out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err[-3000:]
    summary = json.loads(out)
    assert summary["status"] == "complete", summary
    for server, seed, site in zip((one, two), SEEDS, summary["sites"], strict=True):
        figures = platform_stats(pg_case, server.url)
        assert figures["complete"] is True
        assert_figures(figures, DemoPlatform(seed=seed, scale=SCALE))
        assert site["new_items"] == site["items_present"]  # each item counted once
    # another worker took the victim's site over (each worker logs per run it serves)
    assert len(list((pg_case / "logs").glob(f"crawl-run-{run}-*.log"))) >= 2
