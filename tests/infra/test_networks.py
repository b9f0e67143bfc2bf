"""Addresses to networks from the offline data geoip2fast ships, plus a user .mmdb for AS numbers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from mmdb_writer import MMDBWriter
from netaddr import IPSet

from unmask.core.errors import ConfigError
from unmask.infra.base import Observation, ScanOptions
from unmask.infra.networks import NetworkOptions, Networks, lookup, open_mmdb


@pytest.mark.parametrize(
    ("ip", "asn_name", "country"),
    [
        ("104.16.132.229", "CLOUDFLARENET", "US"),
        ("185.178.208.10", "Ddos-guard Ltd", "RU"),
        ("151.101.1.69", "FASTLY", "US"),
        ("2606:4700::6810:84e5", "CLOUDFLARENET", "US"),
    ],
)
def test_public_addresses_offline(ip: str, asn_name: str, country: str) -> None:
    info = lookup(ip)
    assert (info.scope, info.asn_name, info.country) == ("public", asn_name, country)
    assert info.cidr and "/" in info.cidr
    assert info.asn is None  # the shipped data has no AS numbers


@pytest.mark.parametrize(
    ("ip", "scope"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("192.168.1.1", "private"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("fd00::1", "private"),
    ],
)
def test_private_addresses_are_not_looked_up(ip: str, scope: str) -> None:
    info = lookup(ip)
    assert info.scope == scope
    assert (info.asn_name, info.cidr, info.country) == (None, None, None)


def make_mmdb(path: Path) -> Path:
    writer = MMDBWriter(ip_version=6, ipv4_compatible=True, database_type="GeoLite2-ASN")
    writer.insert_network(
        IPSet(["104.16.0.0/13"]),
        {"autonomous_system_number": 13335, "autonomous_system_organization": "CLOUDFLARENET"},
    )
    writer.insert_network(
        IPSet(["91.198.174.0/24"]),
        {"autonomous_system_number": 64500, "autonomous_system_organization": "Invented Hosting Ltd"},
    )
    writer.to_db_file(str(path))
    return path


def test_mmdb_adds_as_numbers(tmp_path: Path) -> None:
    reader = open_mmdb(str(make_mmdb(tmp_path / "asn.mmdb")))
    assert lookup("104.16.132.229", reader).asn == 13335
    doc = lookup("91.198.174.7", reader)
    assert doc.asn == 64500
    assert doc.asn_name == "Invented Hosting Ltd"  # the shipped data has no name for this range


def test_missing_or_bad_mmdb_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such"):
        open_mmdb(str(tmp_path / "absent.mmdb"))
    bad = tmp_path / "bad.mmdb"
    bad.write_bytes(b"not a database")
    with pytest.raises(ConfigError, match="cannot read"):
        open_mmdb(str(bad))


class FakeContext:
    """Only what Networks reads: earlier observations."""

    domain = "site.test"
    options = ScanOptions(dns_only=True)

    def __init__(self, observations: list[Observation]) -> None:
        self.observations = observations
        self.failures: list[object] = []

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        return list(dict.fromkeys(o.value for o in self.observations if o.kind == kind))


def test_source_yields_one_observation_per_fact(tmp_path: Path) -> None:
    ctx = FakeContext(
        [
            Observation("dns.a", "104.16.132.229", "site.test", "dns"),
            Observation("dns.a", "127.0.0.1", "www.site.test", "dns"),
            Observation("dns.aaaa", "2606:4700::6810:84e5", "site.test", "dns"),
        ]
    )
    source = Networks(NetworkOptions(mmdb=str(make_mmdb(tmp_path / "asn.mmdb"))))

    async def collect() -> list[object]:
        return [item async for item in source.run(ctx)]  # type: ignore[arg-type]

    items = asyncio.run(collect())
    facts = {(o.kind, o.subject, o.value) for o in items if isinstance(o, Observation)}
    assert ("net.asn", "104.16.132.229", "AS13335") in facts
    assert ("net.asn_name", "104.16.132.229", "CLOUDFLARENET") in facts
    assert ("net.country", "2606:4700::6810:84e5", "US") in facts
    assert ("net.scope", "127.0.0.1", "loopback") in facts
    assert not any(kind.startswith("net.asn") and subject == "127.0.0.1" for kind, subject, _ in facts)
