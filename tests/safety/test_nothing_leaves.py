"""Nothing leaves the investigated site: no request to another origin, no private address reached, the
case's credentials only to the site and never in the evidence.

The end-to-end tests run the real crawl inside a network namespace where only loopback exists
(tests.helpers.netns); every place the platform redirects to has a server of its own there, and each
must have seen no connection at all.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import netns, offsite_lab
from tests.helpers.hostile import HostileServer
from tests.helpers.raw_server import RawServer, reply
from tests.helpers.store import sql
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, Scope

needs_netns = pytest.mark.skipif(netns.available() is not None, reason=str(netns.available()))


def configure(case: Path) -> None:
    """The case's secrets: headers and a cookie for the site (as an investigator sets them)."""
    path = case / "case.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["fetch"]["headers"] = dict(offsite_lab.SECRETS)
    config["fetch"]["cookies"] = {offsite_lab.SITE: dict([offsite_lab.COOKIE])}
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def run_lab(scenario: str, case: Path, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / f"{scenario}.json"
    proc = netns.run_isolated(
        [sys.executable, "-m", "tests.helpers.offsite_lab", scenario, str(case), str(out)],
        addresses=offsite_lab.ADDRESSES,
        hosts=offsite_lab.HOSTS,
    )
    assert proc.returncode == 0 and out.exists(), proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return result


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Any]]]:
    if netns.available() is not None:
        pytest.skip(str(netns.available()))
    from tests.helpers.cli import unmask

    tmp = tmp_path_factory.mktemp("offsite")
    case = tmp / "case"
    unmask("init", str(case))
    configure(case)
    yield case, run_lab("crawl", case, tmp)


@pytest.mark.slow
@needs_netns
def test_no_request_leaves_the_site_whatever_it_redirects_to(crawled: tuple[Path, dict[str, Any]]) -> None:
    case, lab = crawled
    assert lab["returncode"] == 0, lab["stderr"]
    summary = json.loads(lab["stdout"])
    assert summary["status"] == "complete", summary
    contacted = {name: seen for name, seen in lab["traps"].items() if seen["connections"]}
    assert not contacted, contacted
    # every attack is a refused page with its reason, recorded where the redirect pointed
    rows = dict(sql(case, "SELECT url, status FROM frontier WHERE url LIKE '%/video/%'"))
    base = f"http://{offsite_lab.SITE}/video/"
    assert {slug: rows[base + slug] for slug in offsite_lab.ATTACKS} == dict.fromkeys(
        offsite_lab.ATTACKS, "refused"
    )
    assert {rows[base + slug] for slug in offsite_lab.GOOD} == {"done"}
    unsent = sql(case, "SELECT url, refused FROM capture WHERE status IS NULL AND refused IS NOT NULL")
    assert len(unsent) >= len(offsite_lab.ATTACKS)
    assert {refused.split(":", 1)[0] for _, refused in unsent} <= {
        "off-origin",
        "private-address",
        "userinfo",
    }


@pytest.mark.slow
@needs_netns
def test_the_start_urls_redirect_establishes_the_canonical_origin(
    crawled: tuple[Path, dict[str, Any]],
) -> None:
    case, lab = crawled
    hosts = {r["host"] for r in lab["site"]["requests"]}
    assert f"www.{offsite_lab.SITE}" in hosts  # followed: the start URL's own redirect
    log = "".join(p.read_text(encoding="utf-8") for p in (case / "logs").glob("crawl-run-*.log"))
    assert f"canonical origin http://www.{offsite_lab.SITE}" in log
    assert "Remote control" not in log and "RemoteControl" not in log


@needs_netns
def test_the_cases_secrets_go_to_the_site_only_and_never_into_evidence(
    crawled: tuple[Path, dict[str, Any]],
) -> None:
    case, lab = crawled
    items = [r for r in lab["site"]["requests"] if r["path"].startswith("/video/good-")]
    assert items
    for request in items:
        assert request["headers"]["authorization"] == offsite_lab.SECRETS["Authorization"]
        assert request["headers"]["x-api-key"] == offsite_lab.SECRETS["X-Api-Key"]
        assert "=".join(offsite_lab.COOKIE) in request["headers"]["cookie"]
        assert "unmask" not in request["headers"]["user-agent"].lower()
    secrets = [*offsite_lab.SECRETS.values(), offsite_lab.COOKIE[1]]
    redacted = 0
    for path in (case / "evidence" / "warc").glob("*.warc.gz"):
        with gzip.open(path, "rb") as fh:
            text = fh.read()
        assert not [s for s in secrets if s.encode() in text], path
        redacted += text.count(b"Authorization: [redacted]")
    assert redacted >= len(items)
    database = (case / "unmask.db").read_bytes()
    assert not [s for s in secrets if s.encode() in database]


@pytest.mark.slow
@needs_netns
def test_a_site_whose_name_resolves_to_a_private_address_is_never_contacted(tmp_path: Path) -> None:
    from tests.helpers.cli import unmask

    case = tmp_path / "case"
    unmask("init", str(case))
    lab = run_lab("private-site", case, tmp_path)
    assert lab["traps"]["private-site (10.0.0.9):80"]["connections"] == 0
    rows = sql(case, "SELECT url, status, refused FROM capture")
    assert rows and all(
        status is None and refused.startswith("private-address:") for _, status, refused in rows
    )


# -- without a namespace: the same promises through the Fetcher, on loopback --------------------


def test_headers_and_cookies_go_to_the_investigated_site_only(sqlite_case: Case) -> None:
    fetch = sqlite_case.config.fetch
    fetch.delay = 0.0
    fetch.headers = {"Authorization": "Bearer case-secret", "X-Api-Key": "case-key"}
    fetch.cookies = {"127.0.0.1": {"age_ok": "case-cookie"}}
    with HostileServer() as site, RawServer("127.0.0.2") as source:
        seen: dict[str, str] = {}

        def echo(h: Any) -> None:
            seen.update({k.lower(): v for k, v in h.headers.items()})
            h.send_body(200, b"<html>ok</html>")

        site.route("/page", echo)
        source.route("/data", reply(b'{"ok": true}', [("Content-Type", "application/json")]))
        scope = Scope.for_site(site.base, sources=[source.base], allow_private=True)

        async def go() -> None:
            async with Fetcher.for_case(sqlite_case, purpose="test", scope=scope) as f:
                await f.get(site.url("/page"), obey_robots=False)
                await f.get(source.url("/data"), obey_robots=False)

        asyncio.run(go())
        (to_source,) = source.requests
    assert seen["authorization"] == "Bearer case-secret" and seen["cookie"] == "age_ok=case-cookie"
    assert not {"authorization", "x-api-key", "cookie"} & set(to_source.headers)


def test_a_redirect_off_the_scope_is_refused_before_any_connection(sqlite_case: Case) -> None:
    sqlite_case.config.fetch.delay = 0.0
    with RawServer() as site, RawServer() as elsewhere:
        site.route("/item", reply(b"", [("Location", elsewhere.url("/stolen"))], status="302 Found"))

        async def go() -> None:
            async with Fetcher.for_case(sqlite_case, purpose="test", scope=Scope.for_site(site.base)) as f:
                with pytest.raises(FetchRefused, match="off-origin"):
                    await f.get(site.url("/item"))  # robots.txt of the other origin is not asked either
                assert f.transport.refusals["off-origin"] == 1

        asyncio.run(go())
        assert elsewhere.connections == 0


FALLBACK = """
import asyncio, json, sys
from pathlib import Path
from tests.helpers.raw_server import RawServer, reply
from unmask.core.case import Case
from unmask.core.fetch import Fetcher, Scope
case = Case.init(Path(sys.argv[1]))
case.config.fetch.delay = 0.0
case.config.fetch.connect_timeout = 2.0
with RawServer("11.1.1.1", 80) as srv:
    srv.route("/", reply(b"<html>up</html>", [("Content-Type", "text/html")]))
    async def go():
        async with Fetcher.for_case(case, purpose="t", scope=Scope.for_site("http://multi.test/")) as f:
            r = await f.get("http://multi.test/", obey_robots=False)
            return r.status, r.remote_address
    print(json.dumps(asyncio.run(go())))
"""


@pytest.mark.slow
@needs_netns
def test_a_name_with_several_addresses_is_tried_address_by_address(tmp_path: Path) -> None:
    """The Transport pins each connection to an address it checked; when the first does not answer
    (a dead IPv6 route, a server down), the next is tried, as a browser would."""
    proc = netns.run_isolated(
        [sys.executable, "-c", FALLBACK, str(tmp_path / "case")],
        addresses=["11.1.1.1", "11.1.1.9"],
        hosts={"multi.test": ["11.1.1.9", "11.1.1.1"]},  # the first comes first, and nothing listens there
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert json.loads(proc.stdout) == [200, "11.1.1.1"]
