"""Connection pinning: the TCP connection goes to a given IP, Host and SNI stay the URL's host.

The names under ``.unmask.test`` resolve nowhere (the system resolver does not know them): every
request below reaches nginx only because it is pinned to a loopback address of the lab.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from tests.helpers.nginx_server import Lab, NginxServer, VHost
from tests.helpers.proxies import Socks5Server
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, FetchError, Scope, SiteDomain
from unmask.core.fetch.transport import pin_address, request_target
from unmask.core.store.models import Capture

T = TypeVar("T")


def fetcher(case: Case, lab: Lab | None = None, **overrides: object) -> Fetcher:
    settings = {"delay": 0.0, "backoff_base": 0.01, "retries": 0, "verify_tls": False, "obey_robots": False}
    for key, value in {**settings, **overrides}.items():
        setattr(case.config.fetch, key, value)
    # the lab's names resolve nowhere: each request is pinned to one of its loopback addresses
    addresses = [lab.front, lab.origin, lab.decoy, lab.sister] if lab is not None else []
    site = [SiteDomain("unmask.test"), *(SiteDomain(a) for a in addresses)]
    return Fetcher.for_case(case, purpose="test", scope=Scope(site, allow_private=True))


def echo(body: bytes) -> dict[str, str]:
    return dict(part.split("=", 1) for part in body.decode().split())


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


@pytest.mark.slow
def test_pinned_request_reaches_the_pinned_address_with_host_and_sni(lab: Lab, sqlite_case: Case) -> None:
    url = lab.web.url("site.unmask.test", "/echo")

    async def go() -> list[tuple[dict[str, str], str | None, str | None]]:
        out = []
        async with fetcher(sqlite_case, lab) as f:
            for address in (lab.front, lab.origin, lab.front, lab.origin):
                resp = await f.get(url, connect_to=address)
                assert resp.status == 200
                out.append((echo(resp.body), resp.header("cf-ray"), resp.remote_address))
        return out

    results = run(go())
    for (seen, cf_ray, remote), address in zip(results, (lab.front, lab.origin) * 2, strict=True):
        assert seen == {"host": "site.unmask.test", "sni": "site.unmask.test", "addr": address}
        assert remote == address
        assert (cf_ray is not None) == (address == lab.front)  # only the masked front sends CF-RAY


def test_concurrent_pins_never_share_a_connection(lab: Lab, sqlite_case: Case) -> None:
    url = lab.web.url("site.unmask.test", "/echo")
    pins = [lab.front, lab.origin, lab.decoy] * 6

    async def go() -> list[str]:
        async with fetcher(sqlite_case, lab, concurrency=8) as f:
            responses = await asyncio.gather(*(f.get(url, connect_to=a) for a in pins))
        return [echo(r.body)["addr"] for r in responses]

    assert run(go()) == pins


def test_two_names_on_one_address_each_get_their_own_sni(lab: Lab, sqlite_case: Case) -> None:
    async def go() -> list[dict[str, str]]:
        async with fetcher(sqlite_case, lab) as f:
            out = []
            for name in ("sister-a", "sister-b", "sister-a", "sister-b"):
                resp = await f.get(lab.web.url(f"{name}.unmask.test", "/echo"), connect_to=lab.sister)
                out.append(echo(resp.body))
            return out

    for seen, name in zip(run(go()), ("sister-a", "sister-b") * 2, strict=True):
        assert seen["host"] == seen["sni"] == f"{name}.unmask.test"


def test_plain_http_is_pinned_with_its_host_header(lab: Lab, sqlite_case: Case) -> None:
    async def go() -> dict[str, str]:
        async with fetcher(sqlite_case, lab) as f:
            resp = await f.get(lab.web.url("site.unmask.test", "/echo", scheme="http"), connect_to=lab.origin)
            return echo(resp.body)

    assert run(go()) == {"host": "site.unmask.test", "sni": "", "addr": lab.origin}


def test_evidence_names_the_address_connected_to(lab: Lab, case: Case) -> None:
    url = lab.web.url("site.unmask.test", "/")

    async def go() -> None:
        async with fetcher(case, lab) as f:
            await f.get(url, connect_to=lab.origin)
            await f.get(lab.web.url(lab.decoy, "/echo"))  # not pinned: the peer's address is recorded

    run(go())
    with case.store.session() as s:
        caps = list(s.scalars(select(Capture).order_by(Capture.id)))
    assert [c.url for c in caps] == [url, lab.web.url(lab.decoy, "/echo")]
    assert [c.remote_address for c in caps] == [lab.origin, lab.decoy]
    addresses: dict[str, set[str | None]] = {}
    for path in sorted(case.warc_dir.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type in ("request", "response"):
                    target = rec.rec_headers.get_header("WARC-Target-URI")
                    addresses.setdefault(target, set()).add(rec.rec_headers.get_header("WARC-IP-Address"))
    assert addresses == {url: {lab.origin}, lab.web.url(lab.decoy, "/echo"): {lab.decoy}}


def test_media_is_still_refused_when_pinned(lab: Lab, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, lab) as f:
            with pytest.raises(FetchRefused, match="type: image/"):
                await f.get(lab.web.url("site.unmask.test", "/photo"), connect_to=lab.front)
            with pytest.raises(FetchRefused, match="media-url"):
                await f.get(lab.web.url("site.unmask.test", "/clip.mp4"), connect_to=lab.front)

    run(go())
    log = (lab.web.workdir / "access.log").read_text()
    assert "/clip.mp4" not in log  # refused before any connection


def test_a_pin_that_is_not_an_address_is_refused(sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case) as f:
            with pytest.raises(FetchRefused, match="not an IP address"):
                await f.get("https://site.unmask.test/", connect_to="site.unmask.test")

    run(go())


def test_redirects_keep_the_pin_on_the_same_host_only(lab: Lab, sqlite_case: Case) -> None:
    async def go() -> tuple[dict[str, str], dict[str, str]]:
        async with fetcher(sqlite_case, lab) as f:
            same = await f.get(lab.web.url("site.unmask.test", "/hop-same"), connect_to=lab.front)
            away = await f.get(lab.web.url("site.unmask.test", "/hop-away"), connect_to=lab.front)
            return echo(same.body), echo(away.body)

    same, away = run(go())
    assert same["addr"] == lab.front and same["host"] == "site.unmask.test"
    assert away["addr"] == lab.decoy and away["host"] == lab.decoy  # another host: not pinned


def test_verification_is_against_the_url_host(lab: Lab, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, lab, verify_tls=True) as f:
            with pytest.raises(FetchError, match="certificate"):
                await f.get(lab.web.url("site.unmask.test", "/echo"), connect_to=lab.front)

    run(go())  # a self-signed certificate fails verification: the pin does not switch it off


def test_pinning_through_a_socks5_proxy(lab: Lab, sqlite_case: Case) -> None:
    with Socks5Server() as socks:

        async def go() -> dict[str, str]:
            async with fetcher(sqlite_case, lab, proxy=socks.url) as f:
                resp = await f.get(lab.web.url("site.unmask.test", "/echo"), connect_to=lab.origin)
                return echo(resp.body)

        seen = run(go())
        assert seen == {"host": "site.unmask.test", "sni": "site.unmask.test", "addr": lab.origin}
        assert socks.connects == [(lab.origin, lab.web.https_port)]


def test_pinned_https_through_an_http_proxy_is_refused(sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, proxy="http://127.0.0.1:9") as f:
            with pytest.raises(FetchRefused, match="use SOCKS"):
                await f.get("https://site.unmask.test/", connect_to="127.0.0.1")

    run(go())


def test_request_target_shapes() -> None:
    assert pin_address(" [::1] ", "u") == "::1"
    assert pin_address("127.000.0.1".replace("000", "0"), "u") == "127.0.0.1"
    target = request_target("https://Site.Unmask.test:8443/a?b=1", "::1")
    assert target.url == "https://[::1]:8443/a?b=1"
    assert ("Host", "site.unmask.test:8443") in target.headers
    assert target.extensions == {"sni_hostname": "site.unmask.test"}
    assert target.pool == "pinned" and ("Connection", "close") in target.headers
    idn = request_target("http://bücher.test/", "127.0.0.5")
    assert idn.url == "http://127.0.0.5/" and ("Host", "xn--bcher-kva.test") in idn.headers
    assert idn.extensions == {}
    assert not request_target("https://x.test/", None).pool
    resolved = request_target("https://x.test/", "192.0.2.1", resolved=True)
    assert resolved.pool == "resolved https://x.test" and ("Connection", "close") not in resolved.headers


def test_a_name_the_transport_resolves_is_pinned_to_the_checked_address_with_its_sni(
    sqlite_case: Case, tmp_path: Path
) -> None:
    """Without connect_to, the Transport resolves the name itself, checks the address and pins the
    connection to it: Host and SNI stay the name, and the host's connections are kept alive."""
    web = NginxServer(tmp_path / "nginx", block="127.0.0")
    web.add_certificate("lh", "localhost", ["localhost"])
    web.add_vhost(VHost(("localhost",), ("127.0.0.1",), cert="lh", echo=True))
    web.start()
    try:
        url = web.url("localhost", "/echo")
        netloc = url.split("/")[2]

        async def go() -> list[dict[str, str]]:
            settings = {"delay": 0.0, "retries": 0, "verify_tls": False, "obey_robots": False}
            for key, value in settings.items():
                setattr(sqlite_case.config.fetch, key, value)
            async with Fetcher.for_case(sqlite_case, purpose="test", scope=Scope.for_site(url)) as f:
                seen = [echo((await f.get(url)).body) for _ in range(3)]
                assert list(f.transport._clients) == [f"resolved https://{netloc} "]
                return seen

        for seen in run(go()):
            assert seen == {"host": netloc, "sni": "localhost", "addr": "127.0.0.1"}
    finally:
        web.stop()
