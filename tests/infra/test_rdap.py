"""RDAP: the shipped bootstrap, parsing real-shaped answers, and look-ups against a real loopback server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers.json_server import JsonServer, Reply
from tests.helpers.scopes import loopback_scope
from tests.infra.source_context import SourceContext
from unmask.core.case import Case
from unmask.core.errors import ConfigError
from unmask.core.fetch.client import Fetcher
from unmask.core.store.models import Capture
from unmask.infra.base import Failure, Observation
from unmask.infra.rdap import (
    Bootstrap,
    RdapClient,
    RdapError,
    RdapLookup,
    RdapOptions,
    parse_rdap,
    shipped_bootstrap,
)


def _vcard(fn: str, *, email: str | None = None, org: str | None = None, cc: str | None = None) -> list[Any]:
    props: list[Any] = [["version", {}, "text", "4.0"], ["fn", {}, "text", fn]]
    if org:
        props.append(["org", {}, "text", org])
    if email:
        props.append(["email", {}, "text", email])
    if cc:
        props.append(["adr", {"cc": cc}, "text", ["", "", "Main St 1", "Utrecht", "", "3511", ""]])
    return ["vcard", props]


DOMAIN = {
    "objectClassName": "domain",
    "handle": "D1234-TEST",
    "ldhName": "INVENTED-TUBE.TEST",
    "rdapConformance": ["rdap_level_0", "icann_rdap_response_profile_1"],
    "status": ["client transfer prohibited"],
    "events": [
        {"eventAction": "registration", "eventDate": "2019-03-04T10:00:00Z"},
        {"eventAction": "expiration", "eventDate": "2027-03-04T10:00:00Z"},
        {"eventAction": "last update of RDAP database", "eventDate": "2026-11-20T08:00:00Z"},
    ],
    "nameservers": [
        {"objectClassName": "nameserver", "ldhName": "NS1.INVENTED-DNS.TEST"},
        {"objectClassName": "nameserver", "ldhName": "ns2.invented-dns.test."},
    ],
    "entities": [
        {
            "objectClassName": "entity",
            "handle": "9999",
            "roles": ["registrar"],
            "publicIds": [{"type": "IANA Registrar ID", "identifier": "9999"}],
            "vcardArray": _vcard("Example Registrar LLC"),
            "entities": [
                {
                    "objectClassName": "entity",
                    "roles": ["abuse"],
                    "vcardArray": _vcard("Abuse desk", email="Abuse@Registrar.invalid"),
                }
            ],
        },
        {
            "objectClassName": "entity",
            "roles": ["registrant"],
            "vcardArray": _vcard("REDACTED FOR PRIVACY", org="Invented Media Ltd", cc="SC"),
        },
    ],
}

NETWORK = {
    "objectClassName": "ip network",
    "handle": "NET-192-0-2-0-1",
    "startAddress": "192.0.2.0",
    "endAddress": "192.0.2.255",
    "ipVersion": "v4",
    "name": "INVENTED-HOSTING-NET",
    "type": "ASSIGNED PA",
    "country": "NL",
    "parentHandle": "NET-192-0-0-0-0",
    "cidr0_cidrs": [{"v4prefix": "192.0.2.0", "length": 24}],
    "events": [{"eventAction": "registration", "eventDate": "2015-06-01T12:00:00Z"}],
    "entities": [
        {
            "objectClassName": "entity",
            "handle": "ORG-IHB1-TEST",
            "roles": ["registrant"],
            "vcardArray": _vcard("Invented Hosting B.V.", cc="NL"),
        },
        {
            "objectClassName": "entity",
            "handle": "AR1-TEST",
            "roles": ["abuse"],
            "vcardArray": _vcard("Abuse contact", email="abuse@invented-hosting.test"),
        },
    ],
}


def test_shipped_bootstrap_routes_to_the_registries() -> None:
    boot = shipped_bootstrap()
    assert boot.publication and boot.publication.startswith("2026-")
    assert boot.for_domain("invented.com") == ("https://rdap.verisign.com/com/v1/",)
    assert boot.for_domain("a.b.invented.com")[0].startswith("https://rdap.verisign.com/")
    assert boot.for_ip("8.8.8.8")[0] == "https://rdap.arin.net/registry/"
    assert boot.for_ip("185.178.208.10") == ("https://rdap.db.ripe.net/",)
    assert boot.for_ip("2a00:1450::1") == ("https://rdap.db.ripe.net/",)
    assert boot.for_asn(3333) == ("https://rdap.db.ripe.net/",)
    assert boot.for_domain("nothing.invalid") == ()
    client = RdapClient(None, bootstrap=boot)
    assert client.url_for("ip", "8.8.8.8") == "https://rdap.arin.net/registry/ip/8.8.8.8"
    with pytest.raises(RdapError, match="no RDAP server"):
        client.url_for("domain", "nothing.invalid")


def test_parse_domain() -> None:
    record = parse_rdap(DOMAIN, query="invented-tube.test", url="u", capture_id=7)
    assert record.registrar == "Example Registrar LLC"
    assert record.registrant == "Invented Media Ltd"
    assert record.abuse_email == "abuse@registrar.invalid"
    assert record.events["registration"] == "2019-03-04T10:00:00Z"
    assert record.events["expiration"] == "2027-03-04T10:00:00Z"
    assert record.nameservers == ["ns1.invented-dns.test", "ns2.invented-dns.test"]
    assert record.name == "INVENTED-TUBE.TEST" and record.capture_id == 7


def test_parse_network() -> None:
    record = parse_rdap(NETWORK, query="192.0.2.10", url="u", capture_id=None)
    assert (record.name, record.handle, record.country) == ("INVENTED-HOSTING-NET", "NET-192-0-2-0-1", "NL")
    assert record.cidrs == ["192.0.2.0/24"]
    assert record.registrant == "Invented Hosting B.V."
    assert record.abuse_email == "abuse@invented-hosting.test"
    no_cidr0 = {k: v for k, v in NETWORK.items() if k != "cidr0_cidrs"} | {"endAddress": "192.0.3.255"}
    assert parse_rdap(no_cidr0, query="x", url="u", capture_id=None).cidrs == ["192.0.2.0/23"]


@pytest.mark.parametrize(
    ("obj", "error"),
    [
        ([1, 2], "not an RDAP object"),
        ({"errorCode": 404, "title": "Not Found"}, "error 404 Not Found"),
        ({"foo": "bar"}, "no objectClassName"),
    ],
)
def test_parse_rejects_non_rdap(obj: Any, error: str) -> None:
    with pytest.raises(RdapError, match=error):
        parse_rdap(obj, query="q", url="u", capture_id=None)


def test_bootstrap_dir_override_and_errors(tmp_path: Path) -> None:
    (tmp_path / "dns.json").write_text(json.dumps({"services": [[["test"], ["http://127.0.0.1:9/rdap/"]]]}))
    for name in ("ipv4.json", "ipv6.json", "asn.json"):
        (tmp_path / name).write_text(json.dumps({"services": []}))
    boot = Bootstrap.load(tmp_path)
    assert boot.for_domain("invented-tube.test") == ("http://127.0.0.1:9/rdap/",)
    (tmp_path / "asn.json").write_text("{broken")
    with pytest.raises(ConfigError, match=r"asn\.json:1: not JSON"):
        Bootstrap.load(tmp_path)
    with pytest.raises(ConfigError, match="cannot read"):
        Bootstrap.load(tmp_path / "missing")


# ---------------------------------------------------------------------------------- with a real server


@pytest.fixture
def server() -> Iterator[JsonServer]:
    routes = {
        "/rdap/domain/invented-tube.test": Reply(200, DOMAIN, content_type="application/rdap+json"),
        "/rdap/ip/192.0.2.10": Reply(200, NETWORK, content_type="application/rdap+json"),
        "/rdap/ip/192.0.2.11": Reply(429, {"errorCode": 429}, headers={"Retry-After": "0"}),
        "/rdap/ip/192.0.2.12": Reply(200, "{not json", content_type="application/rdap+json"),
        "/rdap/domain/gone.test": Reply(404, {"errorCode": 404, "title": "Not Found"}),
    }
    with JsonServer(routes) as srv:
        yield srv


def _run(case: Case, source: RdapLookup, ctx: SourceContext) -> list[Observation | Failure]:
    async def go() -> list[Observation | Failure]:
        async with Fetcher.for_case(case, purpose="rdap", scope=loopback_scope()) as fetcher:
            ctx.data_fetcher = fetcher
            return [item async for item in source.run(ctx)]

    return asyncio.run(go())


def _case(case: Case) -> Case:
    case.config.fetch.delay = 0.0
    case.config.fetch.retries = 1
    case.config.fetch.backoff_base = 0.0
    return case


def test_lookup_source_end_to_end(case: Case, server: JsonServer) -> None:
    ctx = SourceContext("invented-tube.test")
    ctx.observations += [
        Observation("dns.a", ip, "invented-tube.test", "dns")
        for ip in ("192.0.2.10", "192.0.2.11", "192.0.2.12")
    ]
    source = RdapLookup(RdapOptions(base_url=server.url("/rdap/")))
    items = _run(_case(case), source, ctx)
    observed = {(i.kind, i.subject, i.value) for i in items if isinstance(i, Observation)}
    assert ("rdap.registrar", "invented-tube.test", "Example Registrar LLC") in observed
    assert ("rdap.registrant", "invented-tube.test", "Invented Media Ltd") in observed
    assert ("rdap.abuse_email", "invented-tube.test", "abuse@registrar.invalid") in observed
    assert ("rdap.expiration", "invented-tube.test", "2027-03-04T10:00:00Z") in observed
    assert ("rdap.hoster", "192.0.2.10", "Invented Hosting B.V.") in observed
    assert ("rdap.network", "192.0.2.10", "INVENTED-HOSTING-NET") in observed
    assert ("rdap.cidr", "192.0.2.10", "192.0.2.0/24") in observed
    assert ("rdap.country", "192.0.2.10", "NL") in observed
    assert all(i.capture_id is not None for i in items if isinstance(i, Observation))
    failures = {(f.subject, f.error) for f in items if isinstance(f, Failure)}
    assert failures == {("192.0.2.11", "http 429"), ("192.0.2.12", "rdap: malformed JSON")}
    with case.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Capture)) >= 4
    accept = [r.headers.get("accept", "") for r in server.requests]
    assert all("application/rdap+json" in a for a in accept)


def test_a_missing_domain_is_a_failure(case: Case, server: JsonServer) -> None:
    source = RdapLookup(RdapOptions(base_url=server.url("/rdap")))
    items = _run(_case(case), source, SourceContext("gone.test"))
    assert items == [Failure("rdap", "gone.test", "http 404")]


def test_unreachable_server_is_a_failure(case: Case) -> None:
    source = RdapLookup(RdapOptions(base_url="http://127.0.0.1:9/rdap"))
    case = _case(case)
    case.config.fetch.retries = 0
    (item,) = _run(case, source, SourceContext("invented-tube.test"))
    assert isinstance(item, Failure) and item.error.startswith("connect")


def test_without_a_fetcher_it_says_so() -> None:
    async def go() -> list[Observation | Failure]:
        source = RdapLookup(RdapOptions(base_url="http://127.0.0.1:9/rdap"))
        return [i async for i in source.run(SourceContext("x.test"))]

    assert asyncio.run(go()) == [Failure("rdap", "x.test", "rdap: no fetcher for data sources")]


def test_special_use_names_and_private_addresses_are_not_sent(case: Case) -> None:
    ctx = SourceContext("invented-tube.test")
    ctx.observations += [
        Observation("dns.a", ip, "invented-tube.test", "dns") for ip in ("127.0.0.1", "10.1.2.3")
    ]
    assert _run(_case(case), RdapLookup(), ctx) == []  # shipped bootstrap: nothing to ask, nothing asked
    with case.store.session() as session:
        assert session.scalar(select(func.count()).select_from(Capture)) == 0
