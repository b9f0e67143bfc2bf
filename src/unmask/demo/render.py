"""What both flavours of the demo platform share: content types, placeholder media, the response,
and the renderer base (robots.txt, sitemaps, media, the page chrome, small pages).
"""

from __future__ import annotations

import datetime as dt
import struct
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final, Literal, TypeVar

from unmask.demo.formatting import fmt_relative, parse_number
from unmask.demo.platform import (
    ALBUM_SITEMAP_IMAGES,
    KINDS,
    Album,
    DemoPlatform,
    Kind,
    Person,
    Photo,
    Uploader,
    Video,
)

ItemT = TypeVar("ItemT", Video, Photo, Album)
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


@dataclass(slots=True)
class Response:
    status: int
    kind: str
    body: bytes
    content_type: bytes = HTML


def not_found(kind: str = "not_found") -> Response:
    return Response(404, kind, NOT_FOUND_PAGE)


NOT_FOUND_PAGE: Final = (
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Not found</title></head>\n'
    f'<body><h1>404 – Page not found</h1><p><a href="/">Back to {SITE_NAME}</a></p></body>\n</html>\n'
).encode()
AD_PAGE: Final = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Ad</title></head>'
    b'<body style="margin:0"><div class="ad-creative">Advertisement</div></body></html>\n'
)


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
            return not_found("sitemap")
        if kind == "videos":
            entries = self._entries(self.platform.video_sitemap(n), self.video_entry, base)
            namespaces = f'xmlns="{SITEMAP_NS}" xmlns:video="{VIDEO_NS}"'
        elif kind == "photos":
            entries = self._entries(self.platform.photo_sitemap(n), self.photo_entry, base)
            namespaces = f'xmlns="{SITEMAP_NS}" xmlns:image="{IMAGE_NS}"'
        else:
            entries = self._entries(self.platform.album_sitemap(n), self.album_entry, base)
            namespaces = f'xmlns="{SITEMAP_NS}" xmlns:image="{IMAGE_NS}"'
        if entries is None:
            return not_found("sitemap")
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {namespaces}>\n'
            + "".join(entries)
            + "</urlset>\n"
        )
        return Response(200, "sitemap", body.encode(), XML)

    @staticmethod
    def _entries(
        items: Sequence[ItemT] | None, entry: Callable[[ItemT, str], str], base: str
    ) -> list[str] | None:
        return None if items is None else [entry(item, base) for item in items]

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
            return not_found("media")
        return Response(200, "media", PLACEHOLDERS[content_type], content_type)

    def stream(self, parts: Sequence[str]) -> Response:
        video = self.visible_video(parts[1]) if len(parts) == 2 else None
        if video is None:
            return not_found("media")
        return Response(200, "media", MP4_BYTES, b"video/mp4")

    def embed(self, parts: Sequence[str]) -> Response:
        video = self.visible_video(parts[1]) if len(parts) == 2 else None
        if video is None:
            return not_found("embed")
        body = (
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Player</title></head>'
            f'<body style="margin:0"><video poster="/media/thumbs/v{video.id}.jpg" controls>'
            f'<source src="/media/videos/{video.id}.mp4" type="video/mp4"></video></body></html>\n'
        )
        return Response(200, "embed", body.encode())

    # lookups

    def visible_video(self, segment: str) -> Video | None:
        return self._visible(segment, self.platform.video)

    def visible_photo(self, segment: str) -> Photo | None:
        return self._visible(segment, self.platform.photo)

    def visible_album(self, segment: str) -> Album | None:
        return self._visible(segment, self.platform.album)

    def _visible(self, segment: str, look_up: Callable[[int], ItemT | None]) -> ItemT | None:
        """The item numbered ``segment`` (a path segment), if it exists and is not removed."""
        number = parse_number(segment)
        item = None if number is None else look_up(number)
        return item if item is not None and self.platform.is_visible(item) else None

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
