"""The spider base of the crawl engine: it reads; it never writes.

Each response, or each request that got none, becomes the stage's page commit, which the pipeline
(``pipeline.py``) stores. A stage's spider implements :meth:`EngineSpider.read` (a response) and
:meth:`EngineSpider.unanswered` (a request without a page, given the status the engine mapped it to).
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import AsyncIterator, Iterable
from typing import Any, Protocol

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from twisted.python.failure import Failure

from unmask.core.fetch import policy
from unmask.core.fetch.scrapy_bridge import RefusedByPolicy

GONE_STATUSES = frozenset({404, 410})
ROBOTS_REFUSAL = "Forbidden by robots.txt"
"""The message of the IgnoreRequest Scrapy's RobotsTxtMiddleware raises."""
NOT_SENT = frozenset({policy.SCHEME, policy.USERINFO, policy.OFF_ORIGIN, policy.PRIVATE_ADDRESS})
"""Refusals made before a request is sent: the page is unread, not answered."""


class Row(Protocol):
    """A frontier row as the spider needs it."""

    @property
    def id(self) -> int: ...

    @property
    def url(self) -> str: ...

    @property
    def priority(self) -> int: ...


def server_time(response: Response) -> dt.datetime | None:
    """The response's Date header (the platform's "now", for "3 weeks ago" or "Yesterday, 03:12 PM"), as
    naive UTC, if it is plausible."""
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


def page_time(response: Response) -> dt.datetime:
    """When the page was read, as naive UTC: the server's Date, else the fetch layer's time, else now."""
    when = server_time(response) or response.meta.get("fetched_at") or dt.datetime.now(dt.UTC)
    if isinstance(when, dt.datetime) and when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def body_encoding(response: Response) -> str | None:
    """The encoding Scrapy found for a text response (None for other bodies)."""
    return getattr(response, "encoding", None) if hasattr(response, "text") else None


def failure_status(failure: Failure) -> tuple[str, str]:
    """The frontier status and error of a request that got no page: refused by the fetch policy (media: an
    answer, not a page), disallowed by robots.txt, or failed (no response, a redirect loop, …)."""
    exc = failure.value
    request = getattr(failure, "request", None)
    if isinstance(exc, RefusedByPolicy) and policy.refusal_code(exc.reason) in NOT_SENT:
        # nothing was sent (another origin, a private address): the page was not read, which is no
        # answer about it; at the start page it means the site cannot be reached
        return "failed", exc.reason
    if isinstance(exc, RefusedByPolicy):
        return "refused", exc.reason
    if isinstance(exc, IgnoreRequest) and str(exc) == ROBOTS_REFUSAL:
        return "disallowed", str(exc)
    if isinstance(exc, IgnoreRequest):
        return "failed", str(exc) or "ignored"
    meta = request.meta if request is not None else {}
    return "failed", meta.get("unmask_error") or f"{type(exc).__name__}: {exc}"


class EngineSpider(scrapy.Spider):
    """Requests for frontier rows; each response (or failure) becomes a list of page commits.

    Callbacks return lists, not generators: Scrapy parses a generator callback's source on every call."""

    async def start(self) -> AsyncIterator[Any]:
        """Nothing here: the pipeline hands Scrapy the frontier's pending rows, a window at a time."""
        return
        yield  # an async generator that yields nothing

    def request_for(self, row: Row) -> scrapy.Request:
        return scrapy.Request(
            row.url,
            callback=self.parse_page,
            errback=self.on_error,
            priority=row.priority,
            dont_filter=True,
            # error statuses reach parse_page through HTTPERROR_ALLOW_ALL; "handle_httpstatus_all" in
            # meta would also turn Scrapy's RedirectMiddleware off, and every redirect into an empty page
            meta={"row": row},
        )

    def stopping(self) -> bool:
        """The crawl is being stopped (Ctrl-C): pages not yet read stay pending for the next session."""
        engine = self.crawler.engine
        return engine is not None and not engine.running

    def parse_page(self, response: Response) -> list[Any]:
        if self.stopping():
            return []
        return list(self.read(response, response.meta["row"], response.meta.get("capture_id")))

    def on_error(self, failure: Failure) -> list[Any]:
        request = getattr(failure, "request", None)
        if request is None or self.stopping():
            return []
        status, why = failure_status(failure)
        return [self.unanswered(request.meta["row"], request.meta.get("capture_id"), status, why)]

    def read(self, response: Response, row: Any, capture_id: int | None) -> Iterable[Any]:
        """The page commits of one response to ``row``."""
        raise NotImplementedError

    def unanswered(self, row: Any, capture_id: int | None, status: str, error: str) -> Any:
        """The page commit of a request that got no page (``no_response`` set)."""
        raise NotImplementedError
