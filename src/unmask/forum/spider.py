"""The forum spider (Scrapy, on the crawl engine's spider): turns each response, or each request that got
none, into a PageCommit.

It reads; it never writes. The pipeline (``forum/pipeline.py``) stores the commits in batches and feeds
Scrapy the next requests from the store's frontier. On the start page, when no adapter was given, the engine
is recognised from the markup and the run goes on with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from scrapy.http import Response

from unmask.core.crawl.spider import GONE_STATUSES, EngineSpider, body_encoding, page_time
from unmask.forum.adapter import detect
from unmask.forum.model import PageKind
from unmask.forum.writer import FrontierRow, PageCommit

if TYPE_CHECKING:
    from unmask.forum.pipeline import ForumJob

LOGIN = frozenset({401, 403})


class ForumSpider(EngineSpider):
    name = "unmask-forum"

    @property
    def job(self) -> ForumJob:
        job: ForumJob | None = getattr(self.crawler, "job", None)
        assert job is not None
        return job

    def read(self, response: Response, row: FrontierRow, capture_id: int | None) -> Iterator[PageCommit]:
        job = self.job
        thread_id = job.adapter.thread_id(row.url) if job.adapter and row.kind == PageKind.THREAD else None
        if response.status in GONE_STATUSES and row.kind in (PageKind.THREAD, PageKind.SECTION):
            why = f"HTTP {response.status}"
            yield PageCommit(row, capture_id, status="gone", error=why, gone_thread=thread_id)
            return
        if response.status in LOGIN and row.kind in (PageKind.THREAD, PageKind.SECTION):
            why = f"HTTP {response.status}"
            yield PageCommit(row, capture_id, status="closed", error=why, gone_thread=thread_id)
            return
        if response.status >= 400:
            yield PageCommit(row, capture_id, status="failed", error=f"HTTP {response.status}")
            return
        engine_name = None
        if job.adapter is None:
            found = detect(response.body) if row.kind == PageKind.INDEX else None
            if found is None:
                job.unrecognised = True
                yield PageCommit(row, capture_id, status="failed", error="no forum engine recognised")
                return
            job.adapter, engine_name = found.at(job.root), found.name
        try:
            result = job.adapter.extract(
                row.kind,
                response.url,
                response.body,
                fetched_at=page_time(response),
                section_key=row.section_key,
                encoding=body_encoding(response),
            )
        except Exception as exc:  # hostile input must not stop the crawl; the page is a failed result
            self.logger.exception("extraction failed for %s", response.url)
            why = f"extraction failed: {type(exc).__name__}"
            yield PageCommit(row, capture_id, status="failed", error=why)
            return
        if engine_name is not None:
            base = job.base_url
            result.links.extend(job.adapter.seeds(base))
        if result.closed:
            yield PageCommit(row, capture_id, status="closed", error="login only", gone_thread=thread_id)
            return
        if result.gone and row.kind == PageKind.THREAD:
            yield PageCommit(
                row,
                capture_id,
                status="gone",
                error="the page says the thread was removed",
                gone_thread=thread_id,
            )
            return
        result.links = [link for link in result.links if job.on_site(link.url)]
        if result.next_page and not job.on_site(result.next_page):
            result.next_page = None
        yield PageCommit(row, capture_id, result=result, engine=engine_name)

    def unanswered(self, row: FrontierRow, capture_id: int | None, status: str, error: str) -> PageCommit:
        return PageCommit(row, capture_id, status=status, error=error, no_response=True)
