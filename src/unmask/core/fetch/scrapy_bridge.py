"""Scrapy integration of the fetch layer.

Scrapy schedules, throttles and retries; the bytes still move through unmask's one Transport, so the
census crawler gets exactly the same media refusal, size caps, timeouts, proxy support and evidence
recording as every other module. Enabled by ``scrapy_settings()`` and an ``UnmaskCrawler`` (which carries
the Transport to the components):

* ``UnmaskDownloadHandler`` replaces Scrapy's HTTP(S) download handlers;
* ``RetryAfterMiddleware`` replaces Scrapy's RetryMiddleware: backoff on 429/5xx and connection
  errors, honouring Retry-After, and slowing the whole host down while it asks us to.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from unmask.core.config import FetchSettings
from unmask.core.errors import FetchRefused
from unmask.core.fetch.client import RETRY_STATUSES, backoff_delay, retry_after_seconds
from unmask.core.fetch.exchange import FetchRequest
from unmask.core.fetch.transport import FetchError, Transport


class UnmaskCrawler(Crawler):
    """A Scrapy crawler that carries the run's Transport to the components that need it.

    Scrapy deep-copies settings, so live objects cannot travel there; each component reaches them
    through the crawler it is built with (``from_crawler``). Stages subclass it to carry their own
    objects (the census its store writer).
    """

    def __init__(
        self,
        spidercls: type[Spider],
        settings: dict[str, Any],
        *,
        transport: Transport,
        init_reactor: bool = True,
    ) -> None:
        """``init_reactor``: install the Twisted reactor the settings name (a process's first crawler)."""
        super().__init__(spidercls, settings, init_reactor=init_reactor)
        self.transport = transport


def transport_of(crawler: Crawler) -> Transport:
    """The Transport of an ``UnmaskCrawler``; any other crawler is a programming error."""
    transport = getattr(crawler, "transport", None)
    if not isinstance(transport, Transport):
        raise RuntimeError("unmask's Scrapy components need an UnmaskCrawler carrying the case's Transport")
    return transport


class RefusedByPolicy(IgnoreRequest):
    """The fetch layer refused the URL or the body (media, scheme): a result, not a failure to retry."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UnmaskDownloadHandler:
    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        self.transport = transport_of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnmaskDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in request.headers.items()
            for v in values
        ]
        req = FetchRequest(
            url=request.url,
            method=request.method,
            headers=headers,
            favicon=bool(request.meta.get("favicon")),
            timeout=request.meta.get("download_timeout"),
        )
        try:
            resp = await self.transport.exchange(req)
        except FetchRefused as exc:
            request.meta["unmask_refused"] = exc.reason
            raise RefusedByPolicy(exc.reason) from exc
        except FetchError as exc:
            request.meta["unmask_error"] = str(exc)
            if exc.kind == "timeout":
                raise DownloadTimeoutError(str(exc)) from exc
            if exc.kind == "connect":
                raise DownloadConnectionRefusedError(str(exc)) from exc
            raise DownloadFailedError(str(exc)) from exc
        request.meta["capture_id"] = resp.capture_id
        request.meta["fetched_at"] = resp.requested_at
        scrapy_headers = Headers()
        for key, value in resp.headers:
            scrapy_headers.appendlist(key, value)
        respcls = responsetypes.from_args(headers=scrapy_headers, url=resp.url, body=resp.body)
        flags = ["truncated"] if resp.truncated else None
        return respcls(
            url=resp.url,
            status=resp.status,
            headers=scrapy_headers,
            body=resp.body,
            flags=flags,
            request=request,
            protocol=resp.http_version,
        )

    async def close(self) -> None:
        await self.transport.close()


class RetryAfterMiddleware(RetryMiddleware):
    """Retries with backoff; Retry-After is honoured and slows the whole host down meanwhile."""

    fetch_settings: FetchSettings

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        mw = cls(crawler.settings)
        mw.crawler = crawler
        mw.fetch_settings = transport_of(crawler).settings
        return mw

    def _slot(self, request: Request) -> Any:
        engine = self.crawler.engine
        if engine is None:
            return None
        downloader = engine.downloader
        return downloader.slots.get(downloader.get_slot_key(request))

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        slot = self._slot(request)
        if response.status not in RETRY_STATUSES or request.meta.get("dont_retry"):
            if slot is not None and slot.delay > self.crawler.settings.getfloat("DOWNLOAD_DELAY"):
                slot.delay = max(self.crawler.settings.getfloat("DOWNLOAD_DELAY"), slot.delay / 2)
            return response
        attempt = request.meta.get("retry_times", 0) + 1
        header = response.headers.get("Retry-After")
        wait = backoff_delay(
            self.fetch_settings,
            attempt,
            retry_after_seconds(header.decode("latin-1") if header else None),
        )
        if wait is None:
            return response
        if slot is not None:
            slot.delay = max(slot.delay, min(wait, self.fetch_settings.backoff_max))
        await asyncio.sleep(wait)
        return self._retry(request, f"HTTP {response.status}") or response

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        if isinstance(exception, IgnoreRequest):
            return None
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry"):
            attempt = request.meta.get("retry_times", 0) + 1
            await asyncio.sleep(backoff_delay(self.fetch_settings, attempt, None) or 0)
            return self._retry(request, exception)
        return None


def scrapy_settings(
    settings: FetchSettings, *, delay: float, concurrency: int, max_url_length: int = 2083
) -> dict[str, Any]:
    """Every Scrapy setting unmask relies on, set deliberately (Scrapy's defaults are not ours).

    The Transport is not a setting: it travels on the ``UnmaskCrawler``.
    """
    return {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "DOWNLOAD_HANDLERS": {
            "http": "unmask.core.fetch.scrapy_bridge.UnmaskDownloadHandler",
            "https": "unmask.core.fetch.scrapy_bridge.UnmaskDownloadHandler",
            "ftp": None,
            "s3": None,
            "file": None,
        },
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "unmask.core.fetch.scrapy_bridge.RetryAfterMiddleware": 550,
            "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
            "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": None,
        },
        "USER_AGENT": settings.user_agent,
        "ROBOTSTXT_OBEY": settings.obey_robots,
        "ROBOTSTXT_USER_AGENT": settings.user_agent,
        "DOWNLOAD_DELAY": delay,
        "RANDOMIZE_DOWNLOAD_DELAY": delay > 0,
        "AUTOTHROTTLE_ENABLED": delay > 0 and settings.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(max(1, concurrency)),
        "CONCURRENT_REQUESTS": max(16, concurrency * 2),
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_TIMEOUT": settings.total_timeout,
        "DOWNLOAD_MAXSIZE": settings.max_response_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": settings.max_redirects,
        "METAREFRESH_ENABLED": False,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": settings.retries,
        "RETRY_HTTP_CODES": sorted(RETRY_STATUSES),
        "COOKIES_ENABLED": True,
        "DEFAULT_REQUEST_HEADERS": dict(settings.headers),
        "TELNETCONSOLE_ENABLED": False,
        "LOG_ENABLED": False,
        "STATS_DUMP": False,
        "DNS_TIMEOUT": settings.connect_timeout,
        "URLLENGTH_LIMIT": max_url_length,
        "DEPTH_LIMIT": 0,
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        "HTTPERROR_ALLOW_ALL": True,
    }
