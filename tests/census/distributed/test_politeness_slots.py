"""The host's slots across workers, on a real redis-server: never more requests at once than the host's
connections, a freed slot goes to a waiting request as soon as it is given back (not at its next look), and
a slot whose worker died is taken again once its lease expires."""

from __future__ import annotations

import asyncio

import pytest
from scrapy import Request
from scrapy.http import Response

from tests.helpers.redis_server import RedisServer
from unmask.census.distributed import politeness
from unmask.census.distributed.frontier import RedisFrontier, connect
from unmask.census.distributed.politeness import GlobalPoliteness

URL = "http://127.0.0.1:9/page"


def _middleware(redis: RedisServer, worker: str, concurrency: int, lease: float = 10.0) -> GlobalPoliteness:
    frontier = RedisFrontier(connect(redis.url), "case", 1)
    return GlobalPoliteness(frontier, worker, 0.0, concurrency, lease, redis.url)


def test_a_freed_slot_goes_to_the_waiting_request_at_once(
    redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(politeness, "BUSY_WAIT", 60.0)  # a waiter that only looked again would wait a minute
    first, second = _middleware(redis, "a", 1), _middleware(redis, "b", 1)

    async def scenario() -> None:
        held = Request(URL)
        await first.process_request(held)
        waiting = asyncio.create_task(second.process_request(Request(URL)))
        await asyncio.sleep(0.3)
        assert not waiting.done()  # the host's one slot is a's
        first.process_response(held, Response(URL))
        await asyncio.wait_for(waiting, timeout=10)
        await first.spider_closed(None)  # type: ignore[arg-type]
        await second.spider_closed(None)  # type: ignore[arg-type]

    asyncio.run(scenario())


def test_two_workers_never_hold_more_slots_than_the_host_has(redis: RedisServer) -> None:
    workers = [_middleware(redis, name, 3) for name in ("a", "b")]
    holding, most = 0, 0

    async def fetch(middleware: GlobalPoliteness) -> None:
        nonlocal holding, most
        request = Request(URL)
        await middleware.process_request(request)
        holding += 1
        most = max(most, holding)
        await asyncio.sleep(0.01)
        holding -= 1
        middleware.process_response(request, Response(URL))

    async def scenario() -> None:
        await asyncio.gather(*(fetch(workers[i % 2]) for i in range(40)))
        for middleware in workers:
            await middleware.spider_closed(None)  # type: ignore[arg-type]

    asyncio.run(scenario())
    assert most == 3


def test_a_slot_of_a_worker_that_died_is_taken_after_its_lease(
    redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(politeness, "BUSY_WAIT", 0.1)
    dead, alive = _middleware(redis, "dead", 1, lease=0.5), _middleware(redis, "alive", 1)

    async def scenario() -> None:
        await dead.process_request(Request(URL))  # taken and never given back
        await asyncio.wait_for(alive.process_request(Request(URL)), timeout=10)
        await alive.spider_closed(None)  # type: ignore[arg-type]

    asyncio.run(scenario())
