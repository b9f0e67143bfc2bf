"""Operations: while a distributed census runs, `census status` shows each worker's progress and the
coordinator serves Prometheus metrics on loopback."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.census.conftest import UNMASK, stats, unmask, unmask_json
from tests.census.test_crawl_demo import assert_figures
from tests.helpers.ports import kernel_port, refused_port
from tests.helpers.redis_server import RedisServer
from unmask.demo.platform import DemoPlatform
from unmask.demo.server import SpawnedServer, spawn


@pytest.mark.slow
def test_status_and_metrics_show_the_workers_of_a_running_census(pg_case: Path, redis: RedisServer) -> None:
    port = kernel_port()
    with spawn(seed=11, scale=0.01, latency_ms=100) as server:
        server.wait_ready()
        args = [*UNMASK, "census", "crawl", server.url + "/", "--case", str(pg_case), "--adapter", "demo"]
        args += ["--delay", "0", "--concurrency", "2", "--workers", "2", "--redis", redis.url]
        args += ["--metrics-port", str(port), "--json"]
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            status, metrics = {}, ""
            while time.monotonic() < deadline and proc.poll() is None:
                status = unmask_json("census", "status", "--redis", redis.url, "--case", str(pg_case))
                workers = status.get("workers") or []
                if len(workers) == 2 and any(w["pages"] > 0 for w in workers):
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
                        metrics = resp.read().decode()
                    break
                time.sleep(0.2)
            out, err = proc.communicate(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0, err[-2000:]
    assert json.loads(out)["complete"]
    assert status["phase"] in ("enumerate", "fill") and all(w["alive"] for w in status["workers"])
    assert "unmask_census_workers_alive" in metrics and "unmask_census_worker_pages" in metrics
    after = unmask_json("census", "status", "--redis", redis.url, "--case", str(pg_case))
    assert after == {"run": None, "runs": []}  # `runs`: every run of the case (census crawl --sites)


@pytest.mark.slow
def test_workers_without_a_redis_url_use_a_private_redis_and_give_the_same_census_on_sqlite(
    new_case: Path, demo_server: SpawnedServer
) -> None:
    args = ["census", "crawl", demo_server.url + "/", "--case", str(new_case), "--adapter", "demo"]
    summary = unmask_json(*args, "--delay", "0", "--concurrency", "4", "--workers", "2", "--quiet")
    assert summary["complete"]
    assert_figures(stats(new_case), DemoPlatform(seed=11, scale=0.01))


def test_an_unreachable_redis_is_a_one_line_error_that_hides_its_password(new_case: Path) -> None:
    with refused_port() as port:
        redis_url = f"redis://census:s3cret@127.0.0.1:{port}/0"
        crawl = unmask(
            "census", "crawl", "http://127.0.0.1:9/", "--case", str(new_case), "--workers", "2",
            "--redis", redis_url, check=False,
        )  # fmt: skip
        worker = unmask("census", "worker", "--redis", redis_url, "--case", str(new_case), check=False)
    for proc in (crawl, worker):
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        assert proc.returncode == 2 and len(lines) == 1, proc.stderr
        assert "cannot reach Redis" in lines[0] and "s3cret" not in proc.stderr
