"""A real pywb web archive on loopback, over WARC files the test writes (with warcio).

with PywbServer(tmp_path, [Archived("http://site.test/", "20190301120000", html)]) as archive:
    archive.cdx_url      # http://127.0.0.1:PORT/coll/cdx
    archive.replay_url   # http://127.0.0.1:PORT/coll/{timestamp}id_/{original}
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.helpers.ports import listening_socket, port_of

COLLECTION = "coll"


@dataclass(frozen=True)
class Archived:
    url: str
    timestamp: str
    """YYYYMMDDhhmmss"""
    body: bytes | str
    content_type: str = "text/html; charset=utf-8"
    status: str = "200 OK"


def write_warc(path: Path, records: Sequence[Archived]) -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for rec in records:
            body = rec.body.encode() if isinstance(rec.body, str) else rec.body
            when = dt.datetime.strptime(rec.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
            headers = StatusAndHeaders(
                rec.status,
                [("Content-Type", rec.content_type), ("Content-Length", str(len(body)))],
                protocol="HTTP/1.1",
            )
            record = writer.create_warc_record(
                rec.url,
                "response",
                payload=BytesIO(body),
                http_headers=headers,
                warc_headers_dict={"WARC-Date": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
            )
            writer.write_record(record)
    return path


WAYBACK = """
from gevent.monkey import patch_all; patch_all()
import socket, sys
from gevent.pywsgi import WSGIServer
from pywb.apps.frontendapp import FrontEndApp
from pywb.utils.geventserver import RequestURIWSGIHandler
listener = socket.socket(fileno=int(sys.argv[1]))
WSGIServer(listener, FrontEndApp(custom_config={"enable_auto_fetch": False}),
           handler_class=RequestURIWSGIHandler).serve_forever()
"""
"""pywb's `wayback` (FrontEndApp under gevent, as its command runs it), serving on an inherited socket:
the `wayback` command only takes a port number."""


def _tool(name: str) -> str:
    """A pywb tool from its own venv (pywb pins brotlipy and old cryptography, so it stays apart from
    unmask's environment); `make services` creates it at .venv-pywb, UNMASK_PYWB_BIN overrides."""
    bin_dir = os.environ.get("UNMASK_PYWB_BIN") or str(
        Path(__file__).resolve().parents[2] / ".venv-pywb" / "bin"
    )
    return str(Path(bin_dir) / name)


class PywbServer:
    def __init__(self, root: Path, records: Sequence[Archived]) -> None:
        self.root = root
        self.records = records
        self._listener = listening_socket()
        self.port = port_of(self._listener)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def cdx_url(self) -> str:
        return f"{self.base}/{COLLECTION}/cdx"

    @property
    def replay_url(self) -> str:
        return f"{self.base}/{COLLECTION}/{{timestamp}}id_/{{original}}"

    def __enter__(self) -> PywbServer:
        self.root.mkdir(parents=True, exist_ok=True)
        warc = write_warc(self.root / "archive.warc.gz", self.records)
        for args in (["init", COLLECTION], ["add", COLLECTION, str(warc)]):
            subprocess.run(
                [_tool("wb-manager"), *args], cwd=self.root, check=True, capture_output=True, timeout=120
            )
        log = (self.root / "wayback.log").open("wb")
        fd = self._listener.fileno()
        self._proc = subprocess.Popen(
            [_tool("python"), "-c", WAYBACK, str(fd)],
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=(fd,),
        )
        self._listener.close()  # the server holds it now
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"wayback exited: {(self.root / 'wayback.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.cdx_url + "?url=none.invalid", timeout=2):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError("wayback did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
