"""Run a census crawl: open or resume the run, drive the crawl engine, settle the run's outcome."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from unmask.census.extract.adapter import Extractor, load_extractor
from unmask.census.model import Link, PageKind
from unmask.census.pipeline import CensusCrawler, CensusPipeline, CrawlJob
from unmask.census.spider import CensusSpider
from unmask.census.writer import CensusWriter, Settled, open_run, platform_for
from unmask.core.case import Case
from unmask.core.config import FetchSettings
from unmask.core.crawl.runner import (
    CrawlOptions,
    PhaseBars,
    RunSummary,
    SessionEnd,
    StartUnreachable,
    base_of,
    crawl_lock,
    fetch_for,
    job_bounds,
    one_line,
    run_session,
)
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.transport import Transport
from unmask.core.outcome import Verdict
from unmask.core.store.models import CrawlRun
from unmask.core.urls import canonicalize

__all__ = ["CrawlOptions", "CrawlSummary", "StartUnreachable", "base_of", "crawl"]


@dataclass
class CrawlSummary(RunSummary):
    phase: str
    requests: int
    pages: int
    items: int
    new_items: int
    removed: int
    failed: int
    refused: int
    gone: int
    items_present: int
    """Items of the platform present after the run (not marked removed)."""
    requests_per_item: float
    seconds: float
    notes: list[str] = field(default_factory=list)


PHASE_LABELS = {"enumerate": "sitemaps and listings", "fill": "item pages"}


class ProgressReporter:
    """Progress on stderr, one bar per phase: *enumerate* (robots.txt, sitemaps, listings) and *fill* (item
    pages), each over its phase's frontier rows, with the time left; items are counted once each (new to
    this run), not once per page that describes them."""

    def __init__(self, enabled: bool, writer: CensusWriter, transport: Transport) -> None:
        self.writer = writer
        self.transport = transport
        self.bars = PhaseBars(enabled, PHASE_LABELS)
        self.progress = self.bars.progress

    @staticmethod
    def listing_pages_ahead(job: CrawlJob) -> int:
        """An estimate of the listing pages still to come beyond those queued: a pagination chain shows
        its next page only when a page is read, but the items the run knows (sitemaps are read first)
        that listings have not shown yet, at the cards a listing page has shown so far, give its rest."""
        pages, listed = job.counters["listing_pages"], job.counters["listed"]
        if not pages or not listed:
            return 0
        return max(0, job.counters["new_items"] - listed) * pages // listed

    def __call__(self, job: CrawlJob, *, force: bool = False) -> None:
        if not self.bars.due(force):
            return
        counts = self.writer.counts_by_phase()
        items = f"{job.counters['new_items']:,} items · {self.transport.counters['requests']:,} requests"
        for phase in ("enumerate", "fill"):
            done, waiting = counts.get(phase, (0, 0))
            if phase == "fill" and not (done or waiting) and job.phase == "enumerate":
                continue  # item pages wait for the end of the enumeration
            total = done + waiting
            if phase == "fill":
                total = max(total, job.fill_expected)
            elif waiting:
                total += self.listing_pages_ahead(job)
            self.bars.show(phase, done, total, items)


def seeds(extractor: Extractor, start_url: str) -> list[Link]:
    """robots.txt, the start URL when it is more than the site's root, the extractor's start pages.

    The first page after robots.txt is the run's start page: when it and robots.txt get no response at
    all, the site cannot be reached and the command fails.
    """
    robots, *pages = extractor.start_urls(start_url)
    start = canonicalize(start_url)
    if not pages or (urlsplit(start).path not in ("", "/") and all(link.url != start for link in pages)):
        known = extractor.classify(start)
        pages.insert(0, Link(start, known[0], known[1]) if known else Link(start, PageKind.PAGE))
    return [robots, *pages]


@dataclass(frozen=True)
class OpenedRun:
    """A census run to work on, resumed or new (then seeded), and its writer."""

    run: CrawlRun
    resumed: bool
    writer: CensusWriter
    seeded: list[Link]
    """robots.txt, the start page, the extractor's other start pages (:func:`seeds`)."""

    @property
    def start_url(self) -> str:
        return self.seeded[1].url

    @property
    def robots_url(self) -> str:
        return self.seeded[0].url


def open_census(
    case: Case, url: str, extractor: Extractor, fetch: FetchSettings, **options: Any
) -> OpenedRun:
    """Open (or resume) the platform's census run from ``url`` with the crawl's options recorded (those
    given added), seed a new one; the caller holds the case's crawl lock."""
    base = base_of(url)
    store = case.store
    platform_id = platform_for(store, base, urlsplit(base).netloc, extractor.name)
    recorded = {"adapter": extractor.name, "delay": fetch.delay, "concurrency": fetch.concurrency}
    run, resumed = open_run(store, platform_id, url, {**recorded, **options})
    writer = CensusWriter(store, platform_id, run.id, case.config.crawl, incremental=run.incremental)
    seeded = seeds(extractor, run.start_url)
    if not resumed:
        writer.seed(seeded)
    return OpenedRun(run, resumed, writer, seeded)


def crawl(case: Case, opts: CrawlOptions) -> CrawlSummary:
    base = base_of(opts.url)
    extractor = load_extractor(opts.adapter, base_url=base)
    fetch = fetch_for(case, opts)
    crawl_settings = case.config.crawl
    store = case.store
    with crawl_lock(case):
        opened = open_census(case, opts.url, extractor, fetch)
        run, resumed, writer = opened.run, opened.resumed, opened.writer
        recorder = EvidenceRecorder(
            case.warc_dir, store, purpose="census", run_id=run.id, rotate_bytes=fetch.warc_rotate_bytes
        )
        scope = Scope.for_site(opts.url, allow_private=fetch.allow_private_addresses)
        transport = Transport(fetch, recorder, scope=scope)
        reporter = ProgressReporter(opts.progress, writer, transport)
        job = CrawlJob(
            writer=writer,
            extractor=extractor,
            start_url=opened.start_url,
            robots_url=opened.robots_url,
            phase=run.phase,
            low_water=fetch.concurrency,
            on_commit=reporter,
            **job_bounds(crawl_settings, fetch, opts.max_requests),
        )
        end = run_session(
            case,
            fetch,
            recorder,
            reporter,
            pipeline=CensusPipeline,
            crawler=lambda settings: CensusCrawler(CensusSpider, settings, transport=transport, job=job),
            log_name=f"crawl-run-{run.id}",
            extractor=extractor,
            base_url=base,
        )
        if job.start_error is not None:
            writer.fail_start(job.start_error)
            raise StartUnreachable(f"cannot fetch it: {one_line(job.start_error)}", where=opts.url)
        settled = writer.settle(finished=end.finished and job.phase == "done", start_url=job.start_url)
        return crawl_summary(writer, job, settled, run.id, resumed, run.sessions, end)


def crawl_summary(
    writer: CensusWriter,
    job: CrawlJob,
    settled: Settled,
    run_id: int,
    resumed: bool,
    session: int,
    end: SessionEnd,
) -> CrawlSummary:
    """The command's summary of a session (the single process's and the distributed census's)."""
    notes = list(job.notes)
    if settled.status == "interrupted":
        notes.append(f"interrupted ({end.reason or 'stopped'}); run the same command again to continue")
    requests = writer.requests()
    present = writer.items_present()
    verdict = Verdict(settled.complete, tuple(settled.reasons))
    counters = job.counters
    return CrawlSummary(
        run=run_id,
        status=settled.status,
        complete=settled.complete,
        incomplete_reasons=verdict.texts,
        verdict=verdict.sentence(),
        resumed=resumed,
        session=session,
        phase=job.phase,
        requests=requests,
        pages=counters["pages"],
        items=counters["items"],
        new_items=counters["new_items"],
        removed=settled.removed,
        failed=counters["failed"] + counters["unparsed"],
        refused=counters["refused"] + counters["disallowed"],
        gone=counters["gone"],
        items_present=present,
        requests_per_item=round(requests / present, 4) if present else 0.0,
        seconds=round(end.seconds, 2),
        notes=notes,
    )
