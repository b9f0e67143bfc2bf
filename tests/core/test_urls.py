from __future__ import annotations

import pytest

from unmask.core.urls import (
    MEDIA_EXTENSIONS,
    TRACKING_PARAMS,
    absolute,
    canonicalize,
    extension,
    is_http,
    is_media,
    path_and_query,
    same_site,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTP://Example.COM/Path/To?b=2&a=1#frag", "http://example.com/Path/To?a=1&b=2"),
        ("https://example.com:443/x", "https://example.com/x"),
        ("http://example.com:80/x", "http://example.com/x"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com:80/x", "https://example.com:80/x"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com/v/1?utm_source=a&utm_MEDIUM=b&page=2", "http://example.com/v/1?page=2"),
        ("http://example.com/v/1?ref=listing", "http://example.com/v/1"),
        (
            "http://example.com/v/1?fbclid=x&gclid=y&yclid=z&_ga=1&igshid=2&si=3&spm=4",
            "http://example.com/v/1",
        ),
        (
            "http://example.com/v/1?mc_cid=1&mc_eid=2&ref_src=3&from=4&source=5&Ref=6",
            "http://example.com/v/1",
        ),
        ("http://example.com/v/1?b=1&a=2&b=0", "http://example.com/v/1?a=2&b=1&b=0"),
        ("http://example.com/v/1?", "http://example.com/v/1"),
        ("http://example.com/v/1?&&page=2&", "http://example.com/v/1?page=2"),
        ("http://example.com/a/./b/../c", "http://example.com/a/c"),
        ("http://example.com/vidéo/1", "http://example.com/vid%C3%A9o/1"),
        ("http://bücher.example/x", "http://xn--bcher-kva.example/x"),
        ("http://example.com./x", "http://example.com/x"),
        ("  http://example.com/x  ", "http://example.com/x"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("not a url", "not a url"),
        ("", ""),
        ("http://example.com:99999/x", "http://example.com:99999/x"),
    ],
)
def test_canonicalize(url: str, expected: str) -> None:
    assert canonicalize(url) == expected


def test_canonicalize_is_idempotent() -> None:
    for url in ["HTTP://A.example/B?z=1&utm_x=2#f", "http://a.example/vidéo?q=é", "http://a.example"]:
        once = canonicalize(url)
        assert canonicalize(once) == once


def test_tracking_params_are_a_table() -> None:
    assert {"ref", "fbclid", "gclid", "si", "spm", "from", "source"} <= TRACKING_PARAMS


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("http://example.com/a", "http://example.com/", True),
        ("https://example.com/a", "http://example.com/", True),
        ("http://www.example.com/a", "http://example.com/", True),
        ("http://example.com/a", "http://www.example.com/", True),
        ("http://cdn.example.com/a", "http://example.com/", True),
        ("http://example.com.evil.test/a", "http://example.com/", False),
        ("http://notexample.com/a", "http://example.com/", False),
        ("http://example.com/a", "http://sub.example.com/", False),
        ("http://127.0.0.1:9000/a", "http://127.0.0.1:8000/", True),
        ("garbage", "http://example.com/", False),
        ("http://example.com/", "", False),
    ],
)
def test_same_site(url: str, base: str, expected: bool) -> None:
    assert same_site(url, base) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.example/x", True),
        ("https://a.example", True),
        ("ftp://a.example/x", False),
        ("javascript:alert(1)", False),
        ("mailto:a@b.example", False),
        ("/relative", False),
        ("http://", False),
        ("", False),
        ("http://a.example/" + "x" * 10_000, False),
    ],
)
def test_is_http(url: str, expected: bool) -> None:
    assert is_http(url) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.example/media/thumbs/v1.jpg", True),
        ("http://a.example/media/thumbs/v1.JPEG?x=1", True),
        ("http://a.example/m/1.mp4", True),
        ("http://a.example/m/1.webm", True),
        ("http://a.example/m/index.m3u8", True),
        ("http://a.example/m/manifest.mpd", True),
        ("http://a.example/m/seg-1.ts", True),
        ("http://a.example/a/1.mp3", True),
        ("http://a.example/f.ico", True),
        ("http://a.example/video/1/slug", False),
        ("http://a.example/page.html", False),
        ("http://a.example/sitemap.xml", False),
        ("http://a.example/stream/123", False),
        ("http://a.example/x?file=a.jpg", False),
    ],
)
def test_is_media(url: str, expected: bool) -> None:
    assert is_media(url) is expected


def test_media_table_and_helpers() -> None:
    assert {"jpg", "png", "mp4", "webm", "mp3", "m3u8", "mpd"} <= MEDIA_EXTENSIONS
    assert extension("http://a.example/x/y.tar.GZ") == "gz"
    assert extension("http://a.example/x/") == ""
    assert path_and_query("http://a.example/v?page=2") == "/v?page=2"
    assert path_and_query("http://a.example") == "/"
    assert absolute("/v/1?ref=x#top", "http://a.example/list") == "http://a.example/v/1"
    assert absolute("javascript:void(0)", "http://a.example/") is None
    assert absolute("", "http://a.example/") is None
