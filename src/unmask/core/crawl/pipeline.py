"""The one writer inside Scrapy: stores read pages in batches, feeds Scrapy the frontier a window at a time.

A read page waits in ``job.waiting`` and is stored with the pages read around it in one transaction
(``crawl.commit_pages``; at most ``crawl.commit_seconds`` after the first waits; at once when Scrapy is
short of work, since what the pages link to is wanted now). Each page is stored whole with its frontier
row, so a crawl killed at any moment fetches again exactly the pages not stored. The frontier stays in the
store; Scrapy holds at most ``crawl.schedule_window`` requests, so a site that links millions of URLs costs
store rows, not memory.

When Scrapy is idle, requests it was handed and never answered are failed rows, the frontier is read again
from its start, and the stage may open its next phase (:meth:`EnginePipeline.next_phase`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from scrapy import Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from unmask.core.crawl.spider import EngineSpider, Row
from unmask.core.fetch.scrapy_bridge import UnmaskCrawler
from unmask.core.fetch.transport import Transport

log = logging.getLogger(__name__)

LOST = "no result was stored for this page (see the crawl log)"


class Commit(Protocol):
    """What the stage's spider makes of a page (or of a request that got none)."""

    frontier: Any
    capture_id: int | None
    status: str
    error: str | None
    no_response: bool


C = TypeVar("C", bound=Commit)


class FrontierJournal(Protocol):
    """The frontier as the pipeline uses it (see ``frontier.py``): claim rows, store pages, settle rows."""

    def claim(self, limit: int, *, after: int = 0, skip: Iterable[int] = ()) -> Sequence[Row]: ...

    def commit_many(self, pages: Sequence[Any]) -> Sequence[Any]: ...

    def fail(self, frontier_id: int, status: str, error: str | None, capture_id: int | None) -> None: ...

    def record_limit(self, name: str, count: int = 1) -> None: ...


@dataclass
class EngineJob(Generic[C]):
    """What the Scrapy components of one crawl session share."""

    writer: FrontierJournal
    start_url: str
    """The run's start page."""
    max_requests: int
    window: int
    commit_pages: int = 64
    """Pages stored together in one transaction (``crawl.commit_pages``)."""
    commit_seconds: float = 0.5
    """The longest a read page waits for its transaction (``crawl.commit_seconds``)."""
    low_water: int = 1
    """With fewer requests than these left in Scrapy, waiting pages are stored at once (their links feed
    it)."""
    on_commit: Callable[[Any], None] | None = None
    counters: Counter[str] = field(default_factory=Counter)
    """pages, and the frontier statuses of this session's pages; the stage adds its own."""
    notes: list[str] = field(default_factory=list)
    start_error: str | None = None
    """Set when the site could not be reached at all: the crawl stops, the command fails."""
    stopped: bool = False
    """The crawl was stopped by the stage (nothing more to do with this site)."""
    inflight: set[int] = field(default_factory=set)
    """Frontier rows handed to Scrapy that are not stored yet (in flight, or read and waiting)."""
    waiting: list[C] = field(default_factory=list)
    """Pages read and not yet stored: the next transaction's."""
    scheduled: int = 0
    cursor: int = 0
    """The last frontier row handed to Scrapy (rows are handed out in frontier order; idle rewinds)."""
    done: bool = False


class EngineCrawler(UnmaskCrawler):
    """A crawler carrying the run's Transport and the stage's job to the pipeline."""

    def __init__(
        self, spidercls: type[Spider], settings: dict[str, Any], *, transport: Transport, job: EngineJob[Any]
    ) -> None:
        super().__init__(spidercls, settings, transport=transport)
        self.job = job


class EnginePipeline(Generic[C]):
    """Scrapy's item pipeline for a crawl: a stage subclasses it to count its results, recognise a crawl
    that must stop, and open its phases."""

    commit_type: type[C]
    job_type: type[EngineJob[Any]] = EngineJob
    """The stage's job class: the pipeline refuses a crawler that carries another stage's job."""

    def __init__(self, crawler: Any) -> None:
        if not isinstance(crawler, EngineCrawler):
            raise RuntimeError(f"{type(self).__name__} runs only in an EngineCrawler")
        if not isinstance(crawler.job, self.job_type):
            raise RuntimeError(f"{type(self).__name__} runs only with a {self.job_type.__name__}")
        self.crawler = crawler
        self.job: EngineJob[C] = crawler.job
        self._timer: asyncio.TimerHandle | None = None
        crawler.signals.connect(self.on_idle, signal=signals.spider_idle)

    @classmethod
    def from_crawler(cls, crawler: Any) -> EnginePipeline[C]:
        return cls(crawler)

    @property
    def spider(self) -> EngineSpider:
        spider = self.crawler.spider
        assert isinstance(spider, EngineSpider)
        return spider

    # -- what a stage adds ------------------------------------------------------------------------

    def tally(self, page: C, result: Any) -> None:
        """Count what a stored page brought (``result``: the writer's for the page)."""

    def stops_crawl(self, page: C) -> bool:
        """Whether this stored page means the crawl cannot go on (set ``job.start_error`` to fail it)."""
        return False

    def work_left(self) -> bool:
        """At the request limit: whether the frontier still holds work (the limit then cut the run short)."""
        return False

    def next_phase(self, spider: Spider) -> bool:
        """Scrapy ran out of requests: open the stage's next phase; True when requests were scheduled."""
        return False

    def end(self) -> None:
        """The session's work is done (nothing left, or the request limit)."""
        self.job.done = True

    # -- commits ----------------------------------------------------------------------------------

    def process_item(self, item: Any, spider: Any = None) -> Any:
        """Buffer a page for the next transaction: stored when ``commit_pages`` pages wait, when Scrapy has
        fewer requests than ``low_water``, or ``commit_seconds`` after the first one came."""
        if not isinstance(item, self.commit_type):
            return item
        job = self.job
        job.waiting.append(item)
        out = len(job.inflight) - len(job.waiting)  # requests Scrapy still has
        if len(job.waiting) >= job.commit_pages or out < job.low_water:
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
        stop = False
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
                self.tally(page, result)
            stop = self.stops_crawl(page) or stop
        scheduled = 0
        if stop:
            self._close()
        elif schedule:
            scheduled = self.refill()
        if job.on_commit is not None:
            job.on_commit(job)
        return scheduled

    def close_spider(self, spider: Any = None) -> None:
        """The crawl ends (or stops on Ctrl-C): the pages read so far are stored."""
        self.flush(schedule=False)

    def _close(self) -> None:
        job = self.job
        if job.stopped:
            return
        job.stopped = True
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="start_failed"))

    # -- scheduling -------------------------------------------------------------------------------

    def refill(self, *, force: bool = False) -> int:
        """Hand Scrapy pending rows up to the window (once it is half empty, or when ``force``d: Scrapy is
        idle, and the frontier is read again from its start)."""
        job, engine = self.job, self.crawler.engine
        if engine is None or job.stopped:
            return 0
        room = job.window - len(job.inflight)
        if not force and room < job.window // 2:
            return 0
        room = min(room, job.max_requests - job.scheduled)
        if room <= 0:
            return 0
        if force:
            job.cursor = 0
        rows = job.writer.claim(room, after=job.cursor, skip=job.inflight)
        for row in rows:
            job.cursor = max(job.cursor, row.id)
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
        if job.done or job.stopped:
            return
        if lost:
            for row_id in sorted(lost):
                job.counters["failed"] += 1
                job.writer.fail(row_id, "failed", LOST, None)
            job.inflight -= lost
        if self.refill(force=True):
            raise DontCloseSpider
        if job.scheduled >= job.max_requests:
            if self.work_left():
                job.writer.record_limit("requests")
                job.notes.append(f"stopped at the request limit ({job.max_requests:,} a session)")
            self.end()
            return
        if self.next_phase(spider):
            raise DontCloseSpider
        if not job.done:
            self.end()
