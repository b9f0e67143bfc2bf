"""The census's pipeline on the crawl engine's (``core/crawl/pipeline.py``): what a stored page counts, when
the site cannot be reached, and the run's two phases.

*enumerate* (robots.txt, sitemaps, listings: where most metadata already is) and *fill* (item pages, only
for items still missing a wanted field, and item links no source described). Each phase's state is in the
store, so a resumed run continues in the phase it was in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from scrapy import Spider

from unmask.census.extract.adapter import Extractor
from unmask.census.model import ItemKind, PageKind
from unmask.census.spider import CensusSpider
from unmask.census.writer import CensusWriter, CommitResult, PageCommit
from unmask.core.crawl.pipeline import LOST, EngineCrawler, EngineJob, EnginePipeline

log = logging.getLogger(__name__)

__all__ = ["LOST", "CensusCrawler", "CensusPipeline", "CrawlJob"]

CensusCrawler = EngineCrawler


@dataclass
class CrawlJob(EngineJob[PageCommit]):
    """What the census's Scrapy components share for one session of a run.

    ``counters``: pages, items (once per page describing one), new_items (items new to the run: each once),
    listing_pages and listed (their cards), and the frontier statuses of this session's pages."""

    writer: CensusWriter = field(kw_only=True)
    extractor: Extractor = field(kw_only=True)
    robots_url: str = field(kw_only=True)
    phase: str = field(kw_only=True)
    unreachable: dict[str, str] = field(default_factory=dict)
    """robots.txt and the start page, when they got no response: URL → error."""
    fill_expected: int = 0
    """Item pages the fill phase expects to read, counted when it starts (the size of its progress bar)."""
    cursors: dict[ItemKind, int] = field(default_factory=dict)
    """Where the fill phase's search for incomplete items carries on (item id per kind)."""

    def got_no_response(self, url: str, error: str) -> bool:
        """Note a request that got no response; True when robots.txt and the start page both got none."""
        if url in (self.start_url, self.robots_url):
            self.unreachable[url] = error.removeprefix(f"{url}: ")
        return len(self.unreachable) == 2


class CensusPipeline(EnginePipeline[PageCommit]):
    commit_type = PageCommit
    job_type = CrawlJob
    job: CrawlJob

    def tally(self, page: PageCommit, result: CommitResult) -> None:
        counters = self.job.counters
        counters["items"] += result.items
        counters["new_items"] += result.new_items
        if page.frontier.kind == PageKind.LISTING:  # how many cards a listing page shows (for estimates)
            counters["listing_pages"] += 1
            counters["listed"] += result.items
        if result.ended:
            log.info("pagination from %s not followed: %s", page.frontier.url, result.ended)

    def stops_crawl(self, page: PageCommit) -> bool:
        job = self.job
        no_response = page.no_response and page.status == "failed"
        if no_response and job.got_no_response(page.frontier.url, page.error or ""):
            if job.start_error is None:
                job.start_error = job.unreachable[job.start_url] or "no response"
            return True
        return False

    def work_left(self) -> bool:
        waiting = self.job.writer.counts()
        return bool(waiting.get("pending") or waiting.get("deferred") or self.job.phase == "enumerate")

    def end(self) -> None:
        job = self.job
        job.phase = "done"
        job.done = True
        job.writer.set_phase("done")

    def next_phase(self, spider: Spider) -> bool:
        job = self.job
        wanted = {kind: job.extractor.wanted(kind) for kind in ItemKind}
        if job.phase == "enumerate":
            job.phase = "fill"
            job.writer.set_phase("fill")
            if job.on_commit is not None:  # the progress bar of item pages gets its size now
                read, queued = job.writer.counts_by_phase()["fill"]
                job.fill_expected = read + queued + job.writer.incomplete_count(wanted)
        queued = job.writer.queue_incomplete(wanted, job.cursors)
        assert isinstance(spider, CensusSpider)
        released = job.writer.release_deferred(spider.item_key)
        if not (queued or released) and job.cursors:
            # before the end, once more from the start: an item seen again late in the fill phase (on a
            # gallery's page) may sit behind the cursors
            job.cursors.clear()
            queued = job.writer.queue_incomplete(wanted, job.cursors)
        if (queued or released) and self.refill(force=True):
            return True
        if queued or released:  # rows were added but none could be scheduled: the request limit
            self.on_idle(spider)
        return False
