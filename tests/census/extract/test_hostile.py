"""Hostile input: huge, non-UTF-8, malformed and garbage bodies never raise and stay cheap."""

from __future__ import annotations

import datetime as dt
import random
import time

import pytest

from unmask.census.extract.adapter import load_extractor
from unmask.census.extract.base import Extractor
from unmask.census.extract.document import decode_html
from unmask.census.model import ItemKind, PageKind

from .demo_html import BASE, GAPPY_VIDEO_CARD, VIDEO_CARD, VIDEO_PAGE, listing

NOW = dt.datetime(2025, 1, 15, 12)
EXTRACTORS = ["demo", None]


def extractor(name: str | None) -> Extractor:
    found = load_extractor(name)
    found.start_urls(BASE)
    return found


def test_ten_megabyte_listing_is_bounded() -> None:
    demo = extractor("demo")
    cards = [VIDEO_CARD.replace("123", str(n)) for n in range(15_000)]
    body = listing("Videos", cards, None, "/videos?page=2").encode()
    assert len(body) > 10_000_000
    started = time.perf_counter()
    result = demo.extract(PageKind.LISTING, f"{BASE}/videos", body, encoding=None, fetched_at=NOW)
    elapsed = time.perf_counter() - started
    assert 1_000 <= len(result.items) <= 2_000  # a cap on cards read from one page
    assert result.next_page == f"{BASE}/videos?page=2"
    assert elapsed < 8, elapsed


@pytest.mark.parametrize("name", EXTRACTORS)
def test_ten_megabyte_text_node(name: str | None) -> None:
    body = b"<html><body><h1 class='title'>" + b"word " * 2_200_000 + b"</h1></body></html>"
    started = time.perf_counter()
    result = extractor(name).extract(PageKind.ITEM, f"{BASE}/video/1/x", body, encoding=None, fetched_at=NOW)
    assert time.perf_counter() - started < 5
    for record in result.items:
        assert record.title is None or len(record.title) <= 10_000


@pytest.mark.parametrize(
    ("codec", "declared", "meta"),
    [
        ("windows-1251", "windows-1251", False),
        ("windows-1251", None, True),
        ("shift_jis", None, True),
        ("shift_jis", "Shift_JIS", False),
        ("euc-kr", None, True),
        ("iso-8859-1", "latin-1", False),
    ],
)
def test_non_utf8_pages(codec: str, declared: str | None, meta: bool) -> None:
    titles = {"windows-1251": "Заголовок видео", "shift_jis": "動画のタイトル", "euc-kr": "비디오 제목"}
    title = titles.get(codec, "Vidéo très jolie")
    html = VIDEO_PAGE.replace("Title words", title).replace('<meta charset="utf-8">', "")
    if meta:
        html = html.replace("<head>", f'<head><meta charset="{codec}">')
    result = extractor("demo").extract(
        PageKind.ITEM,
        f"{BASE}/video/123/x",
        html.encode(codec, "xmlcharrefreplace"),
        encoding=declared,
        fetched_at=NOW,
    )
    assert result.items[0].title == title


def test_undeclared_non_utf8_decodes_with_replacement() -> None:
    text = decode_html("<p>Заголовок</p>".encode("windows-1251"))
    assert "\ufffd" in text and "<p>" in text


def test_bogus_declared_encoding_is_ignored() -> None:
    assert decode_html("<p>é</p>".encode(), "no-such-codec") == "<p>é</p>"
    assert decode_html("<p>é</p>".encode(), "rot13").startswith("<p>")


@pytest.mark.parametrize(
    "html",
    [
        listing("V", [VIDEO_CARD[: len(VIDEO_CARD) // 2]], None, None),
        listing("V", [VIDEO_CARD, GAPPY_VIDEO_CARD], None, None)[:-400],
        VIDEO_CARD.replace("</a>", "").replace("</span>", "<span>") * 3,
        "<article class='card'><h3 class='card-title'><a href='/video/1/x'>x</h3></article>" * 50,
        "<html><body><article class=card><a class=thumb href='/video/7/x'>" + "<div>" * 50_000,
        "<<<>>><article class='card'>\x00\x01<a class='thumb' href='//video/8'>",
        "<a class='thumb' href='/video/9/\ud800'>",
    ],
)
@pytest.mark.parametrize("name", EXTRACTORS)
def test_malformed_html(html: str, name: str | None) -> None:
    ex = extractor(name)
    for kind in PageKind:
        result = ex.extract(
            kind, f"{BASE}/videos", html.encode("utf-8", "surrogatepass"), encoding=None, fetched_at=NOW
        )
        for record in result.items:
            assert record.platform_id and record.url.startswith(BASE)


def test_truncated_card_keeps_what_is_there() -> None:
    html = listing("V", [VIDEO_CARD, GAPPY_VIDEO_CARD[:300]], None, None)
    items = (
        extractor("demo")
        .extract(PageKind.LISTING, f"{BASE}/videos", html.encode(), encoding=None, fetched_at=NOW)
        .items
    )
    assert [r.platform_id for r in items][:1] == ["123"]
    assert items[0].kind is ItemKind.VIDEO


@pytest.mark.parametrize("name", EXTRACTORS)
@pytest.mark.parametrize("seed", range(3))
def test_garbage_bytes(name: str | None, seed: int) -> None:
    rng = random.Random(seed)
    bodies = [
        rng.randbytes(200_000),
        b"",
        b"\x00" * 1000,
        b"\xff\xfe" + rng.randbytes(1000),
        b"\x1f\x8b" + rng.randbytes(500),
    ]
    ex = extractor(name)
    for body in bodies:
        for kind in PageKind:
            for encoding in (None, "utf-8", "utf-16", "shift_jis", "bogus"):
                result = ex.extract(kind, f"{BASE}/videos", body, encoding=encoding, fetched_at=NOW)
                assert result.items == [] or all(r.platform_id for r in result.items)


def test_hostile_urls_are_total() -> None:
    ex = extractor("demo")
    for url in [
        "",
        "http://",
        "http://[::1",
        "http://a:b:c/",
        "://x",
        "http://" + "a" * 100_000,
        "\x00",
        "http://x/%zz",
    ]:
        assert ex.classify(url) is None or url.startswith("http://x")
        ex.identify(url)
        ex.sorted_newest(url)
