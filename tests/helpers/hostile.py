"""A small, scriptable HTTP server on loopback for fault and safety tests.

Routes map a path (without query) to a handler; every request is counted, so a test can prove that
a URL was never asked for.
"""

from __future__ import annotations

import contextlib
import gzip
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

Handler = Callable[["_RequestHandler"], None]

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2000
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.hits[path] += 1
            self.server.log.append(self.path)
            self.server.hit.notify_all()
        handler = self.server.routes.get(path)
        if handler is None:
            for prefix, h in self.server.prefixes.items():
                if path.startswith(prefix):
                    handler = h
                    break
        if handler is None:
            self.send_body(404, b"<html><body>not found</body></html>")
            return
        handler(self)

    def do_HEAD(self) -> None:
        self.do_GET()

    def send_body(
        self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8", **headers: str
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        self.routes: dict[str, Handler] = {}
        self.prefixes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.hit = threading.Condition(self.lock)
        """Notified at every request (under ``lock``)."""


class HostileServer:
    def __init__(self) -> None:
        self._server = _Server()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def hits(self) -> Counter[str]:
        return self._server.hits

    @property
    def log(self) -> list[str]:
        return self._server.log

    def wait_for(
        self,
        reached: Callable[[Counter[str]], bool],
        *,
        alive: subprocess.Popen[str] | None = None,
        guard: float = 120.0,
    ) -> None:
        """Until the requests served so far (``hits``) satisfy ``reached``: woken by each request, not
        polled. ``alive``: a process that must keep running meanwhile (its output if it stops).
        ``guard`` only keeps a broken test from hanging; it is no speed target."""
        with self._server.hit:
            for _ in range(int(guard / 0.5)):
                if reached(self._server.hits):
                    return
                if alive is not None and alive.poll() is not None:
                    raise AssertionError(f"the process stopped first: {alive.communicate()}")
                self._server.hit.wait(0.5)
        raise AssertionError(f"not reached within the {guard:g} s guard: {dict(self._server.hits)}")

    def route(self, path: str, handler: Handler) -> None:
        self._server.routes[path] = handler

    def prefix(self, prefix: str, handler: Handler) -> None:
        self._server.prefixes[prefix] = handler

    def static(
        self,
        path: str,
        body: bytes | str,
        ctype: str = "text/html; charset=utf-8",
        status: int = 200,
        **headers: str,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.route(path, lambda h: h.send_body(status, data, ctype, **headers))


# -- ready-made hostile behaviours ---------------------------------------------------------------


def gzipped(body: bytes, ctype: str = "text/html; charset=utf-8") -> Handler:
    data = gzip.compress(body)
    return lambda h: h.send_body(200, data, ctype, Content_Encoding="gzip")


def redirect(to: str, status: int = 302) -> Handler:
    return lambda h: h.send_body(status, b"", "text/html", Location=to)


def drop_connection(h: _RequestHandler) -> None:
    h.close_connection = True
    h.connection.shutdown(2)


def truncated_body(h: _RequestHandler) -> None:
    """Promise 100 kB, send 1 kB, hang up."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b"<html><body>" + b"x" * 1000)
    h.wfile.flush()
    h.close_connection = True
    h.connection.shutdown(2)


def slow(seconds: float, body: bytes = b"<html>late</html>") -> Handler:
    def handler(h: _RequestHandler) -> None:
        time.sleep(seconds)
        h.send_body(200, body)

    return handler


def storm(
    failures: int, status: int = 429, retry_after: str = "0", body: bytes = b"<html>ok</html>"
) -> Handler:
    """Answer `status` with Retry-After the first `failures` times for each path, then 200."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def handler(h: _RequestHandler) -> None:
        with lock:
            seen[h.path] += 1
            n = seen[h.path]
        if n <= failures:
            h.send_body(status, b"slow down", "text/plain", Retry_After=retry_after)
        else:
            h.send_body(200, body)

    return handler


def respond(
    status: int, body: bytes | str, ctype: str = "text/html; charset=utf-8", **headers: str
) -> Handler:
    """A fixed answer, as a handler that other behaviours can wrap."""
    data = body.encode() if isinstance(body, str) else body
    return lambda h: h.send_body(status, data, ctype, **headers)


def _per_url_counter() -> Callable[[_RequestHandler], int]:
    """How many times this URL (path and query) has been asked for, this time included."""
    seen: Counter[str] = Counter()
    lock = threading.Lock()

    def count(h: _RequestHandler) -> int:
        with lock:
            seen[h.path] += 1
            return seen[h.path]

    return count


def throttled(inner: Handler, failures: int, status: int = 429, retry_after: str = "0") -> Handler:
    """Answer `status` with Retry-After the first `failures` times each URL is asked for, then `inner`."""
    count = _per_url_counter()

    def handler(h: _RequestHandler) -> None:
        if count(h) <= failures:
            h.send_body(status, b"slow down", "text/plain", Retry_After=retry_after)
        else:
            inner(h)

    return handler


def dropping(inner: Handler, failures: int | None = 1) -> Handler:
    """Hang up without an answer the first `failures` times each URL is asked for (None: always)."""
    count = _per_url_counter()

    def handler(h: _RequestHandler) -> None:
        if failures is None or count(h) <= failures:
            drop_connection(h)
        else:
            inner(h)

    return handler


def delayed(seconds: float, inner: Handler) -> Handler:
    """`inner`, after a pause (a slow site)."""

    def handler(h: _RequestHandler) -> None:
        time.sleep(seconds)
        inner(h)

    return handler


def cut_off(body: bytes, keep: int, ctype: str = "text/html; charset=utf-8") -> Handler:
    """Promise the whole body, send its first `keep` bytes, hang up."""

    def handler(h: _RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            h.wfile.write(body[:keep])
            h.wfile.flush()
        h.close_connection = True
        with contextlib.suppress(OSError):
            h.connection.shutdown(2)

    return handler


def dribbled(body: bytes, ctype: str = "application/octet-stream", head: int = 4, **headers: str) -> Handler:
    """Send the first `head` bytes one write at a time (tiny network chunks), then the rest."""

    def handler(h: _RequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            h.send_header(k.replace("_", "-"), v)
        h.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            for i in range(head):
                time.sleep(0.02)
                h.wfile.write(body[i : i + 1])
                h.wfile.flush()
            time.sleep(0.02)
            h.wfile.write(body[head:])

    return handler
