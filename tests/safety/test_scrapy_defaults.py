"""A crawl runs with Scrapy configured deliberately: no RemoteControl or telnet, no deprecation warning
in its log, an ordinary browser's User-Agent unless the case sets another."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers.cli import unmask
from tests.helpers.hostile import HostileServer
from unmask.core.config import DEFAULT_USER_AGENT


@pytest.fixture
def site() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        agents: list[str] = []

        def page(h: object) -> None:
            agents.append(h.headers.get("User-Agent", ""))  # type: ignore[attr-defined]
            h.send_body(200, b"<!DOCTYPE html><html><body><a href='/about'>about</a></body></html>")  # type: ignore[attr-defined]

        srv.route("/", page)
        srv.route("/about", page)
        srv.static("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
        srv.agents = agents  # type: ignore[attr-defined]
        yield srv


def crawl_log(case: Path, url: str) -> str:
    proc = unmask("census", "crawl", url, "--case", str(case), "--delay", "0", "--json")
    # a site of two pages and no items is an incomplete census ("no item was found"): a run that ended
    assert json.loads(proc.stdout)["status"] in ("complete", "incomplete")
    return "".join(p.read_text(encoding="utf-8") for p in sorted((case / "logs").glob("crawl-run-*.log")))


@pytest.mark.slow
def test_a_crawl_runs_without_remote_control_telnet_or_deprecation_warnings(
    new_case: Path, site: HostileServer
) -> None:
    log = crawl_log(new_case, site.url("/"))
    enabled = log.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "RemoteControl" not in enabled and "TelnetConsole" not in enabled
    assert "Remote control" not in log and "Telnet console" not in log
    assert "DeprecationWarning" not in log and "py.warnings" not in log
    assert site.agents and set(site.agents) == {DEFAULT_USER_AGENT}  # type: ignore[attr-defined]


@pytest.mark.slow
def test_the_user_agent_comes_from_the_case(new_case: Path, site: HostileServer) -> None:
    path = new_case / "case.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["fetch"]["user_agent"] = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    crawl_log(new_case, site.url("/"))
    assert set(site.agents) == {config["fetch"]["user_agent"]}  # type: ignore[attr-defined]
