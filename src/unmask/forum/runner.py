"""Run a forum census: open or resume the run, drive Scrapy over core's fetch layer, settle the run.

The same shape as the catalogue census (``census/runner.py``), on the same shared parts: the Transport
and its scope, body policy and evidence recorder, ``scrapy_settings``, the completeness verdict of
``core/outcome.py``. The crawl lock, progress line and Ctrl-C handling are the forum's own thin
versions of the census's (see docs/forum.md: what should become one shared piece).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from scrapy.crawler import CrawlerProcess
from sqlalchemy import select

from unmask.core.case import Case
from unmask.core.errors import CaseError, UnmaskError
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.scrapy_bridge import scrapy_settings
from unmask.core.fetch.transport import Transport
from unmask.core.outcome import Verdict
from unmask.core.urls import canonicalize
from unmask.forum.adapter import ForumAdapter, engine, load_adapter
from unmask.forum.model import Link, PageKind
from unmask.forum.pipeline import ForumCrawler, ForumJob, ForumPipeline
from unmask.forum.spider import ForumSpider
from unmask.forum.tables import Forum
from unmask.forum.writer import ForumWriter, forum_for, open_run


@dataclass
class ForumCrawlOptions:
    url: str
    adapter: str | None = None
    delay: float | None = None
    concurrency: int | None = None
    obey_robots: bool | None = None
    max_requests: int | None = None
    progress: bool = True


@dataclass
class ForumCrawlSummary:
    run: int
    status: str
    complete: bool
    incomplete_reasons: list[str]
    verdict: str
    resumed: bool
    session: int
    engine: str | None
    requests: int
    pages: int
    threads: int
    """Threads of the forum present after the run (not removed, not login only)."""
    new_threads: int
    removed: int
    closed_sections: int
    failed: int
    refused: int
    gone: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class StartUnreachable(UnmaskError):
    exit_code = 1


def base_of(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UnmaskError(f"not an http(s) URL: {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


@contextlib.contextmanager
def crawl_lock(case: Case) -> Iterator[None]:
    """One forum crawl per case at a time; a lock left by a killed process is taken over."""
    path = case.root / ".forum-crawl.lock"
    if path.exists():
        try:
            pid = int(path.read_text().strip() or "0")
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError, PermissionError):
            pid = 0
        if pid and pid != os.getpid():
            raise CaseError(f"another forum crawl (pid {pid}) is running on this case", where=str(case.root))
    path.write_text(str(os.getpid()))
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()


class Interrupts:
    """Ctrl-C (or SIGTERM): the first stops gracefully (pages in flight end and are stored; the run is
    resumable), a second one at once."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, process: CrawlerProcess) -> None:
        self.process = process
        self.received = 0
        self.forced = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> Interrupts:
        for signum in self.SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: object) -> None:
        from twisted.internet import reactor

        self.received += 1
        if self.received > 1:
            raise KeyboardInterrupt
        reactor.callFromThread(self.process.stop)


class ProgressLine:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.progress = Progress(
            TextColumn("[bold]forum[/]"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} pages · {task.fields[threads]} threads"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=not enabled,
        )
        self.task = self.progress.add_task("crawl", total=1, threads=0)
        self._last = 0.0

    def __call__(self, job: ForumJob, *, force: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.25 and not force):
            return
        self._last = now
        counts = job.writer.counts()
        total = sum(counts.values())
        self.progress.update(
            self.task,
            total=max(total, 1),
            completed=total - counts.get("pending", 0),
            threads=job.counters["threads"],
        )


def forum_root(start_url: str) -> str:
    """The forum's folder, from its start URL ("/forum/" and "/forum/index.php" give "/forum")."""
    path = urlsplit(start_url).path or "/"
    return path.rstrip("/") if path.endswith("/") else path.rsplit("/", 1)[0]


def _stored_engine(case: Case, forum_id: int) -> ForumAdapter | None:
    with case.store.session() as s:
        name = s.scalar(select(Forum.engine).where(Forum.id == forum_id))
    try:
        return engine(name) if name else None
    except (OSError, UnmaskError):
        return None


def crawl(case: Case, opts: ForumCrawlOptions) -> ForumCrawlSummary:
    base = base_of(opts.url)
    adapter = load_adapter(opts.adapter) if opts.adapter else None
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
    settings = case.config.crawl
    store = case.store
    import unmask.forum.tables  # noqa: F401  (the tables join the metadata before the store migrates)

    start_url = canonicalize(opts.url)
    root = forum_root(start_url)
    with crawl_lock(case):
        forum_id = forum_for(store, base + root)
        adapter = adapter or _stored_engine(case, forum_id)
        adapter = adapter.at(root) if adapter is not None else None
        run, resumed = open_run(
            store, forum_id, start_url, {"adapter": opts.adapter, "delay": delay, "concurrency": concurrency}
        )
        writer = ForumWriter(store, forum_id, run.id, settings)
        if adapter is not None and opts.adapter:
            writer.set_engine(adapter.name)
        if not resumed:
            seeds = [Link(start_url, PageKind.INDEX)]
            if adapter is not None:
                seeds += adapter.seeds(base)
            writer.seed(seeds)
        recorder = EvidenceRecorder(
            case.warc_dir, store, purpose="forum", rotate_bytes=fetch.warc_rotate_bytes
        )
        scope = Scope.for_site(opts.url, allow_private=fetch.allow_private_addresses)
        transport = Transport(fetch, recorder, scope=scope)
        line = ProgressLine(opts.progress)
        job = ForumJob(
            writer=writer,
            adapter=adapter,
            base_url=base,
            root=root,
            start_url=run.start_url,
            max_requests=opts.max_requests or settings.max_requests,
            window=max(settings.schedule_window, 2 * concurrency),
            low_water=2 * concurrency,
            on_commit=line,
        )
        scrapy = scrapy_settings(
            fetch, delay=delay, concurrency=concurrency, max_url_length=settings.max_url_length
        )
        logs = case.root / "logs"
        logs.mkdir(exist_ok=True)
        scrapy.update(
            {
                "ITEM_PIPELINES": {ForumPipeline: 300},
                # one commit per response: Scrapy would start CONCURRENT_ITEMS worker tasks per response
                "CONCURRENT_ITEMS": 1,
                "DUPEFILTER_CLASS": "scrapy.dupefilters.BaseDupeFilter",
                "LOG_ENABLED": True,
                "LOG_LEVEL": "INFO",
                "LOG_FILE": str(logs / f"forum-run-{run.id}.log"),
                "LOG_FILE_APPEND": True,
                "LOG_INSTALL_ROOT_HANDLER": True,
            }
        )
        started = time.monotonic()
        process = CrawlerProcess(scrapy)
        crawler = ForumCrawler(ForumSpider, scrapy, transport=transport, job=job)
        process.crawl(crawler)
        with line.progress, Interrupts(process) as interrupts:
            try:
                process.start(install_signal_handlers=False)
            except KeyboardInterrupt:
                interrupts.forced = True
            line(job, force=True)
        recorder.close()
        if job.start_error is not None:
            writer.fail_start(job.start_error)
            error = " ".join(job.start_error.split())[:500]
            error = error.removeprefix(f"{run.start_url}: ").removeprefix(f"{opts.url}: ")
            raise StartUnreachable(f"cannot fetch it: {error}", where=opts.url)
        if job.unrecognised:
            writer.fail_start("no forum engine recognised")
            raise UnmaskError(
                "no forum engine recognised (XenForo 2, MyBB, phpBB 3, vBulletin, Discourse, NodeBB); "
                "give --adapter FILE",
                where=opts.url,
            )
        reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
        finished = not interrupts.forced and reason == "finished" and job.done
        settled = writer.settle(finished=finished, start_url=run.start_url)
        with store.session() as s:
            present = writer.present(s)
            closed = len(writer._closed)
        verdict = Verdict(settled.complete, tuple(settled.reasons))
        notes = list(job.notes)
        if settled.status == "interrupted":
            notes.append("interrupted; run the same command again to continue")
        c = job.counters
        return ForumCrawlSummary(
            run=run.id,
            status=settled.status,
            complete=settled.complete,
            incomplete_reasons=verdict.texts,
            verdict=verdict.sentence().replace("census", "forum census", 1),
            resumed=resumed,
            session=run.sessions,
            engine=job.adapter.name if job.adapter else None,
            requests=transport.counters["requests"],
            pages=c["pages"],
            threads=present,
            new_threads=c["new_threads"],
            removed=settled.removed + c["gone"],
            closed_sections=closed,
            failed=c["failed"],
            refused=c["refused"] + c["disallowed"],
            gone=c["gone"],
            seconds=round(time.monotonic() - started, 2),
            notes=notes,
        )
