"""No media byte ever reaches the evidence, however a hostile platform labels, encodes or delivers it.

Every payload of tests.helpers.media (MPEG-TS, QuickTime, fMP4, MPEG-PS, H.264, AAC, MP3, TIFF, JPEG 2000,
BMP, JPEG, PNG, GIF, WebM, Ogg, FLAC, WAV, AVIF, HEIC) is served every way below, through the fetch
layer's own client, and the case's WARC files (decompressed, each record decoded every way) are searched
for its bytes. The end-to-end census crawl is in test_census_stores_no_media.py.
"""

from __future__ import annotations

import asyncio
import gzip
import zlib
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.helpers.media import JPEG_200K, Payload, by_name, media_in_evidence, mjpeg_part, payloads
from tests.helpers.raw_server import RawServer, endless, head_bytes, reply
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, Scope
from unmask.core.fetch.decoding import brotli
from unmask.core.store.models import Capture

HTML = "text/html; charset=utf-8"
PAGE = b"<!DOCTYPE html><html><head><title>an invented page</title></head><body>" + b"words " * 800

# (variant, how it is served): every label, coding and delivery a platform used or could use
Variant = tuple[list[tuple[str, str]], bytes, str, str]


def variants(p: Payload) -> dict[str, Variant]:
    data = p.data
    out: dict[str, Variant] = {
        "own-type": ([("Content-Type", p.ctype)], data, "200 OK", "length"),
        "html": ([("Content-Type", HTML)], data, "200 OK", "length"),
        "plain": ([("Content-Type", "text/plain")], data, "200 OK", "length"),
        "latin1": ([("Content-Type", "text/html; charset=iso-8859-1")], data, "200 OK", "length"),
        "octet": ([("Content-Type", "application/octet-stream")], data, "200 OK", "length"),
        "unlabelled": ([], data, "200 OK", "length"),
        "json": ([("Content-Type", "application/json")], data, "200 OK", "length"),
        "chunked": ([("Content-Type", HTML)], data, "200 OK", "chunked"),
        "http10": ([("Content-Type", HTML)], data, "200 OK", "http10"),
        "no-length": ([], data, "200 OK", "none"),
        "partial": (
            [("Content-Type", HTML), ("Content-Range", f"bytes 0-{len(data) - 1}/{len(data) * 10}")],
            data,
            "206 Partial Content",
            "length",
        ),
        "gzip": (
            [("Content-Type", HTML), ("Content-Encoding", "gzip")],
            gzip.compress(data),
            "200 OK",
            "length",
        ),
        "deflate": (
            [("Content-Type", HTML), ("Content-Encoding", "deflate")],
            zlib.compress(data),
            "200 OK",
            "length",
        ),
        "gzip-gzip": (
            [("Content-Type", HTML), ("Content-Encoding", "gzip, gzip")],
            gzip.compress(gzip.compress(data)),
            "200 OK",
            "length",
        ),
        "gzip-header-twice": (
            [("Content-Type", HTML), ("Content-Encoding", "gzip"), ("Content-Encoding", "gzip")],
            gzip.compress(gzip.compress(data)),
            "200 OK",
            "length",
        ),
        "zstd": ([("Content-Type", HTML), ("Content-Encoding", "zstd")], data, "200 OK", "length"),
        "x-gzip2": ([("Content-Type", HTML), ("Content-Encoding", "x-gzip2")], data, "200 OK", "length"),
        "fake-gzip": ([("Content-Type", HTML), ("Content-Encoding", "gzip")], data, "200 OK", "length"),
        "gzip-container": ([("Content-Type", "application/gzip")], gzip.compress(data), "200 OK", "length"),
        "gzip-container-unlabelled": ([], gzip.compress(data), "200 OK", "chunked"),
        "after-text": ([("Content-Type", HTML)], PAGE + data * 20, "200 OK", "length"),
        "redirect-body": ([("Content-Type", HTML), ("Location", "/elsewhere")], data, "302 Found", "length"),
        "error-body": ([("Content-Type", HTML)], data, "404 Not Found", "length"),
    }
    if brotli is not None:
        out["br"] = (
            [("Content-Type", HTML), ("Content-Encoding", "br")],
            brotli.compress(data),
            "200 OK",
            "length",
        )
    return out


@pytest.fixture
def server() -> Iterator[RawServer]:
    with RawServer() as srv:
        for p in payloads():
            for name, (fields, body, status, delivery) in variants(p).items():
                srv.route(f"/{p.name}/{name}", reply(body, fields, status=status, delivery=delivery))
        srv.route("/elsewhere", reply(PAGE, [("Content-Type", HTML)]))
        yield srv


def fetcher(case: Case, server: RawServer) -> Fetcher:
    case.config.fetch.delay = 0.0
    case.config.fetch.retries = 0
    return Fetcher.for_case(case, purpose="test", scope=Scope.for_site(server.base))


def stored_bodies(case: Case) -> list[tuple[str, int | None, str | None]]:
    with case.store.session() as s:
        rows = s.scalars(select(Capture).where(Capture.payload_length > 0)).all()
        return [(c.url, c.payload_length, c.refused) for c in rows]


@pytest.mark.slow
@pytest.mark.parametrize("payload", payloads(), ids=lambda p: p.name)
def test_media_is_refused_however_it_is_labelled_encoded_or_delivered(
    server: RawServer, sqlite_case: Case, payload: Payload
) -> None:
    paths = [f"/{payload.name}/{name}" for name in variants(payload)]

    async def go() -> dict[str, str]:
        outcomes: dict[str, str] = {}
        async with fetcher(sqlite_case, server) as f:
            for path in paths:
                try:
                    resp = await f.get(server.url(path), obey_robots=False, follow_redirects=False)
                except FetchRefused as exc:
                    outcomes[path] = exc.reason
                else:
                    outcomes[path] = f"kept {resp.status} ({len(resp.body)} bytes)"
            assert sum(f.transport.refusals.values()) == len(paths)
        return outcomes

    outcomes = asyncio.run(go())
    kept = {path: outcome for path, outcome in outcomes.items() if outcome.startswith("kept")}
    assert not kept, kept
    assert not media_in_evidence(sqlite_case.root, [payload])
    assert not stored_bodies(sqlite_case)
    with sqlite_case.store.session() as s:
        refused = s.scalars(select(Capture.refused)).all()
    assert len(refused) == len(paths) and all(refused)


def test_an_mjpeg_stream_is_refused_after_its_headers(sqlite_case: Case) -> None:
    with RawServer() as srv:
        head = head_bytes(Content_Type="multipart/x-mixed-replace; boundary=frame", Connection="close")
        srv.route("/live", endless(head, mjpeg_part()))

        async def go() -> None:
            async with fetcher(sqlite_case, srv) as f:
                with pytest.raises(FetchRefused, match="multipart"):
                    await asyncio.wait_for(f.get(srv.url("/live"), obey_robots=False), 10)

        asyncio.run(go())
    assert not media_in_evidence(sqlite_case.root, [by_name("jpeg")])
    assert not stored_bodies(sqlite_case)


@pytest.mark.parametrize("target", ["/media/clip.mp4;jsessionid=1", "/media/clip.ts/", "/media/clip.MP4?x=1"])
def test_a_redirect_to_a_media_file_is_never_followed(sqlite_case: Case, target: str) -> None:
    clip = by_name("mpeg-ts")
    with RawServer() as srv:
        srv.route("/item", reply(b"", [("Location", target)], status="302 Found"))
        srv.prefix("/media/", reply(clip.data, [("Content-Type", HTML)]))

        async def go() -> None:
            async with fetcher(sqlite_case, srv) as f:
                with pytest.raises(FetchRefused, match="media-url"):
                    await f.get(srv.url("/item"), obey_robots=False)

        asyncio.run(go())
        assert not any(path.startswith("/media/") for path in srv.hits)
    assert not media_in_evidence(sqlite_case.root, [clip])


def test_a_favicon_redirected_to_a_jpeg_is_refused_and_the_jpeg_never_asked_for(sqlite_case: Case) -> None:
    with RawServer() as srv:
        srv.route("/favicon.ico", reply(b"", [("Location", "/static/big.jpg")], status="302 Found"))
        srv.route("/static/big.jpg", reply(JPEG_200K.data, [("Content-Type", "image/x-icon")]))

        async def go() -> None:
            async with fetcher(sqlite_case, srv) as f:
                with pytest.raises(FetchRefused, match=r"favicon: .*redirect"):
                    await f.get(srv.url("/favicon.ico"), favicon=True, obey_robots=False)

        asyncio.run(go())
        assert srv.hits["/static/big.jpg"] == 0
    assert not media_in_evidence(sqlite_case.root, [JPEG_200K])


ICO = b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4


@pytest.mark.parametrize(
    ("body", "ctype", "kept"),
    [
        (ICO, "image/x-icon", True),
        (PNG, "image/png", True),
        (PNG, "", True),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>', "image/svg+xml", True),
        (JPEG_200K.data, "image/x-icon", False),  # too big, and not an icon
        (JPEG_200K.data[:20_000], "image/x-icon", False),  # small, but a JPEG labelled as an icon
        (by_name("gif").data[:2000], "image/x-icon", False),
        (by_name("gif").data[:2000], "image/gif", False),
        (ICO + bytes(40_000), "image/x-icon", False),  # an icon over the cap: refused, not cut
        (by_name("mp4").data, "", False),
    ],
)
def test_favicon_only_as_a_small_ico_png_or_svg(
    sqlite_case: Case, body: bytes, ctype: str, kept: bool
) -> None:
    with RawServer() as srv:
        srv.route("/favicon.ico", reply(body, [("Content-Type", ctype)] if ctype else []))

        async def go() -> bytes | None:
            async with fetcher(sqlite_case, srv) as f:
                try:
                    return (await f.get(srv.url("/favicon.ico"), favicon=True, obey_robots=False)).body
                except FetchRefused:
                    return None

        got = asyncio.run(go())
    assert (got == body) if kept else (got is None)
    if not kept:
        assert not stored_bodies(sqlite_case)


def test_a_favicon_from_another_host_is_never_asked_for(sqlite_case: Case) -> None:
    with RawServer() as site, RawServer() as cdn:
        cdn.route("/favicon.ico", reply(ICO, [("Content-Type", "image/x-icon")]))

        async def go() -> None:
            async with fetcher(sqlite_case, site) as f:
                with pytest.raises(FetchRefused, match="off-origin"):
                    await f.get(cdn.url("/favicon.ico"), favicon=True, obey_robots=False)
            # even a data source of the scope is not "the site's own host"
            scope = Scope.for_site(site.base, sources=[cdn.base])
            async with Fetcher.for_case(sqlite_case, purpose="test", scope=scope) as f:
                with pytest.raises(FetchRefused, match="favicon"):
                    await f.get(cdn.url("/favicon.ico"), favicon=True, obey_robots=False)

        asyncio.run(go())
        assert cdn.connections == 0


def test_the_evidence_search_finds_media_that_was_stored(sqlite_case: Case) -> None:
    """The search above is not blind: media written on purpose, raw or encoded, is found."""
    import datetime as dt

    from unmask.core.fetch.exchange import Exchange, FetchRequest
    from unmask.core.fetch.recorder import EvidenceRecorder

    recorder = EvidenceRecorder(sqlite_case.warc_dir, sqlite_case.store, purpose="canary")
    clip, still = by_name("mpeg-ts"), by_name("png")
    for encoded in (clip.data, gzip.compress(still.data)):
        ex = Exchange(FetchRequest("http://canary.invented.test/x"), dt.datetime(2026, 1, 1), status=200)
        ex.raw_body = encoded
        recorder.record(ex)
    recorder.close()
    assert {name for name, _ in media_in_evidence(sqlite_case.root, [clip, still])} == {"mpeg-ts", "png"}
