"""The census spider (Scrapy): turns each response, or each request that got none, into a PageCommit.

The spider reads; it never writes. Every commit goes through the item pipeline (``census/pipeline.py``),
which stores it in one transaction and feeds Scrapy the next requests from the store's frontier.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from unmask.census.extract.adapter import Extractor
from unmask.census.model import Link, PageKind, PageResult
from unmask.census.writer import TRUNCATED, FrontierRow, ItemKey, PageCommit
from unmask.core.domains import site_key
from unmask.core.fetch import policy
from unmask.core.fetch.scrapy_bridge import RefusedByPolicy
from unmask.core.urls import canonicalize, path_and_query

GONE_STATUSES = frozenset({404, 410})
ROBOTS_REFUSAL = "Forbidden by robots.txt"
"""The message of the IgnoreRequest Scrapy's RobotsTxtMiddleware raises."""
CHAIN_KINDS = frozenset({PageKind.LISTING, PageKind.PERSON, PageKind.PAGE})
"""Pages whose ``rel=next`` starts or continues a pagination chain."""


def server_time(response: Response) -> dt.datetime | None:
    """The response's Date header (the platform's "now", for "3 weeks ago"), if it is plausible."""
    raw = response.headers.get("Date")
    if not raw:
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return when if dt.datetime(1995, 1, 1) <= when <= now + dt.timedelta(days=1) else None


def _host(url: str) -> str:
    return site_key(url) or ""


NOT_SENT = frozenset({policy.SCHEME, policy.USERINFO, policy.OFF_ORIGIN, policy.PRIVATE_ADDRESS})
"""Refusals made before a request is sent: the page is unread, not answered."""


class CensusSpider(scrapy.Spider):
    name = "unmask-census"

    def __init__(self, *, extractor: Extractor, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.extractor = extractor
        self.base_url = base_url
        self.site_host = _host(base_url)
        # passive by default: no request (a redirect included) leaves the investigated site
        self.allowed_domains = [self.site_host]

    async def start(self) -> AsyncIterator[Any]:
        """Nothing here: the pipeline hands Scrapy the frontier's pending rows, a window at a time."""
        return
        yield  # an async generator that yields nothing

    def request_for(self, row: FrontierRow) -> scrapy.Request:
        return scrapy.Request(
            row.url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=row.priority,
            dont_filter=True,
            # error statuses reach parse_page through HTTPERROR_ALLOW_ALL; "handle_httpstatus_all" in
            # meta would also turn Scrapy's RedirectMiddleware off, and every redirect into an empty page
            meta={"row": row},
        )

    def on_site(self, url: str) -> bool:
        host = _host(url)
        return host == self.site_host or host.endswith("." + self.site_host)

    def item_key(self, url: str) -> ItemKey:
        """The item an item page stands for: its adapter id, else its path and query (as sitemaps and the
        generic extractor name items); the kind only when the URL says it."""
        known = self.extractor.identify(url)
        return known if known is not None else (None, path_and_query(canonicalize(url)))

    # -- responses --------------------------------------------------------------------------------

    def stopping(self) -> bool:
        """The crawl is being stopped (Ctrl-C): pages not yet read stay pending for the next session."""
        engine = self.crawler.engine
        return engine is not None and not engine.running

    def parse_page(self, response: Response) -> Iterator[PageCommit]:
        if self.stopping():
            return
        row: FrontierRow = response.meta["row"]
        capture_id = response.meta.get("capture_id")
        if response.status in GONE_STATUSES:
            yield self._gone(row, capture_id, f"HTTP {response.status}")
            return
        if response.status >= 400:
            yield PageCommit(row, capture_id, status="failed", error=f"HTTP {response.status}")
            return
        fetched_at = (
            server_time(response)
            or response.meta.get("fetched_at")
            or dt.datetime.now(dt.UTC).replace(tzinfo=None)
        )
        encoding = getattr(response, "encoding", None) if hasattr(response, "text") else None
        try:
            result: PageResult = self.extractor.extract(
                row.kind, response.url, response.body, encoding=encoding, fetched_at=fetched_at
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

    def on_error(self, failure: Failure) -> Iterator[PageCommit]:
        """A request that got no page: refused by the fetch policy (media: an answer, not a page),
        disallowed by robots.txt, or failed (no response, a redirect loop, …)."""
        request = getattr(failure, "request", None)
        if request is None or self.stopping():
            return
        row: FrontierRow = request.meta["row"]
        exc = failure.value
        if isinstance(exc, RefusedByPolicy) and policy.refusal_code(exc.reason) in NOT_SENT:
            # nothing was sent (another origin, a private address): the page was not read, which is no
            # answer about it; at the start page it means the site cannot be reached
            status, why = "failed", exc.reason
        elif isinstance(exc, RefusedByPolicy):
            status, why = "refused", exc.reason
        elif isinstance(exc, IgnoreRequest) and str(exc) == ROBOTS_REFUSAL:
            status, why = "disallowed", str(exc)
        elif isinstance(exc, IgnoreRequest):
            status, why = "failed", str(exc) or "ignored"
        else:
            status = "failed"
            why = request.meta.get("unmask_error") or f"{type(exc).__name__}: {exc}"
        yield PageCommit(row, request.meta.get("capture_id"), status=status, error=why, no_response=True)
