"""One HTTP exchange, safely: the only place in unmask that talks HTTP (through httpx).

Order of checks for every request:
1. the URL (scheme, media extension) — refused before any connection;
2. the response headers (media Content-Type) — refused before the body is read;
3. the first bytes of an unlabelled body (media magic numbers) — refused and discarded;
4. the size cap while streaming — the rest is not read, the capture is marked truncated.
Every exchange that reached a server, refused or not, is recorded as evidence before it is returned.

Pinned connections (``FetchRequest.connect_to``): the request goes to the URL with its host replaced
by the pinned IP, with the original Host header and, for HTTPS, the original name as TLS SNI (httpcore's
``sni_hostname`` extension), which is also the name the certificate is verified against. httpcore's pool
keys connections by (scheme, host, port), so a connection pinned to one IP is never reused for another
IP. Pinned HTTPS requests send ``Connection: close``: two names served by one IP need two handshakes
with their own SNI, and a closed connection cannot be reused with the wrong one. Pinning works through
a SOCKS proxy (the proxy is asked for the IP) and, for plain HTTP, through an HTTP proxy; a pinned
HTTPS request through an HTTP proxy is refused, because httpcore's CONNECT tunnel sends the tunnel's
host (the IP) as SNI instead of the ``sni_hostname`` extension.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import time
import zlib
from dataclasses import dataclass
from typing import Any

import httpx

from unmask import __version__
from unmask.core.config import FetchSettings
from unmask.core.errors import FetchRefused
from unmask.core.fetch import policy
from unmask.core.fetch.exchange import BinaryAllowance, Exchange, FetchRequest, FetchResponse
from unmask.core.fetch.recorder import EvidenceRecorder

try:  # brotli is optional: advertise it only when it can be decoded
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
DEFAULT_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.1"


class FetchError(Exception):
    """No response: the exchange failed at the network level (recorded as a capture with an error)."""

    def __init__(self, kind: str, url: str, detail: str) -> None:
        self.kind = kind
        self.url = url
        self.detail = detail
        super().__init__(f"{url}: {kind} ({detail})")


def decode_body(raw: bytes, encoding: str | None, limit: int) -> tuple[bytes, str | None]:
    """Remove Content-Encoding with a bound on the decoded size (decompression bombs)."""
    enc = (encoding or "").strip().lower()
    if enc in ("", "identity") or not raw:
        return raw, None
    try:
        if enc in ("gzip", "x-gzip", "deflate"):
            wbits = 16 + zlib.MAX_WBITS if enc != "deflate" else zlib.MAX_WBITS
            try:
                d = zlib.decompressobj(wbits)
                out = d.decompress(raw, limit)
            except zlib.error:
                if enc != "deflate":
                    raise
                d = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
                out = d.decompress(raw, limit)
            return out, ("length" if d.unconsumed_tail else None)
        if enc == "br" and brotli is not None:
            out = brotli.decompress(raw)
            return out[:limit], ("length" if len(out) > limit else None)
    except Exception as exc:  # a corrupt body is a result, not a crash
        raise FetchError("decode", "", f"cannot decode {enc} body: {exc}") from exc
    return raw, None


def merge_headers(base: list[tuple[str, str]], extra: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request's own headers win, except cookies, which are joined (config cookies + session cookies)."""
    names = {k.lower() for k, _ in extra}
    merged = [(k, v) for k, v in base if k.lower() not in names or k.lower() == "cookie"]
    merged.extend(extra)
    cookies = [v for k, v in merged if k.lower() == "cookie"]
    if len(cookies) > 1:
        merged = [(k, v) for k, v in merged if k.lower() != "cookie"] + [("Cookie", "; ".join(cookies))]
    return merged


def _http_version(response: httpx.Response) -> str:
    return response.http_version if response.http_version.startswith("HTTP/") else "HTTP/1.1"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the bytes of one request go: the URL handed to httpx, extra headers and extensions."""

    url: str
    headers: list[tuple[str, str]]
    extensions: dict[str, Any]
    pinned: bool = False


def pin_address(address: str, url: str) -> str:
    """The canonical text of a pinned IP address; refuses anything that is not an IP literal."""
    try:
        return str(ipaddress.ip_address(address.strip().strip("[]")))
    except ValueError:
        raise FetchRefused(f"connect_to is not an IP address: {address!r}", url) from None


def request_target(url: str, connect_to: str | None) -> Target:
    """The httpx URL, headers and extensions of a request, pinned to ``connect_to`` when given."""
    if connect_to is None:
        return Target(url, [], {})
    parsed = httpx.URL(url)
    headers = [("Host", parsed.netloc.decode("ascii"))]
    extensions: dict[str, Any] = {}
    if parsed.scheme == "https":
        extensions["sni_hostname"] = parsed.raw_host.decode("ascii")
        headers.append(("Connection", "close"))
    return Target(str(parsed.copy_with(host=connect_to)), headers, extensions, pinned=True)


def peer_address(response: httpx.Response) -> str | None:
    """The IP of the server at the other end of the response's connection, when httpcore exposes it."""
    stream = response.extensions.get("network_stream")
    addr = stream.get_extra_info("server_addr") if stream is not None else None
    if isinstance(addr, tuple) and addr and isinstance(addr[0], str):
        return addr[0]
    return None


class Transport:
    """Makes single exchanges (no redirects, no retries) and records each one."""

    def __init__(self, settings: FetchSettings, recorder: EvidenceRecorder | None) -> None:
        self.settings = settings
        self.recorder = recorder
        self._clients: dict[str, httpx.AsyncClient] = {}
        self.counters: dict[str, int] = {"requests": 0, "refused_url": 0, "refused_body": 0, "errors": 0}

    @property
    def user_agent(self) -> str:
        return self.settings.user_agent or f"unmask/{__version__}"

    def _client(self, *, pinned: bool = False) -> httpx.AsyncClient:
        # pinned requests get a pool of their own: an idle connection opened for an IP-literal URL
        # (no SNI) must not carry a pinned HTTPS request that needs its host's SNI
        key = f"{'pinned ' if pinned else ''}{self.settings.proxy or ''}"
        client = self._clients.get(key)
        if client is None:
            s = self.settings
            client = httpx.AsyncClient(
                proxy=s.proxy or None,
                verify=s.verify_tls,
                follow_redirects=False,
                trust_env=False,
                timeout=httpx.Timeout(s.read_timeout, connect=s.connect_timeout),
                limits=httpx.Limits(max_connections=None, max_keepalive_connections=64),
            )
            self._clients[key] = client
        return client

    def _http_proxy_tunnel(self, url: str) -> bool:
        """Whether an HTTPS URL would go through an HTTP proxy's CONNECT tunnel."""
        proxy = (self.settings.proxy or "").split(":", 1)[0].lower()
        return proxy in ("http", "https") and url.lower().startswith("https:")

    def base_headers(self, url: str) -> list[tuple[str, str]]:
        headers = [
            ("User-Agent", self.user_agent),
            ("Accept", DEFAULT_ACCEPT),
            ("Accept-Encoding", ACCEPT_ENCODING),
        ]
        headers.extend(self.settings.headers.items())
        host = httpx.URL(url).host
        cookies = self.settings.cookies.get(host)
        if cookies:
            headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
        return headers

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()

    def _record(self, ex: Exchange) -> int | None:
        return self.recorder.record(ex) if self.recorder is not None else None

    async def exchange(self, req: FetchRequest) -> FetchResponse:
        """Make one exchange. Raises FetchRefused (URL refused, nothing sent) or FetchError (no response)."""
        reason = policy.refuse_url(req.url, favicon=req.favicon)
        if reason:
            self.counters["refused_url"] += 1
            raise FetchRefused(reason, req.url)
        pin = pin_address(req.connect_to, req.url) if req.connect_to is not None else None
        if pin is not None and self._http_proxy_tunnel(req.url):
            raise FetchRefused("a pinned HTTPS request cannot go through an HTTP proxy (use SOCKS)", req.url)
        target = request_target(req.url, pin)
        headers = merge_headers(merge_headers(self.base_headers(req.url), req.headers), target.headers)
        limit = req.max_bytes or (
            self.settings.favicon_max_bytes if req.favicon else self.settings.max_response_bytes
        )
        if req.binary is not None:
            limit = req.binary.max_bytes
        ex = Exchange(request=req, requested_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        ex.request_headers = headers
        ex.remote_address = pin
        started = time.perf_counter()
        self.counters["requests"] += 1
        try:
            async with asyncio.timeout(req.timeout or self.settings.total_timeout):
                await self._stream(ex, target, headers, limit)
        except TimeoutError:
            ex.error = ex.error or "timeout"
        except FetchError as exc:
            ex.error = f"{exc.kind}: {exc.detail}"
        ex.elapsed_ms = (time.perf_counter() - started) * 1000
        if ex.error and ex.status is None:
            self.counters["errors"] += 1
            self._record(ex)
            raise FetchError(ex.error.split(":", 1)[0], req.url, ex.error)
        if ex.error and ex.status is not None:  # the body broke off: keep what came, say so
            ex.truncated = ex.truncated or "disconnect"
        capture_id = self._record(ex)
        if ex.refused:
            self.counters["refused_body"] += 1
            raise FetchRefused(ex.refused, req.url)
        body, cut = decode_body(ex.raw_body, ex.header("content-encoding"), limit)
        headers_out = [(k, v) for k, v in ex.response_headers if k.lower() != "content-encoding"]
        return FetchResponse(
            url=req.url,
            status=ex.status or 0,
            headers=headers_out,
            body=body,
            capture_id=capture_id,
            http_version=ex.http_version,
            truncated=ex.truncated or cut,
            elapsed_ms=ex.elapsed_ms,
            requested_at=ex.requested_at,
            remote_address=ex.remote_address,
        )

    async def _stream(self, ex: Exchange, target: Target, headers: list[tuple[str, str]], limit: int) -> None:
        req = ex.request
        client = self._client(pinned=target.pinned)
        try:
            request = client.build_request(
                req.method, target.url, headers=headers, extensions=target.extensions
            )
            response = await client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchError("timeout", req.url, type(exc).__name__) from exc
        except httpx.ProxyError as exc:
            raise FetchError("proxy", req.url, str(exc) or type(exc).__name__) from exc
        except (httpx.ConnectError, OSError) as exc:
            raise FetchError("connect", req.url, str(exc) or type(exc).__name__) from exc
        except (httpx.HTTPError, ValueError) as exc:
            raise FetchError("protocol", req.url, str(exc) or type(exc).__name__) from exc
        try:
            if ex.remote_address is None and not self.settings.proxy:
                ex.remote_address = peer_address(response)
            ex.status = response.status_code
            ex.reason = response.reason_phrase
            ex.http_version = _http_version(response)
            ex.response_headers = [(k, v) for k, v in response.headers.multi_items()]
            ctype = response.headers.get("content-type")
            if req.binary is not None:
                await self._read_binary(ex, response, req.binary)
                return
            refusal = policy.refuse_headers(ctype, favicon=req.favicon)
            if refusal:
                ex.refused = refusal
                return
            # every body's first bytes are checked: all media signatures when the type is not given,
            # the unambiguous ones (JPEG, PNG, MP4…) when a server labels media as text
            sniff = None if req.favicon else ("all" if policy.needs_sniff(ctype) else "strong")
            await self._read_body(ex, response, limit, sniff=sniff)
        finally:
            await response.aclose()

    async def _read_binary(self, ex: Exchange, response: httpx.Response, allowance: BinaryAllowance) -> None:
        """Read a binary the request explicitly allows: whole and under its cap, or refused whole."""
        headers = response.headers
        ex.refused = policy.refuse_binary_headers(
            allowance,
            headers.get("content-type"),
            headers.get("content-length"),
            headers.get("content-encoding"),
        )
        if ex.refused:
            return
        chunks: list[bytes] = []
        size = 0
        need = max(len(m) for m in allowance.magic)
        checked = False
        try:
            async for chunk in response.aiter_raw():
                chunks.append(chunk)
                size += len(chunk)
                if size > allowance.max_bytes:
                    ex.refused = f"{allowance.label} over the cap ({allowance.max_bytes} bytes)"
                    break
                if not checked and size >= need:
                    checked = True
                    ex.refused = policy.refuse_binary_head(allowance, b"".join(chunks)[:need])
                    if ex.refused:
                        break
        except httpx.TimeoutException:
            ex.error = "timeout while reading the body"
        except (httpx.HTTPError, OSError) as exc:
            ex.error = f"connection lost while reading the body ({type(exc).__name__})"
        if not ex.refused and not checked:
            ex.refused = policy.refuse_binary_head(allowance, b"".join(chunks))
        ex.raw_body = b"" if ex.refused else b"".join(chunks)

    async def _read_body(
        self, ex: Exchange, response: httpx.Response, limit: int, *, sniff: str | None
    ) -> None:
        chunks: list[bytes] = []
        size = 0
        head = (
            HeadSniffer(response.headers.get("content-encoding"), strong_only=sniff == "strong")
            if sniff
            else None
        )
        try:
            async for chunk in response.aiter_raw():
                if head is not None:
                    found = head.feed(chunk)
                    if found:
                        ex.refused = f"media body ({found}) without a media content type"
                        chunks.clear()
                        return
                    if head.done:
                        head = None
                if size + len(chunk) > limit:
                    chunks.append(chunk[: limit - size])
                    size = limit
                    ex.truncated = "length"
                    break
                chunks.append(chunk)
                size += len(chunk)
        except httpx.TimeoutException:
            ex.error = "timeout while reading the body"
        except (httpx.HTTPError, OSError) as exc:
            ex.error = f"connection lost while reading the body ({type(exc).__name__})"
        finally:
            ex.raw_body = b"".join(chunks)
        found = head.finish() if head is not None and not ex.refused else None
        if found:  # a body shorter than the sniffed head
            ex.refused = f"media body ({found}) without a media content type"
            ex.raw_body = b""


class HeadSniffer:
    """The first bytes of a body, whatever the network chunks and Content-Encoding, checked for media magic.

    A server may send the magic number one byte per packet, or gzip it: the head is gathered (and
    decoded, at most ``SNIFF_BYTES`` of output) until it is long enough to tell.
    """

    SNIFF_BYTES = 32

    def __init__(self, content_encoding: str | None, *, strong_only: bool = False) -> None:
        self.strong_only = strong_only
        self.encoding = (content_encoding or "identity").strip().lower()
        self.head = b""
        self.done = False
        self._zlib: Any = None
        self._brotli: Any = None
        self._raw = b""  # deflate: the first bytes, to retry as raw deflate
        if self.encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif self.encoding == "br" and brotli is not None:
            self._brotli = brotli.Decompressor()

    def _decode(self, chunk: bytes) -> bytes:
        want = self.SNIFF_BYTES - len(self.head)
        if self._zlib is not None:
            if self.encoding == "deflate":
                self._raw += chunk[: 4096 - len(self._raw)]
            try:
                return bytes(self._zlib.decompress(chunk, want))
            except zlib.error:
                if self.encoding != "deflate":
                    raise
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
                self.encoding = "raw-deflate"
                return bytes(self._zlib.decompress(self._raw, want))
        if self._brotli is not None:
            out = b""
            for start in range(0, len(chunk), 64):  # small steps: a few bytes may expand hugely
                out += self._brotli.process(chunk[start : start + 64])
                if len(out) >= want:
                    break
            return out
        return chunk  # identity, or an encoding that is passed on undecoded

    def feed(self, chunk: bytes) -> str | None:
        """The media format, once the head shows one; None while unknown (``done`` when known not)."""
        if self.done or not chunk:
            return None
        try:
            self.head += self._decode(chunk)[: self.SNIFF_BYTES - len(self.head)]
        except Exception:  # a corrupt encoding: decode_body reports it
            self.done = True
            return policy.sniff_media(self.head, strong_only=self.strong_only) if self.head else None
        if len(self.head) < self.SNIFF_BYTES:
            return None
        self.done = True
        return policy.sniff_media(self.head, strong_only=self.strong_only)

    def finish(self) -> str | None:
        """At the end of a short body: what its whole head shows."""
        if self.done:
            return None
        self.done = True
        return policy.sniff_media(self.head, strong_only=self.strong_only) if self.head else None
