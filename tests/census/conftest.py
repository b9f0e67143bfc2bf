"""Fixtures for end-to-end census tests (the CLI helpers live in tests.helpers.cli)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.cli import UNMASK, crawl, stats, unmask, unmask_json
from unmask.demo.server import SpawnedServer, spawn

__all__ = ["UNMASK", "crawl", "stats", "unmask", "unmask_json"]


@pytest.fixture
def demo_server() -> Iterator[SpawnedServer]:
    with spawn(seed=11, scale=0.01) as server:
        server.wait_ready()
        yield server
