"""Every fetch-layer test runs with both HTTP clients of direct connections (``fetch.http_client``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True, params=["httpx", "aiohttp"])
def http_client(request: pytest.FixtureRequest) -> str:
    """The client the test's case uses (set on whichever case fixture the test takes)."""
    for name in ("sqlite_case", "case"):
        if name in request.fixturenames:
            request.getfixturevalue(name).config.fetch.http_client = request.param
    return str(request.param)
