"""The fetch layer's client for every module that is not the census crawler (web archives, RDAP,
certificate logs, app stores…): politeness, robots.txt, retries and redirects over the one Transport.

    scope = Scope.for_sources(["https://web.archive.org"])
    async with Fetcher.for_case(case, purpose="history", scope=scope) as fetcher:
        response = await fetcher.get("https://web.archive.org/cdx/search/cdx?url=example.com")

The caller decides the scope (the investigated site, the data sources it reads); every hop of a
redirect is checked against it before it is sent. One URL costs at most ``fetch.url_budget`` seconds in
all: every attempt, retry wait and redirect hop.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import time
from collections import defaultdict
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from protego import Protego

from unmask.core.config import FetchSettings
from unmask.core.errors import FetchRefused
from unmask.core.fetch.exchange import FetchRequest, FetchResponse
from unmask.core.fetch.policy import BinaryAllowance
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.transport import FetchError, Transport

if TYPE_CHECKING:
    from unmask.core.case import Case

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504, 522, 524})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Parse a Retry-After header: delta seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def backoff_delay(settings: FetchSettings, attempt: int, retry_after: float | None) -> float | None:
    """Seconds to wait before retry number `attempt` (1-based); None = give up (Retry-After too long)."""
    if retry_after is not None:
        return None if retry_after > settings.retry_after_max else retry_after
    return float(min(settings.backoff_max, settings.backoff_base * (2 ** (attempt - 1))))


class HostGate:
    """Per-host concurrency and delay, shared by all requests of one Fetcher."""

    def __init__(self, concurrency: int, delay: float) -> None:
        self.delay = delay
        self._sem: dict[str, asyncio.Semaphore] = defaultdict(lambda: asyncio.Semaphore(max(1, concurrency)))
        self._next: dict[str, float] = defaultdict(float)
        self._locks: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def __call__(self, host: str) -> asyncio.Semaphore:
        sem = self._sem[host]
        await sem.acquire()
        async with self._locks[host]:
            wait = self._next[host] - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._next[host] = time.monotonic() + self.delay
        return sem

    def slow_down(self, host: str, seconds: float) -> None:
        self._next[host] = max(self._next[host], time.monotonic() + seconds)


class Fetcher:
    """Politeness, robots.txt, retries and redirects over one Transport (its settings, its scope)."""

    def __init__(self, transport: Transport) -> None:
        self.settings = transport.settings
        self.transport = transport
        self.gate = HostGate(self.settings.concurrency, self.settings.delay)
        self._robots: dict[str, Protego | None] = {}

    @classmethod
    def for_case(
        cls,
        case: Case,
        *,
        purpose: str,
        scope: Scope,
        run_id: int | None = None,
        scripts: bool = False,
    ) -> Fetcher:
        recorder = EvidenceRecorder(
            case.warc_dir,
            case.store,
            purpose=purpose,
            run_id=run_id,
            rotate_bytes=case.config.fetch.warc_rotate_bytes,
        )
        return cls(Transport(case.config.fetch, recorder, scope=scope, scripts=scripts))

    @property
    def scope(self) -> Scope:
        return self.transport.scope

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self.transport.close()
        if self.transport.recorder is not None:
            self.transport.recorder.close()

    async def allowed_by_robots(self, url: str, *, connect_to: str | None = None) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        key = f"{origin} {connect_to or ''}"
        if key not in self._robots:
            parser: Protego | None = None
            try:
                resp = await self._get_once(FetchRequest(origin + "/robots.txt", connect_to=connect_to))
                if 200 <= resp.status < 300:
                    parser = Protego.parse(resp.body.decode("utf-8", errors="replace"))
            except (FetchError, FetchRefused):
                parser = None
            self._robots[key] = parser
        parser = self._robots[key]
        return parser is None or bool(parser.can_fetch(url, self.transport.user_agent))

    async def _get_once(self, req: FetchRequest) -> FetchResponse:
        host = urlsplit(req.url).netloc
        sem = await self.gate(host)
        try:
            return await self.transport.exchange(req)
        finally:
            sem.release()

    async def _with_retries(self, req: FetchRequest, deadline: float) -> FetchResponse:
        """The request, retried on 429/5xx and network errors, all of it before ``deadline``."""
        attempt = 0
        while True:
            attempt += 1
            left = deadline - time.monotonic()
            if left <= 0:
                spent = f"the URL's time budget ({self.settings.url_budget:g} s) is spent"
                raise FetchError("budget", req.url, spent)
            timeout = min(req.timeout or self.settings.total_timeout, left)
            try:
                resp = await self._get_once(dataclasses.replace(req, timeout=timeout))
            except FetchError as exc:
                wait = backoff_delay(self.settings, attempt, None) or 0.0
                if attempt > self.settings.retries or exc.kind == "interrupted":
                    raise
                if time.monotonic() + wait >= deadline:
                    raise
                await asyncio.sleep(wait)
                continue
            if resp.status not in RETRY_STATUSES or attempt > self.settings.retries:
                return resp
            pause = backoff_delay(self.settings, attempt, retry_after_seconds(resp.header("retry-after")))
            if pause is None or time.monotonic() + pause >= deadline:
                return resp
            wait = pause
            self.gate.slow_down(urlsplit(req.url).netloc, wait)
            await asyncio.sleep(wait)

    async def get(
        self,
        url: str,
        *,
        headers: list[tuple[str, str]] | None = None,
        favicon: bool = False,
        follow_redirects: bool = True,
        obey_robots: bool | None = None,
        connect_to: str | None = None,
        binary: BinaryAllowance | None = None,
    ) -> FetchResponse:
        """GET with politeness, robots.txt, retries and bounded redirects (each hop checked against
        the scope before it is sent), within the URL's time budget.

        ``connect_to`` pins the connection to an IP address while Host, SNI and certificate name stay
        the URL's host (robots.txt of that host is read through the same pin). A redirect keeps the
        pin while it stays on the same host name (any scheme or port); a redirect to another host is
        not pinned: that host is resolved the normal way (the system resolver or the proxy). Callers
        that must reach every host through their own resolver pass ``follow_redirects=False`` and
        follow the ``Location`` themselves. ``binary``: the one binary body this request may keep
        (``policy.binary_allowance``), on every hop.
        """
        obey = self.settings.obey_robots if obey_robots is None else obey_robots
        seen: set[str] = set()
        pinned_host = urlsplit(url).hostname if connect_to else None
        chain_start = url
        deadline = time.monotonic() + self.settings.url_budget
        for _hop in range(self.settings.max_redirects + 1):
            extra = list(headers or [])
            request = FetchRequest(
                url,
                headers=extra,
                favicon=favicon,
                connect_to=connect_to,
                chain_start=chain_start,
                binary=binary,
            )
            refusal = self.transport.check_request(request)  # before robots.txt: nothing off the scope
            if refusal is not None:
                raise self.transport.refuse_unsent(request, refusal)
            if obey and not await self.allowed_by_robots(url, connect_to=connect_to):
                raise FetchRefused("disallowed by robots.txt", url)
            seen.add(url)
            resp = await self._with_retries(request, deadline)
            location = resp.header("location")
            if not follow_redirects or resp.status not in REDIRECT_STATUSES or not location:
                return resp
            url = urljoin(url, location)
            if connect_to and urlsplit(url).hostname != pinned_host:
                connect_to = None
            if url in seen:
                raise FetchRefused("redirect loop", url)
        raise FetchRefused(f"more than {self.settings.max_redirects} redirects", url)
