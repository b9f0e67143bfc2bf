"""The resolver and name handling against a real Knot DNS on loopback (no packet leaves the machine)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.dns_server import Blackhole, DnsServer
from unmask.core.domains import BadDomain, domain_name
from unmask.core.errors import UnmaskError
from unmask.infra.dns import MAX_TXT_CHARS, DnsResult, Resolver, parse_resolver

BIG_TXT = " ".join(f'"{chr(97 + i % 26) * 250}"' for i in range(40))  # one 10 kB record: UDP truncates, TCP


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsServer]:
    with DnsServer(tmp_path_factory.mktemp("dns")) as dns:
        dns.zone(
            "records.test",
            [
                "@ A 127.0.0.5",
                "@ A 127.0.0.6",
                "@ AAAA 2001:DB8:0:0::1",
                "@ NS NS1.Records.Test.",
                "@ MX 10 Mail.Records.test.",
                '@ TXT "v=spf1 " "ip4:127.0.0.5 -all"',
                '@ TXT "google-site-verification=abc123"',
                '@ CAA 0 issue "letsencrypt.org"',
                "www CNAME records.test.",
                "alias CNAME elsewhere.example.",
                f"big TXT {BIG_TXT}",
            ],
        )
        dns.zone("xn--bcher-kva.test", ["@ A 127.0.0.9"])
        dns.broken("broken.test")
        dns.start()
        yield dns


def ask(server: DnsServer, name: str, rdtype: str) -> DnsResult:
    resolver = Resolver("127.0.0.1", server.port, timeout=3)
    return asyncio.run(resolver.query(name, rdtype))


@pytest.mark.parametrize(
    ("name", "rdtype", "expected"),
    [
        ("records.test", "A", ["127.0.0.5", "127.0.0.6"]),
        ("records.test", "AAAA", ["2001:db8::1"]),
        ("records.test", "NS", ["ns1.records.test"]),
        ("records.test", "MX", ["10 mail.records.test"]),
        ("records.test", "TXT", ["google-site-verification=abc123", "v=spf1 ip4:127.0.0.5 -all"]),
        ("records.test", "CAA", ['0 issue "letsencrypt.org"']),
        ("www.records.test", "CNAME", ["records.test"]),
        ("www.records.test", "A", ["127.0.0.5", "127.0.0.6"]),
        ("alias.records.test", "CNAME", ["elsewhere.example"]),
        ("records.test", "SRV", []),
    ],
)
def test_records_are_normalised(server: DnsServer, name: str, rdtype: str, expected: list[str]) -> None:
    result = ask(server, name, rdtype)
    assert result.error is None
    assert sorted(result.records) == sorted(expected)


def test_soa_is_mname_rname_serial(server: DnsServer) -> None:
    (soa,) = ask(server, "records.test", "SOA").records
    mname, rname, serial = soa.split()
    assert (mname, rname) == ("ns1.records.test", "hostmaster.records.test")
    assert serial.isdigit()


@pytest.mark.parametrize(
    ("name", "error"),
    [("nothing.records.test", "NXDOMAIN"), ("www.broken.test", "SERVFAIL"), ("outside.example", "REFUSED")],
)
def test_failures_are_short_errors(server: DnsServer, name: str, error: str) -> None:
    result = ask(server, name, "A")
    assert (result.error, result.records) == (error, [])


def test_silent_server_is_a_timeout() -> None:
    hole = Blackhole()
    try:
        result = asyncio.run(Resolver("127.0.0.1", hole.port, timeout=0.4).query("any.test", "A"))
    finally:
        hole.close()
    assert result.error == "timeout"


def test_huge_txt_goes_over_tcp_and_is_cut(server: DnsServer) -> None:
    result = ask(server, "big.records.test", "TXT")
    assert result.error is None
    (value,) = result.records
    assert len(value) == MAX_TXT_CHARS
    assert result.truncated == 40 * 250 - MAX_TXT_CHARS


def test_unicode_domain_is_queried_as_punycode(server: DnsServer) -> None:
    name = domain_name("Bücher.TEST.")
    assert (name.ascii, name.unicode) == ("xn--bcher-kva.test", "bücher.test")
    assert ask(server, name.ascii, "A").records == ["127.0.0.9"]


@pytest.mark.parametrize("text", ["", "  ", ".", "a..b", "x" * 64 + ".test", "bad name.test"])
def test_bad_domain_names(text: str) -> None:
    with pytest.raises(BadDomain):
        domain_name(text)


def test_url_is_accepted_as_its_host() -> None:
    assert domain_name("https://Example.com/path").ascii == "example.com"


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("127.0.0.1:5353", ("127.0.0.1", 5353)), ("[::1]:53", ("::1", 53)), ("10.0.0.1", ("10.0.0.1", 53))],
)
def test_resolver_spec(spec: str, expected: tuple[str, int]) -> None:
    assert parse_resolver(spec) == expected


@pytest.mark.parametrize("spec", ["localhost:53", "127.0.0.1:x", "127.0.0.1:70000", "1.2.3.4:5:6", ""])
def test_malformed_resolver(spec: str) -> None:
    with pytest.raises(UnmaskError, match="malformed resolver"):
        parse_resolver(spec)


def test_server_answers_new_zone_after_reload(tmp_path: Path) -> None:
    with DnsServer(tmp_path) as dns:
        dns.zone("hop.test", ["@ A 127.0.0.10"])
        dns.start()
        assert ask(dns, "hop.test", "A").records == ["127.0.0.10"]
        dns.zone("hop.test", ["@ A 127.0.0.11"])
        dns.reload()
        assert ask(dns, "hop.test", "A").records == ["127.0.0.11"]
