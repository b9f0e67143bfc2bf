"""Fixtures of the distributed census tests: a real redis-server and a case on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cli import unmask
from tests.helpers.redis_server import RedisServer, redis_server
from unmask.demo.server import SpawnedServer, spawn

SEED, SCALE = 11, 0.01
"""The demo platform of the distributed tests."""


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    with redis_server(tmp_path / "redis") as server:
        yield server


@pytest.fixture
def pg_case(tmp_path: Path, pg_database: str) -> Path:
    """A case made by `unmask init --db` on the PostgreSQL test server (the store workers share)."""
    path = tmp_path / "pg-case"
    unmask("init", str(path), "--db", pg_database)
    return path


@pytest.fixture
def slow_demo() -> Iterator[SpawnedServer]:
    """The demo platform with 30 ms per answer: a run long enough to be interrupted in its middle."""
    with spawn(seed=SEED, scale=SCALE, latency_ms=30) as server:
        server.wait_ready()
        yield server
