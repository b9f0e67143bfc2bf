"""HTTP server of the synthetic demo platform: a plain ASGI application, run by uvicorn on loopback.

Two flavours serve the same ``DemoPlatform`` (see ``docs/demo-platform.md``): ``demo`` (the platform's
own HTML, read by the bundled site adapter) and ``schema`` (schema.org JSON-LD and microdata,
OpenGraph, ``rel=next``). Pages are built with plain string formatting; every text is HTML-escaped.
The server never makes a connection of its own.

Run it in a child process on a socket the parent created::

    sock = socket.create_server(("127.0.0.1", 0))
    subprocess.Popen([sys.executable, "-m", "unmask.demo.server", "--fd", str(sock.fileno()),
                      "--scale", "0.1"], pass_fds=[sock.fileno()])

(``spawn()`` does exactly that), or in a thread of the current process with ``ServerThread``.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from dataclasses import dataclass, field
from email.utils import format_datetime
from html import escape
from types import TracebackType
from typing import Any, Final, Literal
from urllib.parse import parse_qsl

import uvicorn

from unmask.demo import names
from unmask.demo.platform import (
    ALBUM_SITEMAP_IMAGES,
    DEFAULT_AS_OF,
    KINDS,
    PAGE_SIZES,
    Album,
    DemoPlatform,
    Item,
    Kind,
    Person,
    Photo,
    Uploader,
    Video,
    page_count,
    paginate,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Flavour = Literal["demo", "schema"]
FLAVOURS: Final[tuple[Flavour, ...]] = ("demo", "schema")

SITE_NAME: Final = "Mirage Demo"
HTML: Final = b"text/html; charset=utf-8"
XML: Final = b"application/xml"
TEXT: Final = b"text/plain; charset=utf-8"
JSON: Final = b"application/json"
MEDIA_TYPES: Final[dict[str, bytes]] = {
    "jpg": b"image/jpeg",
    "jpeg": b"image/jpeg",
    "mp4": b"video/mp4",
    "mp3": b"audio/mpeg",
}
ROUTE_KINDS: Final = (
    "robots", "sitemap", "listing", "item", "model", "user", "tag", "embed",
    "media", "favicon", "ads", "page", "disallowed", "not_found",
)  # fmt: skip
"""What ``/__stats`` counts (every answered request has exactly one of these kinds)."""
CONTROL_KIND: Final = "control"
"""``/__stats`` and ``/__expected``: neither counted nor delayed."""
SITEMAP_NS: Final = "http://www.sitemaps.org/schemas/sitemap/0.9"
VIDEO_NS: Final = "http://www.google.com/schemas/sitemap-video/1.1"
IMAGE_NS: Final = "http://www.google.com/schemas/sitemap-image/1.1"

# Placeholder bytes: recognisable signatures, no actual picture, film or sound.
JPEG_BYTES: Final = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
MP4_BYTES: Final = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
MP3_BYTES: Final = b"ID3\x04\x00\x00\x00\x00\x00\x00"
PLACEHOLDERS: Final[dict[bytes, bytes]] = {
    b"image/jpeg": JPEG_BYTES,
    b"video/mp4": MP4_BYTES,
    b"audio/mpeg": MP3_BYTES,
}
_HOST_RE = re.compile(r"[A-Za-z0-9.\-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def _favicon() -> bytes:
    """A 16×16, 16-colour icon: 318 bytes, like the classic ``favicon.ico``."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 16, 16, 16, 0, 1, 4, 296, 22)
    info = struct.pack("<IiiHHIIiiII", 40, 16, 32, 1, 4, 0, 192, 0, 0, 16, 0)
    palette = b"\x00\x00\x00\x00" + b"\x40\x20\xc0\x00" + b"\x00" * 56
    pixels = b"".join((b"\x11" * 8 if 3 <= row <= 12 else b"\x00" * 8) for row in range(16))
    mask = b"\x00" * 64
    return header + entry + info + palette + pixels + mask


FAVICON: Final = _favicon()


# -- formatting ---------------------------------------------------------------------------------


def fmt_duration(seconds: int) -> str:
    """``754`` → ``"12:34"``; ``3723`` → ``"1:02:03"``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: int) -> str:
    """``754`` → ``"PT12M34S"``; ``3723`` → ``"PT1H2M3S"``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S" if hours else f"PT{minutes}M{secs}S"


def fmt_views_short(views: int) -> str:
    """``987`` → ``"987"``, ``12345`` → ``"12.3K"``, ``1234567`` → ``"1.2M"`` (truncated, not rounded)."""
    if views < 1000:
        return str(views)
    if views < 1_000_000:
        return f"{views // 100 / 10:.1f}K"
    return f"{views // 100_000 / 10:.1f}M"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def fmt_relative(day: dt.date, today: dt.date) -> str:
    """How long ago ``day`` was, seen on ``today``.

    ``"today"``, ``"yesterday"``, ``"3 days ago"``, ``"1 week ago"``, ``"5 months ago"``, ``"3 years ago"``.
    """
    days = (today - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    if days < 30:
        return _plural(days // 7, "week") + " ago"
    if days < 365:
        return _plural(min(11, days // 30), "month") + " ago"
    return _plural(days // 365, "year") + " ago"


def json_ld(data: object) -> str:
    """A JSON-LD script element; ``<`` is escaped so no text can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/ld+json">{text}</script>'


def parse_number(text: str) -> int | None:
    """A non-negative decimal integer in ASCII digits (at most 18 of them), else ``None``."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def page_number(query: bytes) -> int | None:
    """The ``page`` query parameter (1 when absent); ``None`` when it is not a positive integer."""
    if not query:
        return 1
    for key, value in parse_qsl(query.decode("latin-1")):
        if key == "page":
            number = parse_number(value)
            return number if number is not None and number >= 1 else None
    return 1


def paged_url(path: str, page: int) -> str:
    return path if page == 1 else f"{path}?page={page}"


# -- responses ----------------------------------------------------------------------------------


@dataclass(slots=True)
class Response:
    status: int
    kind: str
    body: bytes
    content_type: bytes = HTML


def _not_found(kind: str = "not_found") -> Response:
    return Response(404, kind, NOT_FOUND_PAGE)


NOT_FOUND_PAGE: Final = (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Not found</title></head>\n'
    f'<body><h1>404 – Page not found</h1><p><a href="/">Back to {SITE_NAME}</a></p></body>\n</html>\n'
).encode()
AD_PAGE: Final = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Ad</title></head>'
    b'<body style="margin:0"><div class="ad-creative">Advertisement</div></body></html>\n'
)


@dataclass(slots=True)
class Stats:
    """Counters of what the server answered, by route kind, status and method."""

    kinds: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ROUTE_KINDS, 0))
    statuses: dict[str, int] = field(default_factory=dict)
    head: int = 0
    total: int = 0

    def count(self, kind: str, status: int, method: str) -> None:
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        key = str(status)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        self.head += method == "HEAD"
        self.total += 1

    def as_dict(self) -> dict[str, object]:
        return {**self.kinds, "total": self.total, "head": self.head, "by_status": dict(self.statuses)}

    def reset(self) -> None:
        self.kinds = dict.fromkeys(ROUTE_KINDS, 0)
        self.statuses = {}
        self.head = self.total = 0


# -- rendering shared by both flavours ----------------------------------------------------------


class Renderer(ABC):
    """What both flavours share: robots.txt, sitemaps, media, chrome, small pages."""

    flavour: Flavour = "demo"
    nav: tuple[tuple[str, str], ...] = (("/videos", "Videos"), ("/photos", "Photos"), ("/albums", "Albums"))

    def __init__(self, platform: DemoPlatform) -> None:
        self.platform = platform
        self.today = platform.as_of
        self._time_html: dict[dt.date, str] = {}
        self._header = self._make_header()

    # chrome

    def _make_header(self) -> str:
        links = "".join(f'<a href="{href}">{label}</a>' for href, label in self.nav)
        return (
            f'<header class="site-header"><a class="logo" href="/">{SITE_NAME}</a>\n'
            f'<nav class="main-nav">{links}<a href="/search?q=">Search</a>'
            '<a class="login" href="/account/login">Log in</a></nav></header>\n'
        )

    def page(self, title: str, body: str, head: str = "", ad: str = "top") -> bytes:
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)} – {SITE_NAME}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            '<link rel="icon" href="/favicon.ico">\n'
            f"{head}"
            "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
            'gtag("js",new Date());gtag("config","G-DEMO000");</script>\n'
            "</head>\n<body>\n"
            f"{self._header}"
            f'<div class="ad-slot"><iframe src="/ads/slot?id={ad}" width="728" height="90" loading="lazy">'
            "</iframe></div>\n"
            f"<main>\n{body}\n</main>\n"
            '<footer class="site-footer"><a href="/terms">Terms</a> <a href="/dmca">DMCA</a> '
            f'<a href="/contact">Contact</a> <span class="copyright">© 2018–{self.today.year} '
            f"{SITE_NAME}</span>"
            "</footer>\n"
            '<script>document.querySelectorAll("video.preview").forEach(function(v){'
            'v.addEventListener("mouseenter",function(){v.play()})});</script>\n'
            "</body>\n</html>\n"
        ).encode()

    def time_html(self, day: dt.date) -> str:
        cached = self._time_html.get(day)
        if cached is None:
            cached = f'<time datetime="{day.isoformat()}">{fmt_relative(day, self.today)}</time>'
            self._time_html[day] = cached
        return cached

    def simple_page(self, path: str) -> Response:
        texts = {
            "/terms": ("Terms of service", "All content on this site is synthetic."),
            "/dmca": ("DMCA", "Send takedown notices to the contact address."),
            "/contact": ("Contact", "This demo platform has no contact address."),
        }
        title, text = texts[path]
        return Response(200, "page", self.page(title, f"<h1>{title}</h1>\n<p>{text}</p>"))

    def disallowed(self, path: str) -> Response:
        body = "<h1>Log in</h1>" if path.startswith("/account") else "<h1>Search</h1>"
        return Response(200, "disallowed", self.page("Restricted", body))

    # robots and sitemaps

    def robots(self, base: str) -> Response:
        text = f"User-agent: *\nDisallow: /account/\nDisallow: /search\n\nSitemap: {base}/sitemap.xml\n"
        return Response(200, "robots", text.encode(), TEXT)

    def sitemap_index(self, base: str) -> Response:
        lastmod = self.today.isoformat()
        entries = [
            f"<sitemap><loc>{base}/sitemaps/{kind}-{n}.xml</loc><lastmod>{lastmod}</lastmod></sitemap>"
            for kind in KINDS
            for n in range(1, self.platform.sitemap_count(kind) + 1)
        ]
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
            + "\n".join(entries)
            + "\n</sitemapindex>\n"
        )
        return Response(200, "sitemap", body.encode(), XML)

    def sitemap_file(self, name: str, base: str) -> Response:
        kind, _, number = name.rpartition("-")
        n = parse_number(number)
        if kind not in KINDS or n is None:
            return _not_found("sitemap")
        if kind == "videos":
            videos = self.platform.video_sitemap(n)
            entries = None if videos is None else [self.video_entry(v, base) for v in videos]
            namespaces = f'xmlns="{SITEMAP_NS}" xmlns:video="{VIDEO_NS}"'
        elif kind == "photos":
            photos = self.platform.photo_sitemap(n)
            entries = None if photos is None else [self.photo_entry(p, base) for p in photos]
            namespaces = f'xmlns="{SITEMAP_NS}" xmlns:image="{IMAGE_NS}"'
        else:
            albums = self.platform.album_sitemap(n)
            entries = None if albums is None else [self.album_entry(a, base) for a in albums]
            namespaces = f'xmlns="{SITEMAP_NS}" xmlns:image="{IMAGE_NS}"'
        if entries is None:
            return _not_found("sitemap")
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {namespaces}>\n'
            + "".join(entries)
            + "</urlset>\n"
        )
        return Response(200, "sitemap", body.encode(), XML)

    def video_entry(self, v: Video, base: str) -> str:
        title = escape(v.title)
        lines = [
            f"<url>\n<loc>{base}/video/{v.id}/{v.slug}</loc>\n<video:video>",
            f"<video:thumbnail_loc>{base}/media/thumbs/v{v.id}.jpg</video:thumbnail_loc>",
            f"<video:title>{title}</video:title>",
            f"<video:description>{title}. A {v.category.lower()} video.</video:description>",
            f"<video:content_loc>{base}/media/videos/{v.id}.mp4</video:content_loc>",
            f"<video:player_loc>{base}/embed/{v.id}</video:player_loc>",
        ]
        missing = v.missing
        if missing != "duration":
            lines.append(f"<video:duration>{v.duration}</video:duration>")
        if missing != "views":
            lines.append(f"<video:view_count>{v.views}</video:view_count>")
        if missing != "upload_date":
            lines.append(f"<video:publication_date>{v.upload_date.isoformat()}</video:publication_date>")
        if missing != "uploader":
            u = v.uploader
            lines.append(f'<video:uploader info="{base}/user/{u.slug}">{escape(u.name)}</video:uploader>')
        lines.extend(f"<video:tag>{escape(tag)}</video:tag>" for tag in v.tags)
        lines.append(f"<video:category>{escape(v.category)}</video:category>\n</video:video>\n</url>\n")
        return "\n".join(lines)

    def photo_entry(self, p: Photo, base: str) -> str:
        return (
            f"<url><loc>{base}/photo/{p.id}</loc><image:image><image:loc>{base}/media/photos/{p.id}.jpg"
            "</image:loc></image:image></url>\n"
        )

    def album_entry(self, a: Album, base: str) -> str:
        images = "".join(
            f"<image:image><image:loc>{base}/media/photos/{pid}.jpg</image:loc></image:image>"
            for pid in a.photo_ids[:ALBUM_SITEMAP_IMAGES]
        )
        return f"<url><loc>{base}/album/{a.id}/{a.slug}</loc>{images}</url>\n"

    # media and noise

    def media(self, path: str) -> Response:
        extension = path.rpartition(".")[2].lower() if "." in path.rpartition("/")[2] else ""
        content_type = MEDIA_TYPES.get(extension)
        if content_type is None:
            return _not_found("media")
        return Response(200, "media", PLACEHOLDERS[content_type], content_type)

    def stream(self, parts: Sequence[str]) -> Response:
        video = self.visible_video(parts[1]) if len(parts) == 2 else None
        if video is None:
            return _not_found("media")
        return Response(200, "media", MP4_BYTES, b"video/mp4")

    def embed(self, parts: Sequence[str]) -> Response:
        video = self.visible_video(parts[1]) if len(parts) == 2 else None
        if video is None:
            return _not_found("embed")
        body = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Player</title></head>'
            f'<body style="margin:0"><video poster="/media/thumbs/v{video.id}.jpg" controls>'
            f'<source src="/media/videos/{video.id}.mp4" type="video/mp4"></video></body></html>\n'
        )
        return Response(200, "embed", body.encode())

    # lookups

    def visible_video(self, segment: str) -> Video | None:
        number = parse_number(segment)
        video = None if number is None else self.platform.video(number)
        return video if video is not None and self.platform.is_visible(video) else None

    def visible_photo(self, segment: str) -> Photo | None:
        number = parse_number(segment)
        photo = None if number is None else self.platform.photo(number)
        return photo if photo is not None and self.platform.is_visible(photo) else None

    def visible_album(self, segment: str) -> Album | None:
        number = parse_number(segment)
        album = None if number is None else self.platform.album(number)
        return album if album is not None and self.platform.is_visible(album) else None

    def _album_of(self, photo: Photo) -> Album:
        album = self.platform.album(photo.album_id)
        assert album is not None
        return album

    # routes that differ by flavour

    @abstractmethod
    def home(self) -> Response: ...

    @abstractmethod
    def listing(self, kind: Kind, query: bytes, base: str) -> Response: ...

    @abstractmethod
    def video_page(self, video: Video, base: str) -> Response: ...

    @abstractmethod
    def photo_page(self, photo: Photo, base: str) -> Response: ...

    @abstractmethod
    def album_page(self, album: Album, base: str) -> Response: ...

    @abstractmethod
    def person_page(self, person: Person, query: bytes, base: str) -> Response: ...

    @abstractmethod
    def user_page(self, uploader: Uploader, base: str) -> Response: ...


# -- the demo flavour ---------------------------------------------------------------------------


class DemoRenderer(Renderer):
    """The platform's own layout (``article.card``, ``dl.meta``, ``nav.pagination``)."""

    flavour: Flavour = "demo"

    def __init__(self, platform: DemoPlatform) -> None:
        super().__init__(platform)
        self._person_html = [
            f'<a class="model {p.kind}" href="/model/{p.slug}">{escape(p.name)}</a>'
            for p in platform.persons()
        ]
        self._uploader_html = [
            f'<a class="uploader" href="/user/{u.slug}">{escape(u.name)}</a>' for u in platform.uploaders()
        ]

    def models_html(self, persons: Iterable[Person], indent: str = "  ") -> str:
        anchors = "\n".join(f"{indent}  {self._person_html[p.id - 1]}" for p in persons)
        return f'{indent}<div class="models">\n{anchors}\n{indent}</div>'

    def uploader_html(self, uploader: Uploader) -> str:
        return self._uploader_html[uploader.id - 1]

    # cards

    def _card_meta(self, item: Item, parts: list[str]) -> None:
        missing = item.missing
        if missing != "views":
            parts.append(f'  <span class="views">{fmt_views_short(item.views)} views</span>')
        if missing != "upload_date":
            parts.append("  " + self.time_html(item.upload_date))
        if missing != "uploader":
            parts.append("  " + self.uploader_html(item.uploader))
        if missing != "persons" and item.persons:
            parts.append(self.models_html(item.persons))
        parts.append("</article>")

    def video_card(self, v: Video) -> str:
        href = f"/video/{v.id}/{v.slug}"
        parts = [
            f'<article class="card video-card" data-id="{v.id}">',
            f'  <a class="thumb" href="{href}"><img src="/media/thumbs/v{v.id}.jpg" alt=""></a>',
            f'  <video class="preview" src="/media/previews/{v.id}.mp4" muted></video>',
            f'  <h3 class="card-title"><a href="{href}?ref=listing">{escape(v.title)}</a></h3>',
        ]
        if v.missing != "duration":
            parts.append(f'  <span class="duration">{fmt_duration(v.duration)}</span>')
        self._card_meta(v, parts)
        return "\n".join(parts)

    def photo_card(self, p: Photo) -> str:
        album = self._album_of(p)
        parts = [
            f'<article class="card photo-card" data-id="{p.id}">',
            f'  <a class="thumb" href="/photo/{p.id}"><img src="/media/thumbs/p{p.id}.jpg" alt=""></a>',
            f'  <h3 class="card-title"><a href="/photo/{p.id}?ref=listing">{escape(p.title)}</a></h3>',
            f'  <a class="album" href="/album/{album.id}/{album.slug}">{escape(album.title)}</a>',
        ]
        self._card_meta(p, parts)
        return "\n".join(parts)

    def album_card(self, a: Album) -> str:
        href = f"/album/{a.id}/{a.slug}"
        parts = [
            f'<article class="card album-card" data-id="{a.id}">',
            f'  <a class="thumb" href="{href}"><img src="/media/thumbs/a{a.id}.jpg" alt=""></a>',
            f'  <h3 class="card-title"><a href="{href}?ref=listing">{escape(a.title)}</a></h3>',
            f'  <span class="count">{a.photo_count} photos</span>',
        ]
        self._card_meta(a, parts)
        return "\n".join(parts)

    # listings

    def pagination(self, path: str, page: int, pages: int) -> str:
        links = []
        if page > 1:
            links.append(f'<a rel="prev" href="{paged_url(path, page - 1)}">Previous</a>')
        if page < pages:
            links.append(f'<a rel="next" href="{paged_url(path, page + 1)}">Next</a>')
        return f'<nav class="pagination">{" ".join(links)}</nav>'

    def cards_page(
        self, title: str, heading: str, cards: list[str], path: str, page: int, pages: int
    ) -> bytes:
        suffix = "" if page == 1 else f" – page {page}"
        body = (
            f'{heading}\n<section class="cards">\n' + "\n".join(cards) + "\n</section>\n"
            f"{self.pagination(path, page, pages)}"
        )
        return self.page(title + suffix, body, ad=f"listing-{page % 7}")

    def listing(self, kind: Kind, query: bytes, base: str) -> Response:
        page = page_number(query)
        if page is None:
            return _not_found("listing")
        cards: list[str] | None
        if kind == "videos":
            videos = self.platform.video_page(page)
            cards = None if videos is None else [self.video_card(v) for v in videos]
        elif kind == "photos":
            photos = self.platform.photo_page(page)
            cards = None if photos is None else [self.photo_card(p) for p in photos]
        else:
            albums = self.platform.album_page(page)
            cards = None if albums is None else [self.album_card(a) for a in albums]
        if cards is None:
            return _not_found("listing")
        title = kind.capitalize()
        heading = f'<h1 class="listing-title">{title}</h1>'
        body = self.cards_page(title, heading, cards, f"/{kind}", page, self.platform.page_count(kind))
        return Response(200, "listing", body)

    def video_cards_page(
        self, kind: str, videos: Sequence[Video], query: bytes, path: str, title: str, heading: str
    ) -> Response:
        """A paginated page of video cards (a person's, a tag's, a category's)."""
        page = page_number(query)
        chunk = None if page is None else paginate(videos, page, PAGE_SIZES["videos"])
        if page is None or chunk is None:
            return _not_found(kind)
        pages = page_count(len(videos), PAGE_SIZES["videos"])
        body = self.cards_page(title, heading, [self.video_card(v) for v in chunk], path, page, pages)
        return Response(200, kind, body)

    def home(self) -> Response:
        videos = self.platform.video_page(1) or []
        cards = [self.video_card(v) for v in videos[:12]]
        body = '<h1 class="listing-title">Latest videos</h1>\n<section class="cards">\n' + "\n".join(cards)
        body += '\n</section>\n<p class="more"><a href="/videos">All videos</a></p>'
        return Response(200, "page", self.page("Home", body))

    # item pages

    def _meta_rows(self, item: Item) -> list[str]:
        u = item.uploader
        return [
            f'  <dt>Views</dt><dd class="views">{item.views:,}</dd>',
            f'  <dt>Added</dt><dd class="added">{self.time_html(item.upload_date)}</dd>',
            f"  <dt>Uploaded by</dt><dd>{self.uploader_html(u)}</dd>",
        ]

    def video_page(self, video: Video, base: str) -> Response:
        v = video
        meta = [
            f'  <dt>Duration</dt><dd class="duration">{fmt_duration(v.duration)}</dd>',
            *self._meta_rows(v),
        ]
        tags = "".join(f'<li><a class="tag" href="/tag/{escape(t)}">{escape(t)}</a></li>' for t in v.tags)
        category = escape(v.category)
        body = "\n".join(
            [
                f'<article class="item video-item" data-id="{v.id}">',
                f'<h1 class="title">{escape(v.title)}</h1>',
                f'<video poster="/media/thumbs/v{v.id}.jpg">'
                f'<source src="/media/videos/{v.id}.mp4" type="video/mp4"></video>',
                f'<a class="download" href="/stream/{v.id}">Download</a>',
                '<dl class="meta">',
                *meta,
                "</dl>",
                self.models_html(v.persons, indent=""),
                f'<ul class="tags">{tags}</ul>',
                '<ul class="categories"><li>'
                f'<a class="category" href="/category/{category.lower()}">{category}</a></li></ul>',
                "</article>",
            ]
        )
        head = f'<link rel="canonical" href="{base}/video/{v.id}/{v.slug}">\n'
        return Response(200, "item", self.page(v.title, body, head, ad="item"))

    def photo_page(self, photo: Photo, base: str) -> Response:
        p, album = photo, self._album_of(photo)
        album_link = f'<a class="album" href="/album/{album.id}/{album.slug}">{escape(album.title)}</a>'
        body = "\n".join(
            [
                f'<article class="item photo-item" data-id="{p.id}">',
                f'<h1 class="title">{escape(p.title)}</h1>',
                f'<img class="photo" src="/media/photos/{p.id}.jpg" alt="">',
                '<dl class="meta">',
                *self._meta_rows(p),
                f"  <dt>Album</dt><dd>{album_link}</dd>",
                "</dl>",
                self.models_html(p.persons, indent=""),
                "</article>",
            ]
        )
        head = f'<link rel="canonical" href="{base}/photo/{p.id}">\n'
        return Response(200, "item", self.page(p.title, body, head, ad="item"))

    def album_page(self, album: Album, base: str) -> Response:
        a = album
        grid = "\n".join(
            f'  <a class="photo" href="/photo/{pid}"><img src="/media/photos/{pid}.jpg"></a>'
            for pid in a.photo_ids
        )
        body = "\n".join(
            [
                f'<article class="item album-item" data-id="{a.id}">',
                f'<h1 class="title">{escape(a.title)}</h1>',
                '<dl class="meta">',
                f'  <dt>Photos</dt><dd class="count">{a.photo_count} photos</dd>',
                *self._meta_rows(a),
                "</dl>",
                self.models_html(a.persons, indent=""),
                f'<div class="photo-grid">\n{grid}\n</div>',
                "</article>",
            ]
        )
        head = f'<link rel="canonical" href="{base}/album/{a.id}/{a.slug}">\n'
        return Response(200, "item", self.page(a.title, body, head, ad="item"))

    def person_page(self, person: Person, query: bytes, base: str) -> Response:
        videos = self.platform.videos_of_person(person)
        heading = (
            f'<h1 class="model-name">{escape(person.name)}</h1>\n'
            f'<p class="model-info"><span class="model-kind">{person.kind}</span> · '
            f'<span class="model-count">{len(videos)} videos</span></p>'
        )
        return self.video_cards_page("model", videos, query, f"/model/{person.slug}", person.name, heading)

    def user_page(self, uploader: Uploader, base: str) -> Response:
        counts = self.platform.uploader_counts(uploader)
        total = sum(counts.values())
        body = (
            f'<h1 class="user-name">{escape(uploader.name)}</h1>\n'
            f'<p class="user-stats"><span class="count">{total} items</span></p>\n<dl class="user-counts">'
            + "".join(
                f'<dt>{kind.capitalize()}</dt><dd class="{kind}">{n}</dd>' for kind, n in counts.items()
            )
            + "</dl>"
        )
        return Response(200, "user", self.page(uploader.name, body))

    def tag_page(self, tag: str, query: bytes) -> Response:
        if tag not in names.TAGS:
            return _not_found("tag")
        heading = f'<h1 class="listing-title">Tag: {escape(tag)}</h1>'
        videos = self.platform.videos_with_tag(tag)
        return self.video_cards_page("tag", videos, query, f"/tag/{tag}", f"Tag: {tag}", heading)

    def category_page(self, slug: str, query: bytes) -> Response:
        category = next((c for c in names.CATEGORIES if c.lower() == slug), None)
        if category is None:
            return _not_found("tag")
        videos = self.platform.videos_in_category(category)
        heading = f'<h1 class="listing-title">{escape(category)}</h1>'
        return self.video_cards_page("tag", videos, query, f"/category/{slug}", category, heading)


# -- the schema flavour -------------------------------------------------------------------------


class SchemaRenderer(Renderer):
    """Standards only: schema.org JSON-LD and microdata, OpenGraph, ``rel=next``; no site-specific classes."""

    flavour: Flavour = "schema"
    nav = (("/browse/videos", "Videos"), ("/browse/photos", "Photos"), ("/browse/albums", "Albums"))

    def person_ld(self, person: Person, base: str) -> dict[str, str]:
        return {"@type": "Person", "name": person.name, "url": f"{base}/model/{person.slug}"}

    def uploader_ld(self, uploader: Uploader, base: str) -> dict[str, str]:
        return {"@type": "Person", "name": uploader.name, "url": f"{base}/user/{uploader.slug}"}

    @staticmethod
    def views_ld(views: int, action: str) -> dict[str, object]:
        return {
            "@type": "InteractionCounter",
            "interactionType": {"@type": action},
            "userInteractionCount": views,
        }

    @staticmethod
    def og(title: str, og_type: str, url: str, media: Iterable[tuple[str, str]]) -> str:
        lines = [
            f'<link rel="canonical" href="{url}">',
            f'<meta property="og:title" content="{escape(title)}">',
            f'<meta property="og:type" content="{og_type}">',
            f'<meta property="og:url" content="{url}">',
            f'<meta property="og:site_name" content="{SITE_NAME}">',
            *(f'<meta property="og:{prop}" content="{value}">' for prop, value in media),
        ]
        return "\n".join(lines) + "\n"

    def links_page(
        self,
        title: str,
        path: str,
        numbers: tuple[int, int, int],
        links: list[tuple[str, str]],
        base: str,
        extra: str = "",
    ) -> bytes:
        """A listing: ``link rel=prev/next`` in the head, a JSON-LD ItemList, plain links in the body.

        ``numbers`` is (this page, number of pages, items per page).
        """
        page, pages, per_page = numbers
        head = [f'<link rel="canonical" href="{base}{paged_url(path, page)}">']
        nav = []
        if page > 1:
            head.append(f'<link rel="prev" href="{paged_url(path, page - 1)}">')
            nav.append(f'<a rel="prev" href="{paged_url(path, page - 1)}">Previous page</a>')
        if page < pages:
            head.append(f'<link rel="next" href="{paged_url(path, page + 1)}">')
            nav.append(f'<a rel="next" href="{paged_url(path, page + 1)}">Next page</a>')
        first = (page - 1) * per_page
        item_list = {
            "@context": "https://schema.org",
            "@type": "ItemList",
            "itemListElement": [
                {"@type": "ListItem", "position": first + i + 1, "url": base + href}
                for i, (href, _) in enumerate(links)
            ],
        }
        head.append(json_ld(item_list))
        items = "\n".join(f'<li><a href="{href}">{escape(text)}</a></li>' for href, text in links)
        body = f"<h1>{escape(title)}</h1>\n{extra}<ul>\n{items}\n</ul>\n<p>{' '.join(nav)}</p>"
        suffix = "" if page == 1 else f" – page {page}"
        return self.page(title + suffix, body, "\n".join(head) + "\n", ad=f"listing-{page % 7}")

    def listing(self, kind: Kind, query: bytes, base: str) -> Response:
        page = page_number(query)
        if page is None:
            return _not_found("listing")
        links: list[tuple[str, str]] | None
        if kind == "videos":
            videos = self.platform.video_page(page)
            links = None if videos is None else [(f"/video/{v.id}/{v.slug}", v.title) for v in videos]
        elif kind == "photos":
            photos = self.platform.photo_page(page)
            links = None if photos is None else [(f"/photo/{p.id}", p.title) for p in photos]
        else:
            albums = self.platform.album_page(page)
            links = None if albums is None else [(f"/album/{a.id}/{a.slug}", a.title) for a in albums]
        if links is None:
            return _not_found("listing")
        pages = self.platform.page_count(kind)
        body = self.links_page(
            kind.capitalize(), f"/browse/{kind}", (page, pages, PAGE_SIZES[kind]), links, base
        )
        return Response(200, "listing", body)

    def home(self) -> Response:
        links = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in self.nav)
        return Response(200, "page", self.page("Home", f"<h1>{SITE_NAME}</h1>\n<ul>{links}</ul>"))

    def video_page(self, video: Video, base: str) -> Response:
        v = video
        url = f"{base}/video/{v.id}/{v.slug}"
        thumb, content = f"{base}/media/thumbs/v{v.id}.jpg", f"{base}/media/videos/{v.id}.mp4"
        data = {
            "@context": "https://schema.org",
            "@type": "VideoObject",
            "@id": url,
            "url": url,
            "name": v.title,
            "description": f"{v.title}. A {v.category.lower()} video.",
            "duration": iso_duration(v.duration),
            "uploadDate": v.upload_date.isoformat(),
            "thumbnailUrl": thumb,
            "contentUrl": content,
            "embedUrl": f"{base}/embed/{v.id}",
            "interactionStatistic": self.views_ld(v.views, "WatchAction"),
            "author": self.uploader_ld(v.uploader, base),
            "actor": [self.person_ld(p, base) for p in v.persons],
            "keywords": ", ".join(v.tags),
            "genre": v.category,
        }
        head = self.og(
            v.title, "video.other", url, (("image", thumb), ("video", content), ("video:type", "video/mp4"))
        )
        body = (
            f"<article>\n<h1>{escape(v.title)}</h1>\n"
            f'<video poster="/media/thumbs/v{v.id}.jpg" controls><source src="/media/videos/{v.id}.mp4"'
            ' type="video/mp4"></video>\n'
            f"<p>{escape(v.title)}. A {escape(v.category.lower())} video.</p>\n</article>"
        )
        return Response(200, "item", self.page(v.title, body, head + json_ld(data) + "\n", ad="item"))

    def _person_microdata(self, prop: str, person: Person | Uploader, path: str, base: str) -> str:
        return (
            f'<span itemprop="{prop}" itemscope itemtype="https://schema.org/Person">'
            f'<a itemprop="url" href="{base}/{path}/{person.slug}">'
            f'<span itemprop="name">{escape(person.name)}</span></a></span>'
        )

    def photo_page(self, photo: Photo, base: str) -> Response:
        p, album = photo, self._album_of(photo)
        url, image = f"{base}/photo/{p.id}", f"{base}/media/photos/{p.id}.jpg"
        about = ", ".join(self._person_microdata("about", person, "model", base) for person in p.persons)
        author = self._person_microdata("author", p.uploader, "user", base)
        body = "\n".join(
            [
                '<article itemscope itemtype="https://schema.org/ImageObject">',
                f'<h1 itemprop="name">{escape(p.title)}</h1>',
                f'<link itemprop="url" href="{url}">',
                f'<img itemprop="contentUrl" src="{image}" alt="">',
                f'<meta itemprop="uploadDate" content="{p.upload_date.isoformat()}">',
                f"<p>Uploaded {p.upload_date:%d %B %Y} by {author}</p>",
                f"<p>Shows {about}</p>",
                '<p itemprop="interactionStatistic" itemscope itemtype="https://schema.org/InteractionCounter">'
                '<link itemprop="interactionType" href="https://schema.org/ViewAction">'
                f'<span itemprop="userInteractionCount">{p.views}</span> views</p>',
                '<p>In the album <span itemprop="isPartOf" itemscope itemtype="https://schema.org/ImageGallery">'
                f'<a itemprop="url" href="{base}/album/{album.id}/{album.slug}">'
                f'<span itemprop="name">{escape(album.title)}</span></a></span></p>',
                "</article>",
            ]
        )
        head = self.og(p.title, "website", url, (("image", image),))
        return Response(200, "item", self.page(p.title, body, head, ad="item"))

    def album_page(self, album: Album, base: str) -> Response:
        a = album
        url = f"{base}/album/{a.id}/{a.slug}"
        photos = [photo for pid in a.photo_ids if (photo := self.platform.photo(pid)) is not None]
        data = {
            "@context": "https://schema.org",
            "@type": "ImageGallery",
            "@id": url,
            "url": url,
            "name": a.title,
            "datePublished": a.upload_date.isoformat(),
            "uploadDate": a.upload_date.isoformat(),
            "author": self.uploader_ld(a.uploader, base),
            "about": [self.person_ld(p, base) for p in a.persons],
            "interactionStatistic": self.views_ld(a.views, "ViewAction"),
            "associatedMedia": [
                {
                    "@type": "ImageObject",
                    "url": f"{base}/photo/{p.id}",
                    "contentUrl": f"{base}/media/photos/{p.id}.jpg",
                    "name": p.title,
                }
                for p in photos
            ],
        }
        cover = (("image", f"{base}/media/photos/{photos[0].id}.jpg"),) if photos else ()
        head = self.og(a.title, "website", url, cover)
        grid = "\n".join(
            f'<a href="/photo/{p.id}"><img src="/media/photos/{p.id}.jpg" alt=""></a>' for p in photos
        )
        body = f"<h1>{escape(a.title)}</h1>\n<div>\n{grid}\n</div>"
        return Response(200, "item", self.page(a.title, body, head + json_ld(data) + "\n", ad="item"))

    def person_page(self, person: Person, query: bytes, base: str) -> Response:
        videos = self.platform.videos_of_person(person)
        page = page_number(query)
        chunk = None if page is None else paginate(videos, page, PAGE_SIZES["videos"])
        if page is None or chunk is None:
            return _not_found("model")
        data = {
            "@context": "https://schema.org",
            "@type": "Person",
            "name": person.name,
            "url": f"{base}/model/{person.slug}",
            "description": person.kind,
        }
        links = [(f"/video/{v.id}/{v.slug}", v.title) for v in chunk]
        per_page = PAGE_SIZES["videos"]
        numbers = (page, page_count(len(videos), per_page), per_page)
        body = self.links_page(
            person.name, f"/model/{person.slug}", numbers, links, base, json_ld(data) + "\n"
        )
        return Response(200, "model", body)

    def user_page(self, uploader: Uploader, base: str) -> Response:
        counts = self.platform.uploader_counts(uploader)
        data = self.uploader_ld(uploader, base) | {"@context": "https://schema.org"}
        text = ", ".join(f"{n} {kind}" for kind, n in counts.items())
        body = f"<h1>{escape(uploader.name)}</h1>\n{json_ld(data)}\n<p>{text}</p>"
        return Response(200, "user", self.page(uploader.name, body))


# -- the ASGI application -----------------------------------------------------------------------


class DemoApp:
    """The ASGI application: routes a request, counts it, waits ``latency_ms``, answers."""

    def __init__(self, platform: DemoPlatform, flavour: Flavour = "demo", latency_ms: float = 0.0) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r} (expected one of {', '.join(FLAVOURS)})")
        self.platform = platform
        self.flavour = flavour
        self.latency = max(0.0, latency_ms) / 1000
        self.stats = Stats()
        self.renderer: Renderer = DemoRenderer(platform) if flavour == "demo" else SchemaRenderer(platform)
        noon = dt.datetime.combine(platform.as_of, dt.time(12, 0), tzinfo=dt.UTC)
        self._date = format_datetime(noon, usegmt=True).encode()
        self._expected: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        if method in ("GET", "HEAD"):
            response = self.respond(scope["path"], scope["query_string"], self._base(scope))
        else:
            response = Response(405, "not_found", b"Method not allowed\n", TEXT)
        if response.kind != CONTROL_KIND:
            self.stats.count(response.kind, response.status, method)
            if self.latency:
                await asyncio.sleep(self.latency)
        headers = [
            (b"content-type", response.content_type),
            (b"content-length", str(len(response.body)).encode()),
            (b"date", self._date),
        ]
        if response.status == 405:
            headers.append((b"allow", b"GET, HEAD"))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else response.body})

    @staticmethod
    def _base(scope: Scope) -> str:
        """``scheme://host[:port]`` as the client addressed us (the Host header, if well-formed)."""
        for key, value in scope["headers"]:
            if key == b"host":
                host = value.decode("latin-1")
                if _HOST_RE.fullmatch(host):
                    return f"{scope.get('scheme', 'http')}://{host}"
                break
        server = scope.get("server") or ("127.0.0.1", 80)
        return f"{scope.get('scheme', 'http')}://{server[0]}:{server[1]}"

    def respond(self, path: str, query: bytes, base: str) -> Response:
        """The response to ``GET path?query`` (``base`` is this server's own ``scheme://host:port``)."""
        parts = path[1:].split("/")
        head = parts[0]
        r = self.renderer
        if len(parts) == 1:
            simple = self._single_segment(head, path, query, base)
            if simple is not None:
                return simple
        if head == "sitemaps" and len(parts) == 2 and parts[1].endswith(".xml"):
            return r.sitemap_file(parts[1][:-4], base)
        if head in ("video", "photo", "album"):
            return self._item(head, parts, base)
        if head == "model" and len(parts) == 2:
            person = self.platform.person(parts[1])
            return r.person_page(person, query, base) if person else _not_found("model")
        if head == "user" and len(parts) == 2:
            uploader = self.platform.uploader(parts[1])
            return r.user_page(uploader, base) if uploader else _not_found("user")
        if head == "media" and len(parts) >= 3:
            return r.media(path)
        if head == "stream":
            return r.stream(parts)
        if head == "embed":
            return r.embed(parts)
        if head == "account":
            return r.disallowed(path)
        if head == "ads" and parts == ["ads", "slot"]:
            return Response(200, "ads", AD_PAGE)
        return self._flavour_route(parts, query, base)

    def _single_segment(self, head: str, path: str, query: bytes, base: str) -> Response | None:
        r = self.renderer
        if head == "":
            return r.home()
        if head == "robots.txt":
            return r.robots(base)
        if head == "sitemap.xml":
            return r.sitemap_index(base)
        if head == "favicon.ico":
            return Response(200, "favicon", FAVICON, b"image/x-icon")
        if head == "search":
            return r.disallowed(path)
        if head in ("terms", "dmca", "contact"):
            return r.simple_page(path)
        if head == "__stats":
            return self._stats_response(query)
        if head == "__expected":
            return self._expected_response()
        return None

    def _item(self, head: str, parts: list[str], base: str) -> Response:
        r = self.renderer
        if len(parts) not in (2, 3) or (head == "photo" and len(parts) != 2):
            return _not_found("item")
        if head == "video":
            video = r.visible_video(parts[1])
            return r.video_page(video, base) if video else _not_found("item")
        if head == "photo":
            photo = r.visible_photo(parts[1])
            return r.photo_page(photo, base) if photo else _not_found("item")
        album = r.visible_album(parts[1])
        return r.album_page(album, base) if album else _not_found("item")

    def _flavour_route(self, parts: list[str], query: bytes, base: str) -> Response:
        r = self.renderer
        if isinstance(r, DemoRenderer):
            if len(parts) == 1 and parts[0] in KINDS:
                return r.listing(parts[0], query, base)
            if parts[0] == "tag" and len(parts) == 2:
                return r.tag_page(parts[1], query)
            if parts[0] == "category" and len(parts) == 2:
                return r.category_page(parts[1], query)
        elif parts[0] == "browse" and len(parts) == 2 and parts[1] in KINDS:
            return r.listing(parts[1], query, base)
        return _not_found()

    def _stats_response(self, query: bytes) -> Response:
        body = json.dumps(self.stats.as_dict(), sort_keys=True).encode()
        if b"reset=1" in query:
            self.stats.reset()
        return Response(200, CONTROL_KIND, body, JSON)

    def _expected_response(self) -> Response:
        if self._expected is None:
            p = self.platform
            data = {
                "seed": p.seed,
                "scale": p.scale,
                "as_of": p.as_of.isoformat(),
                "flavour": self.flavour,
                "figures": p.expected_figures(),
                "minimum_requests": p.minimum_requests(self.flavour),
                "counts": p.counts(),
            }
            self._expected = json.dumps(data, sort_keys=True).encode()
        return Response(200, CONTROL_KIND, self._expected, JSON)


def make_app(platform: DemoPlatform, flavour: Flavour = "demo", latency_ms: float = 0.0) -> DemoApp:
    """The ASGI application serving ``platform`` in ``flavour``, waiting ``latency_ms`` before each answer."""
    return DemoApp(platform, flavour, latency_ms)


# -- running it ---------------------------------------------------------------------------------


def _loop_and_http() -> tuple[str, str]:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


def _config(app: DemoApp, fd: int, host: str, port: int) -> uvicorn.Config:
    loop, http = _loop_and_http()
    return uvicorn.Config(
        app,
        fd=fd,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop=loop,
        http=http,
        date_header=False,
        server_header=False,
    )


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (what a parent creates before passing its fd to ``--fd``)."""
    sock = socket.create_server((host, port), backlog=1024)
    no_delay(sock.fileno())
    return sock


def no_delay(fd: int) -> None:
    """Switch off Nagle's algorithm on a listening TCP socket (connections accepted later inherit it)."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _run(server: uvicorn.Server, fd: int) -> None:
    """Run ``server`` on the listening socket ``fd``.

    The socket is handed over as a socket object of its real family: given only ``config.fd``,
    uvicorn wraps it as a Unix socket, so the event loop treats its connections as Unix streams and
    never sets ``TCP_NODELAY`` on them, and every keep-alive response written in two parts then waits
    for the client's delayed ACK (~40 ms).
    """
    with socket.socket(fileno=os.dup(fd)) as sock:
        server.run(sockets=[sock])


def url_of(sock_or_fd: socket.socket | int) -> str:
    """``http://host:port`` of a listening socket or file descriptor."""
    fd = sock_or_fd if isinstance(sock_or_fd, int) else sock_or_fd.fileno()
    with socket.socket(fileno=os.dup(fd)) as sock:
        host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    platform: DemoPlatform,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    fd: int | None = None,
    flavour: Flavour = "demo",
    latency_ms: float = 0.0,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``platform`` until interrupted, on the socket ``fd`` or on a new one bound to ``host:port``.

    ``ready`` is called with the server's URL once the socket listens (connections made from then on
    wait in the backlog until uvicorn accepts them).
    """
    app = make_app(platform, flavour, latency_ms)
    own = None
    if fd is None:
        own = listen(host, port)
        fd = own.fileno()
    no_delay(fd)
    try:
        server = uvicorn.Server(_config(app, fd, host, port))
        if ready is not None:
            ready(url_of(fd))
        _run(server, fd)
    finally:
        if own is not None:
            own.close()


class ServerThread:
    """The app on a loopback socket, served by uvicorn in a daemon thread of this process.

    ``with ServerThread(platform) as server: ...`` (then request ``server.url + "/robots.txt"``)
    """

    def __init__(
        self,
        platform: DemoPlatform,
        *,
        flavour: Flavour = "demo",
        latency_ms: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.app = make_app(platform, flavour, latency_ms)
        self._sock = listen(host, port)
        self.url = url_of(self._sock)
        self._server = uvicorn.Server(_config(self.app, self._sock.fileno(), host, port))
        fd = self._sock.fileno()
        self._thread = threading.Thread(target=_run, args=(self._server, fd), name="demo-server", daemon=True)

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass
class SpawnedServer:
    """A demo server running in a child process (see ``spawn``)."""

    url: str
    process: subprocess.Popen[bytes]

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the child says it listens (it prints its URL once its platform is generated)."""
        stdout = self.process.stdout
        assert stdout is not None, "spawn() pipes the child's stdout"
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else b""
        if not line.strip():
            code = self.process.poll()
            raise RuntimeError(
                f"the demo platform server did not start (exit code {code})"
                if code is not None
                else f"the demo platform server did not answer within {timeout:.0f} s"
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> SpawnedServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def spawn(
    *,
    seed: int = 7,
    scale: float = 1.0,
    as_of: dt.date = DEFAULT_AS_OF,
    flavour: Flavour = "demo",
    latency_ms: float = 0.0,
    host: str = "127.0.0.1",
    port: int = 0,
) -> SpawnedServer:
    """Start ``python -m unmask.demo.server`` on a socket created here and passed by file descriptor."""
    sock = listen(host, port)
    try:
        url = url_of(sock)
        command = [
            sys.executable, "-m", "unmask.demo.server", "--fd", str(sock.fileno()),
            "--seed", str(seed), "--scale", repr(scale), "--as-of", as_of.isoformat(),
            "--flavour", flavour, "--latency-ms", repr(latency_ms),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, pass_fds=(sock.fileno(),), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
    finally:
        sock.close()
    return SpawnedServer(url, process)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m unmask.demo.server", description="Serve the synthetic demo platform on loopback."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=DEFAULT_AS_OF, help="YYYY-MM-DD")
    parser.add_argument("--flavour", choices=FLAVOURS, default="demo")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--host", default="127.0.0.1")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, default=0, help="port to bind (0: any free port)")
    where.add_argument("--fd", type=int, default=None, help="serve on this inherited listening socket")
    args = parser.parse_args(argv)
    platform = DemoPlatform(seed=args.seed, scale=args.scale, as_of=args.as_of)
    serve(
        platform,
        host=args.host,
        port=args.port,
        fd=args.fd,
        flavour=args.flavour,
        latency_ms=args.latency_ms,
        ready=lambda url: print(url, flush=True),
    )


if __name__ == "__main__":
    main()
