"""Adapter files: a valid one loads and works; each kind of mistake is one clear ConfigError line."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest

from unmask.census.extract.adapter import (
    ADAPTERS_DIR,
    SiteAdapter,
    bundled_adapters,
    load_adapter,
    load_extractor,
)
from unmask.census.extract.generic import GenericExtractor
from unmask.census.model import ItemKind, PageKind, PersonRef
from unmask.core.errors import ConfigError

BASE = "http://site.example"

VALID = """\
name: mini
description: A small test platform.
start: [/latest]
locale: de
items:
  video: '^/v/(?P<id>[a-z0-9]+)$'
  gallery: '^/g/(?P<id>\\d+)'
wanted:
  video: [title, views]
records:
  tile:
    url: {xpath: './/a[@class="go"]/@href'}
    fields:
      title: {css: '.t', re: 'Title: (.+)'}
      views:
        - {css: '.v', attr: data-n, parse: int}
        - {css: '.v', locale: de}
      upload_date: {css: '.d', parse: date, dayfirst: true}
      tags: {css: '.tag', many: true}
      photo_count: {css: '.n', kinds: [gallery]}
    persons:
      each: {xpath: './/span[@class="p"]'}
      name: {css: 'b'}
      url: {css: 'a', attr: href}
      public_figure: {xpath: 'self::*', attr: data-kind, re: '^star$'}
pages:
  - type: listing
    url: '^/latest'
    sorted: newest
    cards: 'li.tile'
    record: tile
  - type: item
    url: '^/v/'
    record:
      fields:
        title: h1
    gone: {css: '.removed-notice'}
  - type: page
    url: '^/$'
"""

LISTING = """<html><body><ul>
<li class="tile"><a class="go" href="/v/ab1">go</a><p class="t">Title: Erster</p>
  <span class="v">1.234.567 Aufrufe</span><span class="d">04.03.2021</span>
  <a class="tag">x</a><a class="tag">y</a><a class="tag">x</a>
  <span class="p" data-kind="star"><b>Ann</b><a href="/m/ann">profile</a></span>
  <span class="p" data-kind="other"><b>Bea</b></span>
  <span class="p"><b>Cy</b></span></li>
<li class="tile"><a class="go" href="/g/7">go</a><p class="t">Title: Zweiter</p>
  <span class="v" data-n="#42">?</span><span class="n">3 Bilder</span></li>
<li class="tile"><a class="go" href="/nowhere">x</a></li>
<li class="tile"><p class="t">no link</p></li>
</ul></body></html>"""


def write(tmp_path: Path, text: str, name: str = "adapter.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_valid_adapter_loads_and_reads(tmp_path: Path) -> None:
    adapter = load_extractor(str(write(tmp_path, VALID)))
    assert isinstance(adapter, SiteAdapter) and adapter.name == "mini"
    adapter.start_urls(BASE)
    assert adapter.classify(f"{BASE}/latest?p=2") == (PageKind.LISTING, None)
    assert adapter.classify(f"{BASE}/v/ab1") == (PageKind.ITEM, ItemKind.VIDEO)
    assert adapter.classify(f"{BASE}/g/7") == (PageKind.ITEM, ItemKind.GALLERY)
    assert adapter.classify(f"{BASE}/") == (PageKind.PAGE, None)
    assert adapter.wanted(ItemKind.VIDEO) == {"title", "views"}
    assert adapter.wanted(ItemKind.PHOTO) == frozenset()
    assert adapter.sorted_newest(f"{BASE}/latest")
    result = adapter.extract(
        PageKind.LISTING,
        f"{BASE}/latest",
        LISTING.encode(),
        encoding=None,
        fetched_at=dt.datetime(2025, 1, 1),
    )
    video, gallery = result.items
    assert (video.platform_id, video.title, video.views) == ("ab1", "Erster", 1_234_567)
    assert video.upload_date == dt.date(2021, 3, 4)
    assert video.tags == ["x", "y"]
    assert video.photo_count is None
    assert video.persons == [
        PersonRef("Ann", f"{BASE}/m/ann", public_figure=True),
        PersonRef("Bea", None, public_figure=False),
        PersonRef("Cy", None, public_figure=None),
    ]
    assert (gallery.kind, gallery.platform_id, gallery.views, gallery.photo_count) == (
        ItemKind.GALLERY,
        "7",
        42,
        3,
    )
    assert result.next_page is None


def test_gone_marker(tmp_path: Path) -> None:
    adapter = load_adapter(write(tmp_path, VALID))
    removed = b"<html><body><h1>Gone</h1><p class='removed-notice'>This video was removed.</p></body></html>"
    result = adapter.extract(
        PageKind.ITEM, f"{BASE}/v/ab1", removed, encoding=None, fetched_at=dt.datetime.now()
    )
    assert result.gone and result.items == []
    present = b"<html><body><h1>Here</h1></body></html>"
    result = adapter.extract(
        PageKind.ITEM, f"{BASE}/v/ab1", present, encoding=None, fetched_at=dt.datetime.now()
    )
    assert not result.gone and result.items[0].title == "Here" and result.items[0].from_item_page


def test_page_without_rule_falls_back_to_schema_org(tmp_path: Path) -> None:
    adapter = load_adapter(write(tmp_path, VALID))
    body = b"""<script type="application/ld+json">{"@type": "ImageGallery", "name": "G",
               "associatedMedia": [{"@type": "ImageObject"}, {"@type": "ImageObject"}]}</script>"""
    result = adapter.extract(PageKind.ITEM, f"{BASE}/g/9", body, encoding=None, fetched_at=dt.datetime.now())
    (record,) = result.items
    assert (record.kind, record.platform_id, record.photo_count, record.from_item_page) == (
        ItemKind.GALLERY, "9", 2, True,
    )  # fmt: skip


def test_load_extractor_variants() -> None:
    assert isinstance(load_extractor(None), GenericExtractor)
    assert isinstance(load_extractor("generic"), GenericExtractor)
    assert isinstance(load_extractor("demo"), SiteAdapter)
    assert "demo" in bundled_adapters()
    assert isinstance(load_extractor(str(ADAPTERS_DIR / "demo.yaml")), SiteAdapter)


def bad(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_adapter(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def replace(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(
    ("text", "needle", "expected"),
    [
        (replace("locale: de\n", "locale: de\nbase: /x\n"), "base:", r"unknown key 'base'"),
        (
            replace("sorted: newest", "sorted: newest\n    limit: 3"),
            "limit:",
            r"pages\[0\]: unknown key .limit.",
        ),
        (replace("re: 'Title: (.+)'", "re: 'Title: (.+', regex: x"), "regex:", r"unknown key 'regex'"),
        (replace("'^/latest'", "'^/latest('"), "^/latest(", r"pages\[0\]\.url: bad regular expression"),
        (replace("(?P<id>\\d+)", "(\\d+)"), "gallery: '", r"items\.gallery: .*named group \(\?P<id>"),
        (replace("cards: 'li.tile'", "cards: 'li[tile'"), "cards:", r"pages\[0\]\.cards: bad CSS selector"),
        (replace("'.//span[@class=\"p\"]'", "'.//span[@'"), "each:", r"persons\.each\.xpath: bad XPath"),
        (replace("'self::*'", "'unknown-fn(.)'"), "public_figure", r"public_figure\.xpath: bad XPath"),
        (replace("css: '.d', parse: date", "css: '.d', parse: when"), "parse: when", r"'when' is not one of"),
        (
            replace("{css: '.v', locale: de}", "{css: '.v', parse: date}"),
            "parse: date}",
            r"'date' is not one of",
        ),
        (
            replace("photo_count: {css: '.n'", "photo_count: {css: '.n', many: true"),
            "many: true",
            "only list",
        ),
        (replace("title: h1", "headline: h1"), "headline", r"fields: unknown key 'headline'"),
        (replace("video: [title, views]", "video: [title, likes]"), "likes", r"wanted\.video\[1\]: 'likes'"),
        (replace("video: '^/v/", "clip: '^/v/"), "clip:", r"items: unknown key 'clip'"),
        (replace("record: tile", "record: tiles"), "record: tiles", r"no record named 'tiles'"),
        (replace("    gone: {css: '.removed-notice'}", "    next: a"), "next: a", r"unknown key 'next'"),
        (replace("    cards: 'li.tile'\n", ""), "type: listing", r"missing required key 'cards'"),
        (replace("type: page", "type: home"), "type: home", r"'home' is not one of"),
        (
            replace("    url: {xpath: './/a[@class=\"go\"]/@href'}\n", ""),
            "record: tile",
            "needs a 'url' rule",
        ),
        (replace("start: [/latest]", "start: [latest]"), "start:", r"start\[0\]: 'latest' is neither"),
        (replace("name: mini", "name: Mini Site"), "name:", r"name: 'Mini Site'"),
        (replace("locale: de", "locale: 3"), "locale:", r"locale: expected a non-empty string"),
        (replace("dayfirst: true", "dayfirst: sometimes"), "dayfirst:", r"dayfirst: expected true or false"),
        (replace("title: {css: '.t', re: 'Title: (.+)'}", "title: {re: x}"), "title: {re", "exactly one of"),
        (replace("title: h1", "title: {css: h1, xpath: //h1}"), "xpath: //h1", "exactly one of"),
        (replace("kinds: [gallery]", "kinds: [album]"), "kinds:", r"'album' is not one of"),
        (replace("locale: de", "locale: de\nlocale: fr"), "locale: fr", "duplicate key 'locale'"),
        (replace("start: [/latest]", "start: [/latest"), "items:", "not valid YAML"),
    ],
)
def test_mistakes(tmp_path: Path, text: str, needle: str, expected: str) -> None:
    message = bad(tmp_path, text)
    assert re.search(expected, message), message
    line = int(message.split(":", 2)[1])
    assert abs(line - line_of(text, needle)) <= 1, message


def test_missing_required_top_level_key(tmp_path: Path) -> None:
    message = bad(tmp_path, VALID.split("pages:")[0])
    assert "missing required key 'pages'" in message


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    assert "expected a mapping, got a list" in bad(tmp_path, "- a\n- b\n")


def test_empty_file(tmp_path: Path) -> None:
    assert "expected a mapping, got nothing" in bad(tmp_path, "")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read adapter file"):
        load_adapter(tmp_path / "absent.yaml")


def test_unknown_bundled_name() -> None:
    with pytest.raises(ConfigError, match=r"no bundled adapter named 'nope'.*demo"):
        load_extractor("nope")


def test_yaml_tags_are_refused(tmp_path: Path) -> None:
    assert "not valid YAML" in bad(tmp_path, "name: !!python/object/apply:os.system ['true']\n")


def test_base_url_binds_the_site_without_start_urls() -> None:
    for name in ("demo", None):
        extractor = load_extractor(name, base_url=f"{BASE}/some/page")
        assert extractor.classify("http://elsewhere.example/video/1/x") is None
        assert extractor.classify(f"{BASE}/video/1/x") == (PageKind.ITEM, ItemKind.VIDEO)
