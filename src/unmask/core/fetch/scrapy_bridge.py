"""Scrapy integration of the fetch layer.

Scrapy schedules, throttles and retries; the bytes still move through unmask's one Transport, so the
census crawler gets exactly the same body policy, scope, size caps, time budgets, proxy support and
evidence recording as every other module. Enabled by ``scrapy_settings()`` and an ``UnmaskCrawler`` (which
carries the Transport to the components):

* ``UnmaskDownloadHandler`` replaces Scrapy's HTTP(S) download handlers. It refuses a redirect whose
  target is outside the Transport's scope before Scrapy's RedirectMiddleware can schedule it, gives
  each request what is left of its URL's time budget (shared by retries and redirect hops), and cuts
  every exchange in flight short when the engine stops (Ctrl-C);
* ``RetryAfterMiddleware`` replaces Scrapy's RetryMiddleware: backoff on 429/5xx and connection
  errors, honouring Retry-After within the URL's budget, and slowing the whole host down meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import (
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.http import Headers, Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from scrapy.responsetypes import responsetypes
from w3lib.url import safe_url_string

from unmask.core.config import DEFAULT_USER_AGENT, FetchSettings
from unmask.core.errors import FetchRefused
from unmask.core.fetch.client import REDIRECT_STATUSES, RETRY_STATUSES, backoff_delay, retry_after_seconds
from unmask.core.fetch.exchange import FetchRequest
from unmask.core.fetch.transport import FetchError, Transport

DEADLINE_META = "unmask_deadline"
"""Request meta: the monotonic time the URL's budget runs out (copied to its retries and redirects)."""
STOP_GRACE = 2.0
"""Seconds an exchange in flight may still take once the engine stops."""
STOP_POLL = 0.25
CONCURRENT_ITEMS = 4
"""Scrapy starts this many worker tasks for every response's output (Scrapy's default, 100, made 100
tasks a page). unmask's item pipelines are synchronous, so more would only cost CPU."""


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
    """The fetch layer refused the URL or the body (media, scope): a result, not a failure to retry."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class BudgetSpent(Exception):
    """The URL's time budget ran out (over its attempts, retry waits and redirect hops): not retried."""


class DownloadInterrupted(Exception):
    """The engine is stopping (Ctrl-C): the exchange was cut short and is not retried."""


def redirect_target(request_url: str, location: bytes) -> str:
    """Where Scrapy's RedirectMiddleware would send a redirect (its own steps, to check the same URL)."""
    target = safe_url_string(location)
    if location.startswith(b"//"):
        target = urlsplit(request_url).scheme + "://" + target.lstrip("/")
    return urljoin(request_url, target)


def _deadline(request: Request, settings: FetchSettings) -> float:
    deadline = request.meta.get(DEADLINE_META)
    if not isinstance(deadline, float):
        deadline = request.meta[DEADLINE_META] = time.monotonic() + settings.url_budget
    return deadline


async def pause(seconds: float, transport: Transport | None) -> None:
    """Sleep, but wake up as soon as the Transport is interrupted."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0 and not (transport is not None and transport.stopped):
        await asyncio.sleep(min(left, STOP_POLL))


class UnmaskDownloadHandler:
    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        self.transport = transport_of(crawler)
        self.crawler = crawler
        self._watch: asyncio.Task[None] | None = None
        crawler.signals.connect(self._engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> UnmaskDownloadHandler:
        return cls(crawler)

    def _engine_started(self) -> None:
        self._watch = asyncio.get_running_loop().create_task(self._watch_engine())

    async def _watch_engine(self) -> None:
        """Interrupt the Transport once the engine stops running (Ctrl-C): Scrapy waits for the downloads
        in flight before it closes, and a hostile server could hold them for the whole budget."""
        started = False
        while not self.transport.stopped:
            engine = self.crawler.engine
            running = engine is not None and engine.running
            if started and not running:
                self.transport.interrupt(STOP_GRACE)
                return
            started = started or running
            await asyncio.sleep(STOP_POLL)

    async def download_request(self, request: Request) -> Response:
        settings = self.transport.settings
        left = _deadline(request, settings) - time.monotonic()
        if left <= 0:
            raise BudgetSpent(f"{request.url}: the URL's time budget ({settings.url_budget:g} s) is spent")
        headers = [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, values in request.headers.items()
            for v in values
        ]
        chain_start = (request.meta.get("redirect_urls") or [request.url])[0]
        req = FetchRequest(
            url=request.url,
            method=request.method,
            headers=headers,
            favicon=bool(request.meta.get("favicon")),
            timeout=min(float(request.meta.get("download_timeout") or settings.total_timeout), left),
            chain_start=chain_start,
        )
        try:
            resp = await self.transport.exchange(req)
        except FetchRefused as exc:
            request.meta["unmask_refused"] = exc.reason
            raise RefusedByPolicy(exc.reason) from exc
        except FetchError as exc:
            request.meta["unmask_error"] = str(exc)
            if exc.kind == "interrupted":
                raise DownloadInterrupted(str(exc)) from exc
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
        self._check_redirect(request, resp.status, scrapy_headers, chain_start)
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

    def _check_redirect(self, request: Request, status: int, headers: Headers, chain_start: str) -> None:
        """Refuse a redirect off the scope here, so that RedirectMiddleware never schedules it."""
        location = headers.get("Location")
        if status not in REDIRECT_STATUSES or not location or request.meta.get("dont_redirect"):
            return
        target = redirect_target(request.url, location)
        if urlsplit(target).scheme not in ("http", "https"):
            return  # Scrapy does not follow it
        refusal = self.transport.scope.refuse(target, chain_start=chain_start)
        if refusal is None:
            return
        exc = self.transport.refuse_unsent(FetchRequest(target, chain_start=chain_start), refusal)
        reason = f"redirect to {target[:300]} refused ({exc.reason})"
        request.meta["unmask_refused"] = reason
        raise RefusedByPolicy(reason)

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self.transport.close()


class QuietLogFormatter(LogFormatter):
    """Scrapy's, without its two DEBUG lines a page ("Crawled (200) …", "Scraped from … {item}") when the
    log level drops them anyway. Scrapy leaves the root logger at every level and filters in its handler,
    so each line was still made, its item formatted and redacted, for nothing (3 % of a census's CPU)."""

    def __init__(self, *, debug: bool = True) -> None:
        self.debug = debug

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> QuietLogFormatter:
        settings = crawler.settings
        raw = settings.get("LOG_LEVEL", "DEBUG")
        level = raw if isinstance(raw, int) else logging.getLevelName(str(raw).upper())
        debug = settings.getbool("LOG_ENABLED") and (not isinstance(level, int) or level <= logging.DEBUG)
        return cls(debug=debug)

    def crawled(self, request: Request, response: Response, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        return super().crawled(request, response, spider) if self.debug else None

    def scraped(self, item: Any, response: Response | Any, spider: Spider) -> LogFormatterResult | None:  # type: ignore[override]
        return super().scraped(item, response, spider) if self.debug else None


class RetryAfterMiddleware(RetryMiddleware):
    """Retries with backoff within the URL's time budget; Retry-After is honoured and slows the whole
    host down meanwhile. Waits end early when the run stops."""

    fetch_settings: FetchSettings
    transport: Transport | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        mw = cls(crawler.settings)
        mw.crawler = crawler
        transport = transport_of(crawler)
        mw.fetch_settings = transport.settings
        mw.transport = transport
        return mw

    def _slot(self, request: Request) -> Any:
        engine = self.crawler.engine
        if engine is None:
            return None
        downloader = engine.downloader
        return downloader.slots.get(downloader.get_slot_key(request))

    def _fits(self, request: Request, wait: float) -> bool:
        """Whether waiting ``wait`` seconds and trying again fits in the URL's budget (and the run is on)."""
        if self.transport is not None and self.transport.stopped:
            return False
        return time.monotonic() + wait < _deadline(request, self.fetch_settings)

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
        if wait is None or not self._fits(request, wait):
            return response
        if slot is not None:
            slot.delay = max(slot.delay, min(wait, self.fetch_settings.backoff_max))
        await pause(wait, self.transport)
        if self.transport is not None and self.transport.stopped:
            return response
        return self._retry(request, f"HTTP {response.status}") or response

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Any = None
    ) -> Request | Response | None:
        if isinstance(exception, IgnoreRequest):
            return None
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry"):
            attempt = request.meta.get("retry_times", 0) + 1
            wait = backoff_delay(self.fetch_settings, attempt, None) or 0.0
            if not self._fits(request, wait):
                return None
            await pause(wait, self.transport)
            if self.transport is not None and self.transport.stopped:
                return None
            return self._retry(request, exception)
        return None


def scrapy_settings(
    settings: FetchSettings,
    *,
    delay: float,
    concurrency: int,
    max_url_length: int,
) -> dict[str, Any]:
    """Every Scrapy setting that matters, set deliberately: Scrapy's defaults are not ours.

    Components are listed in full (``*_BASE``), so a Scrapy upgrade cannot switch one on silently:
    no RemoteControl (an HTTP endpoint that runs Python in the crawler), no telnet console, no HTTP
    cache, no feed exports, no meta refresh, no proxy or compression middleware (the Transport does
    both), no Scrapy User-Agent (the Transport sends an ordinary browser's). The Transport is not a
    setting: it travels on the ``UnmaskCrawler``.
    """
    user_agent = settings.user_agent or DEFAULT_USER_AGENT
    return {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "ADDONS": {},
        "DOWNLOAD_HANDLERS_BASE": {},
        "DOWNLOAD_HANDLERS": {
            "http": "unmask.core.fetch.scrapy_bridge.UnmaskDownloadHandler",
            "https": "unmask.core.fetch.scrapy_bridge.UnmaskDownloadHandler",
        },
        "EXTENSIONS_BASE": {
            "scrapy.extensions.corestats.CoreStats": 0,
            "scrapy.extensions.logcount.LogCount": 0,
            "scrapy.extensions.logstats.LogStats": 0,
            "scrapy.extensions.memusage.MemoryUsage": 0,
            "scrapy.extensions.throttle.AutoThrottle": 0,
        },
        "EXTENSIONS": {},
        "REMOTE_CONTROL_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "MEMDEBUG_ENABLED": False,
        "MEMUSAGE_ENABLED": True,
        "MEMUSAGE_LIMIT_MB": 0,
        "MEMUSAGE_WARNING_MB": 0,
        "HTTPCACHE_ENABLED": False,
        "FEEDS": {},
        "JOBDIR": None,
        "DOWNLOADER_MIDDLEWARES_BASE": {
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": 50,
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": 100,
            "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
            "unmask.core.fetch.scrapy_bridge.RetryAfterMiddleware": 550,
            "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": 600,
            "scrapy.downloadermiddlewares.cookies.CookiesMiddleware": 700,
            "scrapy.downloadermiddlewares.stats.DownloaderStats": 850,
        },
        "DOWNLOADER_MIDDLEWARES": {},
        "SPIDER_MIDDLEWARES_BASE": {
            "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
            "scrapy.spidermiddlewares.httperror.HttpErrorMiddleware": 50,
            "scrapy.spidermiddlewares.referer.RefererMiddleware": 700,
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": 800,
            "scrapy.spidermiddlewares.depth.DepthMiddleware": 900,
        },
        "USER_AGENT": user_agent,
        "DEFAULT_REQUEST_HEADERS": {},  # the Transport sends the headers (the case's to the site only)
        "ROBOTSTXT_OBEY": settings.obey_robots,
        "ROBOTSTXT_PARSER": "scrapy.robotstxt.ProtegoRobotParser",
        "ROBOTSTXT_USER_AGENT": user_agent,
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0.5 if delay > 0 else 0.0,
        "AUTOTHROTTLE_ENABLED": delay > 0 and settings.autothrottle,
        "AUTOTHROTTLE_START_DELAY": max(delay, 0.1),
        "AUTOTHROTTLE_MAX_DELAY": max(60.0, delay),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(max(1, concurrency)),
        "CONCURRENT_REQUESTS": max(16, concurrency * 2),
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "CONCURRENT_ITEMS": CONCURRENT_ITEMS,
        "DOWNLOAD_TIMEOUT": settings.total_timeout,
        "DOWNLOAD_MAXSIZE": settings.max_response_bytes,
        "DOWNLOAD_WARNSIZE": settings.max_response_bytes,
        "DOWNLOAD_FAIL_ON_DATALOSS": False,  # a body cut short is kept and marked (the Transport)
        "REDIRECT_ENABLED": True,
        "REDIRECT_MAX_TIMES": settings.max_redirects,
        "METAREFRESH_ENABLED": False,
        "COMPRESSION_ENABLED": False,
        "HTTPPROXY_ENABLED": False,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": settings.retries,
        "RETRY_HTTP_CODES": sorted(RETRY_STATUSES),
        "RETRY_EXCEPTIONS": [
            DownloadConnectionRefusedError,
            DownloadFailedError,
            DownloadTimeoutError,
        ],
        "COOKIES_ENABLED": True,
        "REFERER_ENABLED": True,
        "REFERRER_POLICY": "scrapy.spidermiddlewares.referer.DefaultReferrerPolicy",
        "LOG_ENABLED": False,
        "LOG_FORMATTER": "unmask.core.fetch.scrapy_bridge.QuietLogFormatter",
        "STATS_DUMP": False,
        "DNS_TIMEOUT": settings.connect_timeout,
        "URLLENGTH_LIMIT": max_url_length,
        "DEPTH_LIMIT": 0,
        "DEPTH_PRIORITY": 0,
        "CLOSESPIDER_TIMEOUT": 0,
        "CLOSESPIDER_ITEMCOUNT": 0,
        "CLOSESPIDER_PAGECOUNT": 0,
        "CLOSESPIDER_ERRORCOUNT": 0,
        "HTTPERROR_ALLOW_ALL": True,
        # Scrapy parses a callback's source for a ``return`` with a value on every response: its cache is
        # keyed weakly by the bound method, which dies at once, so it never hits (7 % of a census's CPU)
        "WARN_ON_GENERATOR_RETURN_VALUE": False,
    }
