"""One HTTP exchange, safely: the only place in unmask that talks HTTP (through httpx).

Order of checks for every request:
1. the URL: scheme, credentials in it, the scope (the site's origin or a configured data source), a
   media extension — refused before any connection, recorded as a refusal;
2. the address: the name is resolved here and every address checked against loopback, link-local,
   private and other special ranges (``scope``); the connection is pinned to the address checked;
3. the response headers (``policy.judge_headers``): partial bodies, stacked or unknown codings,
   multipart, any type that is not text — refused before the body is read;
4. the body as it streams in (``policy.BodyCheck``): its content coding removed with a bound on the
   output, its head positively text, no binary window after it — refused and discarded;
5. the size cap (raw and decoded) — the rest is not read, the capture is marked truncated.
A request may name one binary it allows (``FetchRequest.binary``, an APK the investigator asked for):
its 200 answer is judged as that binary in steps 3 and 4 instead of as text, and kept whole under the
allowance's cap or refused whole.
Every exchange that reached a server, refused or not, is recorded as evidence before it is returned;
a refused response keeps its headers and the reason, never a byte of its body. The values of
credentials (``Authorization``, ``Cookie``, the case's ``fetch.headers``…) never enter evidence.

The case's ``fetch.headers`` and ``fetch.cookies`` go to the investigated site only, never to a data
source. One attempt has a time budget in all (``FetchRequest.timeout``, else ``fetch.total_timeout``),
so a server that drips its headers cannot hold it longer; :meth:`Transport.interrupt` cuts every
exchange in flight short (Ctrl-C).

Pinned connections (``FetchRequest.connect_to``): the request goes to the URL with its host replaced
by the pinned IP, with the original Host header and, for HTTPS, the original name as TLS SNI (httpcore's
``sni_hostname`` extension), which is also the name the certificate is verified against. httpcore's pool
keys connections by (scheme, host, port), so a connection pinned to one IP is never reused for another
IP. Pinned HTTPS requests send ``Connection: close``: two names served by one IP need two handshakes
with their own SNI, and a closed connection cannot be reused with the wrong one. Pinning works through
a SOCKS proxy (the proxy is asked for the IP) and, for plain HTTP, through an HTTP proxy; a pinned
HTTPS request through an HTTP proxy is refused, because httpcore's CONNECT tunnel sends the tunnel's
host (the IP) as SNI instead of the ``sni_hostname`` extension. A name the Transport resolves itself
(no proxy) is pinned the same way to the address it checked, in a pool of that host's own.

Two HTTP clients, one behaviour: aiohttp by default for direct connections (half a census's CPU), httpx
with ``fetch.http_client: httpx`` and always through a proxy (SOCKS through socksio, HTTP proxies with
CONNECT). Both get the URL as httpx parses it (the parser the scope checks with), the same headers, pins,
SNI (aiohttp's ``server_hostname``, which is also the name the certificate is verified against), time
limits, raw (still content-encoded) body chunks and peer address; aiohttp never sends a request again on
its own, and cookies a site sets are kept per Transport and sent back when a request carries none of its
own (what httpx's client does). A server that sends more bytes after a whole response on a connection it
said it closes, in the same packet, makes aiohttp's parser refuse the response; that request (a GET or
HEAD) is then asked once more through httpx, which keeps the response and drops the rest, as HTTP/1.1
says. A client's error is recorded without the bytes its parser quotes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import re
import socket
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import certifi
import httpx
import yarl

from unmask.core.config import DEFAULT_USER_AGENT, FetchSettings
from unmask.core.domains import is_ip
from unmask.core.errors import FetchRefused
from unmask.core.fetch import policy
from unmask.core.fetch.decoding import ACCEPT_ENCODING, ContentDecoder, DecodeError
from unmask.core.fetch.exchange import Exchange, FetchRequest, FetchResponse, Headers
from unmask.core.fetch.policy import Refusal, Refused
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Scope

DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"
ACCEPT_LANGUAGE = "en-US,en;q=0.9"
DNS_CACHE_SECONDS = 60.0
MAX_ADDRESSES = 4
"""Addresses of one name tried in turn when a connection cannot be opened (IPv6 first, then IPv4…)."""
DATA_AFTER_CLOSE = "Data after `Connection: close`"
"""How aiohttp's parser words its refusal of bytes after a whole response on a closing connection."""
MAX_ERROR_DETAIL = 200
_QUOTED_BYTES = re.compile(r"""(?:bytearray\()?b['"]""")
"""Characters of a client's error message kept: aiohttp quotes the bytes it choked on (a body's)."""


class FetchError(Exception):
    """No response: the exchange failed at the network level (recorded as a capture with an error)."""

    def __init__(self, kind: str, url: str, detail: str) -> None:
        self.kind = kind
        self.url = url
        self.detail = detail
        super().__init__(f"{url}: {kind} ({detail})")


def merge_headers(base: list[tuple[str, str]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request's own headers win, except cookies, which are joined (config cookies + session cookies)."""
    names = {k.lower() for k, _ in extra}
    merged = [(k, v) for k, v in base if k.lower() not in names or k.lower() == "cookie"]
    merged.extend(extra)
    cookies = [v for k, v in merged if k.lower() == "cookie"]
    if len(cookies) > 1:
        merged = [(k, v) for k, v in merged if k.lower() != "cookie"] + [("Cookie", "; ".join(cookies))]
    return merged


def error_detail(exc: BaseException) -> str:
    """A client's error as evidence keeps it: its first line, without the bytes it quotes, cut short.
    Both clients' parsers quote the bytes they choked on (``b'…'``), and those may be a body's (media)
    that must never be stored."""
    message = str(getattr(exc, "message", "") or exc).split("\n", 1)[0]
    message = _QUOTED_BYTES.split(message, 1)[0].rstrip(": ")
    return message[:MAX_ERROR_DETAIL] or type(exc).__name__


def _http_version(response: httpx.Response) -> str:
    return response.http_version if response.http_version.startswith("HTTP/") else "HTTP/1.1"


class Opened:
    """A response whose headers came, whichever client opened it: status, headers, raw body chunks."""

    status: int
    reason: str
    http_version: str
    headers: list[tuple[str, str]]
    """As received, names in lower case (as httpx gives them)."""
    peer: str | None
    read_timeouts: tuple[type[BaseException], ...]
    read_errors: tuple[type[BaseException], ...]

    def chunks(self) -> AsyncIterator[bytes]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class HttpxOpened(Opened):
    read_timeouts = (httpx.TimeoutException,)
    read_errors = (httpx.HTTPError, OSError)

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.http_version = _http_version(response)
        self.headers = [(k, v) for k, v in response.headers.multi_items()]
        self.peer = peer_address(response)

    def chunks(self) -> AsyncIterator[bytes]:
        return self.response.aiter_raw()

    async def close(self) -> None:
        await self.response.aclose()


class AiohttpOpened(Opened):
    read_timeouts = (aiohttp.ServerTimeoutError, asyncio.TimeoutError)
    read_errors = (aiohttp.ClientError, OSError)

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response
        self.status = response.status
        self.reason = response.reason or ""
        version = response.version
        self.http_version = f"HTTP/{version.major}.{version.minor}" if version is not None else "HTTP/1.1"
        self.headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in response.raw_headers]
        connection = response.connection  # None once a short body was read whole with the headers
        stream = connection.transport if connection is not None else None
        peer = stream.get_extra_info("peername") if stream is not None else None
        self.peer: str | None = str(peer[0]) if isinstance(peer, tuple) and peer else None
        host = (response.url.raw_host or "").strip("[]")
        if self.peer is None and is_ip(host):
            # without a proxy, an unpinned URL names an IP, and the connection went to that very IP
            self.peer = str(ipaddress.ip_address(host))

    def chunks(self) -> AsyncIterator[bytes]:
        return self.response.content.iter_any()

    async def close(self) -> None:
        self.response.release()


@dataclass(frozen=True, slots=True)
class Target:
    """Where the bytes of one request go: the URL handed to httpx, extra headers and extensions."""

    url: str
    headers: list[tuple[str, str]]
    extensions: dict[str, Any]
    pool: str = ""
    """The connection pool: "" for ordinary requests, one for explicit pins, one per host resolved here."""


def pin_address(address: str, url: str) -> str:
    """The canonical text of a pinned IP address; refuses anything that is not an IP literal."""
    try:
        return str(ipaddress.ip_address(address.strip().strip("[]")))
    except ValueError:
        raise FetchRefused(f"connect_to is not an IP address: {address!r}", url) from None


def request_target(url: str, connect_to: str | None, *, resolved: bool = False) -> Target:
    """The httpx URL, headers and extensions of a request, pinned to ``connect_to`` when given.

    ``resolved``: the pin is the address this Transport resolved for the URL's host; such requests get
    a pool per host (one SNI per pool), so their connections may be kept alive."""
    if connect_to is None:
        return Target(url, [], {})
    parsed = httpx.URL(url)
    headers = [("Host", parsed.netloc.decode("ascii"))]
    extensions: dict[str, Any] = {}
    if parsed.scheme == "https":
        extensions["sni_hostname"] = parsed.raw_host.decode("ascii")
        if not resolved:
            headers.append(("Connection", "close"))
    pool = f"resolved {parsed.scheme}://{parsed.netloc.decode('ascii')}" if resolved else "pinned"
    return Target(str(parsed.copy_with(host=connect_to)), headers, extensions, pool)


def peer_address(response: httpx.Response) -> str | None:
    """The IP of the server at the other end of the response's connection, when httpcore exposes it."""
    stream = response.extensions.get("network_stream")
    addr = stream.get_extra_info("server_addr") if stream is not None else None
    if isinstance(addr, tuple) and addr and isinstance(addr[0], str):
        return addr[0]
    return None


class Transport:
    """Makes single exchanges (no redirects, no retries) within a scope, and records each one.

    ``scope``: where requests may go (the caller decides: the investigated site, its data sources).
    ``scripts``: also keep CSS and JavaScript bodies (infrastructure scans read same-site scripts).

    ``counters`` count requests sent, refusals before sending (``refused_url``), refused bodies and
    network errors; ``refusals`` counts every refusal by its code (``policy.CODES``), for the
    methodology. Each refusal is also a capture row whose ``refused`` reads ``"code: detail"``.
    """

    def __init__(
        self,
        settings: FetchSettings,
        recorder: EvidenceRecorder | None,
        *,
        scope: Scope,
        scripts: bool = False,
    ) -> None:
        self.settings = settings
        self.recorder = recorder
        self.scope = scope
        self.scripts = scripts
        self._clients: dict[str, httpx.AsyncClient | aiohttp.ClientSession] = {}
        self._cookies: aiohttp.CookieJar | None = None
        """Cookies sites set (direct connections; through a proxy each httpx client keeps its own)."""
        self.counters: dict[str, int] = {"requests": 0, "refused_url": 0, "refused_body": 0, "errors": 0}
        self.refusals: Counter[str] = Counter()
        self.secret_headers = policy.secret_header_names(settings.headers)
        self._addresses: dict[tuple[str, int], tuple[float, list[str]]] = {}
        self._in_flight: set[asyncio.Timeout] = set()
        self._grace: float | None = None
        self.stopped = False
        """True once :meth:`interrupt` was called: no new exchange starts."""

    @property
    def user_agent(self) -> str:
        return self.settings.user_agent or DEFAULT_USER_AGENT

    def _client(
        self, pool: str = "", *, use_httpx: bool = False
    ) -> httpx.AsyncClient | aiohttp.ClientSession:
        """The client of a connection pool; ``use_httpx``: httpx whatever ``fetch.http_client`` says."""
        # pinned requests get pools of their own: an idle connection opened for an IP-literal URL
        # (no SNI) must not carry a pinned HTTPS request that needs its host's SNI
        s = self.settings
        configured_httpx = bool(s.proxy) or s.http_client != "aiohttp"
        key = f"httpx {pool}" if use_httpx and not configured_httpx else f"{pool} {s.proxy or ''}"
        use_httpx = use_httpx or configured_httpx
        client = self._clients.get(key)
        if client is None:
            if use_httpx:
                client = httpx.AsyncClient(
                    proxy=s.proxy,
                    verify=s.verify_tls,
                    follow_redirects=False,
                    trust_env=False,
                    timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
                    limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
                )
            else:
                context: ssl.SSLContext | bool = False
                if s.verify_tls:
                    context = ssl.create_default_context(cafile=certifi.where())
                connector = aiohttp.TCPConnector(
                    limit=0,
                    ssl=context,
                    force_close=pool == "pinned",  # explicit pins: a connection per request (its SNI)
                    enable_cleanup_closed=False,
                )
                client = aiohttp.ClientSession(
                    connector=connector,
                    auto_decompress=False,
                    cookie_jar=aiohttp.DummyCookieJar(),
                    trust_env=False,
                    skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
                    timeout=aiohttp.ClientTimeout(
                        total=None, sock_connect=s.connect_timeout, sock_read=s.read_timeout
                    ),
                )
                # aiohttp sends a request again on its own when a kept-alive connection fails: every
                # request is the Transport's to make, and to record
                client._retry_connection = False
            self._clients[key] = client
        return client

    def _http_proxy_tunnel(self, url: str) -> bool:
        """Whether an HTTPS URL would go through an HTTP proxy's CONNECT tunnel."""
        proxy = (self.settings.proxy or "").split(":", 1)[0].lower()
        return proxy in ("http", "https") and url.lower().startswith("https:")

    def base_headers(self, url: str) -> list[tuple[str, str]]:
        """A browser's ordinary headers; the case's headers and cookies only for the investigated site."""
        headers = [
            ("User-Agent", self.user_agent),
            ("Accept", DEFAULT_ACCEPT),
            ("Accept-Language", ACCEPT_LANGUAGE),
            ("Accept-Encoding", ACCEPT_ENCODING),
        ]
        if self.scope.role(url) != "site":
            return headers
        headers.extend(self.settings.headers.items())
        host = httpx.URL(url).host
        cookies = self.settings.cookies.get(host)
        if cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
        return headers

    async def close(self) -> None:
        for client in self._clients.values():
            if isinstance(client, httpx.AsyncClient):
                await client.aclose()
            else:
                await client.close()
        self._clients.clear()

    def interrupt(self, grace: float = 2.0) -> None:
        """Stop: every exchange in flight ends within ``grace`` seconds, and none starts after."""
        self.stopped = True
        self._grace = grace
        loop = asyncio.get_running_loop()
        for timeout in list(self._in_flight):
            when = timeout.when()
            timeout.reschedule(min(when, loop.time() + grace) if when is not None else loop.time() + grace)

    def _record(self, ex: Exchange) -> int | None:
        return self.recorder.record(ex) if self.recorder is not None else None

    async def _record_async(self, ex: Exchange) -> int | None:
        """Record off the event loop (the recorder's writer thread)."""
        return await self.recorder.record_async(ex) if self.recorder is not None else None

    # -- refusals before sending --------------------------------------------------------------------

    def check_request(self, req: FetchRequest) -> Refusal | None:
        """Why this request must not be sent (scheme, media URL, scope, a favicon off the site), or None."""
        refusal = policy.refuse_url(req.url, favicon=req.favicon) or self.scope.refuse(
            req.url, chain_start=req.chain_start or req.url
        )
        if refusal is None and req.favicon and self.scope.role(req.url) != "site":
            refusal = Refusal(policy.FAVICON, "a favicon is fetched only from the site's own host")
        return refusal

    def refuse_unsent(self, req: FetchRequest, refusal: Refusal) -> Refused:
        """Record and count a request refused before anything was sent; the exception to raise."""
        self.counters["refused_url"] += 1
        self.refusals[refusal.code] += 1
        ex = Exchange(request=req, requested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        ex.refusal = refusal
        self._record(ex)
        return Refused(refusal, req.url)

    async def _resolve(self, host: str, port: int) -> list[str]:
        key = (host, port)
        cached = self._addresses.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.settings.connect_timeout):
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if len(self._addresses) > 10_000:
            self._addresses.clear()
        self._addresses[key] = (time.monotonic() + DNS_CACHE_SECONDS, addresses)
        return addresses

    async def _connect_addresses(self, req: FetchRequest) -> tuple[list[str | None], bool]:
        """The addresses to pin the connection to, tried in turn (``[None]``: httpx connects as the URL
        says), and whether the Transport resolved them; refuses special addresses the scope does not
        allow."""
        parsed = httpx.URL(req.url)
        host = parsed.raw_host.decode("ascii")  # what is resolved: the A-label form httpx sends
        if req.connect_to is not None:
            pin = pin_address(req.connect_to, req.url)
            refusal = self.scope.refuse_address(pin, host)
            if refusal is not None:
                raise self.refuse_unsent(req, refusal)
            return [pin], False
        if is_ip(host):
            refusal = self.scope.refuse_address(host, host)
            if refusal is not None:
                raise self.refuse_unsent(req, refusal)
            return [None], False
        if self.settings.proxy:  # the proxy resolves the name (Tor: it must)
            return [None], False
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except (OSError, TimeoutError) as exc:
            detail = f"cannot resolve {host} ({exc.strerror if isinstance(exc, OSError) else 'timeout'})"
            raise self._failed(req, "connect", detail) from exc
        refusals = [self.scope.refuse_address(a, host) for a in addresses]
        allowed = [a for a, r in zip(addresses, refusals, strict=True) if r is None]
        if not allowed:
            none = Refusal(policy.PRIVATE_ADDRESS, f"{host} has no address")
            raise self.refuse_unsent(req, next((r for r in refusals if r is not None), none))
        return list(allowed[:MAX_ADDRESSES]), True

    def _failed(self, req: FetchRequest, kind: str, detail: str) -> FetchError:
        ex = Exchange(request=req, requested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        ex.error = f"{kind}: {detail}"
        self.counters["errors"] += 1
        self._record(ex)
        return FetchError(kind, req.url, ex.error)

    # -- the exchange -------------------------------------------------------------------------------

    async def exchange(self, req: FetchRequest) -> FetchResponse:
        """Make one exchange. Raises FetchRefused (nothing sent, or the body refused) or FetchError."""
        if self.stopped:
            raise FetchError("interrupted", req.url, "the run is stopping")
        refusal = self.check_request(req)
        if refusal is not None:
            raise self.refuse_unsent(req, refusal)
        pins, resolved = await self._connect_addresses(req)
        if pins[0] is not None and not resolved and self._http_proxy_tunnel(req.url):
            raise FetchRefused("a pinned HTTPS request cannot go through an HTTP proxy (use SOCKS)", req.url)
        targets = [request_target(req.url, pin, resolved=resolved) for pin in pins]
        headers = merge_headers(merge_headers(self.base_headers(req.url), req.headers), targets[0].headers)
        if self._cookies is not None:
            headers = self._with_site_cookies(req.url, headers)
        limit = req.max_bytes or self.settings.max_response_bytes
        if req.binary is not None:  # one byte over the cap is read, so the check refuses it (never cut)
            limit = req.binary.max_bytes + 1
        ex = Exchange(request=req, requested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        ex.request_headers = policy.redact(headers, self.secret_headers)
        ex.remote_address = pins[0]
        started = time.perf_counter()
        self.counters["requests"] += 1
        try:
            async with asyncio.timeout(req.timeout or self.settings.total_timeout) as deadline:
                self._in_flight.add(deadline)
                if self.stopped:
                    self.interrupt(self._grace or 0.0)
                try:
                    await self._stream(ex, targets, pins, headers, limit)
                finally:
                    self._in_flight.discard(deadline)
        except TimeoutError:
            ex.error = ex.error or ("interrupted" if self.stopped else "timeout")
            if ex.status is not None:
                ex.truncated = ex.truncated or "time"
        except FetchError as exc:
            ex.error = f"{exc.kind}: {exc.detail}"
        ex.elapsed_ms = (time.perf_counter() - started) * 1000
        if ex.error and ex.status is None:
            self.counters["errors"] += 1
            await self._record_async(ex)
            raise FetchError(ex.error.split(":", 1)[0], req.url, ex.error)
        if ex.error and ex.refusal is None:  # the body broke off: keep what came (judged), say so
            ex.truncated = ex.truncated or "disconnect"
        capture_id = await self._record_async(ex)
        if ex.refusal is not None:
            self.counters["refused_body"] += 1
            self.refusals[ex.refusal.code] += 1
            raise Refused(ex.refusal, req.url)
        headers_out = [(k, v) for k, v in ex.response_headers if k.lower() != "content-encoding"]
        return FetchResponse(
            url=req.url,
            status=ex.status or 0,
            headers=headers_out,
            body=ex.body,
            capture_id=capture_id,
            http_version=ex.http_version,
            truncated=ex.truncated,
            elapsed_ms=ex.elapsed_ms,
            requested_at=ex.requested_at,
            remote_address=ex.remote_address,
        )

    def _with_site_cookies(self, url: str, headers: Headers) -> Headers:
        """Cookies the site set earlier, for a request that carries none of its own."""
        if self._cookies is None or any(k.lower() == "cookie" for k, _v in headers):
            return headers
        found = self._cookies.filter_cookies(yarl.URL(url))
        if not found:
            return headers
        return [*headers, ("Cookie", "; ".join(f"{m.key}={m.value}" for m in found.values()))]

    def _keep_cookies(self, url: str, response: aiohttp.ClientResponse) -> None:
        if response.cookies:
            if self._cookies is None:
                self._cookies = aiohttp.CookieJar(unsafe=True, quote_cookie=False)
            self._cookies.update_cookies(response.cookies, yarl.URL(url))

    async def _send(
        self, ex: Exchange, targets: list[Target], pins: list[str | None], headers: Headers
    ) -> Opened:
        """Open the connection and send the request: to each address in turn until one answers."""
        req = ex.request
        for n, (target, pin) in enumerate(zip(targets, pins, strict=True)):
            client = self._client(target.pool)
            ex.remote_address = pin
            try:
                if isinstance(client, httpx.AsyncClient):
                    request = client.build_request(
                        req.method, target.url, headers=headers, extensions=target.extensions
                    )
                    return HttpxOpened(await client.send(request, stream=True))
                try:
                    response = await client.request(
                        req.method,
                        yarl.URL(str(httpx.URL(target.url)), encoded=True),  # where httpx would send it
                        headers=headers,
                        allow_redirects=False,
                        server_hostname=target.extensions.get("sni_hostname"),
                    )
                except aiohttp.ClientResponseError as exc:
                    if DATA_AFTER_CLOSE not in str(exc.message) or req.method not in ("GET", "HEAD"):
                        raise
                    # aiohttp's parser (llhttp) refuses a whole response followed, in the same read,
                    # by more bytes on a connection the server said it closes. HTTP/1.1 says to keep
                    # the response and drop the rest (what httpx does): ask once more through httpx
                    httpx_client = self._client(target.pool, use_httpx=True)
                    assert isinstance(httpx_client, httpx.AsyncClient)
                    request = httpx_client.build_request(
                        req.method, target.url, headers=headers, extensions=target.extensions
                    )
                    return HttpxOpened(await httpx_client.send(request, stream=True))
                self._keep_cookies(req.url, response)
                return AiohttpOpened(response)
            except (
                httpx.ConnectError,
                httpx.ConnectTimeout,
                aiohttp.ClientConnectorError,
                aiohttp.ConnectionTimeoutError,
                OSError,
            ):
                if n == len(targets) - 1:
                    raise
        raise AssertionError("no address to connect to")  # pragma: no cover - targets is never empty

    async def _open(
        self, ex: Exchange, targets: list[Target], pins: list[str | None], headers: Headers
    ) -> Opened:
        """The response's headers, or a FetchError saying why none came (its kind: timeout, proxy,
        connect, protocol)."""
        url = ex.request.url
        try:
            return await self._send(ex, targets, pins, headers)
        except (httpx.TimeoutException, aiohttp.ServerTimeoutError, aiohttp.ConnectionTimeoutError) as exc:
            raise FetchError("timeout", url, type(exc).__name__) from exc
        except httpx.ProxyError as exc:
            raise FetchError("proxy", url, str(exc) or type(exc).__name__) from exc
        except (httpx.ConnectError, aiohttp.ClientConnectorError, aiohttp.ClientSSLError, OSError) as exc:
            raise FetchError("connect", url, str(exc) or type(exc).__name__) from exc
        except (httpx.HTTPError, aiohttp.ClientError, ValueError) as exc:
            raise FetchError("protocol", url, error_detail(exc)) from exc

    async def _stream(
        self, ex: Exchange, targets: list[Target], pins: list[str | None], headers: Headers, limit: int
    ) -> None:
        req = ex.request
        response = await self._open(ex, targets, pins, headers)
        try:
            if ex.remote_address is None and not self.settings.proxy:
                ex.remote_address = response.peer
            ex.status = response.status
            ex.reason = response.reason
            ex.http_version = response.http_version
            ex.response_headers = response.headers
            rule = policy.judge_headers(
                ex.status,
                ex.response_headers,
                favicon=req.favicon,
                scripts=self.scripts,
                favicon_max=self.settings.favicon_max_bytes,
                binary=req.binary,
            )
            if isinstance(rule, Refusal):
                ex.refusal = rule
                return
            if req.method != "HEAD":
                await self._read_body(ex, response, rule, limit)
        finally:
            await response.close()

    async def _read_body(self, ex: Exchange, response: Opened, rule: policy.BodyRule, limit: int) -> None:
        """Stream the body: decode it (bounded), judge it, keep it; on any refusal keep none of it."""
        decoder = ContentDecoder(rule.coding, limit)
        check = policy.BodyCheck(rule, limit, favicon_max=self.settings.favicon_max_bytes)
        raw: list[bytes] = []
        decoded: list[bytes] = []
        size = 0
        refusal: Refusal | None = None
        complete = False
        try:
            async for chunk in response.chunks():
                if size + len(chunk) > limit:
                    chunk, ex.truncated = chunk[: limit - size], "length"
                raw.append(chunk)
                size += len(chunk)
                out = decoder.feed(chunk)
                refusal = check.feed(out)
                if refusal is not None:
                    break
                decoded.append(out)
                if decoder.over:
                    ex.truncated = "length"
                if ex.truncated:
                    break
            else:
                complete = True
        except DecodeError as exc:
            refusal = Refusal(policy.ENCODING, str(exc))
        except response.read_timeouts:
            ex.error = "timeout while reading the body"
        except response.read_errors as exc:
            ex.error = f"connection lost while reading the body ({type(exc).__name__})"
        finally:  # also when the exchange's time is up: what came is judged like a whole body
            if refusal is None:
                refusal = check.finish(complete=complete and not ex.truncated)
            if refusal is not None:
                ex.refusal = refusal
                raw.clear()
                decoded.clear()
            ex.raw_body = b"".join(raw)
            ex.body = b"".join(decoded)
