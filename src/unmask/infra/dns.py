"""DNS: one resolver for every name a scan looks up, and the ``dns`` source.

Queries go straight to one server (``--resolver HOST:PORT``, ``infra.resolver`` in case.yaml, else the
first server of the system's resolv.conf) over UDP with TCP fallback, so every answer's response code
is ours to read: NXDOMAIN, SERVFAIL and REFUSED come back as short errors, a silent server as
``timeout``, an empty answer as no records (not an error).
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

import dns.asyncquery
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver

from unmask.core.errors import UnmaskError
from unmask.infra.base import Failure, Observation, ScanContext, Source

APEX_TYPES: tuple[str, ...] = ("A", "AAAA", "CNAME", "NS", "MX", "TXT", "SOA", "CAA")
"""Record types asked for the domain itself."""
HOST_TYPES: tuple[str, ...] = ("A", "AAAA", "CNAME")
"""Record types asked for other hostnames (www. and those other sources report)."""
MAX_TXT_CHARS = 2048
"""A longer TXT record is stored cut to this many characters (detail gives its real length)."""
MAX_RECORDS = 64
"""At most this many records of one type per name are kept."""
MAX_HOSTNAMES = 20
"""At most this many discovered hostnames are resolved per domain."""
UNKNOWN_ERRORS = frozenset({"SERVFAIL", "REFUSED", "timeout"})
"""Errors that say nothing about the records (a change report must not read them as 'no records')."""


def parse_resolver(spec: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT``; a bare address means port 53) → (address, port)."""
    text = spec.strip()
    host, port_text = text, "53"
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise UnmaskError(f"malformed resolver {spec!r}: use HOST:PORT")
            port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    try:
        ipaddress.ip_address(host)
        port = int(port_text)
    except ValueError as exc:
        raise UnmaskError(f"malformed resolver {spec!r}: use HOST:PORT with an IP address") from exc
    if not 0 < port < 65536:
        raise UnmaskError(f"malformed resolver {spec!r}: port out of range")
    return host, port


def system_resolver() -> tuple[str, int]:
    try:
        servers = dns.resolver.Resolver().nameservers
    except (dns.resolver.NoResolverConfiguration, OSError) as exc:
        raise UnmaskError(f"no system DNS resolver ({exc}); pass --resolver HOST:PORT") from exc
    if not servers:
        raise UnmaskError("no system DNS resolver; pass --resolver HOST:PORT")
    return str(servers[0]), 53


@dataclass(slots=True)
class DnsResult:
    """The answer to one query (implements base.DnsAnswer)."""

    records: list[str] = field(default_factory=list)
    error: str | None = None
    ttl: int | None = None
    truncated: int = 0
    """How many records or characters were dropped to keep the answer bounded."""


def rdata_text(rdtype: int, rdata: Any) -> str:
    """One record's value, normalised: lower-case names without the trailing dot, TXT strings joined."""
    if rdtype == dns.rdatatype.TXT:
        strings: Iterable[bytes] = getattr(rdata, "strings", ())
        return b"".join(strings).decode("utf-8", errors="replace")
    if rdtype == dns.rdatatype.MX:
        exchange = str(rdata.exchange).rstrip(".").lower()
        return f"{rdata.preference} {exchange or '.'}"
    if rdtype in (dns.rdatatype.CNAME, dns.rdatatype.NS, dns.rdatatype.PTR):
        return str(rdata.target).rstrip(".").lower()
    if rdtype == dns.rdatatype.SOA:
        mname = str(rdata.mname).rstrip(".").lower()
        rname = str(rdata.rname).rstrip(".").lower()
        return f"{mname} {rname} {rdata.serial}"
    if rdtype == dns.rdatatype.AAAA:
        return ipaddress.ip_address(str(rdata)).compressed
    return str(rdata).lower() if rdtype != dns.rdatatype.CAA else str(rdata)


class Resolver:
    """Queries one DNS server; safe to share by every task of a scan (no state but the address)."""

    def __init__(self, address: str, port: int = 53, *, timeout: float = 5.0, tries: int = 2) -> None:
        self.address = address
        self.port = port
        self.timeout = timeout
        self.tries = tries

    @classmethod
    def from_settings(cls, spec: str | None, timeout: float) -> Resolver:
        address, port = parse_resolver(spec) if spec else system_resolver()
        return cls(address, port, timeout=timeout)

    async def query(self, name: str, rdtype: str) -> DnsResult:
        try:
            qname = dns.name.from_text(name)
            qtype = dns.rdatatype.from_text(rdtype)
        except (dns.exception.DNSException, ValueError) as exc:
            return DnsResult(error=f"bad name: {exc}")
        request = dns.message.make_query(qname, qtype, use_edns=0, payload=4096)
        response: dns.message.Message | None = None
        for attempt in range(self.tries):
            try:
                response, _tcp = await dns.asyncquery.udp_with_fallback(
                    request, self.address, timeout=self.timeout / self.tries, port=self.port
                )
                break
            except dns.exception.Timeout:
                if attempt + 1 == self.tries:
                    return DnsResult(error="timeout")
            except (OSError, dns.exception.DNSException) as exc:
                return DnsResult(error=f"error: {type(exc).__name__}")
        assert response is not None
        rcode = response.rcode()
        if rcode != dns.rcode.NOERROR:
            return DnsResult(error=dns.rcode.to_text(rcode))
        return self._records(response, qtype)

    @staticmethod
    def _records(response: dns.message.Message, qtype: int) -> DnsResult:
        result = DnsResult()
        seen: set[str] = set()
        for rrset in response.answer:
            if rrset.rdtype != qtype or rrset.rdclass != dns.rdataclass.IN:
                continue
            result.ttl = rrset.ttl if result.ttl is None else min(result.ttl, rrset.ttl)
            for rdata in rrset:
                value = rdata_text(qtype, rdata)
                if len(value) > MAX_TXT_CHARS:
                    result.truncated += len(value) - MAX_TXT_CHARS
                    value = value[:MAX_TXT_CHARS]
                if value in seen:
                    continue
                if len(result.records) >= MAX_RECORDS:
                    result.truncated += 1
                    continue
                seen.add(value)
                result.records.append(value)
        return result


def _kind(rdtype: str) -> str:
    return f"dns.{rdtype.lower()}"


async def _records_of(
    ctx: ScanContext, source: str, name: str, types: tuple[str, ...]
) -> AsyncIterator[Observation | Failure]:
    answers = await asyncio.gather(*(ctx.resolve(name, t) for t in types))
    first = answers[0]
    if first.error is not None and first.error not in UNKNOWN_ERRORS:
        # NXDOMAIN and friends: the name is gone, the other types say the same
        yield Failure(source, name, first.error)
        return
    errors = {answer.error for answer in answers}
    if len(errors) == 1 and None not in errors:
        yield Failure(source, name, str(first.error))  # the same error for every type: one result
        return
    for rdtype, answer in zip(types, answers, strict=True):
        if answer.error is not None:
            yield Failure(source, name, answer.error if rdtype == types[0] else f"{answer.error} ({rdtype})")
            continue
        for value in answer.records:
            detail: dict[str, object] = {}
            ttl = getattr(answer, "ttl", None)
            if ttl is not None:
                detail["ttl"] = ttl
            cut = getattr(answer, "truncated", 0)
            if cut:
                detail["truncated"] = cut
            yield Observation(_kind(rdtype), value, name, source, detail or None)


class DnsRecords(Source):
    """A, AAAA, CNAME, NS, MX, TXT, SOA and CAA of the domain; A, AAAA, CNAME of ``www.``."""

    name = "dns"

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        async for item in _records_of(ctx, self.name, ctx.domain, APEX_TYPES):
            yield item
        async for item in _records_of(ctx, self.name, f"www.{ctx.domain}", HOST_TYPES):
            if isinstance(item, Failure) and item.error == "NXDOMAIN":
                continue  # no www. is normal
            yield item


async def resolve_hostnames(ctx: ScanContext, names: Iterable[str]) -> AsyncIterator[Observation | Failure]:
    """A, AAAA and CNAME of hostnames other sources reported (certificate SANs, CT), bounded."""
    for count, name in enumerate(names):
        if count >= MAX_HOSTNAMES:
            break
        async for item in _records_of(ctx, DnsRecords.name, name, HOST_TYPES):
            yield item
