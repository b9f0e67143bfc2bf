"""The safety tests that fetch run with both HTTP clients of direct connections (``fetch.http_client``):
each promise holds whichever client the case chose. Tests that build their case in a module-wide fixture
run with the default client."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

HTTP_CLIENTS = ("httpx", "aiohttp")
CASE_FIXTURES = ("sqlite_case", "case", "new_case")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if any(name in metafunc.fixturenames for name in CASE_FIXTURES):
        metafunc.parametrize("http_client", HTTP_CLIENTS, indirect=True)


@pytest.fixture(autouse=True)
def http_client(request: pytest.FixtureRequest) -> str | None:
    """The client the test's case uses: set on the case object, or in case.yaml of a CLI-made case."""
    client: str | None = getattr(request, "param", None)
    if client is None:
        return None
    for name in ("sqlite_case", "case"):
        if name in request.fixturenames:
            request.getfixturevalue(name).config.fetch.http_client = client
    if "new_case" in request.fixturenames:
        path = Path(request.getfixturevalue("new_case")) / "case.yaml"
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        config.setdefault("fetch", {})["http_client"] = client
        path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return client
