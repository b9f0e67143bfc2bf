"""The census's one writer inside Scrapy: stores each PageCommit in one transaction, feeds Scrapy the
frontier's pending rows a window at a time, and moves the run through its phases.

Two phases per run: *enumerate* (robots.txt, sitemaps, listings: where most metadata already is) and
*fill* (item pages, only for items still missing a wanted field, and item links no source described).
Each phase's state is in the store, so a resumed run continues in the phase it was in. The frontier
stays in the store; Scrapy holds at most ``schedule_window`` requests, so a site that links millions of
URLs costs store rows, not memory.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from unmask.census.extract.adapter import Extractor
from unmask.census.model import ItemKind
from unmask.census.spider import CensusSpider
from unmask.census.writer import CensusWriter, PageCommit
from unmask.core.fetch.scrapy_bridge import UnmaskCrawler
from unmask.core.fetch.transport import Transport

log = logging.getLogger(__name__)

LOST = "no result was stored for this page (see the crawl log)"


@dataclass
class CrawlJob:
    """What the census's Scrapy components share for one session of a run."""

    writer: CensusWriter
    extractor: Extractor
    start_url: str
    """The run's start page (the first page after robots.txt)."""
    robots_url: str
    phase: str
    max_requests: int
    window: int
    on_commit: Callable[[CrawlJob], None] | None = None
    counters: Counter[str] = field(default_factory=Counter)
    """pages, items, new_items, and the frontier statuses of this session's pages."""
    notes: list[str] = field(default_factory=list)
    start_error: str | None = None
    """Set when the start page and robots.txt got no response at all: the crawl stops, the command fails."""
    unreachable: dict[str, str] = field(default_factory=dict)
    """robots.txt and the start page, when they got no response: URL → error."""
    inflight: set[int] = field(default_factory=set)
    """Frontier rows handed to Scrapy whose commit has not come back yet."""
    scheduled: int = 0
    cursors: dict[ItemKind, int] = field(default_factory=dict)
    """Where the fill phase's search for incomplete items carries on (item id per kind)."""

    def got_no_response(self, url: str, error: str) -> bool:
        """Note a request that got no response; True when robots.txt and the start page both got none."""
        if url in (self.start_url, self.robots_url):
            self.unreachable[url] = error.removeprefix(f"{url}: ")
        return len(self.unreachable) == 2


class CensusCrawler(UnmaskCrawler):
    """A crawler carrying the run's Transport and the census job to the spider's pipeline."""

    def __init__(
        self, spidercls: type[Spider], settings: dict[str, Any], *, transport: Transport, job: CrawlJob
    ) -> None:
        super().__init__(spidercls, settings, transport=transport)
        self.job = job


class CensusPipeline:
    def __init__(self, crawler: Any) -> None:
        if not isinstance(crawler, CensusCrawler):
            raise RuntimeError("the census pipeline runs only in a CensusCrawler")
        self.crawler = crawler
        self.job = crawler.job
        crawler.signals.connect(self.on_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Any) -> CensusPipeline:
        return cls(crawler)

    @property
    def spider(self) -> CensusSpider:
        spider = self.crawler.spider
        assert isinstance(spider, CensusSpider)
        return spider

    # -- commits ----------------------------------------------------------------------------------

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, PageCommit):
            return item
        job = self.job
        row = item.frontier
        job.inflight.discard(row.id)
        job.counters["pages"] += 1
        try:
            result = job.writer.commit(item)
        except Exception as exc:  # the page's transaction was rolled back; record the failure and go on
            log.exception("storing %s failed", row.url)
            job.counters["failed"] += 1
            job.writer.fail(row.id, "failed", f"store failed: {type(exc).__name__}: {exc}", item.capture_id)
        else:
            job.counters[item.status] += 1
            job.counters["items"] += result.items
            job.counters["new_items"] += result.new_items
            if result.ended:
                log.info("pagination from %s not followed: %s", row.url, result.ended)
        if item.no_response and item.status == "failed" and job.got_no_response(row.url, item.error or ""):
            self._stop_on_start_failure(job.unreachable[job.start_url] or "no response")
        else:
            self.refill()
        if job.on_commit is not None:
            job.on_commit(job)
        return item

    def _stop_on_start_failure(self, error: str) -> None:
        if self.job.start_error is None:
            self.job.start_error = error
            engine = self.crawler.engine
            if engine is not None:
                deferred_from_coro(engine.close_spider_async(reason="start_failed"))

    # -- scheduling -------------------------------------------------------------------------------

    def refill(self, *, force: bool = False) -> int:
        """Hand Scrapy pending rows up to the window (once it is half empty, or when ``force``d)."""
        job, engine = self.job, self.crawler.engine
        if engine is None or job.start_error is not None:
            return 0
        room = job.window - len(job.inflight)
        if not force and room < job.window // 2:
            return 0
        room = min(room, job.max_requests - job.scheduled)
        if room <= 0:
            return 0
        rows = job.writer.pending(limit=room, skip=job.inflight)
        for row in rows:
            job.inflight.add(row.id)
            job.scheduled += 1
            engine.crawl(self.spider.request_for(row))
        return len(rows)

    def on_idle(self, spider: Spider) -> None:
        job = self.job
        if job.phase == "done" or job.start_error is not None:
            return
        if job.inflight:  # Scrapy is idle, so nothing is in flight: these requests got no result
            for row_id in sorted(job.inflight):
                job.counters["failed"] += 1
                job.writer.fail(row_id, "failed", LOST, None)
            job.inflight.clear()
        if self.refill(force=True):
            raise DontCloseSpider
        if job.scheduled >= job.max_requests:
            waiting = job.writer.counts()
            if waiting.get("pending") or waiting.get("deferred") or job.phase == "enumerate":
                job.writer.record_limit("requests")
                job.notes.append(f"stopped at the request limit ({job.max_requests:,} a session)")
            job.phase = "done"
            job.writer.set_phase("done")
            return
        if job.phase == "enumerate":
            job.phase = "fill"
            job.writer.set_phase("fill")
        wanted = {kind: job.extractor.wanted(kind) for kind in ItemKind}
        queued = job.writer.queue_incomplete(wanted, job.cursors)
        released = job.writer.release_deferred(self.spider.item_key)
        if not (queued or released) and job.cursors:
            # before the end, once more from the start: an item seen again late in the fill phase (on a
            # gallery's page) may sit behind the cursors
            job.cursors.clear()
            queued = job.writer.queue_incomplete(wanted, job.cursors)
        if (queued or released) and self.refill(force=True):
            raise DontCloseSpider
        if queued or released:  # rows were added but none could be scheduled: the request limit
            self.on_idle(spider)
            return
        job.phase = "done"
        job.writer.set_phase("done")
