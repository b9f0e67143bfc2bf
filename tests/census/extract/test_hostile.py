"""Hostile input: huge, non-UTF-8, malformed and garbage bodies never raise and stay cheap."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from lxml import etree

from unmask.census.extract.adapter import load_extractor
from unmask.census.extract.base import Extractor, is_sitemap_path
from unmask.census.extract.document import Document, decode_html
from unmask.census.extract.schemaorg import (
    MAX_MICRODATA_DEPTH,
    MAX_MICRODATA_ELEMENTS,
    bounded_microdata,
    extract_schemaorg,
    structured_nodes,
)
from unmask.census.model import ItemKind, PageKind

from .demo_html import BASE, GAPPY_VIDEO_CARD, VIDEO_CARD, VIDEO_PAGE, listing

NOW = dt.datetime(2025, 1, 15, 12)
EXTRACTORS = ["demo", None]


def extractor(name: str | None) -> Extractor:
    found = load_extractor(name)
    found.start_urls(BASE)
    return found


@pytest.mark.slow
def test_ten_megabyte_listing_is_bounded() -> None:
    demo = extractor("demo")
    cards = [VIDEO_CARD.replace("123", str(n)) for n in range(15_000)]
    body = listing("Videos", cards, None, "/videos?page=2").encode()
    assert len(body) > 10_000_000
    result = demo.extract(PageKind.LISTING, f"{BASE}/videos", body, encoding=None, fetched_at=NOW)
    assert 1_000 <= len(result.items) <= 2_000  # a cap on cards read from one page
    assert result.next_page == f"{BASE}/videos?page=2"


@pytest.mark.parametrize("name", EXTRACTORS)
def test_ten_megabyte_text_node(name: str | None) -> None:
    body = b"<html><body><h1 class='title'>" + b"word " * 2_200_000 + b"</h1></body></html>"
    result = extractor(name).extract(PageKind.ITEM, f"{BASE}/video/1/x", body, encoding=None, fetched_at=NOW)
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


# ---------------------------------------------------------------------- bounded microdata


def _nested_items(levels: int) -> str:
    item = (
        '<div itemprop="about" itemscope itemtype="https://schema.org/VideoObject">'
        '<span itemprop="name">x</span>'
    )
    return "<html><body>" + item * levels + "</div>" * levels + "</body></html>"


HOSTILE_MICRODATA = {
    "400 nested items (15 s before)": _nested_items(400),
    "100k nested items (never finished)": _nested_items(100_000),
    "100k sibling items": "<html><body>"
    + '<div itemscope itemtype="https://schema.org/Thing"><span itemprop="name">x</span></div>' * 100_000
    + "</body></html>",
    "properties nested 100k deep": '<html><body><div itemscope itemtype="https://schema.org/VideoObject">'
    + '<div itemprop="name">x' * 100_000
    + "</div>" * 100_000
    + "</div></body></html>",
    "text properties of 50k elements each": '<html><body><div itemscope itemtype="https://schema.org/VideoObject">'
    + ('<div itemprop="description">' + "<b>x</b>" * 50_000 + "</div>") * 10
    + "</div></body></html>",
    "an item without properties over 200k elements": '<html><body itemscope itemtype="https://schema.org/WebPage">'
    + "<p><b>x</b></p>" * 100_000
    + "</body></html>",
    "itemref to a big subtree from many items": '<html><body><div id="big">'
    + '<p itemprop="name">x</p>' * 5_000
    + "</div>"
    + ('<div itemscope itemref="' + " ".join(["big"] * 20) + '"></div>') * 500
    + "</body></html>",
}


@pytest.mark.slow
@pytest.mark.parametrize("html", HOSTILE_MICRODATA.values(), ids=HOSTILE_MICRODATA.keys())
def test_microdata_work_is_bounded_by_depth_and_count(html: str) -> None:
    """Bounded before extruct sees the tree: each of these took seconds to forever, and Ctrl-C could not
    stop the C-level work. Here they end; how fast: bench/extract_bench.py."""
    extract_schemaorg(html, f"{BASE}/video/1/x")


def test_bounding_keeps_the_microdata_within_limits_and_restores_the_tree() -> None:
    doc = Document.parse(_nested_items(40), f"{BASE}/video/1/x")
    before = etree.tostring(doc.root)
    with bounded_microdata(doc.root) as tree:
        assert tree is doc.root
        assert tree.xpath("count(//*[@itemscope])") == MAX_MICRODATA_DEPTH  # one item per level
        assert tree.xpath("count(//*[@itemprop])") == 2 * MAX_MICRODATA_DEPTH - 1  # and the names above
    assert etree.tostring(doc.root) == before  # adapters read the same tree afterwards
    assert structured_nodes(doc)[0]["@type"] == "https://schema.org/VideoObject"


def test_many_items_keep_the_first_ones() -> None:
    card = (
        '<div itemscope itemtype="https://schema.org/VideoObject">'
        '<a itemprop="url" href="/video/{n}/x">v</a></div>'
    )
    html = "<html><body>" + "".join(card.format(n=n) for n in range(6_000)) + "</body></html>"
    records = extract_schemaorg(html, f"{BASE}/videos")
    assert len(records) == MAX_MICRODATA_ELEMENTS // 2
    assert records[0].url == f"{BASE}/video/0/x"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/sitemap.xml", True),
        ("/sitemap-videos-3.xml.gz", True),
        ("/SITEMAPS/videos.TXT", True),
        ("/index.php?/sitemap.xml", True),
        ("/sitemaps/.xml", False),
        ("/a?sitemap.xml", False),
        ("/sitemap.html", False),
        ("/video/1/sitemap-of-my-life", False),
    ],
)
def test_sitemap_paths(path: str, expected: bool) -> None:
    assert is_sitemap_path(path) is expected


@pytest.mark.slow
def test_anchor_paths_of_4kb_are_read_in_linear_time() -> None:
    """'sitemap.' repeated over 4 KB made the old sitemap-path pattern backtrack about 10 ms per anchor:
    tens of seconds per page. Here they end; how fast: bench/extract_bench.py."""
    shapes = ["/" + "sitemap." * 500, "/" + "a.xml?" * 680, "/sitemaps/" + "sitemap." * 500, "/" + "?" * 4000]
    body = (
        "<html><body>"
        + "".join(f'<a href="{shapes[i % 4]}{i}">x</a>' for i in range(5_000))
        + "</body></html>"
    )
    for name in EXTRACTORS:
        extractor(name).extract(PageKind.PAGE, f"{BASE}/", body.encode(), encoding=None, fetched_at=NOW)
