"""Unlabelled media is known by its first bytes however they arrive: in tiny chunks, or encoded."""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.helpers.hostile import JPEG, MP4, HostileServer, dribbled, gzipped
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher
from unmask.core.fetch.transport import HeadSniffer, brotli
from unmask.core.store.models import Capture

HTML = (
    b"<!DOCTYPE html><html><head><title>an invented page</title></head><body>"
    + b"x" * 500
    + b"</body></html>"
)


def sniff(encoding: str | None, body: bytes, step: int) -> str | None:
    head = HeadSniffer(encoding)
    for start in range(0, len(body), step):
        found = head.feed(body[start : start + step])
        if found or head.done:
            return found
    return head.finish()


ENCODINGS = [
    (None, lambda b: b),
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
]
if brotli is not None:
    ENCODINGS.append(("br", brotli.compress))


@pytest.mark.parametrize("step", [1, 3, 64, 1 << 20])
@pytest.mark.parametrize(("encoding", "encode"), ENCODINGS)
def test_head_sniffer(encoding: str | None, encode: object, step: int) -> None:
    assert callable(encode)
    assert sniff(encoding, encode(JPEG), step) == "jpeg"
    assert sniff(encoding, encode(MP4), step) == "mp4/mov"
    assert sniff(encoding, encode(HTML), step) is None
    assert sniff(encoding, encode(b"\xff\xd8\xff"), step) == "jpeg"  # a body shorter than the head


def test_head_sniffer_on_corrupt_encoding() -> None:
    assert sniff("gzip", b"\x1f\x8b not really gzip", 4) is None


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        srv.route("/trickle", dribbled(JPEG, "application/octet-stream", head=6))
        srv.route("/packed", gzipped(JPEG, "application/octet-stream"))
        srv.route("/untyped", dribbled(MP4, "", head=10))
        srv.route("/page", dribbled(HTML, "application/octet-stream"))
        yield srv


@pytest.mark.parametrize("path", ["/trickle", "/packed", "/untyped"])
def test_disguised_media_is_refused_and_not_stored(
    server: HostileServer, sqlite_case: Case, path: str
) -> None:
    async def go() -> None:
        async with Fetcher.for_case(sqlite_case, purpose="test") as f:
            with pytest.raises(FetchRefused, match="media body"):
                await f.get(server.url(path), obey_robots=False)

    sqlite_case.config.fetch.delay = 0.0
    asyncio.run(go())
    with sqlite_case.store.session() as s:
        (cap,) = s.scalars(select(Capture)).all()
    assert cap.refused and cap.payload_length == 0


def test_unlabelled_page_in_tiny_chunks_is_read(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> bytes:
        async with Fetcher.for_case(sqlite_case, purpose="test") as f:
            return (await f.get(server.url("/page"), obey_robots=False)).body

    sqlite_case.config.fetch.delay = 0.0
    assert asyncio.run(go()) == HTML
