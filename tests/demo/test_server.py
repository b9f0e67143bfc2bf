"""The demo platform's HTTP server, served by uvicorn on loopback and fetched with urllib."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import extruct
import pytest
from lxml import etree
from parsel import Selector

from unmask.demo.app import make_app
from unmask.demo.formatting import fmt_duration, fmt_relative, fmt_views_short, iso_duration
from unmask.demo.platform import PAGE_SIZES, DemoPlatform, Video
from unmask.demo.render import FAVICON
from unmask.demo.server import ServerThread, spawn

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
VIDEO = "{http://www.google.com/schemas/sitemap-video/1.1}"
IMAGE = "{http://www.google.com/schemas/sitemap-image/1.1}"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()

    @property
    def sel(self) -> Selector:
        return Selector(text=self.text)


def fetch(url: str, method: str = "GET") -> Reply:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return Reply(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Reply(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


@pytest.fixture(scope="module")
def platform() -> DemoPlatform:
    return DemoPlatform(seed=7, scale=0.02)


@pytest.fixture(scope="module")
def demo(platform: DemoPlatform) -> Iterator[ServerThread]:
    with ServerThread(platform) as server:
        yield server


@pytest.fixture(scope="module")
def schema(platform: DemoPlatform) -> Iterator[ServerThread]:
    with ServerThread(platform, flavour="schema") as server:
        yield server


def stats(server: ServerThread, reset: bool = False) -> dict[str, Any]:
    return dict(json.loads(fetch(server.url + "/__stats" + ("?reset=1" if reset else "")).body))


def gappy(platform: DemoPlatform, field: str) -> Video:
    return next(v for v in platform.visible_videos() if v.missing == field)


# -- formatting -----------------------------------------------------------------------------------


def test_formats() -> None:
    assert fmt_duration(754) == "12:34" and fmt_duration(45) == "0:45" and fmt_duration(3723) == "1:02:03"
    assert iso_duration(754) == "PT12M34S" and iso_duration(3723) == "PT1H2M3S"
    assert [fmt_views_short(n) for n in (987, 12_345, 999_999, 1_234_567)] == [
        "987",
        "12.3K",
        "999.9K",
        "1.2M",
    ]
    today = dt.date(2024, 12, 15)
    assert fmt_relative(today, today) == "today"
    assert fmt_relative(dt.date(2024, 12, 14), today) == "yesterday"
    assert fmt_relative(dt.date(2024, 12, 1), today) == "2 weeks ago"
    assert fmt_relative(dt.date(2024, 11, 10), today) == "1 month ago"
    assert fmt_relative(dt.date(2021, 3, 4), today) == "3 years ago"


# -- robots and sitemaps --------------------------------------------------------------------------


def test_robots(demo: ServerThread) -> None:
    r = fetch(demo.url + "/robots.txt")
    assert r.status == 200 and r.headers["content-type"].startswith("text/plain")
    lines = r.text.splitlines()
    assert "User-agent: *" in lines and "Disallow: /account/" in lines and "Disallow: /search" in lines
    assert f"Sitemap: {demo.url}/sitemap.xml" in lines


def test_headers(demo: ServerThread) -> None:
    r = fetch(demo.url + "/videos")
    assert r.headers["date"] == "Sun, 15 Dec 2024 12:00:00 GMT"
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert int(r.headers["content-length"]) == len(r.body)
    head = fetch(demo.url + "/videos", method="HEAD")
    assert (
        head.status == 200
        and head.body == b""
        and head.headers["content-length"] == r.headers["content-length"]
    )


def test_sitemaps(demo: ServerThread, platform: DemoPlatform) -> None:
    index = fetch(demo.url + "/sitemap.xml")
    assert index.headers["content-type"] == "application/xml"
    locs = [e.text for e in etree.fromstring(index.body).iter(f"{SM}loc")]
    assert locs == [f"{demo.url}/sitemaps/{kind}-1.xml" for kind in ("videos", "photos", "albums")]

    root = etree.fromstring(fetch(locs[0]).body)
    urls = root.findall(f"{SM}url")
    assert len(urls) == len(platform.visible_videos())
    first = platform.visible_videos()[0]
    entry = urls[0]
    assert entry.findtext(f"{SM}loc") == f"{demo.url}/video/{first.id}/{first.slug}"
    video = entry.find(f"{VIDEO}video")
    assert video is not None
    assert video.findtext(f"{VIDEO}thumbnail_loc") == f"{demo.url}/media/thumbs/v{first.id}.jpg"
    assert video.findtext(f"{VIDEO}title") == first.title
    assert video.findtext(f"{VIDEO}description")
    assert video.findtext(f"{VIDEO}content_loc") == f"{demo.url}/media/videos/{first.id}.mp4"
    assert video.findtext(f"{VIDEO}player_loc") == f"{demo.url}/embed/{first.id}"
    assert video.findtext(f"{VIDEO}duration") == str(first.duration)
    assert video.findtext(f"{VIDEO}view_count") == str(first.views)
    assert video.findtext(f"{VIDEO}publication_date") == first.upload_date.isoformat()
    uploader = video.find(f"{VIDEO}uploader")
    assert uploader is not None and uploader.text == first.uploader.name
    assert uploader.get("info") == f"{demo.url}/user/{first.uploader.slug}"
    assert [t.text for t in video.findall(f"{VIDEO}tag")] == list(first.tags)
    assert video.findtext(f"{VIDEO}category") == first.category

    missing = gappy(platform, "duration")
    by_loc = {u.findtext(f"{SM}loc"): u for u in urls}
    gap = by_loc[f"{demo.url}/video/{missing.id}/{missing.slug}"]
    assert gap.find(f"{VIDEO}video/{VIDEO}duration") is None
    assert gap.find(f"{VIDEO}video/{VIDEO}view_count") is not None

    photos = etree.fromstring(fetch(locs[1]).body).findall(f"{SM}url")
    p = platform.visible_photos()[0]
    assert photos[0].findtext(f"{SM}loc") == f"{demo.url}/photo/{p.id}"
    assert photos[0].findtext(f"{IMAGE}image/{IMAGE}loc") == f"{demo.url}/media/photos/{p.id}.jpg"
    albums = etree.fromstring(fetch(locs[2]).body).findall(f"{SM}url")
    a = platform.visible_albums()[0]
    assert albums[0].findtext(f"{SM}loc") == f"{demo.url}/album/{a.id}/{a.slug}"
    assert len(albums[0].findall(f"{IMAGE}image")) == min(10, a.photo_count)
    assert fetch(demo.url + "/sitemaps/videos-2.xml").status == 404


# -- listings -------------------------------------------------------------------------------------


def test_listing_pagination(demo: ServerThread, platform: DemoPlatform) -> None:
    pages = platform.page_count("videos")
    assert pages >= 3
    first = fetch(demo.url + "/videos").sel
    assert first.css('nav.pagination a[rel="next"]::attr(href)').get() == "/videos?page=2"
    assert first.css('nav.pagination a[rel="prev"]').get() is None
    second = fetch(demo.url + "/videos?page=2").sel
    assert second.css('a[rel="prev"]::attr(href)').get() == "/videos"
    last = fetch(f"{demo.url}/videos?page={pages}").sel
    assert last.css('a[rel="next"]').get() is None
    assert last.css('a[rel="prev"]::attr(href)').get() == f"/videos?page={pages - 1}"
    assert fetch(f"{demo.url}/videos?page={pages + 1}").status == 404
    assert fetch(f"{demo.url}/videos?page=0").status == 404
    ids = [
        int(i)
        for n in range(1, pages + 1)
        for i in fetch(f"{demo.url}/videos?page={n}").sel.css("article.card::attr(data-id)").getall()
    ]
    assert ids == sorted((v.id for v in platform.visible_videos()), reverse=True)


def test_video_cards(demo: ServerThread, platform: DemoPlatform) -> None:
    page = fetch(demo.url + "/videos").sel
    cards = page.css("article.card.video-card")
    assert len(cards) == PAGE_SIZES["videos"]
    assert page.css('link[rel="icon"]::attr(href)').get() == "/favicon.ico"
    assert str(page.css("iframe::attr(src)").get()).startswith("/ads/slot?id=")
    for card, video in zip(cards, platform.video_page(1) or [], strict=True):
        assert card.attrib["data-id"] == str(video.id)
        href = f"/video/{video.id}/{video.slug}"
        assert card.css("a.thumb::attr(href)").get() == href
        assert card.css("a.thumb img::attr(src)").get() == f"/media/thumbs/v{video.id}.jpg"
        assert card.css("video.preview::attr(src)").get() == f"/media/previews/{video.id}.mp4"
        assert card.css("h3.card-title a::attr(href)").get() == href + "?ref=listing"
        assert card.css("h3.card-title a::text").get() == video.title
        check_card_fields(card, video)


def check_card_fields(card: Selector, video: Video) -> None:
    expect = {
        "duration": (card.css("span.duration::text").get(), fmt_duration(video.duration)),
        "views": (card.css("span.views::text").get(), f"{fmt_views_short(video.views)} views"),
        "upload_date": (card.css("time::attr(datetime)").get(), video.upload_date.isoformat()),
        "uploader": (card.css("a.uploader::attr(href)").get(), f"/user/{video.uploader.slug}"),
        "persons": (
            card.css("div.models a.model::attr(href)").getall(),
            [f"/model/{p.slug}" for p in video.persons],
        ),
    }
    for field, (found, wanted) in expect.items():
        if field == video.missing:
            assert found in (None, []), field
        else:
            assert found == wanted, field
    if video.missing != "persons":
        classes = card.css("div.models a.model::attr(class)").getall()
        assert classes == [f"model {p.kind}" for p in video.persons]


def test_gappy_cards_lack_their_field(demo: ServerThread, platform: DemoPlatform) -> None:
    for field in ("duration", "views", "upload_date", "uploader", "persons"):
        video = gappy(platform, field)
        position = [v.id for v in platform.newest_videos()].index(video.id)
        page = position // PAGE_SIZES["videos"] + 1
        sel = fetch(f"{demo.url}/videos?page={page}").sel
        card = sel.css(f'article.video-card[data-id="{video.id}"]')[0]
        check_card_fields(card, video)


def test_photo_and_album_cards(demo: ServerThread, platform: DemoPlatform) -> None:
    photo = (platform.photo_page(1) or [])[0]
    card = fetch(demo.url + "/photos").sel.css("article.card.photo-card")[0]
    album = platform.album(photo.album_id)
    assert album is not None
    assert card.css("h3.card-title a::attr(href)").get() == f"/photo/{photo.id}?ref=listing"
    assert card.css("a.album::attr(href)").get() == f"/album/{album.id}/{album.slug}"
    assert card.css("span.duration").get() is None
    assert len(fetch(demo.url + "/photos").sel.css("article.photo-card")) == PAGE_SIZES["photos"]
    first_album = (platform.album_page(1) or [])[0]
    album_card = fetch(demo.url + "/albums").sel.css("article.card.album-card")[0]
    assert album_card.css("a.thumb::attr(href)").get() == f"/album/{first_album.id}/{first_album.slug}"
    assert album_card.css("span.count::text").get() == f"{first_album.photo_count} photos"


# -- item pages -----------------------------------------------------------------------------------


def test_video_page(demo: ServerThread, platform: DemoPlatform) -> None:
    video = gappy(platform, "uploader")
    r = fetch(f"{demo.url}/video/{video.id}/anything")
    sel = r.sel
    assert sel.css('link[rel="canonical"]::attr(href)').get() == f"{demo.url}/video/{video.id}/{video.slug}"
    assert sel.css("h1.title::text").get() == video.title
    assert sel.css("video::attr(poster)").get() == f"/media/thumbs/v{video.id}.jpg"
    assert sel.css("video source::attr(src)").get() == f"/media/videos/{video.id}.mp4"
    assert sel.css("a.download::attr(href)").get() == f"/stream/{video.id}"
    assert sel.css("dl.meta dd.duration::text").get() == fmt_duration(video.duration)
    assert sel.css("dl.meta dd.views::text").get() == f"{video.views:,}"
    assert sel.css("dl.meta dd.added time::attr(datetime)").get() == video.upload_date.isoformat()
    assert sel.css("dl.meta a.uploader::text").get() == video.uploader.name  # shown despite the gap
    assert sel.css("div.models a.model::text").getall() == [p.name for p in video.persons]
    assert sel.css("ul.tags a.tag::text").getall() == list(video.tags)
    assert sel.css("ul.categories a.category::text").get() == video.category


def test_photo_and_album_pages(demo: ServerThread, platform: DemoPlatform) -> None:
    photo = platform.visible_photos()[5]
    album = platform.album(photo.album_id)
    assert album is not None
    sel = fetch(f"{demo.url}/photo/{photo.id}").sel
    assert sel.css("h1.title::text").get() == photo.title
    assert sel.css("dl.meta a.album::attr(href)").get() == f"/album/{album.id}/{album.slug}"
    assert sel.css("div.models a.model::text").getall() == [p.name for p in photo.persons]
    sel = fetch(f"{demo.url}/album/{album.id}/{album.slug}").sel
    assert sel.css("dd.count::text").get() == f"{album.photo_count} photos"
    assert sel.css("a.photo::attr(href)").getall() == [f"/photo/{i}" for i in album.photo_ids]


def test_removed_and_unknown_items_answer_404(demo: ServerThread, platform: DemoPlatform) -> None:
    removed = next(v for v in platform.videos() if v.removed_on and v.removed_on <= platform.as_of)
    future = next(v for v in platform.videos() if v.upload_date > platform.as_of)
    for video in (removed, future):
        r = fetch(f"{demo.url}/video/{video.id}/{video.slug}")
        assert r.status == 404 and r.headers["content-type"] == "text/html; charset=utf-8"
        assert fetch(f"{demo.url}/stream/{video.id}").status == 404
    assert fetch(demo.url + "/video/1/none").status == 404
    for odd in ("/video/%C2%B2/x", "/videos?page=%C2%B2", "/videos?page=x", "/sitemaps/videos-x.xml"):
        assert fetch(demo.url + odd).status == 404, odd
    assert fetch(demo.url + "/videos", method="POST").status == 405
    assert fetch(demo.url + "/no/such/page").status == 404
    assert "<h1>" in fetch(demo.url + "/nope").text


def test_person_and_user_pages(demo: ServerThread, platform: DemoPlatform) -> None:
    person = max(platform.persons(), key=lambda p: len(platform.videos_of_person(p)))
    sel = fetch(f"{demo.url}/model/{person.slug}").sel
    assert sel.css("h1.model-name::text").get() == person.name
    assert sel.css("span.model-kind::text").get() == person.kind
    assert len(sel.css("article.video-card")) == min(40, len(platform.videos_of_person(person)))
    assert fetch(demo.url + "/model/nobody-here").status == 404
    uploader = platform.visible_videos()[0].uploader
    assert fetch(f"{demo.url}/user/{uploader.slug}").sel.css("h1.user-name::text").get() == uploader.name


def test_html_is_escaped() -> None:
    platform = DemoPlatform(seed=1, scale=0.01)
    video = platform.visible_videos()[0]
    video.title = '<script>alert("x")</script> & more'
    for flavour in ("demo", "schema"):
        body = make_app(platform, flavour).respond(f"/video/{video.id}/x", b"", "http://h").body.decode()
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more" in body


# -- media and stats ------------------------------------------------------------------------------


def test_media_answers_and_is_counted(demo: ServerThread, platform: DemoPlatform) -> None:
    stats(demo, reset=True)
    video = platform.visible_videos()[0]
    expected = {
        f"/media/thumbs/v{video.id}.jpg": "image/jpeg",
        f"/media/videos/{video.id}.mp4": "video/mp4",
        f"/media/previews/{video.id}.mp4": "video/mp4",
        "/media/audio/1.mp3": "audio/mpeg",
        f"/stream/{video.id}": "video/mp4",
    }
    for path, content_type in expected.items():
        r = fetch(demo.url + path)
        assert r.status == 200 and r.headers["content-type"] == content_type and 0 < len(r.body) < 100
    icon = fetch(demo.url + "/favicon.ico")
    assert icon.headers["content-type"] == "image/x-icon" and icon.body == FAVICON and len(icon.body) == 318
    assert fetch(demo.url + "/ads/slot?id=top").status == 200
    assert fetch(demo.url + "/search?q=x").status == 200
    assert fetch(demo.url + "/media/thumbs/v1.gif").status == 404
    counted = stats(demo)
    assert counted["media"] == len(expected) + 1
    assert counted["favicon"] == 1 and counted["ads"] == 1 and counted["disallowed"] == 1
    assert counted["total"] == len(expected) + 4
    assert counted["by_status"] == {"200": len(expected) + 3, "404": 1}
    assert stats(demo)["total"] == counted["total"]  # /__stats does not count itself


# -- the schema flavour ---------------------------------------------------------------------------


def json_ld(sel: Selector) -> list[dict[str, object]]:
    return [json.loads(s) for s in sel.css('script[type="application/ld+json"]::text').getall()]


def test_schema_listing(schema: ServerThread, platform: DemoPlatform) -> None:
    assert fetch(schema.url + "/videos").status == 404
    sel = fetch(schema.url + "/browse/videos").sel
    assert sel.css('head link[rel="next"]::attr(href)').get() == "/browse/videos?page=2"
    (item_list,) = json_ld(sel)
    assert item_list["@type"] == "ItemList"
    newest = platform.video_page(1) or []
    urls = [e["url"] for e in item_list["itemListElement"]]  # type: ignore[attr-defined]
    assert urls == [f"{schema.url}/video/{v.id}/{v.slug}" for v in newest]
    assert sel.css("main a::attr(href)").getall()[0] == f"/video/{newest[0].id}/{newest[0].slug}"
    last = platform.page_count("photos")
    assert fetch(f"{schema.url}/browse/photos?page={last}").sel.css('link[rel="next"]').get() is None


def test_schema_video_page(schema: ServerThread, platform: DemoPlatform) -> None:
    video = gappy(platform, "duration")
    url = f"{schema.url}/video/{video.id}/{video.slug}"
    sel = fetch(url).sel
    (data,) = json_ld(sel)
    assert data["@type"] == "VideoObject" and data["name"] == video.title
    assert data["duration"] == iso_duration(video.duration)
    assert data["uploadDate"] == video.upload_date.isoformat()
    assert data["interactionStatistic"] == {
        "@type": "InteractionCounter",
        "interactionType": {"@type": "WatchAction"},
        "userInteractionCount": video.views,
    }
    assert data["author"] == {
        "@type": "Person",
        "name": video.uploader.name,
        "url": f"{schema.url}/user/{video.uploader.slug}",
    }
    assert [a["name"] for a in data["actor"]] == [p.name for p in video.persons]  # type: ignore[attr-defined]
    assert data["keywords"] == ", ".join(video.tags) and data["genre"] == video.category
    assert data["thumbnailUrl"] == f"{schema.url}/media/thumbs/v{video.id}.jpg"
    assert data["contentUrl"] == f"{schema.url}/media/videos/{video.id}.mp4"
    assert sel.css('meta[property="og:title"]::attr(content)').get() == video.title
    assert sel.css('meta[property="og:type"]::attr(content)').get() == "video.other"
    assert sel.css('meta[property="og:video"]::attr(content)').get() == data["contentUrl"]


def test_schema_photo_and_album_pages(schema: ServerThread, platform: DemoPlatform) -> None:
    photo = platform.visible_photos()[7]
    r = fetch(f"{schema.url}/photo/{photo.id}")
    (item,) = extruct.extract(r.text, base_url=schema.url, syntaxes=["microdata"])["microdata"]
    assert item["type"] == "https://schema.org/ImageObject"
    props = item["properties"]
    assert props["name"] == photo.title and props["uploadDate"] == photo.upload_date.isoformat()
    assert props["author"]["properties"]["name"] == photo.uploader.name
    about = props["about"] if isinstance(props["about"], list) else [props["about"]]
    assert [a["properties"]["name"] for a in about] == [p.name for p in photo.persons]
    assert props["interactionStatistic"]["properties"]["userInteractionCount"] == str(photo.views)
    assert (
        r.sel.css('meta[property="og:image"]::attr(content)').get()
        == f"{schema.url}/media/photos/{photo.id}.jpg"
    )

    album = platform.visible_albums()[1]
    (gallery,) = json_ld(fetch(f"{schema.url}/album/{album.id}/{album.slug}").sel)
    assert gallery["@type"] == "ImageGallery" and gallery["name"] == album.title
    media = gallery["associatedMedia"]
    assert isinstance(media, list) and len(media) == album.photo_count
    assert media[0]["@type"] == "ImageObject"


# -- running --------------------------------------------------------------------------------------


def test_latency_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    sleep = asyncio.sleep

    async def recorded(seconds: float) -> None:
        waits.append(seconds)
        await sleep(seconds)

    monkeypatch.setattr("unmask.demo.app.asyncio.sleep", recorded)
    with ServerThread(DemoPlatform(seed=2, scale=0.01), latency_ms=80) as server:
        assert fetch(server.url + "/robots.txt").status == 200
    assert 0.08 in waits  # the answer waited the configured latency


def test_subprocess_on_a_passed_fd() -> None:
    with spawn(seed=3, scale=0.01, flavour="schema") as server:
        server.wait_ready(timeout=30)
        assert fetch(server.url + "/browse/videos").status == 200
        expected = json.loads(fetch(server.url + "/__expected").body)
        assert expected["figures"] == DemoPlatform(seed=3, scale=0.01).expected_figures()
        assert expected["minimum_requests"] == DemoPlatform(seed=3, scale=0.01).minimum_requests("schema")
    assert server.process.poll() is not None


def test_module_entry_point_prints_its_url() -> None:
    command = [sys.executable, "-m", "unmask.demo.server", "--scale", "0.01", "--port", "0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            assert fetch(url + "/robots.txt").status == 200
        finally:
            process.terminate()


# -- the minimum crawl ----------------------------------------------------------------------------


def _seconds(text: str) -> int:
    seconds = 0
    for part in text.split(":"):
        seconds = seconds * 60 + int(part)
    return seconds


class MinimumCrawl:
    """Reads the demo flavour with exactly the requests ``minimum_requests()`` counts."""

    CARD_FIELDS = {
        "views": "span.views",
        "upload_date": "time",
        "uploader": "a.uploader",
        "persons": "div.models",
    }

    def __init__(self, platform: DemoPlatform) -> None:
        self.app = make_app(platform)
        self.requests = 0
        self.items: dict[tuple[str, int], dict[str, Any]] = {}

    def get(self, url: str) -> bytes:
        self.requests += 1
        path, _, query = url.removeprefix("http://h").partition("?")
        response = self.app.respond(path, query.encode(), "http://h")
        assert response.status == 200, url
        return response.body

    def run(self) -> None:
        robots = self.get("http://h/robots.txt").decode()
        index = robots.split("Sitemap: ")[1].strip()
        for loc in etree.fromstring(self.get(index)).iter(f"{SM}loc"):
            self.read_sitemap(str(loc.text))
        for kind, card_kind in (("videos", "video"), ("photos", "photo"), ("albums", "album")):
            url: str | None = f"/{kind}"
            while url:
                sel = Selector(text=self.get("http://h" + url).decode())
                for card in sel.css(f"article.{card_kind}-card"):
                    self.read_card(card_kind, card)
                url = sel.css('nav.pagination a[rel="next"]::attr(href)').get()

    def read_sitemap(self, url: str) -> None:
        for entry in etree.fromstring(self.get(url)).iter(f"{SM}url"):
            loc = str(entry.findtext(f"{SM}loc"))
            kind, number = loc.split("/")[3:5]
            item = self.items.setdefault((kind, int(number)), {})
            video = entry.find(f"{VIDEO}video")
            if video is not None:
                if (duration := video.findtext(f"{VIDEO}duration")) is not None:
                    item["duration"] = int(duration)
                if (views := video.findtext(f"{VIDEO}view_count")) is not None:
                    item["views"] = int(views)
                if (date := video.findtext(f"{VIDEO}publication_date")) is not None:
                    item["upload_date"] = date
                if (uploader := video.find(f"{VIDEO}uploader")) is not None:
                    item["uploader"] = str(uploader.get("info")).rsplit("/", 1)[1]

    def read_card(self, kind: str, card: Selector) -> None:
        item_id = int(card.attrib["data-id"])
        item = self.items.setdefault((kind, item_id), {})
        fields = dict(self.CARD_FIELDS, duration="span.duration") if kind == "video" else self.CARD_FIELDS
        missing = [field for field, css in fields.items() if not card.css(css) and field not in item]
        if card.css("time"):
            item["upload_date"] = card.css("time::attr(datetime)").get()
        if card.css("a.uploader"):
            item["uploader"] = str(card.css("a.uploader::attr(href)").get()).rsplit("/", 1)[1]
        item["persons"] = [h.rsplit("/", 1)[1] for h in card.css("a.model::attr(href)").getall()]
        if card.css("span.duration"):
            item["duration"] = _seconds(str(card.css("span.duration::text").get()))
        if missing:
            self.read_item_page(kind, item_id, item)

    def read_item_page(self, kind: str, item_id: int, item: dict[str, Any]) -> None:
        sel = Selector(text=self.get(f"http://h/{kind}/{item_id}").decode())
        meta = sel.css("dl.meta")
        if kind == "video":
            item["duration"] = _seconds(str(meta.css("dd.duration::text").get()))
            item["views"] = int(str(meta.css("dd.views::text").get()).replace(",", ""))
        item["upload_date"] = meta.css("dd.added time::attr(datetime)").get()
        item["uploader"] = str(meta.css("a.uploader::attr(href)").get()).rsplit("/", 1)[1]
        item["persons"] = [h.rsplit("/", 1)[1] for h in sel.css("div.models a.model::attr(href)").getall()]

    def figures(self) -> dict[str, Any]:
        videos = [i for (k, _), i in sorted(self.items.items()) if k == "video"]
        photos = [i for (k, _), i in self.items.items() if k == "photo"]
        dates = sorted(v["upload_date"] for v in videos)
        return {
            "videos": len(videos),
            "photos": len(photos),
            "galleries": sum(1 for k, _ in self.items if k == "album"),
            "hours": sum(v["duration"] for v in videos) / 3600,
            "views": sum(v["views"] for v in videos),
            "uploaders": len({i["uploader"] for i in videos + photos}),
            "targets": len({p for i in videos + photos for p in i["persons"]}),
            "first_upload": dates[0],
            "last_upload": dates[-1],
        }


@pytest.mark.slow
def test_minimum_requests_give_every_figure() -> None:
    platform = DemoPlatform(seed=9, scale=0.02)
    crawl = MinimumCrawl(platform)
    crawl.run()
    assert crawl.requests == platform.minimum_requests()
    figures = crawl.figures()
    expected = platform.expected_figures()
    assert figures.pop("hours") == pytest.approx(expected.pop("hours"))
    assert figures == expected
