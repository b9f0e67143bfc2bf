"""What every zoo site shares: a seeded catalogue with its ground truth, and a loopback server.

A zoo site is a small generator of one kind of platform software's pages (a KVS-style tube, a WordPress
video theme, a gallery script, …) over a ``Catalogue``. The catalogue knows the truth: which items exist,
their views, which were removed (their pages answer 404 or 410) and which removed ones a stale sitemap or
link still points at. Sites render from the catalogue on every request, so a test can change it between
two crawls (items added, items removed) or take the site down.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.helpers.hostile import HostileServer
from unmask.demo.formatting import fmt_duration, fmt_relative, fmt_views_short, iso_duration, json_ld
from unmask.demo.names import person_name, photo_title, slugify, title, uploader_handle

TODAY = dt.date.today()
HTML = "text/html; charset=utf-8"
XML = "application/xml"
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
VIDEO_NS = "http://www.google.com/schemas/sitemap-video/1.1"
IMAGE_NS = "http://www.google.com/schemas/sitemap-image/1.1"

__all__ = [
    "HTML",
    "JSON",
    "TEXT",
    "TODAY",
    "XML",
    "Catalogue",
    "Entry",
    "Reply",
    "Request",
    "ZooSite",
    "escape",
    "fmt_duration",
    "fmt_relative",
    "fmt_views_short",
    "iso_duration",
    "json_ld",
]


@dataclass
class Entry:
    """One item of a platform: a video, a photo or a gallery (album)."""

    id: int
    kind: str
    title: str
    views: int
    uploaded: dt.date
    uploader: str
    persons: tuple[str, ...] = ()
    duration: int | None = None
    gallery: int | None = None
    """For a photo: its gallery's id."""
    photos: list[int] = field(default_factory=list)
    """For a gallery: its photos' ids."""
    removed: bool = False
    """Its page answers 404 (or 410)."""
    stale: bool = False
    """Removed, yet still listed where the crawler reads (a stale sitemap, a cached link)."""

    @property
    def slug(self) -> str:
        return slugify(self.title)[:60] or f"item-{self.id}"


class Catalogue:
    """A platform's items from a seed, with the figures a census of it must give."""

    def __init__(
        self,
        rng: random.Random,
        *,
        videos: tuple[int, int] = (0, 0),
        photos: tuple[int, int] = (0, 0),
        galleries: tuple[int, int] = (0, 0),
    ) -> None:
        self.rng = rng
        self.entries: dict[tuple[str, int], Entry] = {}
        self.persons = [person_name(rng) for _ in range(rng.randint(4, 9))]
        self.uploaders = [uploader_handle(rng) for _ in range(rng.randint(3, 6))]
        self._next_id = rng.randint(1000, 5000)
        for _ in range(rng.randint(*videos)):
            self.add("video")
        for _ in range(rng.randint(*galleries)):
            gallery = self.add("gallery")
            for _ in range(rng.randint(2, 9)):
                self.add("photo", gallery=gallery.id)
        for _ in range(rng.randint(*photos)):
            self.add("photo")

    def add(self, kind: str, *, gallery: int | None = None, uploaded: dt.date | None = None) -> Entry:
        rng = self.rng
        self._next_id += rng.randint(1, 7)
        entry = Entry(
            id=self._next_id,
            kind=kind,
            title=photo_title(rng) if kind == "photo" else title(rng),
            views=int(rng.paretovariate(1.1) * 300),
            uploaded=uploaded or TODAY - dt.timedelta(days=rng.randint(2, 1500)),
            uploader=rng.choice(self.uploaders),
            persons=tuple(rng.sample(self.persons, rng.randint(1, 2))),
            duration=rng.randint(20, 5400) if kind == "video" else None,
            gallery=gallery,
        )
        self.entries[(kind, entry.id)] = entry
        if gallery is not None:
            self.entries[("gallery", gallery)].photos.append(entry.id)
        return entry

    def remove(self, entry: Entry, *, stale: bool) -> None:
        entry.removed, entry.stale = True, stale

    def remove_some(self, kind: str, share: float, *, stale: bool) -> list[Entry]:
        """Remove a share of the present items of ``kind`` (at least one when there are any)."""
        present = self.present(kind)
        chosen = self.rng.sample(present, max(1, int(len(present) * share))) if present else []
        for entry in chosen:
            self.remove(entry, stale=stale)
        return chosen

    def get(self, kind: str, item_id: int) -> Entry | None:
        return self.entries.get((kind, item_id))

    def all(self, kind: str) -> list[Entry]:
        """Every item of ``kind``, newest first (removed ones included)."""
        return sorted(
            (e for e in self.entries.values() if e.kind == kind),
            key=lambda e: (e.uploaded, e.id),
            reverse=True,
        )

    def present(self, kind: str) -> list[Entry]:
        return [e for e in self.all(kind) if not e.removed]

    def listed(self, kind: str) -> list[Entry]:
        """What a stale listing or sitemap shows: the present items and the stale removed ones."""
        return [e for e in self.all(kind) if not e.removed or e.stale]

    def truth(self, *, seen_removed: int) -> dict[str, int]:
        """The figures a census must give; ``seen_removed``: removed items the crawl could have known."""
        videos = self.present("video")
        return {
            "videos": len(videos),
            "photos": len(self.present("photo")),
            "galleries": len(self.present("gallery")),
            "views": sum(v.views for v in videos),
            "removed": seen_removed,
        }


# -- serving ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str
    query: dict[str, str]
    cookies: dict[str, str]

    def page(self, default: int = 1) -> int | None:
        raw = self.query.get("page", str(default))
        return int(raw) if raw.isdigit() and 0 < int(raw) < 100_000 else None


@dataclass
class Reply:
    status: int
    body: str | bytes = ""
    ctype: str = HTML
    headers: dict[str, str] = field(default_factory=dict)


NOT_FOUND = Reply(
    404, "<!DOCTYPE html><html><head><title>404 Not Found</title></head><body><h1>Not found</h1>"
)


class ZooSite:
    """A platform generator: ``route`` answers a request from the catalogue."""

    name = "site"
    adapter: str | None = None
    """The adapter file (in tests/census/zoo/adapters/) that reads this site."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.base = ""
        self.mode = "up"
        """``up``, or ``wall``: every page answers 503 (a site that is down behind its front)."""

    def route(self, req: Request) -> Reply:
        raise NotImplementedError

    def case_settings(self) -> dict[str, Any]:
        """What case.yaml needs to read this site (an age-gate cookie)."""
        return {}

    def seen_removed(self, adapter: bool) -> int:
        """Removed items a census of this site records before finding them gone."""
        return 0

    def truth(self, adapter: bool) -> dict[str, int]:
        raise NotImplementedError

    # -- helpers for pages -------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base + path

    def handle(self, h: Any) -> None:
        parts = urlsplit(h.path)
        cookies = dict(
            pair.strip().split("=", 1) for pair in (h.headers.get("Cookie") or "").split(";") if "=" in pair
        )
        req = Request(parts.path, dict(parse_qsl(parts.query)), cookies)
        reply = Reply(503, "<html><body>Service unavailable</body></html>") if self.mode == "wall" else None
        reply = reply or self.route(req)
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        h.send_body(reply.status, body, reply.ctype, **reply.headers)

    @contextmanager
    def serving(self) -> Iterator[HostileServer]:
        with HostileServer() as server:
            self.base = server.base
            server.prefix("/", self.handle)
            yield server


def page(title_text: str, body: str, *, head: str = "") -> str:
    return (
        "<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>{escape(title_text)}</title>{head}</head><body>{body}</body></html>\n"
    )


def urlset(entries: Iterator[str] | list[str], *, video: bool = False, image: bool = False) -> Reply:
    namespaces = f'xmlns="{SITEMAP_NS}"'
    namespaces += f' xmlns:video="{VIDEO_NS}"' if video else ""
    namespaces += f' xmlns:image="{IMAGE_NS}"' if image else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset {namespaces}>\n{"".join(entries)}</urlset>\n'
    return Reply(200, body, XML)


def sitemap_index(urls: list[str]) -> Reply:
    entries = "".join(f"<sitemap><loc>{escape(u)}</loc></sitemap>\n" for u in urls)
    head = f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
    body = f"{head}{entries}</sitemapindex>\n"
    return Reply(200, body, XML)


def video_ld(url: str, e: Entry, *, base: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A schema.org VideoObject as tube scripts' templates write it."""
    return {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": e.title,
        "url": url,
        "duration": iso_duration(e.duration or 0),
        "uploadDate": e.uploaded.isoformat(),
        "thumbnailUrl": f"{base}/thumbs/{e.id}.jpg",
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": e.views,
        },
        "author": {"@type": "Person", "name": e.uploader},
        "actor": [{"@type": "Person", "name": p} for p in e.persons],
        **(extra or {}),
    }


def photo_ld(url: str, e: Entry, *, base: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org",
        "@type": "ImageObject",
        "name": e.title,
        "url": url,
        "contentUrl": f"{base}/img/{e.id}.jpg",
        "uploadDate": e.uploaded.isoformat(),
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": "https://schema.org/ViewAction",
            "userInteractionCount": str(e.views),
        },
        "author": {"@type": "Person", "name": e.uploader},
        "about": [{"@type": "Person", "name": p} for p in e.persons],
    }


def chunks(items: list[Entry], size: int) -> list[list[Entry]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def page_of(items: list[Entry], size: int, number: int) -> tuple[list[Entry], bool] | None:
    """Page ``number`` (from 1) of ``items`` and whether another follows; None past the last page."""
    pages = chunks(items, size)
    return (pages[number - 1], number < len(pages)) if 0 < number <= len(pages) else None


Router = Callable[[Request], Reply | None]
