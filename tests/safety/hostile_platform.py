"""An invented platform on loopback that spells its depicted persons' names every way it can.

Crawled with the real CLI and a small adapter of its own (the platform marks one private person as a
"celebrity" in its markup). Every name is invented.

- Janet Doerwald: private, labelled "celebrity" by the platform; spelled ``Janet Doerwald``,
  ``janet-doerwald`` (person URL, ``?page=3``), ``JanetDoerwald_HD``, ``#JanetDoerwald``, ``janet.doerwald``,
  fullwidth ``ＪａｎｅｔＤｏｅｒｗａｌｄ``; the uploader ``JanetDoerwaldFan`` is built from her name. She also
  appears in the owners' register as a 5 % owner (so she stays hidden there too).
- Zoë Ångström: private; spelled ``Zoë Ångström``, ``ZOË ÅNGSTRÖM``, ``zo%C3%AB-%C3%A5ngstr%C3%B6m`` (person
  URL), ``zoe-angstrom`` (tag), ``Zoe_Angstrom``.
- Mirela Kostadinova: a public figure on the investigator's list: named.
- Gideon Farrowmere: an owner from a register, never depicted: named in every output alike.
"""

from __future__ import annotations

import re
import unicodedata
from html import escape
from pathlib import Path
from urllib.parse import unquote

from unidecode import unidecode

from tests.helpers.hostile import HostileServer

HIDDEN = {"Janet Doerwald": "janetdoerwald", "Zoë Ångström": "zoeangstrom"}
"""Depicted persons no default output may name: their name and its letters, folded."""
HIDDEN_FRAGMENTS = ("doerwald", "angstrom", "ngstr")
"""Parts of those names that must not appear either (folded text)."""
PUBLIC = "Mirela Kostadinova"
OWNER = "Gideon Farrowmere"
COMPANY = "Quiet Harbour Media Ltd"
FORMULA_TAG = '=HYPERLINK("http://x.invalid","click")'
MARKUP_TITLE = "Leaked [/bold] [link=http://evil.invalid]click[/link] \u202eevil\u202c"

ADAPTER = r"""
name: hostile
start: [/videos]
items:
  video: '^/video/(?P<id>\d+)(?:[/?]|$)'
wanted:
  video: [title, views, uploader, persons, tags]
records:
  card:
    url: {css: 'h3 a', attr: href}
    fields:
      title: 'h3'
      views: '.views'
      uploader: 'a.uploader'
      uploader_url: {css: 'a.uploader', attr: href}
    persons: &persons
      each: '.models a.model'
      public_figure: {css: '::attr(class)', re: '(?:^|\s)celebrity(?:\s|$)'}
  page:
    fields:
      title: 'h1'
      views: '.views'
      uploader: 'a.uploader'
      uploader_url: {css: 'a.uploader', attr: href}
      tags: 'ul.tags a.tag'
    persons: *persons
pages:
  - type: listing
    url: '^/videos(?:\?|$)'
    kind: video
    cards: 'article.card'
    record: card
  - type: person
    url: '^/model/[^/?]+(?:\?|$)'
    kind: video
    cards: 'article.card'
    record: card
    next: {css: 'a[rel~="next"]', attr: href}
  - type: item
    url: '^/video/\d+(?:[/?]|$)'
    record: page
"""

JANET = ("/model/janet-doerwald", "Janet Doerwald", "model celebrity")
ZOE = ("/model/zo%C3%AB-%C3%A5ngstr%C3%B6m", "Zoë Ångström", "model")
MIRELA = ("/model/mirela-kostadinova", PUBLIC, "model")

CLIPS = [
    # id, title, views, uploader, persons, tags
    (1, "JanetDoerwald_HD exclusive", 900, "JanetDoerwaldFan", [JANET], ["#JanetDoerwald", FORMULA_TAG]),
    (
        2,
        "ZOË ÅNGSTRÖM ＪａｎｅｔＤｏｅｒｗａｌｄ",
        800,
        "uploader2",
        [ZOE],
        ["zoe-angstrom", "janet.doerwald"],
    ),
    (3, f"{PUBLIC} speech", 700, "newsdesk", [MIRELA], ["speech", "+cmd|' /C calc'!A0"]),
    (4, "Janet doerwald and Zoe_Angstrom", 600, "uploader2", [JANET, ZOE], ["@SUM(1+1)*cmd|' /C calc'!A0"]),
    (5, MARKUP_TITLE, 500, "[/bold]\u202euploader", [], ["[link=http://evil.invalid]x[/link]", "\u202etag"]),
]


def _card(clip: tuple) -> str:  # type: ignore[type-arg]
    n, title, views, uploader, persons, _ = clip
    models = "".join(f'<a class="{cls}" href="{href}">{escape(name)}</a>' for href, name, cls in persons)
    return (
        f'<article class="card"><h3><a href="/video/{n}">{escape(title)}</a></h3>'
        f'<span class="views">{views}</span>'
        f'<a class="uploader" href="/user/{escape(uploader)}">{escape(uploader)}</a>'
        f'<div class="models">{models}</div></article>'
    )


def _page(clip: tuple) -> str:  # type: ignore[type-arg]
    n, title, views, uploader, persons, tags = clip
    models = "".join(f'<a class="{cls}" href="{href}">{escape(name)}</a>' for href, name, cls in persons)
    tag_links = "".join(f'<li><a class="tag" href="/tag/{n}">{escape(t)}</a></li>' for t in tags)
    return (
        f"<html><body><h1>{escape(title)}</h1><span class='views'>{views}</span>"
        f'<a class="uploader" href="/user/{escape(uploader)}">{escape(uploader)}</a>'
        f'<div class="models">{models}</div><ul class="tags">{tag_links}</ul></body></html>'
    )


def serve(server: HostileServer) -> None:
    """Routes of the platform on a running hostile server."""
    server.static("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    cards = "".join(_card(c) for c in CLIPS)
    links = '<a href="/model/janet-doerwald?page=3">more of her</a>'
    server.static("/videos", f"<html><body>{cards}{links}</body></html>")
    for clip in CLIPS:
        server.static(f"/video/{clip[0]}", _page(clip))
    for href, _, _ in (JANET, ZOE, MIRELA):
        mine = "".join(_card(c) for c in CLIPS if any(p[0] == href for p in c[4]))
        for path in {href, unquote(href)}:
            server.static(path, f"<html><body>{mine}</body></html>")
    # page 3 of Janet's listing fails: its URL reaches the run's records (captures, errors, logs)
    server.route("/model/janet-doerwald", _janet_pages(server))


def _janet_pages(server: HostileServer):  # type: ignore[no-untyped-def]
    mine = "".join(_card(c) for c in CLIPS if any(p[0] == JANET[0] for p in c[4]))

    def handler(h) -> None:  # type: ignore[no-untyped-def]
        if "page=3" in h.path:
            h.send_body(500, b"<html><body>error</body></html>")
        else:
            nxt = '<a rel="next" href="/model/janet-doerwald?page=3">next</a>'
            h.send_body(200, f"<html><body>{mine}{nxt}</body></html>".encode())

    return handler


def write_inputs(folder: Path, platform: str) -> tuple[Path, Path, Path]:
    """The adapter, the investigator's public-figure list and the owners' register notes (the company
    operates the platform, whose graph ID is its base URL)."""
    adapter = folder / "hostile.yaml"
    adapter.write_text(ADAPTER, encoding="utf-8")
    public = folder / "public.csv"
    public.write_text(f"name,aliases\n{PUBLIC},M. Kostadinova\n", encoding="utf-8")
    notes = folder / "register.csv"
    notes.write_text(
        "owner,asset,percentage,source,owner_id,asset_id,owner_type,kind,start,end\n"
        f"{OWNER},{COMPANY},95%,invented registry extract,,,person,,2020-01-01,\n"
        f"Janet Doerwald,{COMPANY},5%,invented registry extract,,,person,,2020-01-01,\n"
        f"{COMPANY},The platform,100%,invented terms of service,,{platform},company,,,\n",
        encoding="utf-8",
    )
    return adapter, public, notes


def folded(text: str) -> str:
    """Text as a reader could still recognise a name in it: escapes decoded, folded, letters only."""
    for _ in range(3):
        text = unquote(text)
    text = unidecode(unicodedata.normalize("NFKC", text).casefold()).casefold()
    return re.sub(r"[^a-z0-9]+", "", text)


def leaks(text: str) -> list[str]:
    """Hidden names (or their distinctive parts) still recognisable in a text."""
    flat = folded(text)
    return [probe for probe in (*HIDDEN.values(), *HIDDEN_FRAGMENTS) if probe in flat]
