"""An HTTP server on raw sockets, for responses no well-behaved server library sends.

Each route is a function that gets the connected socket and writes whatever bytes it likes: headers
dripped one byte at a time, lying lengths, HTTP/1.0 bodies delimited by closing the connection, chunked
bodies, both Content-Length and Transfer-Encoding. Every connection and every request line is counted,
so a test can prove that a server was never contacted at all.

    with RawServer() as srv:
        srv.route("/clip", raw_response(b"HTTP/1.0 200 OK\\r\\n\\r\\n" + payload))
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

RawHandler = Callable[[socket.socket, "RawRequest"], None]


class RawRequest:
    def __init__(self, head: bytes) -> None:
        self.head = head
        line, _, rest = head.partition(b"\r\n")
        parts = line.decode("latin-1").split(" ")
        self.method = parts[0] if parts else ""
        self.target = parts[1] if len(parts) > 1 else ""
        self.path = urlsplit(self.target).path
        self.headers: dict[str, str] = {}
        for raw in rest.split(b"\r\n"):
            name, sep, value = raw.decode("latin-1").partition(":")
            if sep:
                self.headers[name.strip().lower()] = value.strip()


class RawServer:
    """A threaded TCP server on ``host`` (loopback by default) answering with raw handlers."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(64)
        self.host = host
        self.port = self._sock.getsockname()[1]
        self.routes: dict[str, RawHandler] = {}
        self.prefixes: dict[str, RawHandler] = {}
        self.connections = 0
        self.hits: Counter[str] = Counter()
        self.requests: list[RawRequest] = []
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._sock.close()

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, handler: RawHandler) -> None:
        self.routes[path] = handler

    def prefix(self, prefix: str, handler: RawHandler) -> None:
        self.prefixes[prefix] = handler

    def _serve(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(30)
            while True:
                head = _read_head(conn)
                if head is None:
                    return
                request = RawRequest(head)
                with self.lock:
                    self.hits[request.path] += 1
                    self.requests.append(request)
                handler = self.routes.get(request.path) or next(
                    (h for p, h in self.prefixes.items() if request.path.startswith(p)), None
                )
                try:
                    if handler is None:
                        body = b"<html><body>not found</body></html>"
                        conn.sendall(
                            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\n"
                            + f"Content-Length: {len(body)}\r\n\r\n".encode()
                            + body
                        )
                        continue
                    handler(conn, request)
                except OSError:
                    return
                return  # one request per connection unless the handler keeps it (it does not)


def _read_head(conn: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = conn.recv(4096)
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    return data.split(b"\r\n\r\n", 1)[0]


# -- ready-made misbehaviours ----------------------------------------------------------------------


def raw_response(data: bytes) -> RawHandler:
    """Send these exact bytes, then close (HTTP/1.0 style)."""

    def handler(conn: socket.socket, _request: RawRequest) -> None:
        conn.sendall(data)
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_WR)

    return handler


def head_bytes(status: str = "200 OK", version: str = "HTTP/1.1", **headers: str) -> bytes:
    lines = [f"{version} {status}"] + [f"{k.replace('_', '-')}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def chunked(body: bytes, size: int = 1000) -> bytes:
    out = b""
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += f"{len(piece):x}\r\n".encode() + piece + b"\r\n"
    return out + b"0\r\n\r\n"


def dripping(data: bytes, every: float = 1.0, burst: int = 1) -> RawHandler:
    """Send ``burst`` bytes every ``every`` seconds (a server that keeps a connection busy forever)."""

    def handler(conn: socket.socket, _request: RawRequest) -> None:
        for start in range(0, len(data), burst):
            conn.sendall(data[start : start + burst])
            time.sleep(every)

    return handler


def endless(head: bytes, part: bytes, every: float = 0.01) -> RawHandler:
    """Headers, then ``part`` again and again until the client hangs up (an MJPEG stream)."""

    def handler(conn: socket.socket, _request: RawRequest) -> None:
        conn.sendall(head)
        while True:
            conn.sendall(part)
            time.sleep(every)

    return handler


def reply(
    body: bytes,
    headers: list[tuple[str, str]] | None = None,
    *,
    status: str = "200 OK",
    delivery: str = "length",
) -> RawHandler:
    """An answer in one of the ways a server may deliver a body, then close the connection.

    ``delivery``: ``length`` (Content-Length), ``chunked`` (Transfer-Encoding), ``http10`` (HTTP/1.0,
    no length: the body ends when the connection closes), ``none`` (HTTP/1.1 without a length, closed)."""
    fields = list(headers or [])
    if delivery == "length":
        fields.append(("Content-Length", str(len(body))))
    elif delivery == "chunked":
        fields.append(("Transfer-Encoding", "chunked"))
        body = chunked(body)
    version = "HTTP/1.0" if delivery == "http10" else "HTTP/1.1"
    if version == "HTTP/1.1":
        fields.append(("Connection", "close"))
    head = f"{version} {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields) + "\r\n"
    return raw_response(head.encode("latin-1") + body)
