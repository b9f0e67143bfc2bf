"""Addresses to networks, offline: AS name, announced range and country from the data geoip2fast
ships (GeoLite2 derived, 2024-06), AS numbers from a user-supplied MaxMind-format ``.mmdb`` (the source's
option ``mmdb``).

The geoip2fast tables take a few tenths of a second to load; they are loaded once per process.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask.core.errors import ConfigError
from unmask.infra.base import Failure, Observation, ScanContext, Source, option


@dataclass(frozen=True, slots=True)
class NetworkInfo:
    ip: str
    scope: str
    """public | private | loopback | link-local | reserved | multicast"""
    asn_name: str | None = None
    asn: int | None = None
    cidr: str | None = None
    country: str | None = None


def address_scope(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if ip.is_reserved or ip.is_unspecified:
        return "reserved"
    return "public"


@functools.cache
def _geoip(version: int) -> Any:
    from geoip2fast import GeoIP2Fast

    data = "geoip2fast-asn.dat.gz" if version == 4 else "geoip2fast-asn-ipv6.dat.gz"
    return GeoIP2Fast(geoip2fast_data_file=data)


@functools.cache
def _mmdb(path: str) -> Any:
    import maxminddb

    try:
        return maxminddb.open_database(path)
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise ConfigError(f"cannot read the MaxMind database ({exc})", where=path) from exc


def open_mmdb(path: str | None) -> Any:
    """The user's .mmdb reader (checked up front so a bad path is one clear error), or None."""
    if not path:
        return None
    if not Path(path).is_file():
        raise ConfigError("no such MaxMind database file", where=path)
    return _mmdb(str(Path(path).resolve()))


def _mmdb_fields(record: Mapping[str, Any] | None) -> tuple[int | None, str | None, str | None]:
    if not isinstance(record, Mapping):
        return None, None, None
    number = record.get("autonomous_system_number")
    org = record.get("autonomous_system_organization")
    country = None
    for key in ("country", "registered_country"):
        entry = record.get(key)
        if isinstance(entry, Mapping) and isinstance(entry.get("iso_code"), str):
            country = entry["iso_code"]
            break
    return (
        number if isinstance(number, int) else None,
        org if isinstance(org, str) else None,
        country,
    )


def lookup(ip_text: str, mmdb: Any = None) -> NetworkInfo:
    """What the offline data says of one address (private and loopback ones are not looked up)."""
    ip = ipaddress.ip_address(ip_text)
    scope = address_scope(ip)
    if scope != "public":
        return NetworkInfo(ip.compressed, scope)
    found = _geoip(ip.version).lookup(ip.compressed)
    asn_name = found.asn_name or None
    country = found.country_code if found.country_code and found.country_code != "--" else None
    cidr = found.asn_cidr or found.cidr or None
    asn = None
    if mmdb is not None:
        number, org, mm_country = _mmdb_fields(mmdb.get(ip.compressed))
        asn = number
        asn_name = asn_name or org
        country = country or mm_country
    return NetworkInfo(ip.compressed, scope, asn_name, asn, cidr, country)


@dataclass(frozen=True)
class NetworkOptions:
    mmdb: str | None = option(
        None, "a MaxMind-format .mmdb (ASN or City) that adds AS numbers to the shipped offline data"
    )


class Networks(Source[NetworkOptions]):
    """``net.asn_name``, ``net.asn``, ``net.cidr``, ``net.country`` (or ``net.scope``) of every address."""

    name = "networks"
    after = ("dns",)

    def prepare(self) -> None:
        open_mmdb(self.options.mmdb)  # a bad path is the user's to fix before anything runs

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        mmdb = open_mmdb(self.options.mmdb)
        for ip in dict.fromkeys([*ctx.values("dns.a"), *ctx.values("dns.aaaa")]):
            try:
                info = lookup(ip, mmdb)
            except ValueError:
                yield Failure(self.name, ip, "not an IP address")
                continue
            if info.scope != "public":
                yield Observation("net.scope", info.scope, info.ip, self.name)
                continue
            if info.asn_name:
                yield Observation("net.asn_name", info.asn_name, info.ip, self.name)
            if info.asn is not None:
                yield Observation("net.asn", f"AS{info.asn}", info.ip, self.name)
            if info.cidr:
                yield Observation("net.cidr", info.cidr, info.ip, self.name)
            if info.country:
                yield Observation("net.country", info.country, info.ip, self.name)
            if not (info.asn_name or info.cidr or info.country):
                yield Failure(self.name, info.ip, "not in the offline network data")
