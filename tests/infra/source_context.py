"""A small real ScanContext for testing one source alone: given observations, the case's real Fetcher.

``fetch`` goes through the Fetcher to the URL as given (tests serve the site on loopback, so no pinning
is needed); DNS and TLS are not used by the sources tested with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from unmask.core.errors import FetchRefused
from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.exchange import FetchResponse
from unmask.infra.base import Failure, Observation, ScanOptions


@dataclass
class SourceContext:
    domain: str
    options: ScanOptions = field(default_factory=ScanOptions)
    observations: list[Observation] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    earlier_addresses: list[str] = field(default_factory=list)
    site_fetcher: Fetcher | None = None
    """Used by ``fetch`` (the site); None: the site is never contacted."""
    url_map: dict[str, str] = field(default_factory=dict)
    """Rewrites of URL prefixes (``https://site.test`` → ``http://127.0.0.1:PORT``) for ``fetch``."""
    fetched: list[str] = field(default_factory=list)
    data_fetcher: Fetcher | None = None
    """The unpinned fetcher for data sources (RDAP, CT); None: they use the one they were given."""

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        found = (o.value for o in self.observations if o.kind == kind and subject in (None, o.subject))
        return list(dict.fromkeys(found))

    async def resolve(self, name: str, rdtype: str) -> Any:
        raise AssertionError("this source resolves nothing")

    async def fetch(self, url: str, *, favicon: bool = False, address: str | None = None) -> FetchResponse:
        if self.site_fetcher is None or self.options.dns_only:
            raise FetchRefused("no connections in this test", url)
        self.fetched.append(url)
        target = url
        for prefix, replacement in self.url_map.items():
            if url.startswith(prefix):
                target = replacement + url[len(prefix) :]
                break
        return await self.site_fetcher.get(target, favicon=favicon)

    async def tls_certificate(self, host: str, port: int = 443, *, address: str | None = None) -> bytes:
        raise AssertionError("this source makes no TLS handshake")
