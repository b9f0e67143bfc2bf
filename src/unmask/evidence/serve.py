"""`unmask evidence serve`: the case's captures replayed offline on 127.0.0.1 through ReplayWeb.page.

  /                      the HTML captures, newest first, each linking to /capture/ID
  /capture/ID            one capture: its reference (id, URL, time, SHA-256, WARC record) and the page
                         replayed by <replay-web-page> from that exact time
  /ui.js, /replay/sw.js  ReplayWeb.page (vendored in evidence/replay/vendor/, AGPL-3.0)
  /archive/V/index.cdxj  the CDXJ index of every capture (outside the case; V names its state, so that a
                         browser that loaded an older index loads the new one)
  /archive/V/NAME        a WARC file of the case, read by byte range (also /archive/index.cdxj, /archive/NAME)

The index is built when first asked for, not at start, and brought up to date whenever it is asked again:
captures recorded since (a crawl running beside the server) are merged in, keyed by capture id
(:class:`ReplayIndex`). ReplayWeb.page loads the index and fetches each record by its offset and length:
nothing is copied and nothing leaves the machine. The server answers only GET and HEAD, only for its own
host names (a page that rebinds a DNS name to 127.0.0.1 gets nothing), only requests ``allow`` admits (the
web workbench's token), and only for the files above.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import func, select

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.store.models import Capture
from unmask.evidence.digests import CHUNK
from unmask.evidence.index import HTML_TYPES, RECORDED, iso, timestamp14, write_cdxj
from unmask.evidence.links import reference

ASSETS = Path(__file__).parent / "replay" / "vendor"
PAGE_SIZE = 200
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_ARCHIVE = re.compile(r"/archive/(?:\d{1,20}-\d{1,20}/)?(?P<name>[^/]{1,255})")

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1d1f}
header{padding:.6rem 1rem;background:#f3f3f5;border-bottom:1px solid #ddd}
header h1{font-size:1rem;margin:0 0 .2rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem .8rem;margin:.3rem 0;font-size:.85rem}
dt{color:#666}dd{margin:0;word-break:break-all;font-family:ui-monospace,monospace}
table{border-collapse:collapse;margin:1rem;font-size:.9rem}td,th{padding:.2rem .6rem;text-align:left}
tr:nth-child(even){background:#f7f7f9}td.url{word-break:break-all}
replay-web-page{display:block;height:calc(100vh - 9rem);border-top:1px solid #ddd}
nav{margin:1rem}
"""


_REPLAY_APP = (
    b"<!doctype html><html><head><meta charset=utf-8><script src='./ui.js'></script></head>"
    b"<body><replay-app-main></replay-app-main></body></html>"
)
"""ReplayWeb.page's app inside the embed's frame (its service worker serves the same once it is active)."""


def _page(title: str, body: str, *, replay: bool = False) -> bytes:
    script = '<script src="/ui.js"></script>' if replay else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>{script}</head>"
        f"<body>{body}</body></html>"
    ).encode()


class ReplayIndex:
    """The replay's CDXJ index, built when first asked for and brought up to date each time it is asked
    again: the captures recorded since (capture id above the highest indexed) are sorted and merged into
    it, and nothing indexed already is read from the store again. When the store then holds another number
    of recorded captures than the index has lines (one committed late with a lower id, one deleted), the
    index is built again whole."""

    def __init__(self, case: Case, folder: Path) -> None:
        self.case = case
        self.path = folder / "index.cdxj"
        self.upto = 0
        """The highest capture id indexed."""
        self.lines = 0
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        """Names what the index holds (a browser keeps each loaded index under its address)."""
        return f"{self.upto}-{self.lines}"

    def _recorded(self) -> tuple[int, int]:
        with self.case.store.engine.connect() as conn:
            count, top = conn.execute(
                select(func.count(), func.max(Capture.__table__.c.id)).where(RECORDED)
            ).one()
        return int(count), int(top or 0)

    def current(self) -> Path:
        """The index with every capture recorded by now."""
        with self._lock:
            count, top = self._recorded()
            if self.path.exists() and (count, top) == (self.lines, self.upto):
                return self.path
            lines = self._write(top, incremental=self.path.exists() and top >= self.upto)
            if lines != count:
                lines = self._write(top, incremental=False)
            self.upto, self.lines = top, lines
            return self.path

    def _write(self, top: int, *, incremental: bool) -> int:
        fresh = self.path.with_name("index.cdxj.part")
        with fresh.open("wb") as out:
            if incremental:
                with self.path.open("r", encoding="utf-8") as earlier:
                    added = write_cdxj(self.case, out, after=self.upto, upto=top, merged=earlier)
            else:
                added = write_cdxj(self.case, out, upto=top)
        os.replace(fresh, self.path)  # a reader holding the old file keeps reading it whole
        return added


class ReplayServer:
    """The replay server of one case; a context manager that serves in a background thread.

    ``host``: the address to bind (127.0.0.1 unless the web workbench is bound elsewhere); ``names``: more
    Host header names it answers (with its port); ``allow``: a check of every request's headers (the web
    workbench's token), refused with 403 when it fails."""

    def __init__(
        self,
        case: Case,
        *,
        port: int,
        host: str = "127.0.0.1",
        names: Iterable[str] = (),
        allow: Callable[[Mapping[str, str]], bool] | None = None,
    ) -> None:
        self.case = case
        self.allow = allow
        self._work = tempfile.mkdtemp(prefix="unmask-replay-")
        try:
            self.index = ReplayIndex(case, Path(self._work))
            try:
                self.httpd = ThreadingHTTPServer((host, port), self._handler())
            except OSError as exc:
                raise UnmaskError(f"cannot listen on {host}:{port} ({exc.strerror})") from exc
        except BaseException:
            shutil.rmtree(self._work, ignore_errors=True)
            raise
        self.httpd.daemon_threads = True
        self.port = int(self.httpd.server_address[1])
        hosts = {"127.0.0.1", "localhost", *(n.lower() for n in names)}
        self.hosts = {f"[{n}]:{self.port}" if ":" in n else f"{n}:{self.port}" for n in hosts}
        self._thread: threading.Thread | None = None

    def warc(self, name: str) -> Path | None:
        """A WARC file of the case by its name (those written since the server started too)."""
        if "/" in name or "\\" in name or name.startswith(".") or ".warc" not in name:
            return None
        path = self.case.warc_dir / name
        return path if path.is_file() else None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def serve_forever(self) -> None:
        try:
            self.httpd.serve_forever(poll_interval=0.25)
        finally:
            self.close()

    def close(self) -> None:
        self.httpd.server_close()
        shutil.rmtree(self._work, ignore_errors=True)

    def __enter__(self) -> ReplayServer:
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.httpd.shutdown()
        self.close()

    # -- pages ----------------------------------------------------------------------------------------

    def index_page(self, page: int) -> bytes:
        c = Capture.__table__.c
        kind = func.lower(func.coalesce(c.content_type, ""))
        html_only = c.warc_file.is_not(None) & (
            kind.like(f"{HTML_TYPES[0]}%") | kind.like(f"{HTML_TYPES[1]}%")
        )
        with self.case.store.engine.connect() as conn:
            total = int(conn.execute(select(func.count()).where(html_only)).scalar_one())
            rows = conn.execute(
                select(c.id, c.url, c.requested_at, c.status)
                .where(html_only)
                .order_by(c.requested_at.desc(), c.id.desc())
                .limit(PAGE_SIZE)
                .offset(page * PAGE_SIZE)
            ).all()
        lines = "".join(
            f"<tr><td><a href='/capture/{r.id}'>{r.id}</a></td><td>{iso(r.requested_at)}</td>"
            f"<td>{r.status or ''}</td><td class=url>{html.escape(r.url)}</td></tr>"
            for r in rows
        )
        nav = []
        if page > 0:
            nav.append(f"<a href='/?page={page - 1}'>newer</a>")
        if (page + 1) * PAGE_SIZE < total:
            nav.append(f"<a href='/?page={page + 1}'>older</a>")
        name = html.escape(self.case.config.name)
        body = (
            f"<header><h1>Captures of {name}</h1>{total:,} HTML captures; "
            "replayed offline from the case's WARC files.</header>"
            f"<table><tr><th>capture</th><th>time (UTC)</th><th>status</th><th>URL</th></tr>{lines}</table>"
            f"<nav>{' · '.join(nav)}</nav>"
        )
        return _page(f"Captures of {self.case.config.name}", body)

    def capture_page(self, capture_id: int) -> bytes | None:
        with self.case.store.session() as session:
            capture = session.get(Capture, capture_id)
        if capture is None:
            return None
        ref = reference(capture, port=self.port)
        fields = [
            ("capture", str(ref.capture_id)),
            ("URL", ref.url),
            ("fetched", ref.time),
            ("status", str(capture.status or "none")),
            ("SHA-256", ref.sha256 or "none"),
            ("WARC record", f"{ref.warc_file} @ {ref.warc_offset}" if ref.warc_file else "none"),
        ]
        facts = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in fields)
        if capture.warc_file:
            self.index.current()  # this capture in it
            source = f"/archive/{self.index.version}/index.cdxj"
            replay = (
                f"<replay-web-page source='{source}' url='{html.escape(capture.url, quote=True)}' "
                f"ts='{timestamp14(capture.requested_at)}' replayBase='/replay/' embed='replayonly'>"
                "</replay-web-page>"
            )
        else:
            replay = (
                f"<p style='margin:1rem'>No response was archived ({html.escape(capture.error or '')}).</p>"
            )
        title = f"<h1><a href='/'>Captures</a> › capture {ref.capture_id}</h1>"
        body = f"<header>{title}<dl>{facts}</dl></header>{replay}"
        return _page(f"Capture {ref.capture_id}", body, replay=True)

    # -- HTTP -----------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "unmask-replay"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _send(
                self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Referrer-Policy", "no-referrer")
                self.send_header("Cache-Control", "no-store")
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, status: HTTPStatus) -> None:
                self._send(status, f"{status.value} {status.phrase}\n".encode(), "text/plain; charset=utf-8")

            def _file(self, path: Path, content_type: str) -> None:
                size = path.stat().st_size
                start, end = 0, size - 1
                status = HTTPStatus.OK
                wanted = self.headers.get("Range")
                if wanted:
                    match = _RANGE.match(wanted.strip())
                    if match is None or (not match[1] and not match[2]):
                        self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", "text/plain")
                        return
                    if match[1]:
                        start = int(match[1])
                        end = min(int(match[2]), size - 1) if match[2] else size - 1
                    else:
                        start = max(0, size - int(match[2]))
                    if start > end or start >= size:
                        self._send(
                            HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE,
                            b"",
                            "text/plain",
                            {"Content-Range": f"bytes */{size}"},
                        )
                        return
                    status = HTTPStatus.PARTIAL_CONTENT
                length = end - start + 1
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(length))
                self.send_header("Accept-Ranges", "bytes")
                self.send_header("X-Content-Type-Options", "nosniff")
                self.send_header("Cache-Control", "no-store")
                if status == HTTPStatus.PARTIAL_CONTENT:
                    self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
                self.end_headers()
                if self.command == "HEAD":
                    return
                with path.open("rb") as fh:
                    fh.seek(start)
                    for chunk in _chunks(fh, length):
                        self.wfile.write(chunk)

            def do_GET(self) -> None:
                if self.headers.get("Host", "").lower() not in server.hosts:
                    self._error(HTTPStatus.MISDIRECTED_REQUEST)
                    return
                if server.allow is not None and not server.allow(
                    {k.lower(): v for k, v in self.headers.items()}
                ):
                    self._error(HTTPStatus.FORBIDDEN)
                    return
                parts = urlsplit(self.path)
                path = parts.path
                try:
                    if path == "/":
                        pages = parse_qs(parts.query).get("page", ["0"])
                        page = int(pages[0]) if pages[0].isdigit() else 0
                        self._send(HTTPStatus.OK, server.index_page(page), "text/html; charset=utf-8")
                    elif match := re.fullmatch(r"/capture/(\d{1,18})", path):
                        body = server.capture_page(int(match[1]))
                        if body is None:
                            self._error(HTTPStatus.NOT_FOUND)
                        else:
                            self._send(HTTPStatus.OK, body, "text/html; charset=utf-8")
                    elif path in ("/replay/", "/replay/index.html"):
                        self._send(HTTPStatus.OK, _REPLAY_APP, "text/html; charset=utf-8")
                    elif path in ("/ui.js", "/replay/ui.js"):
                        self._file(ASSETS / "ui.js", "text/javascript")
                    elif path == "/replay/sw.js":
                        self._file(ASSETS / "sw.js", "text/javascript")
                    elif archive := _ARCHIVE.fullmatch(path):
                        name = archive["name"]
                        found = server.index.current() if name == "index.cdxj" else server.warc(name)
                        if found is None:
                            self._error(HTTPStatus.NOT_FOUND)
                        else:
                            media = (
                                "text/plain; charset=utf-8" if name == "index.cdxj" else "application/warc"
                            )
                            self._file(found, media)
                    else:
                        self._error(HTTPStatus.NOT_FOUND)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_HEAD = do_GET

            def do_POST(self) -> None:
                self._error(HTTPStatus.METHOD_NOT_ALLOWED)

            do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

        return Handler


def _chunks(fh: Any, length: int) -> Iterator[bytes]:
    while length > 0:
        chunk = fh.read(min(CHUNK, length))
        if not chunk:
            return
        length -= len(chunk)
        yield chunk
