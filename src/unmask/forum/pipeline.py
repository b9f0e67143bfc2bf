"""The forum census's pipeline on the crawl engine's (``core/crawl/pipeline.py``): what a stored page counts,
and when the crawl cannot go on (the start page unreachable, no forum engine recognised)."""

from __future__ import annotations

from dataclasses import dataclass, field

from unmask.core.crawl.pipeline import EngineCrawler, EngineJob, EnginePipeline
from unmask.core.urls import same_site
from unmask.forum.adapter import ForumAdapter
from unmask.forum.writer import CommitResult, ForumWriter, PageCommit

ForumCrawler = EngineCrawler


@dataclass
class ForumJob(EngineJob[PageCommit]):
    """What the forum census's Scrapy components share for one session of a run."""

    writer: ForumWriter = field(kw_only=True)
    adapter: ForumAdapter | None = field(kw_only=True)
    base_url: str = field(kw_only=True)
    root: str = field(kw_only=True)
    """The forum's folder ("" or "/forum")."""
    unrecognised: bool = False

    def on_site(self, url: str) -> bool:
        return same_site(url, self.base_url)


class ForumPipeline(EnginePipeline[PageCommit]):
    commit_type = PageCommit
    job_type = ForumJob
    job: ForumJob

    def tally(self, page: PageCommit, result: CommitResult) -> None:
        self.job.counters["threads"] += result.threads
        self.job.counters["new_threads"] += result.new_threads

    def stops_crawl(self, page: PageCommit) -> bool:
        job = self.job
        if page.no_response and page.status == "failed" and page.frontier.url == job.start_url:
            job.start_error = job.start_error or page.error or "no response"
            return True
        return job.unrecognised

    def work_left(self) -> bool:
        return bool(self.job.writer.counts().get("pending"))
