"""Masking services (CDN, reverse proxy, DDoS protection) recognised from data (data/masking.yaml):
published ranges, AS names and numbers, response headers, CNAME and NS suffixes. One generic matcher.
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from unmask.core.errors import ConfigError
from unmask.infra.base import Failure, Observation, ScanContext, Source

HEADER_KINDS = ("web.header",)
"""Observation kinds holding response headers as ``name: value`` (written by the web source)."""


@dataclass(frozen=True, slots=True)
class HeaderSignature:
    name: str
    value: re.Pattern[str] | None


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    asn_names: frozenset[str] = frozenset()
    asns: frozenset[int] = frozenset()
    headers: tuple[HeaderSignature, ...] = ()
    cname_suffixes: tuple[str, ...] = ()
    ns_suffixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Evidence:
    service: str
    type: str
    """range | asn | header | cname | ns"""
    subject: str
    matched: str
    """The range, AS, header line or name that matched."""

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "subject": self.subject, "matched": self.matched}


@dataclass
class MaskingTable:
    services: list[Service]
    strength: dict[str, str]
    _starts: dict[int, list[int]] = field(default_factory=dict)
    _ranges: dict[int, list[tuple[int, int, str, str]]] = field(default_factory=dict)

    def add_range(self, cidr: str, service: str) -> None:
        net = ipaddress.ip_network(cidr, strict=False)
        entries = self._ranges.setdefault(net.version, [])
        entries.append((int(net.network_address), int(net.broadcast_address), net.with_prefixlen, service))

    def finish(self) -> None:
        for version, entries in self._ranges.items():
            entries.sort()
            self._starts[version] = [start for start, *_ in entries]

    def ranges_of(self, ip_text: str) -> Iterable[tuple[str, str]]:
        """(service, range) pairs whose published range holds the address."""
        try:
            ip = ipaddress.ip_address(ip_text)
        except ValueError:
            return
        entries = self._ranges.get(ip.version, [])
        value = int(ip)
        index = bisect.bisect_right(self._starts.get(ip.version, []), value)
        # ranges may nest: walk back over every range starting at or before the address
        for start, end, cidr, service in reversed(entries[:index]):
            if start <= value <= end:
                yield service, cidr

    def match(
        self,
        *,
        ips: Iterable[str] = (),
        asn_names: Iterable[tuple[str, str]] = (),
        asns: Iterable[tuple[str, str]] = (),
        headers: Iterable[tuple[str, str]] = (),
        cnames: Iterable[tuple[str, str]] = (),
        nameservers: Iterable[tuple[str, str]] = (),
    ) -> list[Evidence]:
        """Every piece of evidence: pairs are (subject, value); headers are (subject, 'name: value')."""
        found: list[Evidence] = []
        for ip in ips:
            found.extend(Evidence(service, "range", ip, cidr) for service, cidr in self.ranges_of(ip))
        for subject, name in asn_names:
            found.extend(
                Evidence(s.name, "asn", subject, name)
                for s in self.services
                if name.casefold() in s.asn_names
            )
        for subject, number in asns:
            digits = number.upper().removeprefix("AS")
            if digits.isdigit():
                found.extend(
                    Evidence(s.name, "asn", subject, f"AS{digits}")
                    for s in self.services
                    if int(digits) in s.asns
                )
        for subject, line in headers:
            hname, _, hvalue = line.partition(":")
            hname, hvalue = hname.strip().lower(), hvalue.strip()
            for service in self.services:
                for sig in service.headers:
                    if sig.name == hname and (sig.value is None or sig.value.search(hvalue)):
                        found.append(Evidence(service.name, "header", subject, f"{hname}: {hvalue}"[:200]))
                        break
        for kind, pairs in (("cname", cnames), ("ns", nameservers)):
            for subject, target in pairs:
                name = "." + target.lower().rstrip(".")
                for service in self.services:
                    suffixes = service.cname_suffixes if kind == "cname" else service.ns_suffixes
                    if any(name.endswith(suffix) for suffix in suffixes):
                        found.append(Evidence(service.name, kind, subject, target))
        return found


def _service(entry: Any, where: str, table: MaskingTable) -> Service:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ConfigError("each service needs a name", where=where)
    name = entry["name"]
    try:
        for cidr in entry.get("ranges") or []:
            table.add_range(str(cidr), name)
        headers = tuple(
            HeaderSignature(
                str(h["name"]).lower(), re.compile(str(h["value"]), re.IGNORECASE) if h.get("value") else None
            )
            for h in entry.get("headers") or []
        )
    except (ValueError, KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"service {name!r}: {exc}", where=where) from exc
    return Service(
        name=name,
        asn_names=frozenset(str(n).casefold() for n in entry.get("asn_names") or []),
        asns=frozenset(int(n) for n in entry.get("asns") or []),
        headers=headers,
        cname_suffixes=tuple("." + str(s).lower().lstrip(".") for s in entry.get("cname_suffixes") or []),
        ns_suffixes=tuple("." + str(s).lower().lstrip(".") for s in entry.get("ns_suffixes") or []),
    )


def parse_table(data: Any, where: str = "masking.yaml") -> MaskingTable:
    if not isinstance(data, dict) or not isinstance(data.get("services"), list):
        raise ConfigError("expected a mapping with a list of services", where=where)
    table = MaskingTable([], dict(data.get("evidence_strength") or {}))
    table.services = [_service(entry, where, table) for entry in data["services"]]
    table.finish()
    return table


@functools.cache
def masking_table() -> MaskingTable:
    """The shipped table (loaded once per process)."""
    text = resources.files("unmask.infra").joinpath("data/masking.yaml").read_text(encoding="utf-8")
    return parse_table(yaml.safe_load(text))


def _pairs(ctx: ScanContext, kind: str) -> list[tuple[str, str]]:
    return [(o.subject, o.value) for o in ctx.observations if o.kind == kind]


class Masking(Source):
    """``masking`` = service name, per domain, with the evidence that matched in its detail."""

    name = "masking"
    after = ("dns", "networks", "web")

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        table = masking_table()
        evidence = table.match(
            ips=dict.fromkeys([*ctx.values("dns.a"), *ctx.values("dns.aaaa")]),
            asn_names=_pairs(ctx, "net.asn_name"),
            asns=_pairs(ctx, "net.asn"),
            headers=[pair for kind in HEADER_KINDS for pair in _pairs(ctx, kind)],
            cnames=_pairs(ctx, "dns.cname"),
            nameservers=_pairs(ctx, "dns.ns"),
        )
        by_service: dict[str, list[Evidence]] = {}
        for item in evidence:
            by_service.setdefault(item.service, []).append(item)
        for service, items in by_service.items():
            types = sorted({e.type for e in items})
            strengths = {table.strength.get(t, "weak") for t in types}
            strength = next((s for s in ("strong", "medium", "weak") if s in strengths), "weak")
            yield Observation(
                "masking",
                service,
                ctx.domain,
                self.name,
                {"evidence": [e.as_dict() for e in items[:20]], "types": types, "strength": strength},
            )
