"""Politeness holds across workers: with a per-host delay, two workers together never ask faster than one
(measured from the site's own log of request arrivals)."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from tests.census.conftest import UNMASK, stats
from tests.census.test_crawl_demo import assert_figures
from tests.helpers.ports import listening_socket, port_of
from tests.helpers.redis_server import RedisServer
from unmask.demo.app import make_app
from unmask.demo.platform import DemoPlatform

DELAY = 0.2
WINDOW = 10
"""Arrivals are judged over windows of this many consecutive gaps. The workers' slots start exactly one
delay apart (Redis's clock), but a request can reach the site later than its slot started (a worker's
first request opens its connection: about 0.1 s here; a worker's event loop busy storing pages on a loaded
machine), which shortens the gap after it by as much. A window of WINDOW gaps must span WINDOW - 2 delays:
two workers at twice the rate would span WINDOW / 2. (A single process, with Scrapy's jitter of ±50 %, has
gaps of 0.5 to 1.5 delays.)"""


class ArrivalLog:
    """An ASGI wrapper that notes when each request reaches the site."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith("/__"):
            self.times.append(time.monotonic())
        await self.app(scope, receive, send)


@contextmanager
def logged_demo(host: str = "127.0.0.1", seed: int = 11) -> Iterator[tuple[str, ArrivalLog, DemoPlatform]]:
    """A small demo platform on ``host`` (a port of its own) that notes when each request arrives."""
    platform = DemoPlatform(seed=seed, scale=0.002)
    app = ArrivalLog(make_app(platform))
    sock = listening_socket(host)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port_of(sock)}/", app, platform
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture
def logged_site() -> Iterator[tuple[str, ArrivalLog, DemoPlatform]]:
    with logged_demo() as site:
        yield site


@pytest.mark.slow
def test_two_workers_together_never_exceed_the_per_host_rate_of_one(
    pg_case: Path, redis: RedisServer, logged_site: tuple[str, ArrivalLog, DemoPlatform]
) -> None:
    url, log, platform = logged_site
    args = [*UNMASK, "census", "crawl", url, "--case", str(pg_case), "--adapter", "demo"]
    args += ["--delay", str(DELAY), "--concurrency", "4", "--workers", "2", "--redis", redis.url, "--json"]
    proc = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout)["complete"]
    assert_figures(stats(pg_case), platform)
    times = sorted(log.times)
    assert len(times) >= 20
    # no run of requests faster than one process: WINDOW gaps span at least WINDOW - 2 delays, and the
    # whole census kept to one request per delay
    spans = [times[i + WINDOW] - times[i] for i in range(len(times) - WINDOW)]
    assert min(spans) >= (WINDOW - 2) * DELAY, sorted(spans)[:3]
    # one process with a fixed delay sends span / delay + 1 requests; one more: a slot that arrived late
    assert len(times) <= (times[-1] - times[0]) / DELAY + 2
