from __future__ import annotations

import pytest

from unmask.core.fetch import policy


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.example.org/t/123.jpg",
        "https://cdn.example.org/t/123.JPEG?w=300",
        "https://example.org/v/1.mp4",
        "https://example.org/hls/master.m3u8",
        "https://example.org/a/track.mp3#t=1",
        "https://example.org/p/x.webp",
        "https://example.org/dash/manifest.mpd",
    ],
)
def test_media_urls_are_refused(url: str) -> None:
    assert policy.refuse_url(url) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/video/123/title",
        "https://example.org/sitemap.xml",
        "https://example.org/a.mp4.html",
    ],
)
def test_pages_are_allowed(url: str) -> None:
    assert policy.refuse_url(url) is None


def test_favicon_is_the_one_exception() -> None:
    assert policy.refuse_url("https://example.org/favicon.ico") is None
    assert policy.refuse_url("https://example.org/static/icon.png") is not None
    assert policy.refuse_url("https://example.org/static/icon.png", favicon=True) is None


def test_non_http_schemes_are_refused() -> None:
    assert policy.refuse_url("file:///etc/passwd") is not None
    assert policy.refuse_url("ftp://example.org/x") is not None


@pytest.mark.parametrize(
    "ctype",
    [
        "image/jpeg",
        "video/mp4",
        "audio/mpeg",
        "Video/MP4; codecs=avc1",
        "application/vnd.apple.mpegurl",
        "application/dash+xml",
        "image/svg+xml",
    ],
)
def test_media_content_types_are_refused(ctype: str) -> None:
    assert policy.refuse_headers(ctype) is not None


def test_favicon_types_allowed_only_for_favicons() -> None:
    assert policy.refuse_headers("image/x-icon") is not None
    assert policy.refuse_headers("image/x-icon", favicon=True) is None
    assert policy.refuse_headers("video/mp4", favicon=True) is not None


@pytest.mark.parametrize(
    ("first", "found"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "jpeg"),
        (b"\x00\x00\x00\x18ftypisom", "mp4/mov"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
        (b"ID3\x04", "mp3"),
        (b"\x1a\x45\xdf\xa3\x01", "webm/mkv"),
        (b"<!doctype html>", None),
        (b"<?xml version", None),
    ],
)
def test_sniffing_unlabelled_bodies(first: bytes, found: str | None) -> None:
    assert policy.sniff_media(first) == found


def test_request_headers_win_but_cookies_are_joined() -> None:
    from unmask.core.fetch.transport import merge_headers

    merged = merge_headers(
        [("User-Agent", "ua"), ("Cookie", "age_ok=1"), ("Accept", "a")],
        [("Accept", "b"), ("Cookie", "session=x")],
    )
    assert ("Accept", "b") in merged and ("Accept", "a") not in merged
    assert ("Cookie", "age_ok=1; session=x") in merged
    assert [k for k, _ in merged].count("Cookie") == 1


def test_strong_signatures_only_for_bodies_labelled_as_text() -> None:
    assert policy.sniff_media(b"\xff\xd8\xff\xe0", strong_only=True) == "jpeg"
    assert policy.sniff_media(b"BMW owners club", strong_only=True) is None
    assert policy.sniff_media(b"BMW owners club") == "bmp"
