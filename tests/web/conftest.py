"""Fixtures for the web workbench: an application over a case, through Starlette's TestClient."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from unmask.web.app import create_app
from unmask.web.settings import ServeSettings

ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_for() -> Iterator[ClientFactory]:
    """``client_for(case_root, **settings)``: a TestClient of a server over that case (Host ``testserver``
    accepted, as the bound name would be; the client on 127.0.0.1, as a browser on this machine), closed
    after the test."""
    clients: list[TestClient] = []

    def make(root: Path, **options: object) -> TestClient:
        settings = ServeSettings(case=root, extra_hosts=frozenset({"testserver"}), **options)  # type: ignore[arg-type]
        client = TestClient(create_app(settings), follow_redirects=False, client=("127.0.0.1", 50000))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def csrf_of(client: TestClient, path: str) -> str:
    """The CSRF token of the first form on the page at ``path``."""
    return str(re.findall(r'name="csrf" value="([^"]+)"', client.get(path).text)[0])


def wait_job(client: TestClient, job_url: str, timeout: float = 120) -> dict[str, Any]:
    """A job's status once it no longer runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"{job_url}.json").json()
        if status["state"] != "running":
            return status
        time.sleep(0.3)
    raise AssertionError(f"job still running after {timeout} s")


def start_job(client: TestClient, path: str, form_page: str | None = None, **fields: str) -> str:
    """Post the form to ``path`` (with the CSRF token of its page, ``form_page`` or ``path`` itself) and
    return the started job's address."""
    started = client.post(path, data={**fields, "csrf": csrf_of(client, form_page or path)})
    assert started.status_code == 303, started.text[:300]
    return str(started.headers["location"])
