"""The ScanContext of a scan (see unmask.infra.base): what every domain of one scan shares
(:class:`Scanner`: resolver, fetcher, the answer cache) and what the sources of one domain share
(:class:`DomainScan`: the observations so far, pinned HTTP and TLS).

Every name goes through the scan's resolver; HTTP and TLS connections go to the addresses that
resolver gave, with the site's name as Host and SNI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urljoin, urlsplit

from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch.client import REDIRECT_STATUSES, Fetcher
from unmask.core.fetch.exchange import FetchResponse
from unmask.core.fetch.transport import FetchError
from unmask.infra.base import Failure, Observation, ScanOptions
from unmask.infra.connect import TlsError, tls_certificate
from unmask.infra.dns import DnsResult, Resolver


class Scanner:
    """What every domain of one scan shares: resolver, fetcher, settings, the answer cache."""

    def __init__(
        self,
        case: Case,
        options: ScanOptions,
        fetcher: Fetcher | None,
        earlier: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        settings = case.config.infra
        self.case = case
        self.options = options
        self.settings = settings
        self.resolver = Resolver.from_settings(options.resolver or settings.resolver, settings.dns_timeout)
        self.fetcher = fetcher
        self.earlier = earlier or {}
        """Domain → the addresses its own name had before this scan (``--active`` scans only)."""
        self._answers: dict[tuple[str, str], asyncio.Future[DnsResult]] = {}

    async def resolve(self, name: str, rdtype: str) -> DnsResult:
        key = (name.lower().rstrip("."), rdtype.upper())
        future = self._answers.get(key)
        if future is None:
            future = asyncio.ensure_future(self.resolver.query(*key))
            self._answers[key] = future
        return await asyncio.shield(future)


class DomainScan:
    """The ScanContext of one domain (see unmask.infra.base)."""

    def __init__(self, scanner: Scanner, domain: str) -> None:
        self.scanner = scanner
        self.domain = domain
        self.options = scanner.options
        self.earlier_addresses: Sequence[str] = scanner.earlier.get(domain, ())
        self.observations: list[Observation] = []
        self.failures: list[Failure] = []
        self._seen: set[tuple[str, str, str]] = set()

    def add(self, item: Observation | Failure) -> None:
        if isinstance(item, Failure):
            self.failures.append(item)
            return
        key = (item.kind, item.subject, item.value)
        if key not in self._seen:
            self._seen.add(key)
            self.observations.append(item)

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        found = (
            o.value for o in self.observations if o.kind == kind and (subject is None or o.subject == subject)
        )
        return list(dict.fromkeys(found))

    def values_of_kinds(self, kinds: Iterable[str]) -> list[str]:
        """Distinct host names observed under any of these kinds (lower case, no trailing dot)."""
        wanted = set(kinds)
        return list(dict.fromkeys(o.value.lower().rstrip(".") for o in self.observations if o.kind in wanted))

    async def resolve(self, name: str, rdtype: str) -> DnsResult:
        return await self.scanner.resolve(name, rdtype)

    async def address_of(self, host: str) -> str | None:
        """The scan's own first A (else AAAA) answer for a host."""
        for rdtype in ("A", "AAAA"):
            answer = await self.resolve(host, rdtype)
            if answer.records:
                return answer.records[0]
        return None

    async def fetch(self, url: str, *, favicon: bool = False, address: str | None = None) -> FetchResponse:
        fetcher = self.scanner.fetcher
        if fetcher is None or self.options.dns_only:
            raise FetchRefused("no connections in a --dns-only scan", url)
        for _hop in range(fetcher.settings.max_redirects + 1):
            host = urlsplit(url).hostname or ""
            pin = address or await self.address_of(host)
            if pin is None:
                raise FetchError("dns", url, f"the scan's resolver has no address for {host}")
            response = await fetcher.get(url, favicon=favicon, follow_redirects=False, connect_to=pin)
            location = response.header("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            target = urljoin(url, location)
            if urlsplit(target).hostname != host:  # another host: its own answer from the scan's resolver
                address = None
            url = target
        raise FetchRefused(f"more than {fetcher.settings.max_redirects} redirects", url)

    @property
    def data_fetcher(self) -> Fetcher | None:
        """The case's fetcher, unpinned, for data sources that are not the site (RDAP, CT)."""
        return self.scanner.fetcher

    async def tls_certificate(self, host: str, port: int = 443, *, address: str | None = None) -> bytes:
        if self.options.dns_only:
            raise TlsError("tls: no connections in a --dns-only scan")
        pin = address or await self.address_of(host)
        if pin is None:
            raise TlsError(f"tls: no address for {host}")
        fetch = self.scanner.case.config.fetch
        return await tls_certificate(host, port, pin, fetch.connect_timeout, proxy=fetch.proxy)
