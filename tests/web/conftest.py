"""Fixtures for the web workbench: an application over a case, through Starlette's TestClient."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from unmask.web.app import create_app
from unmask.web.settings import ServeSettings

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_for() -> Iterator[ClientFactory]:
    """``client_for(case_root, **settings)``: a TestClient of a server over that case (Host ``testserver``
    accepted, as the bound name would be), closed after the test."""
    clients: list[TestClient] = []

    def make(root: Path, **options: object) -> TestClient:
        settings = ServeSettings(case=root, extra_hosts=frozenset({"testserver"}), **options)  # type: ignore[arg-type]
        client = TestClient(create_app(settings), follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
