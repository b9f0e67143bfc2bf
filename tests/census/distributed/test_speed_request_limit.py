"""The request limit (`--max-requests`) holds across a Redis restart: the coordinator counts the session's
requests again from the store, instead of starting from nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.census.distributed.test_distributed_census import _done_rows, _run_with_fault
from tests.helpers.redis_server import RedisServer
from unmask.demo.server import SpawnedServer

LIMIT = 40


@pytest.mark.slow
def test_the_request_limit_holds_across_a_redis_restart(
    pg_case: Path, redis: RedisServer, slow_demo: SpawnedServer
) -> None:
    def restart(_coordinator: int) -> None:
        redis.restart(down_for=1.0)

    summary = _run_with_fault(pg_case, slow_demo, redis, LIMIT // 2, restart, "--max-requests", str(LIMIT))
    assert summary["status"] == "incomplete"
    # a few pages stored in the moment between the store's count and Redis's may pass the limit
    assert _done_rows(pg_case) <= LIMIT + 4
