"""A loopback platform where protected names appear in altered forms beside near misses (invented names).

Each item is a video page with a schema.org VideoObject (title, tags, actors, uploader) at a slugged URL,
listed in a sitemap, so that the generic census reads it. ``EXPECTED`` says which item must match which
protected person, in which field; ``NEAR_MISSES`` must match nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from html import escape

from tests.helpers.json_server import JsonServer, Reply
from unmask.demo.formatting import json_ld

PROTECTED = {
    "Janet Doerwald": [],
    "Zoë Ångström": [],
    "Mara Lind": [],
    "Ilona Sorokina": [],
    "Жанна Петрова": [],
    "Kirsi Hämäläinen": ["Kiki H."],
}
"""The watchlist: names and aliases (invented)."""

LIST_FILE = (
    "\n".join(" | ".join([name, *aliases]) for name, aliases in PROTECTED.items()) + "\n# a comment line\n\n"
)


@dataclass
class SiteItem:
    id: int
    title: str
    slug: str
    tags: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    uploader: str = "site-team"
    expect: set[tuple[str, str]] = field(default_factory=set)
    """(protected person, field) the scan must report for this item."""


ITEMS = [
    SiteItem(101, "JANET DOERWALD exclusive", "exclusive", expect={("Janet Doerwald", "title")}),
    SiteItem(102, "Doerwald, Janet at the lake", "lake", expect={("Janet Doerwald", "title")}),
    SiteItem(103, "Zoe Angstrom new clip", "new-clip", expect={("Zoë Ångström", "title")}),
    SiteItem(104, "Evening stream", "evening", tags=["ZoëÅngström", "hd"], expect={("Zoë Ångström", "tag")}),
    SiteItem(
        105, "Studio session", "studio", persons=["Илона Сорокина"], expect={("Ilona Sorokina", "person")}
    ),
    SiteItem(106, "zhanna petrova compilation", "compilation", expect={("Жанна Петрова", "title")}),
    SiteItem(107, "Hot new video", "janet-doerwald-hd", expect={("Janet Doerwald", "url")}),
    SiteItem(
        108, "Weekend special", "weekend", uploader="MaraLind_official", expect={("Mara Lind", "uploader")}
    ),
    SiteItem(109, "Lind Mara backstage", "backstage", expect={("Mara Lind", "title")}),
    SiteItem(110, "Kiki H. returns", "returns", expect={("Kirsi Hämäläinen", "title")}),
    SiteItem(111, "Kirsi Haemaelaeinen in Turku", "turku", expect={("Kirsi Hämäläinen", "title")}),
    # near misses: nobody must match
    SiteItem(201, "Janet Smith at the beach", "beach"),
    SiteItem(202, "Maralinda dance", "dance", tags=["maralindas"]),
    SiteItem(203, "The Doerwaldt family", "family", persons=["Janet Doerwaldson"]),
    SiteItem(204, "Zoe at the angstrom lab", "lab", tags=["zoe", "lab"]),
    SiteItem(205, "Petrova sisters", "sisters", persons=["Anna Petrova"]),
]
EXPECTED = {(item.id, person, fld) for item in ITEMS for person, fld in item.expect}
NEAR_MISSES = {item.id for item in ITEMS if not item.expect}


def item_path(item: SiteItem) -> str:
    return f"/video/{item.id}/{item.slug}"


def _page(base: str, item: SiteItem) -> str:
    url = base + item_path(item)
    data = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": item.title,
        "url": url,
        "duration": "PT5M",
        "uploadDate": (dt.date(2025, 1, 1) + dt.timedelta(days=item.id)).isoformat(),
        "thumbnailUrl": f"{base}/thumbs/{item.id}.jpg",
        "keywords": ", ".join(item.tags),
        "interactionStatistic": {
            "@type": "InteractionCounter",
            "interactionType": {"@type": "WatchAction"},
            "userInteractionCount": 1000 + item.id,
        },
        "author": {"@type": "Person", "name": item.uploader},
        "actor": [{"@type": "Person", "name": p} for p in item.persons],
    }
    return (
        f"<!doctype html><html><head><title>{escape(item.title)}</title>"
        f'<link rel="canonical" href="{url}">{json_ld(data)}</head>'
        f"<body><h1>{escape(item.title)}</h1></body></html>"
    )


def _sitemap(base: str, items: list[SiteItem]) -> str:
    urls = "".join(f"<url><loc>{base}{item_path(i)}</loc></url>" for i in items)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


@contextmanager
def protect_site(items: list[SiteItem] | None = None) -> Iterator[JsonServer]:
    """The site on loopback; ``server.routes`` may be changed between crawls."""
    chosen = list(items or ITEMS)
    with JsonServer() as server:
        base = server.base
        html = "text/html; charset=utf-8"
        server.routes["/robots.txt"] = Reply(200, f"User-agent: *\nSitemap: {base}/sitemap.xml\n")
        server.routes["/sitemap.xml"] = Reply(200, _sitemap(base, chosen), content_type="application/xml")
        links = "".join(f'<a href="{item_path(i)}">{escape(i.title)}</a>' for i in chosen)
        server.routes["/"] = Reply(
            200, f"<!doctype html><html><body>{links}</body></html>", content_type=html
        )
        for item in chosen:
            server.routes[item_path(item)] = Reply(200, _page(base, item), content_type=html)
        yield server


def protected_names_in(text: str, *, except_in: tuple[str, ...] | list[str] = ()) -> set[str]:
    """The protected persons any spelling of whose names (or aliases) stands in ``text`` as whole words
    (the strings of ``except_in``, such as a notice's URLs, taken out first)."""
    from unmask.core.text import match_words, name_spellings

    for part in except_in:
        text = text.replace(part, " ")
    words = f" {match_words(text)} "
    return {
        name
        for name, aliases in PROTECTED.items()
        for spelling in {s for n in (name, *aliases) for s in name_spellings(n)}
        if f" {spelling} " in words
    }
