"""Driving one crawl session: the case's lock, Ctrl-C, progress bars, the Scrapy process and its settings.

A stage's runner opens (or resumes) its run, builds its writer, job and crawler, and hands them to
:func:`run_session`; what it does before and after (seeds, the verdict, its summary) is its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol
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

from unmask.core.case import Case
from unmask.core.config import CrawlSettings, FetchSettings
from unmask.core.crawl.lock import lock_holder, lock_path
from unmask.core.crawl.pipeline import EngineCrawler
from unmask.core.errors import CaseError, UnmaskError
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scrapy_bridge import scrapy_settings

INTERRUPTED_EXIT = 130
"""The exit code of a crawl command whose session was interrupted (Ctrl-C, SIGTERM), as for every command:
its summary is still printed, and the same command resumes the run."""


@dataclass
class CrawlOptions:
    """What a crawl command was asked (the census's and the forum's take the same options)."""

    url: str
    adapter: str | None = None
    delay: float | None = None
    concurrency: int | None = None
    obey_robots: bool | None = None
    max_requests: int | None = None
    progress: bool = True


@dataclass
class RunSummary:
    """What a crawl command reports (``--json``): the run, how it ended, and the stage's own figures."""

    run: int
    status: str
    """complete | incomplete | interrupted"""
    complete: bool
    incomplete_reasons: list[str]
    verdict: str
    """The verdict in one sentence ("This census is incomplete: …; the figures are lower bounds.")."""
    resumed: bool
    session: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StartUnreachable(UnmaskError):
    """The start URL could not be fetched at all: the command fails (exit 1), nothing is inferred."""

    exit_code = 1


def base_of(url: str) -> str:
    """The crawl's origin (scheme and host) from its start URL; a usage error for anything but http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnmaskError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def one_line(text: str, limit: int = 500) -> str:
    return " ".join(text.split())[:limit]


@contextlib.contextmanager
def crawl_lock(case: Case, what: str = "crawl") -> Iterator[None]:
    """One ``what`` per case at a time ("crawl", "forum crawl"); a lock left by a killed process is taken
    over."""
    path = lock_path(case.root, what)
    pid = lock_holder(case.root, what)
    if pid and pid != os.getpid():
        raise CaseError(f"another {what} (pid {pid}) is running on this case", where=str(case.root))
    path.write_text(str(os.getpid()))
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


def fetch_for(case: Case, opts: CrawlOptions) -> FetchSettings:
    """The case's fetch settings with the command's delay, concurrency and robots.txt choice."""
    fetch = case.config.fetch
    delay = fetch.delay if opts.delay is None else opts.delay
    concurrency = fetch.concurrency if opts.concurrency is None else opts.concurrency
    if delay < 0 or concurrency < 1:
        raise UnmaskError("--delay must be ≥ 0 and --concurrency ≥ 1")
    return replace(
        fetch,
        delay=delay,
        concurrency=concurrency,
        obey_robots=fetch.obey_robots if opts.obey_robots is None else opts.obey_robots,
    )


def job_bounds(crawl: CrawlSettings, fetch: FetchSettings, max_requests: int | None) -> dict[str, Any]:
    """An engine job's bounds for one session (``EngineJob`` fields): the request limit (the command's, else
    the case's), the window of requests Scrapy holds, the pages stored together and how long one waits."""
    return {
        "max_requests": max_requests or crawl.max_requests,
        "window": max(crawl.schedule_window, 2 * fetch.concurrency),
        "commit_pages": max(1, crawl.commit_pages),
        "commit_seconds": crawl.commit_seconds,
    }


def log_path(case: Case, name: str) -> Path:
    """The crawl log ``logs/NAME.log`` of the case (Scrapy writes it; the terminal shows progress)."""
    logs = case.root / "logs"
    logs.mkdir(exist_ok=True)
    return logs / f"{name}.log"


def session_settings(
    fetch: FetchSettings, crawl: CrawlSettings, *, pipeline: type, log_file: Path
) -> dict[str, Any]:
    """Scrapy's settings for one session: the fetch layer's, the stage's pipeline, no duplicate filter (the
    frontier is the filter), the log in the case."""
    settings = scrapy_settings(
        fetch, delay=fetch.delay, concurrency=fetch.concurrency, max_url_length=crawl.max_url_length
    )
    settings.update(
        {
            "ITEM_PIPELINES": {pipeline: 300},
            # one commit object per response: Scrapy would start CONCURRENT_ITEMS worker tasks per response
            "CONCURRENT_ITEMS": 1,
            "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
            "LOG_ENABLED": True,
            "LOG_LEVEL": "INFO",
            "LOG_FILE": str(log_file),
            "LOG_FILE_APPEND": True,
            "LOG_INSTALL_ROOT_HANDLER": True,  # Scrapy's handler writes the log file (not the terminal)
        }
    )
    return settings


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


@dataclass(frozen=True)
class SessionEnd:
    reason: str | None
    """Scrapy's finish reason ("finished", "shutdown", "start_failed"…), "forced" after a stop at once."""
    interrupted: bool
    """Ctrl-C or SIGTERM was received."""
    seconds: float

    @property
    def finished(self) -> bool:
        """The crawl ran out of work by itself."""
        return self.reason == "finished" and not self.interrupted


class SessionProgress(Protocol):
    """A stage's progress display: its bars, refreshed with the job (``force``: now, whatever the time)."""

    bars: PhaseBars

    def __call__(self, job: Any, *, force: bool = False) -> None: ...


def run_session(
    case: Case,
    fetch: FetchSettings,
    recorder: EvidenceRecorder,
    progress: SessionProgress,
    *,
    pipeline: type,
    crawler: Callable[[dict[str, Any]], EngineCrawler],
    log_name: str,
    extra_settings: Mapping[str, Any] | None = None,
    **spider_kwargs: Any,
) -> SessionEnd:
    """Run one Scrapy session of a crawl (settings: :func:`session_settings`, then ``extra_settings``;
    log: ``logs/LOG_NAME.log``) with Ctrl-C handled and ``progress`` shown (refreshed once more at the
    end), then close the evidence recorder (what it holds is written)."""
    settings = session_settings(
        fetch, case.config.crawl, pipeline=pipeline, log_file=log_path(case, log_name)
    )
    settings.update(extra_settings or {})
    started = time.monotonic()
    process = CrawlerProcess(settings)
    the_crawler = crawler(settings)  # after the process: it installed the reactor the crawler uses
    process.crawl(the_crawler, **spider_kwargs)
    with progress.bars.progress, Interrupts(process) as interrupts:
        try:
            process.start(install_signal_handlers=False)
        except KeyboardInterrupt:  # a second Ctrl-C: stop at once; what was committed stays
            interrupts.forced = True
        progress(the_crawler.job, force=True)
    recorder.close()
    reason = the_crawler.stats.get_value("finish_reason") if the_crawler.stats else None
    if interrupts.forced:
        reason = "forced"
    return SessionEnd(reason, interrupts.received > 0, time.monotonic() - started)


class PhaseBars:
    """Progress on stderr, one bar per phase of a crawl, each over its phase's frontier rows, with the time
    left; refreshed at most four times a second (``due``)."""

    def __init__(self, enabled: bool, labels: dict[str, str]) -> None:
        self.enabled = enabled
        self.labels = labels
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

    def due(self, force: bool = False) -> bool:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.25 and not force):
            return False
        self._last = now
        return True

    def show(self, phase: str, done: int, total: int, info: str) -> None:
        if phase not in self.tasks:
            self.tasks[phase] = self.progress.add_task(self.labels.get(phase, phase), total=None, info="")
        self.progress.update(self.tasks[phase], total=max(total, 1), completed=done, info=info)
