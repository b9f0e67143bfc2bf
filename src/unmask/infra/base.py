"""The shape every infrastructure data source shares (bbot-style: one short class per source).

A scan of one domain runs the registered sources in order over a shared :class:`ScanContext`.
Each source reads what earlier sources observed (``ctx.values("dns.a")``) and yields
:class:`Observation` values; a look-up that fails is a :class:`Failure`, recorded and shown,
and the scan goes on. Sources never talk to the store, never open their own HTTP client and
never resolve names themselves: DNS goes through ``ctx.resolve``, HTTP through ``ctx.fetch``
(which pins connections to the addresses the scan's resolver gave, and records evidence), and
TLS handshakes through ``ctx.tls_certificate``.

Observation kinds are dotted names (``dns.a``, ``net.asn``, ``masking``, ``cert.sha256``,
``web.title``, ``linking_id``, ``rdap.registrar`` …). The change report maps them onto the
contract's change kinds (``ip``, ``asn``, ``country``, ``masking``, ``nameserver``,
``certificate``, ``linking_id`` …) in one table (unmask.infra.changes).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.exchange import FetchResponse


@dataclass(frozen=True, slots=True)
class Observation:
    """One fact seen in a scan: ``subject`` (a hostname or an IP) has ``kind`` = ``value``.

    Values of one kind form a set per subject (several A records, several linking IDs).
    """

    kind: str
    value: str
    subject: str
    source: str
    detail: Mapping[str, Any] | None = None
    """JSON-able extras (TTL, certificate fields, where an ID was found, the matched range)."""
    capture_id: int | None = None
    """The evidence capture (WARC record) this came from, when it came over HTTP."""


@dataclass(frozen=True, slots=True)
class Failure:
    """A look-up that did not answer: a result, not an error of the scan."""

    source: str
    subject: str
    error: str
    """Short and stable: ``NXDOMAIN``, ``SERVFAIL``, ``REFUSED``, ``timeout``, ``tls: …``, ``http 404``."""


@dataclass(frozen=True)
class ScanOptions:
    dns_only: bool = False
    """DNS and offline look-ups alone: no connection to any resolved address."""
    active: bool = False
    """Allow sources that contact servers other than the site and its data sources (origin probing)."""
    resolver: str | None = None
    """HOST:PORT; None uses case.yaml's infra.resolver, then the system resolver."""


class DnsAnswer(Protocol):
    records: list[str]
    error: str | None


class ScanContext(Protocol):
    """What a source may use. Implemented by unmask.infra.scan."""

    domain: str
    options: ScanOptions
    observations: list[Observation]
    failures: list[Failure]

    @property
    def data_fetcher(self) -> Fetcher | None:
        """The case's fetcher, unpinned, for the scan's data sources (RDAP, certificate transparency);
        None in a --dns-only scan."""
        ...

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        """Distinct values observed so far of one kind (optionally for one subject), in order seen."""
        ...

    async def resolve(self, name: str, rdtype: str) -> DnsAnswer:
        """A DNS query through the scan's resolver; failures come back in ``error``, never raised."""
        ...

    async def fetch(self, url: str, *, favicon: bool = False, address: str | None = None) -> FetchResponse:
        """GET through the case's fetch layer, connecting to ``address`` (default: the scan's own answer
        for the URL's host) with the URL's Host and SNI. Raises FetchError/FetchRefused on failure."""
        ...

    async def tls_certificate(self, host: str, port: int = 443, *, address: str | None = None) -> bytes:
        """The DER certificate the server presents for SNI ``host`` (chain not verified: we record it)."""
        ...


@dataclass
class Source(abc.ABC):
    """A data source of the infrastructure scan. Subclasses are short: a name and ``run``."""

    name: ClassVar[str]
    after: ClassVar[tuple[str, ...]] = ()
    """Names of sources whose observations this one reads; the scan runs those first."""
    connects: ClassVar[bool] = False
    """Talks to the investigated servers (HTTP/TLS): skipped with ``--dns-only``."""
    active: ClassVar[bool] = False
    """Talks to servers other than the site and its data sources: runs only with ``--active``."""
    settings: Mapping[str, Any] = field(default_factory=dict)

    @abc.abstractmethod
    def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        """Yield observations and failures (an async generator)."""
        ...
