"""The captures as a CDXJ index (the WACZ's and the replay server's), and the HTML captures as pages.

Both come from the capture rows, which already hold each response record's file, offset and length: no
WARC is re-read. The index is sorted by SURT key and time in bounded memory (sorted runs on disk, merged).
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import select

from unmask.core.case import Case
from unmask.core.store.models import Capture
from unmask.evidence.manifest import ROWS_PER_FETCH

_C = Capture.__table__.c
RECORDED = _C.warc_file.is_not(None) & _C.warc_offset.is_not(None) & _C.warc_length.is_not(None)
"""The captures that have a WARC record (and so an index line)."""
RUN_LINES = 100_000
"""Index lines sorted in memory at a time."""
HTML_TYPES = ("text/html", "application/xhtml+xml")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Sink(Protocol):
    def write(self, data: bytes, /) -> int: ...


def surt(url: str) -> str:
    """The SURT key of a URL, as pywb and ReplayWeb.page compute it (host reversed, lower case, no www,
    default port dropped, query arguments sorted)."""
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS:
        return url
    host = re.sub(r"^www\d*\.", "", (parts.hostname or "").strip(".").lower())
    key = ",".join(reversed(host.split(".")))
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and port != _DEFAULT_PORTS[parts.scheme]:
        key += f":{port}"
    key += ")" + (parts.path or "/").lower()
    if parts.query:
        key += "?" + "&".join(sorted(parts.query.lower().split("&")))
    return key


def timestamp14(when: dt.datetime) -> str:
    return when.strftime("%Y%m%d%H%M%S")


def iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class IndexedCapture:
    id: int
    url: str
    requested_at: dt.datetime
    status: int | None
    content_type: str | None
    payload_sha256: str | None
    warc_file: str
    warc_offset: int
    warc_length: int

    @property
    def mime(self) -> str:
        return (self.content_type or "").split(";")[0].strip().lower()

    @property
    def is_html(self) -> bool:
        return self.mime in HTML_TYPES


def recorded_captures(case: Case, *, after: int = 0, upto: int | None = None) -> Iterator[IndexedCapture]:
    """Every capture with a WARC record (with an id above ``after``, and up to ``upto``), in id order,
    streamed."""
    c = Capture.__table__.c
    query = (
        select(
            c.id,
            c.url,
            c.requested_at,
            c.status,
            c.content_type,
            c.payload_sha256,
            c.warc_file,
            c.warc_offset,
            c.warc_length,
        )
        .where(RECORDED, c.id > after, *([c.id <= upto] if upto is not None else []))
        .order_by(c.id)
    )
    with case.store.engine.connect() as conn:
        for row in conn.execution_options(stream_results=True, yield_per=ROWS_PER_FETCH).execute(query):
            yield IndexedCapture(*row)


def cdxj_line(capture: IndexedCapture) -> str:
    fields = {
        "url": capture.url,
        "mime": capture.mime or "unk",
        "status": str(capture.status or 0),
        "digest": f"sha256:{capture.payload_sha256}" if capture.payload_sha256 else "-",
        "length": str(capture.warc_length),
        "offset": str(capture.warc_offset),
        "filename": Path(capture.warc_file).name,
        "capture": capture.id,
    }
    key = surt(capture.url).replace(" ", "%20")
    return f"{key} {timestamp14(capture.requested_at)} {json.dumps(fields, ensure_ascii=False)}\n"


def _sorted_runs(lines: Iterator[str], folder: Path) -> list[Path]:
    runs: list[Path] = []
    batch: list[str] = []

    def flush() -> None:
        if batch:
            batch.sort()
            path = folder / f"run-{len(runs):05d}.cdxj"
            path.write_text("".join(batch), encoding="utf-8")
            runs.append(path)
            batch.clear()

    for line in lines:
        batch.append(line)
        if len(batch) >= RUN_LINES:
            flush()
    flush()
    return runs


def write_cdxj(
    case: Case, out: Sink, *, after: int = 0, upto: int | None = None, merged: Iterable[str] = ()
) -> int:
    """The sorted CDXJ index of every recorded capture (``after``, ``upto``: of those with an id in that
    range) into OUT, merged with ``merged`` (lines of an index already sorted); the number of lines."""
    count = 0
    with tempfile.TemporaryDirectory(prefix="unmask-cdxj-") as work:
        captures = recorded_captures(case, after=after, upto=upto)
        runs = _sorted_runs((cdxj_line(c) for c in captures), Path(work))
        handles = [run.open("r", encoding="utf-8") for run in runs]
        try:
            for line in heapq.merge(merged, *handles):
                out.write(line.encode("utf-8"))
                count += 1
        finally:
            for handle in handles:
                handle.close()
    return count


def write_pages(case: Case, out: Sink) -> int:
    """pages.jsonl (json-pages-1.0): every HTML capture with a record; the number of pages."""
    header = {"format": "json-pages-1.0", "id": "pages", "title": "Captured HTML pages"}
    out.write((json.dumps(header) + "\n").encode("utf-8"))
    count = 0
    for capture in recorded_captures(case):
        if not capture.is_html:
            continue
        page = {
            "id": f"capture-{capture.id}",
            "url": capture.url,
            "ts": iso(capture.requested_at),
            "title": capture.url,
            "status": capture.status,
            "sha256": capture.payload_sha256,
        }
        out.write((json.dumps(page, ensure_ascii=False) + "\n").encode("utf-8"))
        count += 1
    return count
