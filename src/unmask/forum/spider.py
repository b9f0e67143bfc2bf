"""The forum spider (Scrapy): turns each response, or each request that got none, into a PageCommit.

It reads; it never writes. The pipeline (``forum/pipeline.py``) stores the commits in small batches and
feeds Scrapy the next requests from the store's frontier. On the start page, when no adapter was given,
the engine is recognised from the markup and the run goes on with it.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from unmask.core.fetch import policy
from unmask.core.fetch.scrapy_bridge import RefusedByPolicy
from unmask.forum.adapter import detect
from unmask.forum.model import PageKind
from unmask.forum.writer import FrontierRow, PageCommit

if TYPE_CHECKING:
    from unmask.forum.pipeline import ForumJob

GONE = frozenset({404, 410})
LOGIN = frozenset({401, 403})
ROBOTS_REFUSAL = "Forbidden by robots.txt"
NOT_SENT = frozenset({policy.SCHEME, policy.USERINFO, policy.OFF_ORIGIN, policy.PRIVATE_ADDRESS})


def server_time(response: Response) -> dt.datetime | None:
    """The response's Date header (the page's own "now", for "Yesterday, 03:12 PM"), if plausible."""
    raw = response.headers.get("Date")
    if not raw:
        return None
    try:
        when = email.utils.parsedate_to_datetime(raw.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return when if dt.datetime(1995, 1, 1) <= when <= now + dt.timedelta(days=1) else None


class ForumSpider(scrapy.Spider):
    name = "unmask-forum"

    async def start(self) -> AsyncIterator[Any]:
        """Nothing here: the pipeline hands Scrapy the frontier's pending rows, a window at a time."""
        return
        yield

    @property
    def job(self) -> ForumJob:
        job: ForumJob | None = getattr(self.crawler, "job", None)
        assert job is not None
        return job

    def request_for(self, row: FrontierRow) -> scrapy.Request:
        return scrapy.Request(
            row.url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=row.priority,
            dont_filter=True,
            meta={"row": row},
        )

    def stopping(self) -> bool:
        engine = self.crawler.engine
        return engine is not None and not engine.running

    def parse_page(self, response: Response) -> list[PageCommit]:
        """A list, not a generator: Scrapy parses a generator callback's source on every call."""
        return list(self._parse_page(response))

    def _parse_page(self, response: Response) -> Iterator[PageCommit]:
        if self.stopping():
            return
        row: FrontierRow = response.meta["row"]
        capture_id = response.meta.get("capture_id")
        job = self.job
        thread_id = job.adapter.thread_id(row.url) if job.adapter and row.kind == PageKind.THREAD else None
        if response.status in GONE and row.kind in (PageKind.THREAD, PageKind.SECTION):
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
        fetched_at = server_time(response) or response.meta.get("fetched_at") or dt.datetime.now(dt.UTC)
        if isinstance(fetched_at, dt.datetime) and fetched_at.tzinfo is not None:
            fetched_at = fetched_at.astimezone(dt.UTC).replace(tzinfo=None)
        encoding = getattr(response, "encoding", None) if hasattr(response, "text") else None
        try:
            result = job.adapter.extract(
                row.kind,
                response.url,
                response.body,
                fetched_at=fetched_at,
                section_key=row.section_key,
                encoding=encoding,
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

    def on_error(self, failure: Failure) -> list[PageCommit]:
        return list(self._on_error(failure))

    def _on_error(self, failure: Failure) -> Iterator[PageCommit]:
        request = getattr(failure, "request", None)
        if request is None or self.stopping():
            return
        row: FrontierRow = request.meta["row"]
        exc = failure.value
        if isinstance(exc, RefusedByPolicy) and policy.refusal_code(exc.reason) in NOT_SENT:
            status, why = "failed", exc.reason
        elif isinstance(exc, RefusedByPolicy):
            status, why = "refused", exc.reason
        elif isinstance(exc, IgnoreRequest) and str(exc) == ROBOTS_REFUSAL:
            status, why = "disallowed", str(exc)
        elif isinstance(exc, IgnoreRequest):
            status, why = "failed", str(exc) or "ignored"
        else:
            status, why = "failed", request.meta.get("unmask_error") or f"{type(exc).__name__}: {exc}"
        yield PageCommit(row, request.meta.get("capture_id"), status=status, error=why, no_response=True)
