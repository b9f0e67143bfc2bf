"""Run a forum census: open or resume the run, drive the crawl engine over core's fetch layer, settle the run.

The same shape as the catalogue census (``census/runner.py``), on the same engine (``core/crawl``): the lock,
Ctrl-C, progress, the Scrapy session, the frontier and the completeness verdict are the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from unmask.core.case import Case
from unmask.core.crawl import runner as crawling
from unmask.core.errors import UnmaskError
from unmask.core.fetch.exchange import Exchange
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.transport import Transport
from unmask.core.outcome import Verdict
from unmask.core.urls import canonicalize
from unmask.forum.adapter import ForumAdapter, engine, load_adapter
from unmask.forum.model import Link, PageKind
from unmask.forum.pipeline import ForumCrawler, ForumJob, ForumPipeline
from unmask.forum.spider import ForumSpider
from unmask.forum.tables import Forum
from unmask.forum.writer import ForumWriter, forum_for, open_run

ForumCrawlOptions = crawling.CrawlOptions
"""The forum census takes the census's options."""


@dataclass
class ForumCrawlSummary(crawling.RunSummary):
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


class ForumRecorder(EvidenceRecorder):
    """The evidence recorder of a forum crawl: each capture row names its forum run (``forum_run_id``; the
    capture's ``run_id`` is a census run's)."""

    def __init__(self, *args: Any, forum_run_id: int, **kwargs: Any) -> None:
        super().__init__(*args, purpose="forum", **kwargs)
        self.forum_run_id = forum_run_id

    def _write(self, ex: Exchange) -> dict[str, Any]:
        row = super()._write(ex)
        row["forum_run_id"] = self.forum_run_id
        return row


class ProgressLine:
    """One bar over the run's frontier rows, with the threads counted so far."""

    def __init__(self, enabled: bool, transport: Transport) -> None:
        self.transport = transport
        self.bars = crawling.PhaseBars(enabled, {"pages": "forum pages"})

    def __call__(self, job: ForumJob, *, force: bool = False) -> None:
        if not self.bars.due(force):
            return
        counts = job.writer.counts()
        total = sum(counts.values())
        info = f"{job.counters['threads']:,} threads · {self.transport.counters['requests']:,} requests"
        self.bars.show("pages", total - counts.get("pending", 0), total, info)


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


def crawl(case: Case, opts: crawling.CrawlOptions) -> ForumCrawlSummary:
    base = crawling.base_of(opts.url)
    adapter = load_adapter(opts.adapter) if opts.adapter else None
    fetch = crawling.fetch_for(case, opts)
    settings = case.config.crawl
    store = case.store
    import unmask.forum.tables  # noqa: F401  (the tables join the metadata before the store migrates)

    start_url = canonicalize(opts.url)
    root = forum_root(start_url)
    with crawling.crawl_lock(case, "forum crawl"):
        forum_id = forum_for(store, base + root)
        adapter = adapter or _stored_engine(case, forum_id)
        adapter = adapter.at(root) if adapter is not None else None
        options = {"adapter": opts.adapter, "delay": fetch.delay, "concurrency": fetch.concurrency}
        run, resumed = open_run(store, forum_id, start_url, options)
        writer = ForumWriter(store, forum_id, run.id, settings)
        if adapter is not None and opts.adapter:
            writer.set_engine(adapter.name)
        if not resumed:
            seeds = [Link(start_url, PageKind.INDEX)]
            if adapter is not None:
                seeds += adapter.seeds(base)
            writer.seed(seeds)
        recorder = ForumRecorder(
            case.warc_dir, store, forum_run_id=run.id, rotate_bytes=fetch.warc_rotate_bytes
        )
        scope = Scope.for_site(opts.url, allow_private=fetch.allow_private_addresses)
        transport = Transport(fetch, recorder, scope=scope)
        line = ProgressLine(opts.progress, transport)
        job = ForumJob(
            writer=writer,
            adapter=adapter,
            base_url=base,
            root=root,
            start_url=run.start_url,
            low_water=2 * fetch.concurrency,
            on_commit=line,
            **crawling.job_bounds(settings, fetch, opts.max_requests),
        )
        end = crawling.run_session(
            case, fetch, recorder, line, pipeline=ForumPipeline, log_name=f"forum-run-{run.id}",
            crawler=lambda scrapy: ForumCrawler(ForumSpider, scrapy, transport=transport, job=job),
        )  # fmt: skip
        if job.start_error is not None:
            writer.fail_start(job.start_error)
            error = crawling.one_line(job.start_error)
            error = error.removeprefix(f"{run.start_url}: ").removeprefix(f"{opts.url}: ")
            raise crawling.StartUnreachable(f"cannot fetch it: {error}", where=opts.url)
        if job.unrecognised:
            writer.fail_start("no forum engine recognised")
            raise UnmaskError(
                "no forum engine recognised (XenForo 2, MyBB, phpBB 3, vBulletin, Discourse, NodeBB); "
                "give --adapter FILE",
                where=opts.url,
            )
        settled = writer.settle(finished=end.finished and job.done, start_url=run.start_url)
        with store.session() as s:
            present = writer.present(s)
        verdict = Verdict(settled.complete, tuple(settled.reasons))
        notes = list(job.notes)
        if settled.status == "interrupted":
            notes.append(f"interrupted ({end.reason or 'stopped'}); run the same command again to continue")
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
            closed_sections=writer.closed_sections,
            failed=c["failed"],
            refused=c["refused"] + c["disallowed"],
            gone=c["gone"],
            seconds=round(end.seconds, 2),
            notes=notes,
        )
