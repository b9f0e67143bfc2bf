"""Masking services from the shipped data table: every signature kind, checked from the YAML itself."""

from __future__ import annotations

import asyncio
import ipaddress
from importlib import resources
from typing import Any

import pytest
import yaml

from unmask.core.errors import ConfigError
from unmask.infra.base import Observation, ScanOptions
from unmask.infra.masking import Masking, masking_table, parse_table

DATA: dict[str, Any] = yaml.safe_load(
    resources.files("unmask.infra").joinpath("data/masking.yaml").read_text(encoding="utf-8")
)
SERVICES = DATA["services"]


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [e["name"] for e in entries]


def test_every_service_has_a_signature_and_a_source_note() -> None:
    for entry in SERVICES:
        kinds = [
            k
            for k in ("ranges", "asn_names", "asns", "headers", "cname_suffixes", "ns_suffixes")
            if entry.get(k)
        ]
        assert kinds, entry["name"]
        assert entry.get("ranges_source"), (
            f"{entry['name']}: say where the ranges (or their absence) come from"
        )
    for required in (
        "Cloudflare",
        "DDoS-Guard",
        "Fastly",
        "Akamai",
        "Amazon CloudFront",
        "StormWall",
        "Qrator",
    ):
        assert required in _ids(SERVICES)


@pytest.mark.parametrize(
    "entry", [e for e in SERVICES if e.get("ranges")], ids=_ids([e for e in SERVICES if e.get("ranges")])
)
def test_first_and_last_address_of_every_range(entry: dict[str, Any]) -> None:
    table = masking_table()
    for cidr in entry["ranges"]:
        net = ipaddress.ip_network(cidr)
        for ip in (net.network_address, net.broadcast_address):
            assert (entry["name"], net.with_prefixlen) in set(table.ranges_of(str(ip))), (cidr, ip)


@pytest.mark.parametrize(
    "entry", [e for e in SERVICES if e.get("headers")], ids=_ids([e for e in SERVICES if e.get("headers")])
)
def test_header_signatures(entry: dict[str, Any]) -> None:
    table = masking_table()
    for sig in entry["headers"]:
        value = sig.get("value")
        sample = "x" if value is None else _sample(value)
        found = table.match(headers=[("site.test", f"{sig['name'].title()}: {sample}")])
        assert entry["name"] in {e.service for e in found}, sig


def _sample(pattern: str) -> str:
    """A header value matching a signature's pattern (the patterns are simple by design)."""
    samples = {
        "^cloudflare": "cloudflare",
        "^ddos-guard": "ddos-guard",
        "__ddg": "__ddg1_=abc; path=/",
        "^cache-": "cache-fra-1234-FRA",
        "^akamaighost": "AkamaiGHost",
        "cloudfront": "1.1 abc.cloudfront.net (CloudFront)",
        "stormwall": "StormWall",
        "^qrator": "QRATOR",
        "^sucuri": "Sucuri/Cloudproxy",
        "incapsula|imperva": "Incapsula",
        "incap_ses_|visid_incap_": "visid_incap_123=abc",
        "^1\\.1 google$": "1.1 google",
        "^bunnycdn": "BunnyCDN-DE1-123",
        "^gcore": "gcore",
        "^[a-z]{2,4}\\d+-hw-edge": "ed1-hw-edge-gc12",
        "^vercel": "Vercel",
        "^netlify": "Netlify",
    }
    return samples[pattern]


@pytest.mark.parametrize(
    ("entry", "field", "kind"),
    [
        (e, f, k)
        for e in SERVICES
        for f, k in (("cname_suffixes", "cname"), ("ns_suffixes", "ns"))
        if e.get(f)
    ],
)
def test_name_suffixes(entry: dict[str, Any], field: str, kind: str) -> None:
    table = masking_table()
    for suffix in entry[field]:
        target = "edge123" + suffix if suffix.startswith(".") else "edge123." + suffix
        pairs = [("www.site.test", target)]
        found = table.match(cnames=pairs) if kind == "cname" else table.match(nameservers=pairs)
        assert (entry["name"], kind) in {(e.service, e.type) for e in found}


@pytest.mark.parametrize(
    "entry",
    [e for e in SERVICES if e.get("asn_names")],
    ids=_ids([e for e in SERVICES if e.get("asn_names")]),
)
def test_as_names_and_numbers(entry: dict[str, Any]) -> None:
    table = masking_table()
    for name in entry["asn_names"]:
        assert entry["name"] in {e.service for e in table.match(asn_names=[("192.0.2.1", name.upper())])}
    for number in entry.get("asns") or []:
        assert entry["name"] in {e.service for e in table.match(asns=[("192.0.2.1", f"AS{number}")])}


def test_unrelated_evidence_matches_nothing() -> None:
    table = masking_table()
    found = table.match(
        ips=["127.0.0.1", "10.0.0.1", "192.0.2.1", "2001:db8::1"],
        asn_names=[("x", "Invented Hosting Ltd")],
        headers=[("x", "server: nginx"), ("x", "via: 1.1 googlevideo")],
        cnames=[("x", "cdn.cloudflare.net.example")],
        nameservers=[("x", "ns1.example")],
    )
    assert found == []


def test_bad_table_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        parse_table({"services": [{"name": "X", "ranges": ["not a range"]}]})
    with pytest.raises(ConfigError):
        parse_table({"services": [{"ranges": []}]})
    with pytest.raises(ConfigError):
        parse_table([])


class Ctx:
    domain = "site.test"
    options = ScanOptions(dns_only=True)

    def __init__(self, observations: list[Observation]) -> None:
        self.observations = observations
        self.failures: list[object] = []

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        return list(dict.fromkeys(o.value for o in self.observations if o.kind == kind))


def test_source_reports_each_service_with_its_evidence() -> None:
    ctx = Ctx(
        [
            Observation("dns.a", "104.16.132.229", "site.test", "dns"),
            Observation("net.asn_name", "CLOUDFLARENET", "104.16.132.229", "networks"),
            Observation("dns.ns", "ns1.ddos-guard.net", "site.test", "dns"),
            Observation("web.header", "cf-ray: 8a1b2c3d4e5f-FRA", "https://site.test/", "web"),
        ]
    )

    async def collect() -> list[Any]:
        return [item async for item in Masking().run(ctx)]  # type: ignore[arg-type]

    found = {o.value: o for o in asyncio.run(collect())}
    assert set(found) == {"Cloudflare", "DDoS-Guard"}
    assert found["Cloudflare"].detail is not None
    assert found["Cloudflare"].detail["types"] == ["asn", "header", "range"]
    assert found["Cloudflare"].detail["strength"] == "strong"
    assert found["DDoS-Guard"].detail is not None
    assert found["DDoS-Guard"].detail["strength"] == "weak"
