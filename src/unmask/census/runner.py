"""Run a census crawl: open or resume the run, drive Scrapy, settle the run's outcome."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from scrapy.crawler import CrawlerProcess

from unmask.census.extract.adapter import Extractor, load_extractor
from unmask.census.model import Link, PageKind
from unmask.census.pipeline import CensusCrawler, CensusPipeline, CrawlJob
from unmask.census.spider import CensusSpider
from unmask.census.writer import CensusWriter, Settled, open_run, platform_for
from unmask.core.case import Case
from unmask.core.errors import CaseError, UnmaskError
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.scrapy_bridge import scrapy_settings
from unmask.core.fetch.transport import Transport
from unmask.core.outcome import Verdict
from unmask.core.urls import canonicalize


@dataclass
class CrawlOptions:
    url: str
    adapter: str | None = None
    delay: float | None = None
    concurrency: int | None = None
    obey_robots: bool | None = None
    max_requests: int | None = None
    progress: bool = True


@dataclass
class CrawlSummary:
    run: int
    status: str
    """complete | incomplete | interrupted"""
    complete: bool
    incomplete_reasons: list[str]
    verdict: str
    """The verdict in one sentence ("This census is incomplete: …; the figures are lower bounds.")."""
    resumed: bool
    session: int
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def base_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnmaskError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


@contextlib.contextmanager
def crawl_lock(case: Case) -> Iterator[None]:
    """One crawl per case at a time; a lock left by a killed process is taken over."""
    path = case.root / ".crawl.lock"
    if path.exists():
        try:
            pid = int(path.read_text().strip() or "0")
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError, PermissionError):
            pid = 0
        if pid and pid != os.getpid():
            raise CaseError(f"another crawl (pid {pid}) is running on this case", where=str(case.root))
    path.write_text(str(os.getpid()))
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


PHASE_LABELS = {"enumerate": "sitemaps and listings", "fill": "item pages"}


class ProgressReporter:
    """Progress on stderr, one bar per phase: *enumerate* (robots.txt, sitemaps, listings) and *fill* (item
    pages), each over its phase's frontier rows, with the time left; items are counted once each (new to
    this run), not once per page that describes them. Refreshed after stored pages, at most four times a
    second."""

    def __init__(self, enabled: bool, writer: CensusWriter, transport: Transport) -> None:
        self.writer = writer
        self.transport = transport
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold]{task.description:<22}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=not enabled,
            transient=False,
        )
        self.tasks: dict[str, TaskID] = {}
        self._last = 0.0

    def _task(self, phase: str) -> TaskID:
        if phase not in self.tasks:
            label = PHASE_LABELS.get(phase, phase)
            self.tasks[phase] = self.progress.add_task(label, total=None, info="")
        return self.tasks[phase]

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
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.25 and not force):
            return
        self._last = now
        counts = self.writer.counts_by_phase()
        items = f"{job.counters['new_items']:,} items · {self.transport.counters['requests']:,} requests"
        for phase in ("enumerate", "fill"):
            done, waiting = counts.get(phase, (0, 0))
            if phase == "fill" and not (done or waiting) and job.phase == "enumerate":
                continue  # item pages wait for the end of the enumeration
            task = self._task(phase)
            total = done + waiting
            if phase == "fill":
                total = max(total, job.fill_expected)
            elif waiting:
                total += self.listing_pages_ahead(job)
            self.progress.update(task, total=max(total, 1), completed=done, info=items)


class Interrupts:
    """Ctrl-C (or SIGTERM) during a crawl: the first stops it gracefully (requests in flight end and are
    stored; the run is resumable), a second one stops it at once, whatever the crawler is doing."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    GRACE = 5.0
    """Seconds a graceful stop may take (requests in flight that a server holds open) before it is
    made a stop at once, as a second Ctrl-C would."""

    def __init__(self, process: CrawlerProcess) -> None:
        self.process = process
        self.received = 0
        self.forced = False
        self._previous: dict[int, Any] = {}
        self._deadline: threading.Timer | None = None

    def __enter__(self) -> Interrupts:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        from twisted.internet import reactor

        self.received += 1
        if self.received > 1:
            raise KeyboardInterrupt
        reactor.callFromThread(self.process.stop)
        self._deadline = threading.Timer(self.GRACE, os.kill, (os.getpid(), signum))
        self._deadline.daemon = True
        self._deadline.start()


class StartUnreachable(UnmaskError):
    """The start URL could not be fetched at all: the command fails (exit 1), nothing is inferred."""

    exit_code = 1


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


def crawl(case: Case, opts: CrawlOptions) -> CrawlSummary:
    base = base_of(opts.url)
    extractor = load_extractor(opts.adapter, base_url=base)
    fetch = case.config.fetch
    delay = fetch.delay if opts.delay is None else opts.delay
    concurrency = fetch.concurrency if opts.concurrency is None else opts.concurrency
    if delay < 0 or concurrency < 1:
        raise UnmaskError("--delay must be ≥ 0 and --concurrency ≥ 1")
    fetch = replace(
        fetch,
        delay=delay,
        concurrency=concurrency,
        obey_robots=fetch.obey_robots if opts.obey_robots is None else opts.obey_robots,
    )
    crawl_settings = case.config.crawl
    max_requests = opts.max_requests or crawl_settings.max_requests
    store = case.store
    with crawl_lock(case):
        platform_id = platform_for(store, base, urlsplit(base).netloc, extractor.name)
        run, resumed = open_run(
            store,
            platform_id,
            opts.url,
            {"adapter": extractor.name, "delay": delay, "concurrency": concurrency},
        )
        writer = CensusWriter(store, platform_id, run.id, crawl_settings, incremental=run.incremental)
        seeded = seeds(extractor, run.start_url)
        if not resumed:
            writer.seed(seeded)
        recorder = EvidenceRecorder(
            case.warc_dir, store, purpose="census", run_id=run.id, rotate_bytes=fetch.warc_rotate_bytes
        )
        scope = Scope.for_site(opts.url, allow_private=fetch.allow_private_addresses)
        transport = Transport(fetch, recorder, scope=scope)
        reporter = ProgressReporter(opts.progress, writer, transport)
        job = CrawlJob(
            writer=writer,
            extractor=extractor,
            start_url=seeded[1].url,
            robots_url=seeded[0].url,
            phase=run.phase,
            max_requests=max_requests,
            window=max(crawl_settings.schedule_window, 2 * concurrency),
            commit_pages=max(1, crawl_settings.commit_pages),
            connections=concurrency,
            commit_seconds=crawl_settings.commit_seconds,
            on_commit=reporter,
        )
        url_cap = crawl_settings.max_url_length
        settings = scrapy_settings(fetch, delay=delay, concurrency=concurrency, max_url_length=url_cap)
        settings.update(
            {
                "ITEM_PIPELINES": {CensusPipeline: 300},
                "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
                "LOG_ENABLED": True,
                "LOG_LEVEL": "INFO",
                "LOG_FILE": str(_log_path(case, run.id)),
                "LOG_FILE_APPEND": True,
                "LOG_INSTALL_ROOT_HANDLER": True,  # Scrapy's handler writes the log file (not the terminal)
            }
        )
        started = time.monotonic()
        process = CrawlerProcess(settings)
        crawler = CensusCrawler(CensusSpider, settings, transport=transport, job=job)
        process.crawl(crawler, extractor=extractor, base_url=base)
        with reporter.progress, Interrupts(process) as interrupts:
            try:
                process.start(install_signal_handlers=False)
            except KeyboardInterrupt:  # a second Ctrl-C: stop at once; what was committed stays
                interrupts.forced = True
            reporter(job, force=True)
        recorder.close()
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        if interrupts.forced:
            reason = "forced"
        if job.start_error is not None:
            writer.fail_start(job.start_error)
            raise StartUnreachable(f"cannot fetch it: {_one_line(job.start_error)}", where=opts.url)
        finished = reason == "finished" and job.phase == "done"
        settled = writer.settle(finished=finished, start_url=job.start_url)
        seconds = time.monotonic() - started
        return _summary(writer, job, settled, run.id, resumed, run.sessions, reason, seconds)


def _log_path(case: Case, run_id: int) -> Path:
    logs = case.root / "logs"
    logs.mkdir(exist_ok=True)
    return logs / f"crawl-run-{run_id}.log"


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]


def _summary(
    writer: CensusWriter,
    job: CrawlJob,
    settled: Settled,
    run_id: int,
    resumed: bool,
    session: int,
    reason: str | None,
    seconds: float,
) -> CrawlSummary:
    notes = list(job.notes)
    if settled.status == "interrupted":
        notes.append(f"interrupted ({reason or 'stopped'}); run the same command again to continue")
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
        seconds=round(seconds, 2),
        notes=notes,
    )
