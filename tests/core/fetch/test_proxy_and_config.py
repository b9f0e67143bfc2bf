"""Proxies (SOCKS5 for Tor, HTTP), User-Agent, headers and cookies from the case configuration."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.helpers.hostile import HostileServer
from tests.helpers.proxies import Socks5Server
from unmask.core.case import Case
from unmask.core.fetch import Fetcher, Scope


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        seen: dict[str, str] = {}

        def echo(h: object) -> None:
            seen.update({k.lower(): v for k, v in h.headers.items()})  # type: ignore[attr-defined]
            h.send_body(200, b"<html>ok</html>")  # type: ignore[attr-defined]

        srv.route("/echo", echo)
        srv.seen = seen  # type: ignore[attr-defined]
        yield srv


def _get(case: Case, url: str) -> int:
    async def go() -> int:
        async with Fetcher.for_case(case, purpose="test", scope=Scope.for_site(url)) as f:
            return (await f.get(url, obey_robots=False)).status

    return asyncio.run(go())


def test_socks5_proxy_carries_every_request(server: HostileServer, sqlite_case: Case) -> None:
    with Socks5Server() as socks:
        sqlite_case.config.fetch.proxy = socks.url
        assert _get(sqlite_case, server.url("/echo")) == 200
        port = int(server.base.rsplit(":", 1)[1])
        assert ("127.0.0.1", port) in socks.connects


def test_user_agent_headers_and_cookies_come_from_the_config(
    server: HostileServer, sqlite_case: Case
) -> None:
    fetch = sqlite_case.config.fetch
    fetch.user_agent = "unmask-test/1"
    fetch.headers = {"X-Investigation": "case-42"}
    fetch.cookies = {"127.0.0.1": {"age_verified": "1", "lang": "en"}}
    assert _get(sqlite_case, server.url("/echo")) == 200
    seen = server.seen  # type: ignore[attr-defined]
    assert seen["user-agent"] == "unmask-test/1"
    assert seen["x-investigation"] == "case-42"
    assert seen["cookie"] == "age_verified=1; lang=en"


def test_a_case_made_with_the_former_announcing_user_agent_now_sends_a_browsers(tmp_path: object) -> None:
    from pathlib import Path

    import yaml

    from unmask.core.config import DEFAULT_USER_AGENT, load_config

    path = Path(str(tmp_path)) / "case.yaml"
    announcing = "unmask/0.1 (research census; +https://example.invalid/unmask)"
    path.write_text(yaml.safe_dump({"fetch": {"user_agent": announcing}}), encoding="utf-8")
    assert load_config(path).fetch.user_agent == DEFAULT_USER_AGENT
    path.write_text(yaml.safe_dump({"fetch": {"user_agent": "Investigator/1.0"}}), encoding="utf-8")
    assert load_config(path).fetch.user_agent == "Investigator/1.0"
