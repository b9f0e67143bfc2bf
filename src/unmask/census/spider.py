"""The census spider (Scrapy): turns responses into PageCommits; the pipeline stores them.

Two phases per run: *enumerate* (robots.txt, sitemaps, listings: where most metadata already is) and
*fill* (item pages, only for items still missing a wanted field). Each phase's state is in the store,
so a resumed run continues in the phase it was in.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator, Iterable
from typing import Any

import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from unmask.census.extract.adapter import Extractor
from unmask.census.model import ItemKind, Link, PageKind, PageResult
from unmask.census.writer import CensusWriter, FrontierRow, PageCommit
from unmask.core.domains import site_key
from unmask.core.fetch.scrapy_bridge import RefusedByPolicy

GONE_STATUSES = frozenset({404, 410})


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


class CensusSpider(scrapy.Spider):
    name = "unmask-census"

    def __init__(
        self,
        *,
        writer: CensusWriter,
        extractor: Extractor,
        base_url: str,
        phase: str,
        initial: list[FrontierRow],
        max_requests: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.writer = writer
        self.extractor = extractor
        self.base_url = base_url
        self.site_host = _host(base_url)
        # passive by default: no request (a redirect included) leaves the investigated site
        self.allowed_domains = [self.site_host]
        self.phase = phase
        self.initial = initial
        self.max_requests = max_requests
        self.scheduled = 0
        self.counters: dict[str, int] = {
            "pages": 0,
            "items": 0,
            "new_items": 0,
            "failed": 0,
            "refused": 0,
            "gone": 0,
            "chains_cut": 0,
        }
        self.notes: list[str] = []
        self.attempted: set[int] = set()
        """Frontier rows requested in this session (a row still pending after that had no result)."""

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> CensusSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        return spider

    # -- requests ---------------------------------------------------------------------------------

    def request_for(self, row: FrontierRow) -> scrapy.Request:
        self.scheduled += 1
        self.attempted.add(row.id)
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

    def schedule(self, rows: Iterable[FrontierRow]) -> None:
        engine = self.crawler.engine
        assert engine is not None
        for row in rows:
            engine.crawl(self.request_for(row))

    async def start(self) -> AsyncIterator[Any]:
        for row in self.initial:
            yield self.request_for(row)

    def on_site(self, url: str) -> bool:
        host = _host(url)
        return host == self.site_host or host.endswith("." + self.site_host)

    # -- responses --------------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterable[PageCommit]:
        row: FrontierRow = response.meta["row"]
        capture_id = response.meta.get("capture_id")
        self.counters["pages"] += 1
        if response.status in GONE_STATUSES:
            yield self._gone(row, capture_id, f"HTTP {response.status}")
            return
        if response.status >= 400:
            self.counters["failed"] += 1
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
            self.counters["failed"] += 1
            yield PageCommit(
                row, capture_id, status="failed", error=f"extraction failed: {type(exc).__name__}: {exc}"
            )
            return
        if result.gone and row.kind == PageKind.ITEM:
            yield self._gone(row, capture_id, "the page says the item was removed")
            return
        links = [link for link in result.links if self._follow(link)]
        next_page = result.next_page if result.next_page and self.on_site(result.next_page) else None
        yield PageCommit(
            frontier=row,
            capture_id=capture_id,
            items=result.items,
            links=links,
            next_page=next_page,
            sorted_newest=row.kind == PageKind.LISTING and self.extractor.sorted_newest(row.url),
            error="truncated" if "truncated" in response.flags else None,
        )

    def _follow(self, link: Link) -> bool:
        return link.kind == PageKind.SITEMAP or self.on_site(link.url)

    def _gone(self, row: FrontierRow, capture_id: int | None, why: str) -> PageCommit:
        self.counters["gone"] += 1
        if row.kind == PageKind.ITEM:
            ident = self.extractor.identify(row.url)
            if ident is not None:
                self.writer.mark_item_gone(ident[0], ident[1])
        return PageCommit(row, capture_id, status="gone", error=why)

    def on_error(self, failure: Failure) -> None:
        request = getattr(failure, "request", None)
        if request is None:
            return
        row: FrontierRow = request.meta["row"]
        exc = failure.value
        if isinstance(exc, RefusedByPolicy):
            status, why = "refused", exc.reason
        elif isinstance(exc, IgnoreRequest):
            status, why = "refused", str(exc) or "ignored"
        else:
            status, why = "failed", f"{type(exc).__name__}: {exc}"
        self.counters["refused" if status == "refused" else "failed"] += 1
        self.writer.fail(row.id, status, why, request.meta.get("capture_id"))

    # -- phases -----------------------------------------------------------------------------------

    def wanted(self) -> dict[ItemKind, frozenset[str]]:
        return {kind: self.extractor.wanted(kind) for kind in ItemKind}

    def on_idle(self, spider: scrapy.Spider) -> None:
        if self.phase == "done":
            return
        if self.scheduled >= self.max_requests:
            self.notes.append(f"stopped at the request cap ({self.max_requests})")
            return
        if self.phase == "enumerate":
            self.phase = "fill"
            self.writer.set_phase("fill")
        rows: list[FrontierRow] = []
        for links in self.writer.incomplete_items(self.wanted()):
            rows.extend(self.writer.enqueue(links))
            if len(rows) >= 2000:
                break
        if rows:
            self.schedule(rows)
            raise DontCloseSpider
        rows = self.writer.release_deferred(self.extractor.identify)
        if rows:
            self.schedule(rows)
            raise DontCloseSpider
        pending = []
        for row in self.writer.pending():
            if row.id in self.attempted:  # fetched, yet nothing stored: never loop on it
                self.counters["failed"] += 1
                self.writer.fail(
                    row.id, "failed", "no result was stored for this page (see the crawl log)", None
                )
            else:
                pending.append(row)
        if pending:  # rows not scheduled yet (beyond the request budget of an earlier session)
            self.schedule(pending)
            raise DontCloseSpider
        self.phase = "done"
        self.writer.set_phase("done")
