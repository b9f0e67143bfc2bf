"""Peers' sitemap and robots.txt fixtures against unmask's reader: Scrapy's tests, ultimate-sitemap-parser's
test suite (as recorded sites), advertools' and go-sitemap-parser's fixture files (tests/fixtures/peers/).

Every case states what unmask reads; where it deliberately differs from the peer, the case says why.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from unmask.census.extract.generic import GenericExtractor
from unmask.census.extract.sitemap import parse_sitemap, robots_sitemaps
from unmask.census.model import ItemKind, Link, PageKind
from unmask.core.urls import absolute, canonicalize, origin

PEERS = Path(__file__).resolve().parents[2] / "fixtures" / "peers"
NOW = dt.datetime(2026, 11, 1, 12)


# ------------------------------------------------------------------------------------------ Scrapy

SCRAPY_CASES = yaml.safe_load((PEERS / "scrapy" / "sitemap_cases.yaml").read_text(encoding="utf-8"))


def _scrapy_body(case: dict[str, Any]) -> bytes:
    if "body_base64" in case:
        return base64.b64decode(case["body_base64"])
    return str(case["body"]).encode("utf-8")


def _expected_urls(case: dict[str, Any]) -> list[str]:
    """Scrapy's expectation as URLs: Sitemap's entries (their ``loc``) or the requests its spider makes."""
    return [canonicalize(e["loc"] if isinstance(e, dict) else e) for e in case["scrapy_expected"] or []]


@pytest.mark.parametrize("case", SCRAPY_CASES, ids=[c["test"] for c in SCRAPY_CASES])
def test_scrapy_cases(case: dict[str, Any]) -> None:
    body, url = _scrapy_body(case), case["url"]
    if case["kind"] == "robots":
        ex = GenericExtractor(url)
        links = ex.extract(
            PageKind.ROBOTS, f"{origin(url)}/robots.txt", body, encoding=None, fetched_at=NOW
        ).links
        # the same URLs, in order; a line with invalid UTF-8 is skipped as Scrapy skips it
        assert [link.url for link in links] == _expected_urls(case)
        assert all(link.kind is PageKind.SITEMAP for link in links)
        return
    doc = parse_sitemap(body, url)
    if case["scrapy_type"]:
        assert doc.kind == {"urlset": "urlset", "sitemapindex": "index"}[case["scrapy_type"]]
    # unmask reads the locations only: lastmod as a date, no priority or changefreq (no figure uses them),
    # and no xhtml:link alternates (translations of the same page: following them would count an item
    # once per language)
    assert [canonicalize(e.loc) for e in doc.entries] + doc.sitemaps == _expected_urls(case)
    if not case["scrapy_expected"]:
        assert doc.kind == "invalid" or not doc.entries  # not a sitemap, or nothing in it


def test_scrapy_gzip_bomb_is_cut_and_not_a_sitemap() -> None:
    """Scrapy's 28 KB gzip that inflates to 11.5 MB of zeros: unmask reads it within its 64 MB bound and
    finds no sitemap in it (Scrapy refuses it above DOWNLOAD_MAXSIZE)."""
    doc = parse_sitemap(
        (PEERS / "scrapy" / "compressed" / "bomb-gzip.bin").read_bytes(), "https://example.com/s.xml.gz"
    )
    assert doc.kind == "invalid" and doc.entries == [] and doc.error


# -------------------------------------------------------------------------- ultimate-sitemap-parser

USP_SITES = json.loads((PEERS / "ultimate-sitemap-parser" / "sites.json").read_text(encoding="utf-8"))
USP_HOME = "http://test_ultimate-sitemap-parser.com/"


@dataclass
class RecordedSite:
    """A site as a peer's test mocked it: URL -> status, headers, body; everything else answers 404."""

    routes: list[dict[str, Any]]
    by_url: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_url = {canonicalize(r["url"]): r for r in self.routes}

    def fetch(self, url: str) -> tuple[str, int, bytes]:
        """(final URL, status, body), following same-site redirects as the fetch layer does."""
        for _ in range(5):
            route = self.by_url.get(canonicalize(url))
            if route is None:
                return url, 404, b""
            status = int(route.get("status", 200))
            headers = {k.lower(): v for k, v in (route.get("headers") or {}).items()}
            if 300 <= status < 400 and headers.get("location"):
                url = absolute(headers["location"], url) or url
                continue
            return url, status, _route_body(route)
        return url, 310, b""


def _route_body(route: dict[str, Any]) -> bytes:
    for key in ("content", "text"):
        value = route.get(key)
        if isinstance(value, dict):
            return base64.b64decode(value["base64"])
        if isinstance(value, str):
            return value.encode("utf-8")
    return b""


Found = dict[str, tuple[str, list[str]]]


def discover(site: RecordedSite, home: str) -> Found:
    """What a census run reads of a site's sitemaps: robots.txt's sitemaps (or /sitemap.xml when it names
    none), every index's children once (the frontier holds a URL once: cycles end), each sitemap's pages.
    Kind per sitemap: index, urlset, invalid, or the HTTP status that answered."""
    ex = GenericExtractor(home)
    ex.start_urls(home)
    robots = f"{origin(home)}/robots.txt"
    _, status, body = site.fetch(robots)
    queue = (
        [link.url for link in ex.extract(PageKind.ROBOTS, robots, body, encoding=None, fetched_at=NOW).links]
        if status == 200
        else []
    )
    found: Found = {}
    while queue and len(found) < 100:
        url = queue.pop(0)
        if url in found:
            continue
        final, status, body = site.fetch(url)
        if status != 200:
            found[url] = (f"HTTP {status}", [])
            continue
        doc = parse_sitemap(body, final)
        links = ex.extract(PageKind.SITEMAP, final, body, encoding=None, fetched_at=NOW).links
        if doc.kind == "index":
            children = [link.url for link in links if link.kind is PageKind.SITEMAP]
            found[url] = ("index", children)
            queue.extend(children)
        else:
            found[url] = (doc.kind, [canonicalize(e.loc) for e in doc.entries])
    return found


def usp_tree(node: dict[str, Any], out: Found | None = None) -> Found:
    """USP's expected tree in the same terms (robots.txt and the website root are not sitemaps)."""
    out = {} if out is None else out
    kind, url = node["type"], canonicalize(node.get("url") or node["args"][0])
    subs = node.get("sub_sitemaps") or []
    if kind == "IndexXMLSitemap":
        out[url] = ("index", [canonicalize(s.get("url") or s["args"][0]) for s in subs])
    elif kind.startswith("Pages"):
        out[url] = ("urlset", [canonicalize(p.get("url") or p["args"][0]) for p in node.get("pages") or []])
    elif kind == "InvalidSitemap":
        out[url] = ("invalid", [])
    for sub in subs:
        usp_tree(sub, out)
    return out


def _path(url: str) -> str:
    return url.removeprefix(USP_HOME.rstrip("/"))


UNPUBLISHED = (
    "USP also probes ~15 well-known paths robots.txt does not name; unmask reads what the site publishes"
)
USP_EXPECTED: dict[str, dict[str, tuple[str, int]]] = {
    # sitemap path -> (kind, pages or children) for the tests whose USP expectation is not a whole tree
    "TestTreeBasic.test_sitemap_tree_for_homepage_gzip": {
        # gzipped by content, by name only, or not at all: each gives its page (as in USP)
        "/sitemap_1.gz": ("urlset", 1), "/sitemap_2.dat": ("urlset", 1),
        "/sitemap_3.xml.gz": ("urlset", 1), "/sitemap_4.xml": ("urlset", 1),
    },
    "TestTreeBasic.test_sitemap_tree_for_homepage_huge_sitemap": {"/sitemap.xml.gz": ("urlset", 1000)},
    "TestTreeXML.test_sitemap_tree_for_homepage_prematurely_ending_xml": {"/sitemap.xml": ("urlset", 2)},
    "TestXMLHrefLang.test_hreflang": {"/sitemap.xml": ("urlset", 2)},
    "TestXMLHrefLang.test_missing_attrs": {"/sitemap.xml": ("urlset", 4)},
    "TestTreeRobots.test_sitemap_tree_for_homepage_robots_txt_weird_spacing": {"/sitemap.xml": ("urlset", 1)},
    "TestTreePlainText.test_sitemap_tree_for_homepage_plain_text": {
        "/sitemap_1.txt": ("urlset", 2), "/sitemap_2.txt.dat": ("urlset", 2),
    },
    # an index naming robots.txt as a sitemap: not followed (it is read once, as robots.txt)
    "TestTreeEdgeCases.test_max_recursion_level_sitemap_with_robots": {"/sitemap.xml": ("index", 0)},
    # an index naming itself: read once (USP reads it again until its recursion limit)
    "TestTreeEdgeCases.test_max_recursion_level_xml": {"/sitemap.xml": ("index", 1)},
    "TestTreeEdgeCases.test_sitemap_tree_for_homepage_utf8_bom": {"/sitemap.xml": ("urlset", 1)},
    # truncated: every complete entry before the damage, as USP (49 and 50)
    "TestTreeEdgeCases.test_truncated_sitemap_mid_url": {"/sitemap.xml": ("urlset", 49)},
    "TestTreeEdgeCases.test_truncated_sitemap_missing_close_urlset": {"/sitemap.xml": ("urlset", 50)},
    # redirects and cycles end because the frontier holds each URL once (USP marks them invalid)
    "TestTreeAntiRecursion.test_301_redirect_to_root": {
        "/sitemap.xml": ("index", 1), "/sitemap_redir.xml": ("index", 1),
    },
    "TestTreeAntiRecursion.test_cyclic_sitemap": {
        "/sitemap_1.xml": ("index", 1), "/sitemap_2.xml": ("index", 1), "/sitemap_3.xml": ("index", 1),
    },
    "TestTreeAntiRecursion.test_known_path_redirects": {"/sitemap.xml": ("urlset", 1)},
    "TestTreeAntiRecursion.test_self_pointing_index": {"/sitemap.xml": ("index", 1)},
    # the billion-laughs DOCTYPE is never expanded (no entities, no DTD); USP refuses the whole file,
    # unmask reads the entry with the entity reference left out
    "TestTreeSecurity.test_billion_laughs_attack": {"/sitemap.xml": ("urlset", 1)},
    # no robots.txt: nothing read (USP probes its well-known paths, which all answer 404 here)
    "TestTreeRobots.test_sitemap_tree_for_homepage_no_robots_txt": {},
}  # fmt: skip
PROBED = (
    "with no sitemap in robots.txt unmask tries /sitemap.xml; a 404 there is an answer "
    "(USP leaves its 404 probes out of its tree)"
)
USP_DIFFERENCES: dict[str, tuple[set[str], set[str], str]] = {
    # test -> (sitemaps USP reads that unmask does not, sitemaps unmask reads that USP leaves out, why)
    "TestTreeXML.test_sitemap_tree_for_homepage_unpublished_sitemap": (
        {"/sitemap_index.xml"},
        set(),
        UNPUBLISHED,
    ),
    "TestTreeXML.test_sitemap_tree_for_homepage_no_sitemap": (set(), {"/sitemap.xml"}, PROBED),
    "TestTreeRobots.test_sitemap_tree_for_homepage_robots_txt_no_content_type": (
        set(),
        {"/sitemap.xml"},
        PROBED,
    ),
}


@pytest.mark.parametrize("site", USP_SITES, ids=[s["test"].split("::")[1] for s in USP_SITES])
def test_ultimate_sitemap_parser_sites(site: dict[str, Any]) -> None:
    name = site["test"].split("::")[1]
    found = {
        _path(url): ("invalid" if kind.startswith("HTTP 4") else kind, [_path(u) for u in pages])
        for url, (kind, pages) in discover(RecordedSite(site["routes"]), USP_HOME).items()
    }
    if site["usp_expected"] is None:
        assert {path: (kind, len(pages)) for path, (kind, pages) in found.items()} == USP_EXPECTED[name]
        return
    expected = {
        _path(url): (kind, [_path(u) for u in pages])
        for url, (kind, pages) in usp_tree(site["usp_expected"]).items()
    }
    only_usp, only_unmask, why = USP_DIFFERENCES.get(name, (set(), set(), ""))
    for path in only_usp:
        assert path not in found, why
        del expected[path]
    for path in only_unmask:
        assert found.pop(path) == ("invalid", []), why
    assert found == expected


def test_every_usp_site_has_an_expectation() -> None:
    for site in USP_SITES:
        name = site["test"].split("::")[1]
        assert site["usp_expected"] is not None or name in USP_EXPECTED, name


# ------------------------------------------------------------------------------------- advertools

ADVERTOOLS = PEERS / "advertools" / "sitemap_testing"


@pytest.mark.parametrize(
    ("name", "kind", "entries", "children", "error"),
    [
        ("regular_sitemap.xml", "urlset", 5, 0, False),
        ("regular_sitemap.xml.gz", "urlset", 5, 0, False),  # named .gz, plain XML inside: read as XML
        ("zipped_sitemap.xml.gz", "urlset", 5, 0, False),
        ("sitemap_index.xml", "index", 0, 4, False),
        ("image_sitemap.xml", "urlset", 2, 0, False),
        ("video_sitemap.xml", "urlset", 6, 0, False),
        ("news_sitemap.xml", "urlset", 6, 0, False),
        ("error_sitemap.xml", "urlset", 0, 0, True),  # advertools raises; unmask records the error
    ],
)
def test_advertools_sitemaps(name: str, kind: str, entries: int, children: int, error: bool) -> None:
    doc = parse_sitemap((ADVERTOOLS / name).read_bytes(), f"https://advertools.readthedocs.io/{name}")
    assert (doc.kind, len(doc.entries), len(doc.sitemaps), doc.error is not None) == (
        kind,
        entries,
        children,
        error,
    )


def test_advertools_index_names_itself_and_other_sites() -> None:
    """advertools warns that the index links to itself; unmask reads it once, and only same-site children
    are followed."""
    body = (ADVERTOOLS / "sitemap_index.xml").read_bytes()
    url = "https://advertools.readthedocs.io/sitemap.xml"
    doc = parse_sitemap(body, url)
    assert url in doc.sitemaps
    links = GenericExtractor(url).extract(PageKind.SITEMAP, url, body, encoding=None, fetched_at=NOW).links
    assert all(link.url.startswith("https://advertools.readthedocs.io/") for link in links)


def test_advertools_robots() -> None:
    text = (ADVERTOOLS / "robots.txt").read_text(encoding="utf-8")
    assert robots_sitemaps(text, "https://advertools.readthedocs.io/robots.txt") == [
        "https://advertools.readthedocs.io/sitemap.xml"
    ]


def test_advertools_video_and_image_sitemaps_as_items() -> None:
    """Six news videos with one <video:video> each: six video items. Two pages with pictures: no photos,
    but pages to read to learn what they are."""
    wapo = "https://www.washingtonpost.com"
    body = (ADVERTOOLS / "video_sitemap.xml").read_bytes()
    result = GenericExtractor(wapo).extract(
        PageKind.SITEMAP, f"{wapo}/sitemap.xml", body, encoding=None, fetched_at=NOW
    )
    assert [r.kind for r in result.items] == [ItemKind.VIDEO] * 6
    assert all(r.title and r.duration for r in result.items)
    body = (ADVERTOOLS / "image_sitemap.xml").read_bytes()
    result = GenericExtractor("http://example.com").extract(
        PageKind.SITEMAP, "http://example.com/sitemap.xml", body, encoding=None, fetched_at=NOW
    )
    assert result.items == []
    assert result.links == [
        Link("http://example.com/sample.html", PageKind.ITEM),
        Link("http://example.com/sample_2.html", PageKind.ITEM),
    ]


# ------------------------------------------------------------------------------ go-sitemap-parser

GO = PEERS / "go-sitemap-parser" / "test"
GO_SITE = "http://site.test"


def _go_body(name: str) -> bytes:
    """The fixture as the Go tests serve it: ``HOST`` replaced by the test server's host, inside gzip too."""
    raw = (GO / name).read_bytes()
    if raw.startswith(b"\x1f\x8b"):
        try:
            return gzip.compress(gzip.decompress(raw).replace(b"HOST", b"site.test"))
        except (OSError, EOFError, zlib.error):
            return raw  # corrupted on purpose
    return raw.replace(b"HOST", b"site.test")


GO_SITEMAPS = [
    ("sitemap-01.xml", "urlset", 1, 0), ("sitemap-01.xml.gz", "urlset", 1, 0),
    ("sitemap-02.xml", "urlset", 2, 0), ("sitemap-02.xml.gz", "urlset", 2, 0),
    ("sitemap-03.xml", "urlset", 3, 0), ("sitemap-03.xml.gz", "urlset", 3, 0),
    ("sitemap-04.xml", "urlset", 1, 0), ("sitemap-04.xml.gz", "urlset", 1, 0),
    ("sitemap-05.xml", "urlset", 2, 0), ("sitemap-05.xml.gz", "urlset", 2, 0),
    ("sitemap-06.xml", "urlset", 3, 0), ("sitemap-06.xml.gz", "urlset", 3, 0),
    ("sitemap-follow-alpha-01.xml", "urlset", 1, 0), ("sitemap-follow-alpha-02.xml", "urlset", 2, 0),
    ("sitemap-follow-beta-01.xml", "urlset", 1, 0),
    ("sitemap-image-01.xml", "urlset", 2, 0), ("sitemap-news-01.xml", "urlset", 2, 0),
    ("sitemap-video-01.xml", "urlset", 2, 0),
    ("sitemapindex-1.xml", "index", 0, 3), ("sitemapindex-1.xml.gz", "index", 0, 3),
    ("sitemapindex-2.xml", "index", 0, 3), ("sitemapindex-2.xml.gz", "index", 0, 3),
    ("sitemapindex-follow-1.xml", "index", 0, 3),
    ("sitemapindex-with-invalid-sitemap.xml", "index", 0, 1),
    ("sitemapindex-with-invalid-sitemap.xml.gz", "index", 0, 1),
    # empty, corrupted or not a sitemap at all: invalid, with the reason recorded
    ("sitemap-empty.xml", "invalid", 0, 0), ("sitemap-empty.xml.gz", "invalid", 0, 0),
    ("sitemapindex-empty.xml", "invalid", 0, 0), ("sitemapindex-empty.xml.gz", "invalid", 0, 0),
    ("sitemapindex-empty-corrupted.xml.gz", "invalid", 0, 0), ("corrupted.gz", "invalid", 0, 0),
    ("test.gz", "invalid", 0, 0), ("test.txt", "invalid", 0, 0),
]  # fmt: skip


@pytest.mark.parametrize(("name", "kind", "entries", "children"), GO_SITEMAPS)
def test_go_sitemap_parser_files(name: str, kind: str, entries: int, children: int) -> None:
    doc = parse_sitemap(_go_body(name), f"{GO_SITE}/{name}")
    assert (doc.kind, len(doc.entries), len(doc.sitemaps)) == (kind, entries, children)
    assert (doc.error is not None) is (kind == "invalid")
    assert all(e.loc.startswith(GO_SITE) for e in doc.entries)


def test_go_sitemap_files_are_all_covered() -> None:
    names = {p.name for p in GO.iterdir() if p.is_file()}
    assert names == {name for name, *_ in GO_SITEMAPS}


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("robots-empty", [f"{GO_SITE}/sitemap.xml"]),  # names none: /sitemap.xml is tried
        ("robots-without-sitemap", [f"{GO_SITE}/sitemap.xml"]),
        ("robots-with-sitemapindex", [f"{GO_SITE}/sitemapindex-1.xml"]),
        ("robots-with-sitemapindex-gz", [f"{GO_SITE}/sitemapindex-1.xml.gz"]),
        ("robots-with-sitemapindex-2", [f"{GO_SITE}/sitemapindex-1.xml", f"{GO_SITE}/sitemapindex-2.xml"]),
        ("robots-with-invalid-sitemap", [f"{GO_SITE}/invalid.xml"]),
    ],
)
def test_go_sitemap_parser_robots(folder: str, expected: list[str]) -> None:
    body = (GO / folder / "robots.txt").read_bytes().replace(b"HOST", b"site.test")
    links = (
        GenericExtractor(GO_SITE)
        .extract(PageKind.ROBOTS, f"{GO_SITE}/robots.txt", body, encoding=None, fetched_at=NOW)
        .links
    )
    assert [link.url for link in links] == expected


def test_go_sitemap_parser_video_image_and_news_as_items() -> None:
    ex = GenericExtractor(GO_SITE)
    video = ex.extract(
        PageKind.SITEMAP, f"{GO_SITE}/v.xml", _go_body("sitemap-video-01.xml"), encoding=None, fetched_at=NOW
    )
    (record,) = video.items
    assert (record.kind, record.url, record.title, record.duration, record.views) == (
        ItemKind.VIDEO, f"{GO_SITE}/video-page", "Example Video", 600.0, 1000,
    )  # fmt: skip
    assert (record.upload_date, record.uploader, record.uploader_url, record.tags) == (
        dt.date(2026, 5, 3), "ExampleChannel", f"{GO_SITE}/uploader", ["golang", "sitemap"],
    )  # fmt: skip
    images = ex.extract(
        PageKind.SITEMAP, f"{GO_SITE}/i.xml", _go_body("sitemap-image-01.xml"), encoding=None, fetched_at=NOW
    )
    assert images.items == [] and images.links == [Link(f"{GO_SITE}/page-with-images", PageKind.ITEM)]
    news = ex.extract(
        PageKind.SITEMAP, f"{GO_SITE}/n.xml", _go_body("sitemap-news-01.xml"), encoding=None, fetched_at=NOW
    )
    assert news.items == []  # news articles are not media items
