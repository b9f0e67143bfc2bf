"""The census's one writer inside Scrapy: stores PageCommits (each whole; up to ``crawl.commit_pages``
of them share a transaction), feeds Scrapy the frontier's pending rows a window at a time, and moves the
run through its phases.

Two phases per run: *enumerate* (robots.txt, sitemaps, listings: where most metadata already is) and
*fill* (item pages, only for items still missing a wanted field, and item links no source described).
Each phase's state is in the store, so a resumed run continues in the phase it was in. The frontier
stays in the store; Scrapy holds at most ``schedule_window`` requests, so a site that links millions of
URLs costs store rows, not memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from unmask.census.extract.adapter import Extractor
from unmask.census.model import ItemKind, PageKind
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
    """pages, items (once per page describing one), new_items (items new to the run: each once),
    listing_pages and listed (their cards), and the frontier statuses of this session's pages."""
    notes: list[str] = field(default_factory=list)
    start_error: str | None = None
    """Set when the start page and robots.txt got no response at all: the crawl stops, the command fails."""
    unreachable: dict[str, str] = field(default_factory=dict)
    """robots.txt and the start page, when they got no response: URL → error."""
    commit_pages: int = 64
    """Pages stored together in one transaction (``crawl.commit_pages``)."""
    connections: int = 1
    """Scrapy's connections to the site: with fewer requests than these, waiting pages are stored at once."""
    commit_seconds: float = 0.5
    """The longest a read page waits for its transaction (``crawl.commit_seconds``)."""
    inflight: set[int] = field(default_factory=set)
    """Frontier rows handed to Scrapy that are not stored yet (in flight, or read and waiting)."""
    waiting: list[PageCommit] = field(default_factory=list)
    """Pages read and not yet stored: the next transaction's."""
    scheduled: int = 0
    fill_expected: int = 0
    """Item pages the fill phase expects to read, counted when it starts (the size of its progress bar)."""
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
        self._timer: asyncio.TimerHandle | None = None
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
        """Buffer a page for the next transaction: stored when ``commit_pages`` pages wait, when Scrapy has
        fewer requests than connections, or ``commit_seconds`` after the first one came."""
        if not isinstance(item, PageCommit):
            return item
        job = self.job
        job.waiting.append(item)
        out = len(job.inflight) - len(job.waiting)  # requests Scrapy still has
        if len(job.waiting) >= job.commit_pages or out < job.connections:
            # a full transaction, or Scrapy short of work: what the waiting pages link to is wanted now
            # (a pagination chain goes on only once its page is stored)
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(job.commit_seconds, self.flush)
        return item

    def flush(self, *, schedule: bool = True) -> int:
        """Store the waiting pages (each whole), then (``schedule``) hand Scrapy the frontier's next rows;
        returns how many requests that scheduled."""
        job = self.job
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        pages, job.waiting = job.waiting, []
        if not pages:
            return 0
        results = job.writer.commit_many(pages)
        stop: str | None = None
        for page, result in zip(pages, results, strict=True):
            row = page.frontier
            job.inflight.discard(row.id)
            job.counters["pages"] += 1
            if isinstance(result, Exception):  # its transaction was rolled back: record the failure
                log.error("storing %s failed: %s: %s", row.url, type(result).__name__, result)
                job.counters["failed"] += 1
                job.writer.fail(
                    row.id, "failed", f"store failed: {type(result).__name__}: {result}", page.capture_id
                )
            else:
                job.counters[page.status] += 1
                job.counters["items"] += result.items
                job.counters["new_items"] += result.new_items
                if row.kind == PageKind.LISTING:  # how many cards a listing page shows (for estimates)
                    job.counters["listing_pages"] += 1
                    job.counters["listed"] += result.items
                if result.ended:
                    log.info("pagination from %s not followed: %s", row.url, result.ended)
            no_response = page.no_response and page.status == "failed"
            if no_response and job.got_no_response(row.url, page.error or ""):
                stop = job.unreachable[job.start_url] or "no response"
        scheduled = 0
        if stop is not None:
            self._stop_on_start_failure(stop)
        elif schedule:
            scheduled = self.refill()
        if job.on_commit is not None:
            job.on_commit(job)
        return scheduled

    def close_spider(self, spider: Any = None) -> None:
        """The crawl ends (or stops on Ctrl-C): the pages read so far are stored."""
        self.flush(schedule=False)

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
        # Scrapy is idle, so nothing is in flight: rows handed to it and not read got no result
        lost = job.inflight - {page.frontier.id for page in job.waiting}
        if self.flush():
            raise DontCloseSpider
        if job.phase == "done" or job.start_error is not None:
            return
        if lost:
            for row_id in sorted(lost):
                job.counters["failed"] += 1
                job.writer.fail(row_id, "failed", LOST, None)
            job.inflight -= lost
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
        wanted = {kind: job.extractor.wanted(kind) for kind in ItemKind}
        if job.phase == "enumerate":
            job.phase = "fill"
            job.writer.set_phase("fill")
            if job.on_commit is not None:  # the progress bar of item pages gets its size now
                read, queued = job.writer.counts_by_phase()["fill"]
                job.fill_expected = read + queued + job.writer.incomplete_count(wanted)
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
