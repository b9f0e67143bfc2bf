from __future__ import annotations

import datetime as dt
import gzip

import pytest

from unmask.census.extract import sitemap as sitemap_module
from unmask.census.extract.generic import GenericExtractor
from unmask.census.extract.sitemap import (
    SitemapDoc,
    media_pages,
    parse_sitemap,
    robots_sitemaps,
    sitemap_items,
)
from unmask.census.model import ItemKind, Link, PageKind

BASE = "http://site.example"
NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
VIDEO_NS = 'xmlns:video="http://www.google.com/schemas/sitemap-video/1.1"'
IMAGE_NS = 'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"'


def urlset(*urls: str, extra_ns: str = "") -> bytes:
    body = "".join(urls)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {NS} {extra_ns}>{body}</urlset>'.encode()


def url(loc: str, inner: str = "") -> str:
    return f"<url><loc>{loc}</loc>{inner}</url>"


def locs(doc: SitemapDoc) -> list[str]:
    return [entry.loc for entry in doc.entries]


# ---------------------------------------------------------------------------------------- robots


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sitemap: http://site.example/sitemap.xml", ["http://site.example/sitemap.xml"]),
        ("sitemap:http://site.example/a.xml\nSITEMAP : /b.xml", [f"{BASE}/a.xml", f"{BASE}/b.xml"]),
        ("User-agent: *\nDisallow: /\n", []),
        ("  Sitemap: /a.xml  # comment\nSitemap: /a.xml", [f"{BASE}/a.xml"]),
        ("Sitemap: ftp://site.example/x.xml\nSitemap: javascript:alert(1)", []),
        ("# Sitemap: /commented.xml", []),
        ("", []),
        ("\x00\xff garbage", []),
        (
            "Site-map: /google-accepts-this.xml\nSITE-MAP:/b.xml",
            [f"{BASE}/google-accepts-this.xml", f"{BASE}/b.xml"],
        ),
        ("Sitemap: /\udcff.xml\nSitemap: /\ufffd.xml\nSitemap: /ok.xml", [f"{BASE}/ok.xml"]),
        ("Sitemaps: /not-a-sitemap-line.xml", []),
    ],
)
def test_robots_sitemaps(text: str, expected: list[str]) -> None:
    assert robots_sitemaps(text, f"{BASE}/robots.txt") == expected


@pytest.mark.parametrize(
    ("encoding", "body"), [(None, b"Sitemap: /\xff.xml\n"), ("utf-8", b"Sitemap: /a\xc3.xml\n")]
)
def test_robots_line_with_invalid_bytes_is_skipped_not_replaced(encoding: str | None, body: bytes) -> None:
    result = GenericExtractor(BASE).extract(
        PageKind.ROBOTS,
        f"{BASE}/robots.txt",
        body + b"Sitemap: /ok.xml\n",
        encoding=encoding,
        fetched_at=dt.datetime(2025, 1, 1),
    )
    assert [link.url for link in result.links] == [f"{BASE}/ok.xml"]
    assert "%EF%BF%BD" not in repr(result.links)


def test_robots_in_a_declared_single_byte_charset_keeps_its_urls() -> None:
    result = GenericExtractor(BASE).extract(
        PageKind.ROBOTS,
        f"{BASE}/robots.txt",
        "Sitemap: /carte-été.xml\n".encode("latin-1"),
        encoding="iso-8859-1",
        fetched_at=dt.datetime(2025, 1, 1),
    )
    assert [link.url for link in result.links] == [f"{BASE}/carte-%C3%A9t%C3%A9.xml"]


# ----------------------------------------------------------------------------------------- index


def test_index_and_self_reference_is_just_a_link() -> None:
    body = f"""<?xml version="1.0"?><sitemapindex {NS}>
      <sitemap><loc>{BASE}/sitemaps/videos-1.xml</loc><lastmod>2024-01-01</lastmod></sitemap>
      <sitemap><loc>/sitemaps/photos-1.xml</loc></sitemap>
      <sitemap><loc>{BASE}/sitemap.xml</loc></sitemap>
      <sitemap><loc>javascript:x</loc></sitemap>
    </sitemapindex>""".encode()
    doc = parse_sitemap(body, f"{BASE}/sitemap.xml")
    assert doc.kind == "index" and doc.error is None
    expected = [f"{BASE}/sitemaps/videos-1.xml", f"{BASE}/sitemaps/photos-1.xml", f"{BASE}/sitemap.xml"]
    assert doc.sitemaps == expected
    result = GenericExtractor(BASE).extract(
        PageKind.SITEMAP, f"{BASE}/sitemap.xml", body, encoding=None, fetched_at=dt.datetime(2025, 1, 1)
    )
    assert result.links == [Link(u, PageKind.SITEMAP) for u in expected]


def test_index_drops_other_sites() -> None:
    body = f"<sitemapindex {NS}><sitemap><loc>http://other.example/s.xml</loc></sitemap></sitemapindex>"
    result = GenericExtractor(BASE).extract(
        PageKind.SITEMAP,
        f"{BASE}/sitemap.xml",
        body.encode(),
        encoding=None,
        fetched_at=dt.datetime(2025, 1, 1),
    )
    assert result.links == []


# --------------------------------------------------------------------------------------- urlsets


VIDEO_ENTRY = url(
    f"{BASE}/watch/abc",
    """<lastmod>2024-02-03T04:05:06Z</lastmod><video:video>
      <video:thumbnail_loc>http://cdn.example/t.jpg</video:thumbnail_loc>
      <video:title><![CDATA[A & B]]></video:title>
      <video:description>desc</video:description>
      <video:content_loc>http://cdn.example/v.mp4</video:content_loc>
      <video:player_loc>http://site.example/embed/abc</video:player_loc>
      <video:duration>600</video:duration>
      <video:view_count>4321</video:view_count>
      <video:publication_date>2021-03-04T23:59:00-08:00</video:publication_date>
      <video:uploader info="/user/bob">Bob</video:uploader>
      <video:tag>one</video:tag><video:tag>two</video:tag><video:tag>one</video:tag>
      <video:category>Cat</video:category>
      <video:family_friendly>no</video:family_friendly>
    </video:video>""",
)


def test_video_extension() -> None:
    doc = parse_sitemap(urlset(VIDEO_ENTRY, extra_ns=VIDEO_NS), f"{BASE}/s.xml")
    assert doc.kind == "urlset" and doc.error is None
    (entry,) = doc.entries
    assert entry.lastmod == dt.date(2024, 2, 3)
    video = entry.video
    assert video is not None
    assert (video.title, video.description, video.duration, video.view_count) == (
        "A & B",
        "desc",
        600.0,
        4321,
    )
    assert video.publication_date == dt.date(2021, 3, 4)
    assert (video.uploader, video.uploader_url) == ("Bob", f"{BASE}/user/bob")
    assert video.tags == ["one", "two"] and video.categories == ["Cat"]
    assert video.content_url == "http://cdn.example/v.mp4"  # kept as a string, never a link
    assert video.thumbnail_url == "http://cdn.example/t.jpg"
    assert video.player_url == "http://site.example/embed/abc"


def test_video_namespace_prefix_does_not_matter() -> None:
    entry = url(f"{BASE}/v/1", "<v:video><v:title>T</v:title><v:duration>5</v:duration></v:video>")
    doc = parse_sitemap(urlset(entry, extra_ns='xmlns:v="urn:whatever"'), f"{BASE}/s.xml")
    assert doc.entries[0].video is not None and doc.entries[0].video.title == "T"


def test_no_namespace_at_all() -> None:
    doc = parse_sitemap(b"<urlset><url><loc>http://site.example/a</loc></url></urlset>", f"{BASE}/s.xml")
    assert (doc.kind, locs(doc)) == ("urlset", [f"{BASE}/a"])


def test_image_blocks_never_make_a_photo_or_gallery_on_their_own() -> None:
    """An image sitemap lists the pictures on a page: an article with one picture is no photo."""
    photo = url(f"{BASE}/photo/1", "<image:image><image:loc>/i/1.jpg</image:loc></image:image>")
    album = url(
        f"{BASE}/album/2",
        "<image:image><image:loc>/i/2.jpg</image:loc></image:image>"
        "<image:image><image:loc>/i/3.jpg</image:loc></image:image>",
    )
    plain = url(f"{BASE}/about")
    video = url(f"{BASE}/page/9", "<video:video><video:title>V</video:title></video:video>")
    article = url(f"{BASE}/news/2024/storm", "<image:image><image:loc>/i/9.jpg</image:loc></image:image>")
    doc = parse_sitemap(
        urlset(photo, album, plain, video, article, extra_ns=f"{IMAGE_NS} {VIDEO_NS}"), f"{BASE}/s.xml"
    )
    assert [e.image_count for e in doc.entries] == [1, 2, 0, 0, 1]
    assert doc.entries[1].images == ["/i/2.jpg", "/i/3.jpg"]
    records = sitemap_items(doc, lambda u: None)
    assert [(r.kind, r.platform_id) for r in records] == [(ItemKind.VIDEO, "/page/9")]
    # the pages with pictures are read to learn what they are; the plain page is not
    assert media_pages(doc, lambda u: None) == [
        f"{BASE}/photo/1",
        f"{BASE}/album/2",
        f"{BASE}/news/2024/storm",
    ]
    by_url = GenericExtractor(BASE).extract(
        PageKind.SITEMAP,
        f"{BASE}/s.xml",
        urlset(photo, album, article, extra_ns=IMAGE_NS),
        encoding=None,
        fetched_at=dt.datetime(2025, 1, 1),
    )
    assert [(r.kind, r.platform_id) for r in by_url.items] == [
        (ItemKind.PHOTO, "/photo/1"),
        (ItemKind.GALLERY, "/album/2"),
    ]
    assert Link(f"{BASE}/news/2024/storm", PageKind.ITEM) in by_url.links
    assert all(r.photo_count is None for r in by_url.items)


def test_several_video_blocks_in_one_url() -> None:
    """Google: each <video:video> is a video *on* the page. A page showing several is a listing or an
    article with embeds, not one video's page: it is an item only when its URL is one, without the
    blocks' metadata (which block is its own cannot be told); every block is kept on the entry."""
    blocks = "".join(
        f"<video:video><video:title>V{n}</video:title><video:player_loc>{BASE}/embed/{n}</video:player_loc>"
        f"<video:view_count>{n}00</video:view_count></video:video>"
        for n in range(1, 4)
    )
    doc = parse_sitemap(
        urlset(url(f"{BASE}/model/ann", blocks), url(f"{BASE}/video/7/x", blocks), extra_ns=VIDEO_NS),
        f"{BASE}/s.xml",
    )
    entry = doc.entries[0]
    assert entry.video_count == 3 and [v.title for v in entry.videos] == ["V1", "V2", "V3"]
    assert entry.video is None
    assert [v.player_url for v in entry.videos] == [f"{BASE}/embed/{n}" for n in range(1, 4)]

    def identify(u: str) -> tuple[ItemKind, str] | None:
        return (ItemKind.VIDEO, "7") if "/video/7/" in u else None

    (record,) = sitemap_items(doc, identify)
    assert (record.kind, record.platform_id, record.title, record.views) == (ItemKind.VIDEO, "7", None, None)
    assert media_pages(doc, identify) == [f"{BASE}/model/ann"]


def test_records_take_kind_and_id_from_the_url() -> None:
    doc = parse_sitemap(urlset(url(f"{BASE}/g/7?utm_source=x"), url(f"{BASE}/x/1")), f"{BASE}/s.xml")

    def identify(u: str) -> tuple[ItemKind, str] | None:
        return (ItemKind.GALLERY, u.rsplit("/", 1)[-1]) if "/g/" in u else None

    (record,) = sitemap_items(doc, identify)
    assert (record.kind, record.platform_id, record.url) == (ItemKind.GALLERY, "7", f"{BASE}/g/7")


def test_media_locs_are_not_records() -> None:
    doc = parse_sitemap(urlset(url(f"{BASE}/v/1.mp4", "<video:video/>"), extra_ns=VIDEO_NS), f"{BASE}/s.xml")
    assert sitemap_items(doc, lambda u: (ItemKind.VIDEO, "1")) == []


def test_generic_sitemap_gives_items_and_item_links() -> None:
    body = urlset(VIDEO_ENTRY, extra_ns=VIDEO_NS)
    result = GenericExtractor(BASE).extract(
        PageKind.SITEMAP, f"{BASE}/s.xml", body, encoding=None, fetched_at=dt.datetime(2025, 1, 1)
    )
    assert [(r.kind, r.platform_id) for r in result.items] == [(ItemKind.VIDEO, "/watch/abc")]
    assert result.links == [Link(f"{BASE}/watch/abc", PageKind.ITEM, ItemKind.VIDEO)]


# ------------------------------------------------------------------------------ encodings, gzip


def test_gzip_body() -> None:
    doc = parse_sitemap(gzip.compress(urlset(url(f"{BASE}/a"), url(f"{BASE}/b"))), f"{BASE}/s.xml.gz")
    assert (doc.kind, locs(doc), doc.error) == ("urlset", [f"{BASE}/a", f"{BASE}/b"], None)


def test_gzip_decompression_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sitemap_module, "MAX_DECOMPRESSED", 200_000)
    monkeypatch.setattr(sitemap_module, "CHUNK", 50_000)
    body = urlset(*(url(f"{BASE}/item/{i}") for i in range(20_000)))
    doc = parse_sitemap(gzip.compress(body), f"{BASE}/s.xml.gz")
    assert doc.error is not None and "cut" in doc.error
    assert 0 < len(doc.entries) < 20_000
    assert locs(doc) == [f"{BASE}/item/{i}" for i in range(len(doc.entries))]


@pytest.mark.slow
def test_gzip_bomb_stays_cheap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (80 * 1024 * 1024))
    doc = parse_sitemap(bomb, f"{BASE}/s.xml.gz")
    assert doc.error is not None  # cut at the decompression bound (its time: bench/extract_bench.py)


def test_corrupt_gzip() -> None:
    doc = parse_sitemap(b"\x1f\x8b\x08\x00garbage-garbage", f"{BASE}/s.xml.gz")
    assert doc.kind == "invalid" and doc.error


def test_bom_and_leading_whitespace() -> None:
    doc = parse_sitemap(b"\xef\xbb\xbf \n\t" + urlset(url(f"{BASE}/a")), f"{BASE}/s.xml")
    assert (doc.kind, locs(doc), doc.error) == ("urlset", [f"{BASE}/a"], None)


def test_utf16_sitemap() -> None:
    text = f'<?xml version="1.0" encoding="UTF-16"?><urlset {NS}><url><loc>{BASE}/é</loc></url></urlset>'
    doc = parse_sitemap(text.encode("utf-16"), f"{BASE}/s.xml")
    assert locs(doc) == [f"{BASE}/é"]


def test_plain_text_sitemap() -> None:
    doc = parse_sitemap(f"{BASE}/a\n\n{BASE}/b\r\nnot a url\n".encode(), f"{BASE}/s.txt")
    assert (doc.kind, locs(doc)) == ("urlset", [f"{BASE}/a", f"{BASE}/b"])


# --------------------------------------------------------------------------------- damaged input


def test_truncated_xml_keeps_complete_entries() -> None:
    body = urlset(url(f"{BASE}/a"), url(f"{BASE}/b"), url(f"{BASE}/c/long-path"))
    cut = body[: body.index(b"/c/long") + 4]
    doc = parse_sitemap(cut, f"{BASE}/s.xml")
    assert doc.kind == "urlset"
    assert locs(doc) == [f"{BASE}/a", f"{BASE}/b"]
    assert doc.error == "truncated XML"


def test_mismatched_tags_are_recovered() -> None:
    body = f"<urlset {NS}><url><loc>{BASE}/a</loc></url><url><loc>{BASE}/b</loc></urlx></urlset>"
    doc = parse_sitemap(body.encode(), f"{BASE}/s.xml")
    assert f"{BASE}/a" in locs(doc)


def test_xxe_is_not_resolved() -> None:
    body = f"""<?xml version="1.0"?>
    <!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file:///etc/passwd"><!ENTITY net SYSTEM "http://127.0.0.1:1/x">]>
    <urlset {NS}><url><loc>{BASE}/&xxe;&net;</loc></url>
    <url><loc>{BASE}/ok</loc><video:video xmlns:video="v"><video:title>&xxe;</video:title></video:video></url>
    </urlset>""".encode()
    doc = parse_sitemap(body, f"{BASE}/s.xml")
    dump = repr(doc)
    assert "root:" not in dump and "/bin/" not in dump
    assert f"{BASE}/ok" in locs(doc)


def test_billion_laughs_does_not_expand() -> None:
    entities = '<!ENTITY a0 "lol">' + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    body = f'<?xml version="1.0"?><!DOCTYPE u [{entities}]><urlset><url><loc>{BASE}/&a9;</loc></url></urlset>'
    doc = parse_sitemap(body.encode(), f"{BASE}/s.xml")
    assert all(len(loc) < 100 for loc in locs(doc))  # the entities were never expanded


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"   ",
        b"\x00\x01\x02",
        bytes(range(256)) * 10,
        b"<html><body>Not found</body></html>",
        b"<",
        b"<?xml",
    ],
)
def test_not_a_sitemap(body: bytes) -> None:
    doc = parse_sitemap(body, f"{BASE}/s.xml")
    assert doc.kind == "invalid"
    assert doc.error
    assert doc.entries == [] and doc.sitemaps == []


def test_max_entries() -> None:
    body = urlset(*(url(f"{BASE}/{i}") for i in range(10)))
    doc = parse_sitemap(body, f"{BASE}/s.xml", max_entries=4)
    assert locs(doc) == [f"{BASE}/{i}" for i in range(4)]
    assert doc.error is not None and "4" in doc.error
    assert parse_sitemap(body, f"{BASE}/s.xml", max_entries=10).error is None


def test_entry_without_loc_is_skipped() -> None:
    doc = parse_sitemap(urlset("<url><lastmod>2024-01-01</lastmod></url>", url(f"{BASE}/a")), f"{BASE}/s.xml")
    assert locs(doc) == [f"{BASE}/a"]
