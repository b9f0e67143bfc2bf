"""The bundled demo adapter against hand-written pages that follow docs/demo-platform.md."""

from __future__ import annotations

import datetime as dt

import pytest

from unmask.census.extract.adapter import SiteAdapter, load_extractor
from unmask.census.extract.base import Extractor
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PageResult, PersonRef
from unmask.core.urls import is_media

from .demo_html import (
    ALBUM_CARD,
    ALBUM_PAGE,
    ALBUM_SITEMAP,
    BASE,
    GAPPY_VIDEO_CARD,
    PERSON_PAGE,
    PHOTO_CARD,
    PHOTO_PAGE,
    PHOTO_SITEMAP,
    ROBOTS,
    SITEMAP_INDEX,
    VIDEO_CARD,
    VIDEO_PAGE,
    VIDEO_SITEMAP,
    listing,
)

FETCHED = dt.datetime(2025, 1, 15, 12, 0)


@pytest.fixture
def demo() -> SiteAdapter:
    extractor = load_extractor("demo")
    assert isinstance(extractor, SiteAdapter)
    extractor.start_urls(BASE + "/")
    return extractor


def run(extractor: Extractor, kind: PageKind, path: str, body: str | bytes) -> PageResult:
    data = body.encode() if isinstance(body, str) else body
    result = extractor.extract(kind, BASE + path, data, encoding=None, fetched_at=FETCHED)
    assert_clean(result)
    return result


def assert_clean(result: PageResult) -> None:
    """Nothing points at media, every record is canonical and identified."""
    urls = [link.url for link in result.links] + [r.url for r in result.items]
    urls += [r.uploader_url for r in result.items if r.uploader_url]
    urls += [p.url for r in result.items for p in r.persons if p.url]
    urls += [result.next_page] if result.next_page else []
    assert not [u for u in urls if is_media(u) or "/media/" in u or "/stream/" in u]
    assert all(r.platform_id for r in result.items)
    assert all("ref=" not in r.url and "#" not in r.url for r in result.items)


def test_is_an_extractor(demo: SiteAdapter) -> None:
    assert isinstance(demo, Extractor)
    assert demo.name == "demo"


def test_start_urls_put_robots_first() -> None:
    links = load_extractor("demo").start_urls(BASE + "/")
    assert links == [
        Link(f"{BASE}/robots.txt", PageKind.ROBOTS),
        Link(f"{BASE}/videos", PageKind.LISTING, ItemKind.VIDEO),
        Link(f"{BASE}/photos", PageKind.LISTING, ItemKind.PHOTO),
        Link(f"{BASE}/albums", PageKind.LISTING, ItemKind.GALLERY),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/robots.txt", (PageKind.ROBOTS, None)),
        ("/sitemap.xml", (PageKind.SITEMAP, None)),
        ("/sitemaps/videos-3.xml", (PageKind.SITEMAP, None)),
        ("/videos", (PageKind.LISTING, ItemKind.VIDEO)),
        ("/videos?page=2", (PageKind.LISTING, ItemKind.VIDEO)),
        ("/photos?page=9", (PageKind.LISTING, ItemKind.PHOTO)),
        ("/albums?page=2&utm_source=x", (PageKind.LISTING, ItemKind.GALLERY)),
        ("/video/123/slug-words", (PageKind.ITEM, ItemKind.VIDEO)),
        ("/video/123/slug-words?ref=listing#x", (PageKind.ITEM, ItemKind.VIDEO)),
        ("/photo/555", (PageKind.ITEM, ItemKind.PHOTO)),
        ("/album/77/album-slug", (PageKind.ITEM, ItemKind.GALLERY)),
        ("/model/person-slug", (PageKind.PERSON, ItemKind.VIDEO)),
        ("/model/person-slug?page=2", (PageKind.PERSON, ItemKind.VIDEO)),
        ("/media/thumbs/v123.jpg", None),
        ("/media/videos/123.mp4", None),
        ("/stream/123", None),
        ("/embed/123", None),
        ("/favicon.ico", None),
        ("/ads/slot?id=3", None),
        ("/user/uploader-slug", None),
        ("/search", None),
        ("/videos.mp4", None),
    ],
)
def test_classify(demo: SiteAdapter, path: str, expected: tuple[PageKind, ItemKind | None] | None) -> None:
    assert demo.classify(BASE + path) == expected


def test_classify_refuses_other_sites(demo: SiteAdapter) -> None:
    assert demo.classify("http://elsewhere.example/videos") is None
    assert demo.classify("javascript:void(0)") is None


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/video/123/slug-words", (ItemKind.VIDEO, "123")),
        ("/video/123", (ItemKind.VIDEO, "123")),
        ("/video/123/other-slug?ref=x", (ItemKind.VIDEO, "123")),
        ("/photo/555", (ItemKind.PHOTO, "555")),
        ("/album/77/album-slug", (ItemKind.GALLERY, "77")),
        ("/video/abc", None),
        ("/videos", None),
        ("/photo/555.jpg", None),
    ],
)
def test_identify(demo: SiteAdapter, path: str, expected: tuple[ItemKind, str] | None) -> None:
    assert demo.identify(BASE + path) == expected


def test_wanted_fields(demo: SiteAdapter) -> None:
    assert demo.wanted(ItemKind.VIDEO) == {
        "title", "duration", "views", "upload_date", "uploader", "persons", "tags",
    }  # fmt: skip
    assert demo.wanted(ItemKind.PHOTO) == {
        "title",
        "views",
        "upload_date",
        "uploader",
        "persons",
        "gallery_id",
    }
    assert demo.wanted(ItemKind.GALLERY) == {
        "title", "views", "upload_date", "uploader", "persons", "photo_count",
    }  # fmt: skip


def test_sorted_newest(demo: SiteAdapter) -> None:
    assert demo.sorted_newest(BASE + "/videos")
    assert demo.sorted_newest(BASE + "/photos?page=4")
    assert demo.sorted_newest(BASE + "/albums?page=2")
    assert not demo.sorted_newest(BASE + "/model/person-slug")
    assert not demo.sorted_newest(BASE + "/video/1/x")


def test_robots(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.ROBOTS, "/robots.txt", ROBOTS)
    assert result.links == [Link(f"{BASE}/sitemap.xml", PageKind.SITEMAP)]
    assert result.items == []


def test_robots_without_sitemap_lines_guesses_sitemap_xml(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.ROBOTS, "/robots.txt", "User-agent: *\nDisallow: /account/\n")
    assert result.links == [Link(f"{BASE}/sitemap.xml", PageKind.SITEMAP)]


def test_sitemap_index(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.SITEMAP, "/sitemap.xml", SITEMAP_INDEX)
    assert [link.url for link in result.links] == [
        f"{BASE}/sitemaps/videos-1.xml",
        f"{BASE}/sitemaps/photos-1.xml",
        f"{BASE}/sitemaps/albums-1.xml",
    ]
    assert {link.kind for link in result.links} == {PageKind.SITEMAP}


def test_video_sitemap(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.SITEMAP, "/sitemaps/videos-1.xml", VIDEO_SITEMAP)
    assert result.links == []  # the adapter gets item pages through the fill phase only
    assert result.items == [
        ItemRecord(
            kind=ItemKind.VIDEO,
            url=f"{BASE}/video/123/slug-words",
            platform_id="123",
            title="Title words",
            duration=754.0,
            views=12345,
            upload_date=dt.date(2021, 3, 4),
            uploader="Uploader Name",
            uploader_url=f"{BASE}/user/uploader-slug",
            tags=["sky", "river"],
            categories=["Nature"],
        )
    ]


def test_photo_and_album_sitemaps(demo: SiteAdapter) -> None:
    photos = run(demo, PageKind.SITEMAP, "/sitemaps/photos-1.xml", PHOTO_SITEMAP).items
    albums = run(demo, PageKind.SITEMAP, "/sitemaps/albums-1.xml", ALBUM_SITEMAP).items
    assert [(r.kind, r.platform_id, r.url) for r in photos] == [(ItemKind.PHOTO, "555", f"{BASE}/photo/555")]
    assert [(r.kind, r.platform_id) for r in albums] == [(ItemKind.GALLERY, "77")]
    assert albums[0].photo_count is None  # sitemaps cap their image lists: not a count


def test_video_listing(demo: SiteAdapter) -> None:
    page = listing("Videos", [VIDEO_CARD, GAPPY_VIDEO_CARD], "/videos", "/videos?page=3")
    result = run(demo, PageKind.LISTING, "/videos?page=2", page)
    assert result.next_page == f"{BASE}/videos?page=3"
    assert result.links == [
        Link(f"{BASE}/video/123/slug-words", PageKind.ITEM, ItemKind.VIDEO),
        Link(f"{BASE}/video/124/long-one", PageKind.ITEM, ItemKind.VIDEO),
    ]
    first, gappy = result.items
    assert first == ItemRecord(
        kind=ItemKind.VIDEO,
        url=f"{BASE}/video/123/slug-words",
        platform_id="123",
        title="Title words",
        duration=754.0,
        views=None,  # cards round views; video sitemaps have the exact count
        upload_date=dt.date(2021, 3, 4),
        uploader="Uploader Name",
        uploader_url=f"{BASE}/user/uploader-slug",
        persons=[
            PersonRef("Person Name", f"{BASE}/model/person-slug", public_figure=True),
            PersonRef("Other Name", f"{BASE}/model/other-slug", public_figure=False),
        ],
    )
    assert gappy.platform_id == "124"
    assert gappy.duration == 3723.0
    assert gappy.uploader is None and gappy.uploader_url is None
    assert gappy.persons == [PersonRef("Third Name", f"{BASE}/model/third-slug", public_figure=False)]
    assert not gappy.from_item_page


def test_last_listing_page_has_no_next(demo: SiteAdapter) -> None:
    result = run(
        demo, PageKind.LISTING, "/videos?page=9", listing("Videos", [VIDEO_CARD], "/videos?page=8", None)
    )
    assert result.next_page is None
    assert len(result.items) == 1


def test_first_listing_page(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.LISTING, "/videos", listing("Videos", [VIDEO_CARD], None, "/videos?page=2"))
    assert result.next_page == f"{BASE}/videos?page=2"


def test_a_card_listed_twice_is_one_record(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.LISTING, "/videos", listing("Videos", [VIDEO_CARD, VIDEO_CARD], None, None))
    assert len(result.items) == 1
    assert len(result.links) == 1


def test_photo_listing(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.LISTING, "/photos", listing("Photos", [PHOTO_CARD], None, "/photos?page=2"))
    (photo,) = result.items
    assert (photo.kind, photo.platform_id, photo.title) == (ItemKind.PHOTO, "555", "Photo words")
    assert photo.views == 987
    assert photo.gallery_id == "77"
    assert photo.duration is None
    assert photo.upload_date == dt.date(2022, 6, 1)
    assert photo.persons == [PersonRef("Person Two", f"{BASE}/model/person-two", public_figure=False)]


def test_album_listing(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.LISTING, "/albums", listing("Albums", [ALBUM_CARD], None, None))
    (album,) = result.items
    assert (album.kind, album.platform_id, album.title) == (ItemKind.GALLERY, "77", "Album title")
    assert album.photo_count == 24
    assert album.views == 4500
    assert album.gallery_id is None
    assert album.persons[0].public_figure is True


def test_video_item_page(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.ITEM, "/video/123/slug-words", VIDEO_PAGE)
    assert result.canonical == f"{BASE}/video/123/slug-words"
    assert not result.gone
    assert result.items == [
        ItemRecord(
            kind=ItemKind.VIDEO,
            url=f"{BASE}/video/123/slug-words",
            platform_id="123",
            title="Title words",
            duration=754.0,
            views=1_234_567,
            upload_date=dt.date(2021, 3, 4),
            uploader="Uploader Name",
            uploader_url=f"{BASE}/user/uploader-slug",
            persons=[
                PersonRef("Other Name", f"{BASE}/model/other-slug", public_figure=False),
                PersonRef("Person Name", f"{BASE}/model/person-slug", public_figure=True),
            ],
            tags=["sky", "river"],
            categories=["Nature"],
            from_item_page=True,
        )
    ]
    assert set(demo.wanted(ItemKind.VIDEO)) <= set(result.items[0].provided())


def test_item_page_reached_with_tracking_parameters(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.ITEM, "/video/123/slug-words?ref=listing&utm_source=x", VIDEO_PAGE)
    assert result.items[0].url == f"{BASE}/video/123/slug-words"


def test_photo_item_page(demo: SiteAdapter) -> None:
    (photo,) = run(demo, PageKind.ITEM, "/photo/555", PHOTO_PAGE).items
    assert photo.from_item_page
    assert (photo.kind, photo.platform_id, photo.gallery_id, photo.views) == (
        ItemKind.PHOTO,
        "555",
        "77",
        1001,
    )
    assert set(demo.wanted(ItemKind.PHOTO)) <= set(photo.provided())


def test_album_item_page(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.ITEM, "/album/77/album-slug", ALBUM_PAGE)
    (album,) = result.items
    assert (album.kind, album.platform_id, album.photo_count, album.views) == (
        ItemKind.GALLERY,
        "77",
        24,
        4567,
    )
    assert album.gallery_id is None
    assert set(demo.wanted(ItemKind.GALLERY)) <= set(album.provided())


def test_person_page(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.PERSON, "/model/person-slug", PERSON_PAGE)
    assert [r.platform_id for r in result.items] == ["123"]
    assert result.next_page == f"{BASE}/model/person-slug?page=2"


def test_relative_dates_fill_in_when_no_datetime_attribute(demo: SiteAdapter) -> None:
    card = VIDEO_CARD.replace('<time datetime="2021-03-04">3 years ago</time>', "<time>3 weeks ago</time>")
    (record,) = run(demo, PageKind.LISTING, "/videos", listing("Videos", [card], None, None)).items
    assert record.upload_date == dt.date(2024, 12, 25)


def test_a_page_without_cards(demo: SiteAdapter) -> None:
    result = run(demo, PageKind.LISTING, "/videos?page=2", listing("Videos", [], "/videos", None))
    assert result.items == [] and result.links == [] and result.next_page is None
