"""Run a census crawl: open or resume the run, drive Scrapy, settle the run's outcome."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from scrapy.crawler import CrawlerProcess

from unmask.census.extract.adapter import load_extractor
from unmask.census.pipeline import StorePipeline
from unmask.census.spider import CensusSpider
from unmask.census.writer import CensusWriter, open_run, platform_for
from unmask.core.case import Case
from unmask.core.errors import CaseError, UnmaskError
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.scrapy_bridge import live, register, scrapy_settings
from unmask.core.fetch.transport import Transport


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


class ProgressReporter:
    """A rich progress line on stderr, refreshed after each stored page."""

    def __init__(self, enabled: bool, writer: CensusWriter) -> None:
        self.writer = writer
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold]census[/] {task.fields[phase]}"),
            BarColumn(),
            TextColumn(
                "{task.completed}/{task.total} pages · {task.fields[items]} items · "
                "{task.fields[requests]} requests"
            ),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
            transient=False,
        )
        self.task = self.progress.add_task("crawl", total=1, phase="", items=0, requests=0)
        self._last = 0.0

    def __call__(self, spider: CensusSpider, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.25 and not force):
            return
        self._last = now
        counts = self.writer.counts()
        total = sum(counts.values())
        done = total - counts.get("pending", 0)
        transport = live(spider.crawler.settings, "UNMASK_TRANSPORT")
        self.progress.update(
            self.task,
            total=max(total, 1),
            completed=done,
            phase=spider.phase,
            items=spider.counters["items"],
            requests=transport.counters["requests"] if transport else 0,
        )


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
        if not resumed:
            writer.seed(extractor.start_urls(opts.url))
        initial = list(writer.pending())
        recorder = EvidenceRecorder(
            case.warc_dir, store, purpose="census", run_id=run.id, rotate_bytes=fetch.warc_rotate_bytes
        )
        scope = Scope.for_site(opts.url, allow_private=fetch.allow_private_addresses)
        transport = Transport(fetch, recorder, scope=scope)
        reporter = ProgressReporter(opts.progress, writer)
        url_cap = crawl_settings.max_url_length
        settings = scrapy_settings(
            fetch, transport, delay=delay, concurrency=concurrency, max_url_length=url_cap
        )
        settings.update(
            {
                "ITEM_PIPELINES": {StorePipeline: 300},
                "UNMASK_ON_COMMIT": register("on_commit", reporter),
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
        crawler = process.create_crawler(CensusSpider)
        process.crawl(
            crawler,
            writer=writer,
            extractor=extractor,
            base_url=base,
            phase=run.phase,
            initial=initial,
            max_requests=max_requests,
        )
        with reporter.progress:
            process.start()
            spider: CensusSpider = crawler.spider  # type: ignore[assignment]
            reporter(spider, force=True)
        recorder.close()
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        return _settle(writer, spider, run.id, resumed, run.sessions, reason, time.monotonic() - started)


def _log_path(case: Case, run_id: int) -> Path:
    logs = case.root / "logs"
    logs.mkdir(exist_ok=True)
    return logs / f"crawl-run-{run_id}.log"


def _settle(
    writer: CensusWriter,
    spider: CensusSpider,
    run_id: int,
    resumed: bool,
    session: int,
    reason: str | None,
    seconds: float,
) -> CrawlSummary:
    removed = 0
    notes = list(spider.notes)
    if reason == "finished" and spider.phase == "done":
        complete, why = writer.enumeration_complete(spider.counters["chains_cut"])
        if complete:
            removed = writer.mark_unseen_removed()
        else:
            notes.append(why)
        status = "complete"
    else:
        status = "interrupted"
        notes.append(f"interrupted ({reason or 'stopped'}); run the same command again to continue")
    writer.finish(status, "; ".join(notes[-20:]) or None)
    requests = writer.requests()
    present = writer.items_present()
    return CrawlSummary(
        run=run_id,
        status=status,
        resumed=resumed,
        session=session,
        phase=spider.phase,
        requests=requests,
        pages=spider.counters["pages"],
        items=spider.counters["items"],
        new_items=spider.counters["new_items"],
        removed=removed,
        failed=spider.counters["failed"],
        refused=spider.counters["refused"],
        gone=spider.counters["gone"],
        items_present=present,
        requests_per_item=round(requests / present, 4) if present else 0.0,
        seconds=round(seconds, 2),
        notes=notes,
    )
