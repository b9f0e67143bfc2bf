"""What the source base owns: one failure text for one failed look-up whichever source asked, answers
shared across the domains of a scan, giving up on a data service that stopped answering, the time bound."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.helpers.json_server import JsonServer, Reply
from tests.helpers.scopes import loopback_scope
from tests.infra.source_context import SourceContext
from unmask.core.case import Case
from unmask.core.errors import ConfigError
from unmask.core.fetch.client import Fetcher
from unmask.infra.base import Failure, Observation, ScanContext, Source
from unmask.infra.ct import CertificateTransparency, CtOptions
from unmask.infra.rdap import RdapLookup, RdapOptions
from unmask.infra.web import WebFingerprint

DOMAIN = "invented-tube.test"
CLOSED = "http://127.0.0.1:9"
"""Nothing listens there: every connection is refused."""
NETWORK = {"objectClassName": "ip network", "handle": "NET-1", "name": "INVENTED-NET", "country": "NL"}


def run_sources(
    case: Case, base: str, sources: list[Source[Any]], ctxs: list[SourceContext]
) -> list[Observation | Failure]:
    """Every source over every context, as a scan runs them (``collect``), with the site and the data
    services all at ``base``."""
    case.config.fetch.delay = 0.0
    case.config.fetch.retries = 0
    items: list[Observation | Failure] = []

    async def go() -> None:
        async with Fetcher.for_case(case, purpose="test", scope=loopback_scope()) as fetcher:
            for ctx in ctxs:
                ctx.site_fetcher = ctx.data_fetcher = fetcher
                ctx.url_map = {f"https://{ctx.domain}": base, f"http://{ctx.domain}": base}
                for source in sources:
                    await source.collect(ctx, items.append)

    asyncio.run(go())
    return items


def failures(items: list[Observation | Failure]) -> list[Failure]:
    return [i for i in items if isinstance(i, Failure)]


def three_sources(base: str) -> list[Source[Any]]:
    return [
        WebFingerprint(),
        RdapLookup(RdapOptions(base_url=f"{base}/rdap")),
        CertificateTransparency(CtOptions(url=f"{base}/ct")),
    ]


def test_a_refused_connection_is_one_failure_with_one_text_from_every_source(sqlite_case: Case) -> None:
    found = failures(run_sources(sqlite_case, CLOSED, three_sources(CLOSED), [SourceContext(DOMAIN)]))
    assert [(f.source, f.subject) for f in found] == [("web", DOMAIN), ("rdap", DOMAIN), ("ct", DOMAIN)]
    web, rdap, ct = (f.error for f in found)
    assert rdap == ct and rdap.startswith("connect: ")
    assert web == f"https: {rdap}; http: {rdap}"  # the site is tried on both schemes, each the same text


def test_an_error_status_is_one_failure_with_one_text_from_every_source(sqlite_case: Case) -> None:
    busy = Reply(503, "busy")
    routes = {"/": busy, f"/rdap/domain/{DOMAIN}": busy, f"/ct?q=%25.{DOMAIN}&output=json": busy}
    with JsonServer(routes) as server:
        items = run_sources(sqlite_case, server.base, three_sources(server.base), [SourceContext(DOMAIN)])
        asked = [r.path for r in server.requests if r.path != "/robots.txt"]
    assert failures(items) == [Failure(name, DOMAIN, "http 503") for name in ("web", "rdap", "ct")]
    assert ("web.status", "503") in {(o.kind, o.value) for o in items if isinstance(o, Observation)}
    assert len(asked) == 3, asked  # each asked once: no source retries on its own


@pytest.fixture
def rdap() -> Iterator[JsonServer]:
    routes = {"/rdap/ip/192.0.2.10": Reply(200, NETWORK, content_type="application/rdap+json")}
    routes |= {f"/rdap/domain/d{i}.test": Reply(503, "busy") for i in range(6)}
    with JsonServer(routes) as server:
        yield server


def contexts(count: int, address: str = "192.0.2.10") -> list[SourceContext]:
    found = []
    for i in range(count):
        ctx = SourceContext(f"d{i}.test")
        ctx.observations.append(Observation("dns.a", address, ctx.domain, "dns"))
        found.append(ctx)
    return found


def test_one_address_behind_many_domains_is_asked_once_per_scan(sqlite_case: Case, rdap: JsonServer) -> None:
    source = RdapLookup(RdapOptions(base_url=rdap.url("/rdap")), give_up_after=0)
    items = run_sources(sqlite_case, rdap.base, [source], contexts(3))
    asked = [r.path for r in rdap.requests if r.path.startswith("/rdap/ip/")]
    assert asked == ["/rdap/ip/192.0.2.10"]
    hosters = [o for o in items if isinstance(o, Observation) and o.kind == "rdap.network"]
    assert [(o.subject, o.value) for o in hosters] == [("192.0.2.10", "INVENTED-NET")] * 3  # each domain's


def test_a_data_service_that_stops_answering_is_given_up(sqlite_case: Case, rdap: JsonServer) -> None:
    rdap.routes["/rdap/domain/d1.test"] = Reply(404, {"errorCode": 404})  # an answer: the service is there
    source = RdapLookup(RdapOptions(base_url=rdap.url("/rdap")), give_up_after=2)
    items = run_sources(sqlite_case, rdap.base, [source], [SourceContext(f"d{i}.test") for i in range(6)])
    assert [r.path for r in rdap.requests] == [f"/rdap/domain/d{i}.test" for i in range(4)]
    given_up = "gave up after 2 unanswered look-ups (http 503)"
    assert [(f.subject, f.error) for f in failures(items)] == [
        ("d0.test", "http 503"),
        ("d1.test", "http 404"),
        ("d2.test", "http 503"),
        ("d3.test", "http 503"),
        ("d4.test", given_up),  # still a failure of each domain: unknown, never "no records"
        ("d5.test", given_up),
    ]


def test_a_site_source_never_gives_up(sqlite_case: Case) -> None:
    source = WebFingerprint(give_up_after=1)
    items = run_sources(sqlite_case, CLOSED, [source], [SourceContext(f"s{i}.test") for i in range(3)])
    assert len(failures(items)) == 3 and not any("gave up" in f.error for f in failures(items))


class Sleepy(Source):
    name = "sleepy"

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        yield Observation("test.first", "1", ctx.domain, self.name)
        await asyncio.sleep(3600)
        yield Observation("test.never", "1", ctx.domain, self.name)


class Broken(Source):
    name = "broken"

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        yield Observation("test.first", "1", ctx.domain, self.name)
        raise self.error


def collected(source: Source[Any]) -> list[Observation | Failure]:
    items: list[Observation | Failure] = []
    asyncio.run(source.collect(SourceContext("x.test"), items.append))
    return items


def test_a_source_out_of_time_keeps_what_it_found_and_records_a_timeout() -> None:
    items = collected(Sleepy(timeout=0.2))
    assert items == [
        Observation("test.first", "1", "x.test", "sleepy"),
        Failure("sleepy", "x.test", "timeout"),
    ]


def test_a_broken_source_is_a_failure_of_the_domain_and_a_user_error_ends_the_scan() -> None:
    items = collected(Broken(KeyError("boom")))
    assert items[1] == Failure("broken", "x.test", "error: KeyError: 'boom'")
    with pytest.raises(ConfigError):
        collected(Broken(ConfigError("bad option", where="case.yaml")))
