"""The forum census's one writer inside Scrapy: stores PageCommits in small batches (each batch one
transaction) and feeds Scrapy the frontier's pending rows a window at a time."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from scrapy import Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.defer import deferred_from_coro

from unmask.core.fetch.scrapy_bridge import UnmaskCrawler
from unmask.core.fetch.transport import Transport
from unmask.core.urls import same_site
from unmask.forum.adapter import ForumAdapter
from unmask.forum.spider import ForumSpider
from unmask.forum.writer import ForumWriter, PageCommit

log = logging.getLogger(__name__)

LOST = "no result was stored for this page (see the crawl log)"
BATCH = 64
"""Pages stored in one transaction (a kill loses at most these and the pages in flight)."""
BATCH_SECONDS = 0.5


@dataclass
class ForumJob:
    """What the forum census's Scrapy components share for one session of a run."""

    writer: ForumWriter
    adapter: ForumAdapter | None
    base_url: str
    root: str
    """The forum's folder ("" or "/forum")."""
    start_url: str
    max_requests: int
    window: int
    low_water: int = 32
    """When fewer requests than this wait in Scrapy, the batch is stored at once (its links feed it)."""
    on_commit: Callable[[ForumJob], None] | None = None
    counters: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    start_error: str | None = None
    unrecognised: bool = False
    inflight: set[int] = field(default_factory=set)
    scheduled: int = 0
    cursor: int = 0
    """The last frontier row handed to Scrapy (rows are handed out in frontier order)."""
    done: bool = False

    def on_site(self, url: str) -> bool:
        return same_site(url, self.base_url)


class ForumCrawler(UnmaskCrawler):
    def __init__(
        self, spidercls: type[Spider], settings: dict[str, Any], *, transport: Transport, job: ForumJob
    ) -> None:
        super().__init__(spidercls, settings, transport=transport)
        self.job = job


class ForumPipeline:
    def __init__(self, crawler: Any) -> None:
        if not isinstance(crawler, ForumCrawler):
            raise RuntimeError("the forum pipeline runs only in a ForumCrawler")
        self.crawler = crawler
        self.job = crawler.job
        self.buffer: list[PageCommit] = []
        self._flushed = time.monotonic()
        crawler.signals.connect(self.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(self.on_close, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ForumPipeline:
        return cls(crawler)

    @property
    def spider(self) -> ForumSpider:
        spider = self.crawler.spider
        assert isinstance(spider, ForumSpider)
        return spider

    def process_item(self, item: Any, spider: Any = None) -> Any:
        if not isinstance(item, PageCommit):
            return item
        job = self.job
        job.inflight.discard(item.frontier.id)
        job.counters["pages"] += 1
        if item.engine is not None:
            job.writer.set_engine(item.engine)
        self.buffer.append(item)
        if item.no_response and item.status == "failed" and item.frontier.url == job.start_url:
            self.flush()
            self._stop(item.error or "no response")
            return item
        if job.unrecognised:
            self.flush()
            self._stop(None)
            return item
        starving = len(job.inflight) < job.low_water
        if len(self.buffer) >= BATCH or starving or time.monotonic() - self._flushed > BATCH_SECONDS:
            self.flush()
            self.refill()
        return item

    def flush(self) -> None:
        if not self.buffer:
            return
        batch, self.buffer = self.buffer, []
        job = self.job
        self._flushed = time.monotonic()
        try:
            results = job.writer.commit(batch)
        except Exception as exc:  # the batch was rolled back: store each page alone, a failure as a result
            log.exception("storing a batch failed; storing its pages one by one")
            results = []
            for c in batch:
                try:
                    results += job.writer.commit([c])
                except Exception:
                    why = f"store failed: {type(exc).__name__}"
                    job.writer.fail(c.frontier.id, "failed", why, c.capture_id)
                    job.counters["failed"] += 1
        for c in batch:
            job.counters[c.status] += 1
        for r in results:
            job.counters["threads"] += r.threads
            job.counters["new_threads"] += r.new_threads
        if job.on_commit is not None:
            job.on_commit(job)

    def _stop(self, error: str | None) -> None:
        job = self.job
        if error is not None and job.start_error is None:
            job.start_error = error
        engine = self.crawler.engine
        if engine is not None:
            deferred_from_coro(engine.close_spider_async(reason="start_failed"))

    def refill(self, *, force: bool = False) -> int:
        job, engine = self.job, self.crawler.engine
        if engine is None or job.start_error is not None or job.unrecognised:
            return 0
        room = job.window - len(job.inflight)
        if not force and room < job.window // 2:
            return 0
        room = min(room, job.max_requests - job.scheduled)
        if room <= 0:
            return 0
        rows = [r for r in job.writer.pending(room, after=job.cursor) if r.id not in job.inflight]
        for row in rows:
            job.cursor = max(job.cursor, row.id)
            job.inflight.add(row.id)
            job.scheduled += 1
            engine.crawl(self.spider.request_for(row))
        return len(rows)

    def on_idle(self, spider: Spider) -> None:
        job = self.job
        self.flush()
        if job.done or job.start_error is not None or job.unrecognised:
            return
        if job.inflight:  # Scrapy is idle, so nothing is in flight: these requests got no result
            for row_id in sorted(job.inflight):
                job.counters["failed"] += 1
                job.writer.fail(row_id, "failed", LOST, None)
            job.inflight.clear()
        job.cursor = 0  # idle: nothing is in flight, so every pending row may be handed out again
        if self.refill(force=True):
            raise DontCloseSpider
        if job.scheduled >= job.max_requests and job.writer.counts().get("pending"):
            job.writer.record_limit("requests")
            job.notes.append(f"stopped at the request limit ({job.max_requests:,} a session)")
        job.done = True

    def on_close(self, spider: Spider) -> None:
        self.flush()
