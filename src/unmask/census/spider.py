"""The census spider (Scrapy, on the crawl engine's spider): turns each response, or each request that got
none, into a PageCommit.

The spider reads; it never writes. Every commit goes through the item pipeline (``census/pipeline.py``),
which stores it and feeds Scrapy the next requests from the store's frontier.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scrapy.http import Response

from unmask.census.extract.adapter import Extractor
from unmask.census.model import Link, PageKind, PageResult
from unmask.census.writer import TRUNCATED, FrontierRow, ItemKey, PageCommit
from unmask.core.crawl.spider import GONE_STATUSES, EngineSpider, body_encoding, page_time
from unmask.core.domains import site_key
from unmask.core.urls import canonicalize, path_and_query

CHAIN_KINDS = frozenset({PageKind.LISTING, PageKind.PERSON, PageKind.PAGE})
"""Pages whose ``rel=next`` starts or continues a pagination chain."""


def _host(url: str) -> str:
    return site_key(url) or ""


class CensusSpider(EngineSpider):
    name = "unmask-census"

    def __init__(self, *, extractor: Extractor, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.extractor = extractor
        self.base_url = base_url
        self.site_host = _host(base_url)
        # passive by default: no request (a redirect included) leaves the investigated site
        self.allowed_domains = [self.site_host]

    def on_site(self, url: str) -> bool:
        host = _host(url)
        return host == self.site_host or host.endswith("." + self.site_host)

    def item_key(self, url: str) -> ItemKey:
        """The item an item page stands for: its adapter id, else its path and query (as sitemaps and the
        generic extractor name items); the kind only when the URL says it."""
        known = self.extractor.identify(url)
        return known if known is not None else (None, path_and_query(canonicalize(url)))

    # -- responses --------------------------------------------------------------------------------

    def read(self, response: Response, row: FrontierRow, capture_id: int | None) -> Iterator[PageCommit]:
        if response.status in GONE_STATUSES:
            yield self._gone(row, capture_id, f"HTTP {response.status}")
            return
        if response.status >= 400:
            yield PageCommit(row, capture_id, status="failed", error=f"HTTP {response.status}")
            return
        try:
            result: PageResult = self.extractor.extract(
                row.kind,
                response.url,
                response.body,
                encoding=body_encoding(response),
                fetched_at=page_time(response),
            )
        except Exception as exc:  # hostile input must not stop the crawl; the page is a failed result
            self.logger.exception("extraction failed for %s", response.url)
            yield PageCommit(
                row, capture_id, status="failed", error=f"extraction failed: {type(exc).__name__}: {exc}"
            )
            return
        if result.gone and row.kind == PageKind.ITEM:
            yield self._gone(row, capture_id, "the page says the item was removed")
            return
        links = [link for link in result.links if self._follow(link)]
        next_page = result.next_page if result.next_page and self.on_site(result.next_page) else None
        status, error = "done", TRUNCATED if "truncated" in response.flags else None
        if row.kind == PageKind.SITEMAP and result.error:
            status, error = self._sitemap_outcome(response, result)
        yield PageCommit(
            frontier=row,
            capture_id=capture_id,
            items=result.items,
            links=links,
            next_page=next_page,
            item_keys=self._item_keys(result, links)
            if next_page and row.kind in CHAIN_KINDS
            else frozenset(),
            sorted_newest=row.kind == PageKind.LISTING and self.extractor.sorted_newest(row.url),
            status=status,
            error=error,
        )

    def _sitemap_outcome(self, response: Response, result: PageResult) -> tuple[str, str]:
        """A sitemap that could not be read whole is ``unparsed`` (what came before the damage is kept);
        an HTML page where a sitemap was expected, with nothing in it, is an answer: there is none."""
        ctype = (response.headers.get("Content-Type") or b"").decode("latin-1").lower()
        if "html" in ctype and not result.items and not result.links:
            return "done", f"not a sitemap: {result.error}"
        return "unparsed", result.error or "unreadable"

    def _item_keys(self, result: PageResult, links: list[Link]) -> frozenset[str]:
        """The items a listing page shows, described or only linked, named as the store names them."""
        keys = {r.platform_id or self.item_key(r.url)[1] for r in result.items}
        keys.update(self.item_key(link.url)[1] for link in links if link.kind == PageKind.ITEM)
        return frozenset(keys)

    def _follow(self, link: Link) -> bool:
        return link.kind == PageKind.SITEMAP or self.on_site(link.url)

    def _gone(self, row: FrontierRow, capture_id: int | None, why: str) -> PageCommit:
        gone = self.item_key(row.url) if row.kind == PageKind.ITEM else None
        return PageCommit(row, capture_id, status="gone", error=why, gone_item=gone)

    def unanswered(self, row: FrontierRow, capture_id: int | None, status: str, error: str) -> PageCommit:
        return PageCommit(row, capture_id, status=status, error=error, no_response=True)
