from __future__ import annotations

import datetime as dt
import json

import pytest

from unmask.census.extract.base import Extractor
from unmask.census.extract.generic import GenericExtractor
from unmask.census.model import ItemKind, Link, PageKind, PageResult

BASE = "http://site.example"
NOW = dt.datetime(2025, 1, 15, 12)


@pytest.fixture
def generic() -> GenericExtractor:
    extractor = GenericExtractor()
    extractor.start_urls(BASE + "/")
    return extractor


def run(extractor: GenericExtractor, kind: PageKind, path: str, body: str) -> PageResult:
    return extractor.extract(kind, BASE + path, body.encode(), encoding=None, fetched_at=NOW)


def test_interface_and_start(generic: GenericExtractor) -> None:
    assert isinstance(generic, Extractor)
    assert generic.name == "generic"
    assert GenericExtractor().start_urls(f"{BASE}/some/path?x=1") == [
        Link(f"{BASE}/robots.txt", PageKind.ROBOTS),
        Link(f"{BASE}/", PageKind.PAGE),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/robots.txt", (PageKind.ROBOTS, None)),
        ("/sitemap.xml", (PageKind.SITEMAP, None)),
        ("/sitemap_index.xml.gz", (PageKind.SITEMAP, None)),
        ("/video/123/slug", (PageKind.ITEM, ItemKind.VIDEO)),
        ("/watch?v=abc", (PageKind.ITEM, ItemKind.VIDEO)),
        ("/en/video/9", (PageKind.ITEM, ItemKind.VIDEO)),
        ("/photo/5", (PageKind.ITEM, ItemKind.PHOTO)),
        ("/album/7/x", (PageKind.ITEM, ItemKind.GALLERY)),
        ("/gallery/7", (PageKind.ITEM, ItemKind.GALLERY)),
        ("/model/ann", (PageKind.PERSON, None)),
        ("/browse/videos?page=2", (PageKind.LISTING, None)),
        ("/videos", (PageKind.LISTING, None)),
        ("/latest", (PageKind.LISTING, None)),
        ("/about", None),
        ("/media/1.jpg", None),
        ("/video/1.mp4", None),
    ],
)
def test_classify(generic: GenericExtractor, path: str, expected: object) -> None:
    assert generic.classify(BASE + path) == expected


def test_identify_and_sorting(generic: GenericExtractor) -> None:
    assert generic.identify(f"{BASE}/video/123/slug?utm_source=x#t") == (ItemKind.VIDEO, "/video/123/slug")
    assert generic.identify(f"{BASE}/about") is None
    assert generic.sorted_newest(f"{BASE}/videos?sort=newest")
    assert generic.sorted_newest(f"{BASE}/latest")
    assert not generic.sorted_newest(f"{BASE}/browse/videos?page=2")
    assert "persons" in generic.wanted(ItemKind.VIDEO)
    assert "photo_count" in generic.wanted(ItemKind.GALLERY)


def test_item_page(generic: GenericExtractor) -> None:
    video = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": "T",
        "duration": "PT1M",
        "actor": [{"@type": "Person", "name": "Ann", "url": "/model/ann"}],
        "contentUrl": "/media/videos/1.mp4",
    }
    related = {"@type": "VideoObject", "name": "Other", "url": "/video/2/other"}
    body = (
        f'<html><head><link rel="canonical" href="{BASE}/video/1/t">'
        f'<script type="application/ld+json">{json.dumps([video, related])}</script></head></html>'
    )
    result = run(generic, PageKind.ITEM, "/video/1/t?ref=x", body)
    own, other = result.items
    assert (own.url, own.platform_id, own.from_item_page, own.duration) == (
        f"{BASE}/video/1/t", "/video/1/t", True, 60.0,
    )  # fmt: skip
    assert (other.platform_id, other.from_item_page) == ("/video/2/other", False)
    assert result.canonical == f"{BASE}/video/1/t"


def test_listing_with_item_list_and_rel_next(generic: GenericExtractor) -> None:
    item_list = {
        "@type": "ItemList",
        "itemListElement": [
            {"@type": "ListItem", "position": 1, "url": f"{BASE}/video/1/a"},
            {"@type": "ListItem", "position": 2, "url": f"{BASE}/misc/2"},
        ],
    }
    body = (
        '<html><head><link rel="next" href="/browse/videos?page=3">'
        f'<script type="application/ld+json">{json.dumps(item_list)}</script></head>'
        '<body><a href="/video/9/z">z</a></body></html>'
    )
    result = run(generic, PageKind.LISTING, "/browse/videos?page=2", body)
    assert result.next_page == f"{BASE}/browse/videos?page=3"
    assert result.links == [
        Link(f"{BASE}/video/1/a", PageKind.ITEM, ItemKind.VIDEO),
        Link(f"{BASE}/misc/2", PageKind.ITEM, None),
    ]
    assert result.items == []


def test_listing_without_item_list_uses_item_anchors(generic: GenericExtractor) -> None:
    body = (
        '<a href="/video/1/a">a</a><a href="/about">about</a>'
        '<a href="/media/1.jpg">img</a><a href="/photo/3">p</a>'
    )
    result = run(generic, PageKind.LISTING, "/videos", body)
    assert [link.url for link in result.links] == [f"{BASE}/video/1/a", f"{BASE}/photo/3"]


def test_home_page_links(generic: GenericExtractor) -> None:
    body = (
        '<a href="/browse/videos">v</a><a href="/model/ann">m</a><a href="http://other.example/videos">o</a>'
        '<a href="/video/1/a">a</a><a href="/terms">t</a><link rel="icon" href="/favicon.ico">'
    )
    result = run(generic, PageKind.PAGE, "/", body)
    assert [(link.url, link.kind) for link in result.links] == [
        (f"{BASE}/browse/videos", PageKind.LISTING),
        (f"{BASE}/model/ann", PageKind.PERSON),
        (f"{BASE}/video/1/a", PageKind.ITEM),
    ]


# ------------------------------------------------------------------------------------ plausibility


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"uploadDate": "1900-01-01"}, "upload_date", "1900-01-01"),
        ({"uploadDate": "2199-03-04T10:00:00Z"}, "upload_date", "2199-03-04"),
        ({"uploadDate": "1970-01-01T00:00:00Z"}, "upload_date", "1970-01-01"),
        (
            {"interactionStatistic": {"interactionType": "WatchAction", "userInteractionCount": "-5"}},
            "views",
            "-5",
        ),
        ({"duration": "PT0S"}, "duration", "0.0"),
        ({"duration": "P30D"}, "duration", "2592000.0"),
    ],
)
def test_implausible_values_are_refused_and_recorded(
    changes: dict[str, object], field: str, value: str
) -> None:
    data = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": "T",
        "duration": "PT1M",
        "uploadDate": "2024-05-06",
        "interactionStatistic": {"interactionType": "WatchAction", "userInteractionCount": 10},
        **changes,
    }
    body = f'<script type="application/ld+json">{json.dumps(data)}</script>'.encode()
    ex = GenericExtractor(BASE)
    (record,) = ex.extract(PageKind.ITEM, f"{BASE}/video/1/x", body, encoding=None, fetched_at=NOW).items
    assert getattr(record, field) is None
    assert [(r.field, r.value) for r in record.rejected] == [(field, value)]
    assert record.title == "T"  # the rest of the record stands


def test_implausible_sitemap_values_are_refused_and_recorded() -> None:
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:video="http://www.google.com/schemas/sitemap-video/1.1">'
        f"<url><loc>{BASE}/video/1/x</loc><video:video><video:title>T</video:title>"
        "<video:view_count>-5</video:view_count><video:publication_date>2199-01-01</video:publication_date>"
        "</video:video></url></urlset>"
    ).encode()
    ex = GenericExtractor(BASE)
    (record,) = ex.extract(PageKind.SITEMAP, f"{BASE}/sitemap.xml", body, encoding=None, fetched_at=NOW).items
    assert (record.views, record.upload_date) == (None, None)
    assert sorted(r.field for r in record.rejected) == ["upload_date", "views"]
