"""Sitemaps: ``Sitemap:`` lines of robots.txt, sitemap indexes and URL sets (with the Google video and
image extensions), RSS 2.0 and Atom feeds (which Google accepts as sitemaps), plain-text sitemaps, gzip.

Parsing streams through lxml's pull parser with entity resolution, DTD loading and network access
off (no XXE, no entity expansion), ``huge_tree`` off, and recovery on: a malformed or truncated file
gives every complete entry before the damage, plus an ``error``. Media URLs in the extensions
(``content_loc``, ``thumbnail_loc``, ``image:loc``…) are kept as strings and never fetched.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urljoin

from lxml import etree

from unmask.census.model import ItemKind, ItemRecord
from unmask.core.text import parse_date, parse_duration, read_count
from unmask.core.urls import absolute, canonicalize, is_http, is_media, path_and_query

MAX_DECOMPRESSED = 64 * 1024 * 1024
"""Sitemaps may be 50 MB uncompressed; more than this is cut (and reported)."""
MAX_ROBOTS_CHARS = 512 * 1024
MAX_IMAGES_KEPT = 1000
MAX_VIDEOS_KEPT = 100
MAX_TEXT = 4096
CHUNK = 1024 * 1024

SitemapKind = Literal["index", "urlset", "invalid"]


@dataclass
class VideoMeta:
    """A ``<video:video>`` block. The URLs are kept as strings only."""

    title: str | None = None
    description: str | None = None
    duration: float | None = None
    view_count: int | None = None
    publication_date: dt.date | None = None
    uploader: str | None = None
    uploader_url: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    content_url: str | None = None
    thumbnail_url: str | None = None
    player_url: str | None = None


@dataclass
class SitemapEntry:
    loc: str
    lastmod: dt.date | None = None
    videos: list[VideoMeta] = field(default_factory=list)
    """Every ``<video:video>`` block, in order (at most ``MAX_VIDEOS_KEPT``)."""
    video_count: int = 0
    images: list[str] = field(default_factory=list)
    """``image:loc`` strings (at most ``MAX_IMAGES_KEPT``)."""
    image_count: int = 0
    """How many ``image:image`` blocks the entry has (a lower bound of a gallery's size at best)."""

    @property
    def video(self) -> VideoMeta | None:
        """The entry's one video: its only ``<video:video>``; None with none or several."""
        return self.videos[0] if self.video_count == 1 else None


@dataclass
class SitemapDoc:
    kind: SitemapKind
    sitemaps: list[str] = field(default_factory=list)
    entries: list[SitemapEntry] = field(default_factory=list)
    error: str | None = None


# --------------------------------------------------------------------------------------- robots.txt

_SITEMAP_LINE = re.compile(r"^[ \t]*site-?map[ \t]*:[ \t]*([^\s#]+)", re.IGNORECASE | re.MULTILINE)
"""``Sitemap:`` and ``Site-map:`` (Google's robots.txt parser accepts both), any case, up to a comment."""
_UNDECODABLE = re.compile("[\ufffd\udc80-\udcff]")
"""What a byte that is invalid in the robots.txt's charset decodes to (``replace`` or ``surrogateescape``)."""


def robots_sitemaps(robots_text: str, base_url: str) -> list[str]:
    """The sitemap URLs of a robots.txt (relative ones resolved), in order, deduplicated.

    A line whose URL holds a byte that is invalid in the file's charset is skipped, as Scrapy does: the
    URL it meant cannot be known, and a percent-encoded replacement character is not it.
    """
    found: dict[str, None] = {}
    for match in _SITEMAP_LINE.finditer(robots_text[:MAX_ROBOTS_CHARS]):
        if _UNDECODABLE.search(match.group(1)):
            continue
        url = absolute(match.group(1), base_url)
        if url is not None:
            found.setdefault(url)
    return list(found)


# ------------------------------------------------------------------------------------------ reading


def _local(tag: object) -> str:
    """Local name of an element tag (namespaces ignored; comments and PIs have none)."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _text(element: etree._Element) -> str | None:
    """The element's own text, entity references left out, whitespace collapsed."""
    parts = [element.text or ""]
    parts.extend(child.tail or "" for child in element)
    text = " ".join("".join(parts)[:MAX_TEXT].split())
    return text or None


class _Cut(Exception):
    """The body was longer than ``MAX_DECOMPRESSED``."""


def _chunks(body: bytes) -> Iterator[bytes]:
    """The body in chunks, gunzipped when it starts with the gzip magic; raises ``_Cut`` past the cap."""
    if not body.startswith(b"\x1f\x8b"):
        for start in range(0, min(len(body), MAX_DECOMPRESSED), CHUNK):
            yield body[start : start + CHUNK]
        if len(body) > MAX_DECOMPRESSED:
            raise _Cut
        return
    produced, data = 0, body
    while data:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        while data and not inflater.eof:
            chunk = inflater.decompress(data, CHUNK)
            data = inflater.unconsumed_tail
            produced += len(chunk)
            if produced > MAX_DECOMPRESSED:
                raise _Cut
            yield chunk
        data = inflater.unused_data if inflater.eof else b""


def _strip_preamble(chunk: bytes) -> bytes:
    chunk = chunk.removeprefix(b"\xef\xbb\xbf")
    if chunk.startswith((b"\xff\xfe", b"\xfe\xff")):
        return chunk
    return chunk.lstrip(b" \t\r\n")


def _video(element: etree._Element, base: str) -> VideoMeta:
    meta = VideoMeta()
    for child in element:
        name, value = _local(child.tag), _text(child)
        if value is None:
            continue
        _VIDEO_FIELDS.get(name, _ignore)(meta, value, child, base)
    return meta


def _ignore(meta: VideoMeta, value: str, element: etree._Element, base: str) -> None:
    return None


def _set(attribute: str, convert: Callable[[str], object] = str) -> Callable[..., None]:
    def setter(meta: VideoMeta, value: str, element: etree._Element, base: str) -> None:
        setattr(meta, attribute, convert(value))

    return setter


def _append(attribute: str) -> Callable[..., None]:
    def adder(meta: VideoMeta, value: str, element: etree._Element, base: str) -> None:
        values: list[str] = getattr(meta, attribute)
        if value not in values and len(values) < 100:
            values.append(value)

    return adder


def _uploader(meta: VideoMeta, value: str, element: etree._Element, base: str) -> None:
    meta.uploader = value
    info = element.get("info")
    meta.uploader_url = absolute(info, base) if info else None


_VIDEO_FIELDS: dict[str, Callable[[VideoMeta, str, etree._Element, str], None]] = {
    "title": _set("title"),
    "description": _set("description"),
    "duration": _set("duration", parse_duration),
    "view_count": _set("view_count", read_count),
    "publication_date": _set("publication_date", parse_date),
    "uploader": _uploader,
    "tag": _append("tags"),
    "category": _append("categories"),
    "content_loc": _set("content_url"),
    "thumbnail_loc": _set("thumbnail_url"),
    "player_loc": _set("player_url"),
}


def _entry(element: etree._Element, base: str) -> SitemapEntry | None:
    loc: str | None = None
    entry = SitemapEntry(loc="")
    for child in element:
        name = _local(child.tag)
        if name == "loc":
            loc = _text(child)
        elif name == "lastmod":
            entry.lastmod = parse_date(_text(child))
        elif name == "video":
            entry.video_count += 1
            if len(entry.videos) < MAX_VIDEOS_KEPT:
                entry.videos.append(_video(child, base))
        elif name == "image":
            entry.image_count += 1
            image = next((_text(c) for c in child if _local(c.tag) == "loc"), None)
            if image and len(entry.images) < MAX_IMAGES_KEPT:
                entry.images.append(image)
    if not loc:
        return None
    try:
        entry.loc = urljoin(base, loc)
    except ValueError:
        return None
    return entry if is_http(entry.loc) else None


@dataclass
class _State:
    url: str
    max_entries: int
    root: str | None = None
    depth: int = 0
    closed: bool = False
    overflow: bool = False
    doc: SitemapDoc = field(default_factory=lambda: SitemapDoc(kind="invalid"))

    def full(self) -> bool:
        return len(self.doc.entries) + len(self.doc.sitemaps) >= self.max_entries


FEED_ROOTS: dict[str, int] = {"rss": 2, "feed": 1}
"""Feeds Google accepts as sitemaps, and the depth of their entries (RSS: rss > channel > item)."""


def _entry_depth(state: _State) -> int:
    return FEED_ROOTS.get(state.root or "", 1)


def _consume(parser: etree.XMLPullParser, state: _State) -> None:
    for event, element in parser.read_events():
        if event == "start":
            if state.root is None:
                state.root = _local(element.tag)
            state.depth += 1
            continue
        state.depth -= 1
        depth = _entry_depth(state)
        if state.depth == 0:
            state.closed = True
        elif state.depth == depth:
            if state.full():
                state.overflow = True
            else:
                _take(element, state)
        if state.depth <= depth:
            _release(element)


def _take(element: etree._Element, state: _State) -> None:
    name = _local(element.tag)
    if state.root == "sitemapindex" and name == "sitemap":
        entry = _entry(element, state.url)
        child = absolute(entry.loc, state.url) if entry is not None else None
        if child is not None:
            state.doc.sitemaps.append(child)
    elif state.root == "urlset" and name == "url":
        entry = _entry(element, state.url)
        if entry is not None:
            state.doc.entries.append(entry)
    elif (state.root, name) in (("rss", "item"), ("feed", "entry")):
        entry = _feed_entry(element, state.url)
        if entry is not None:
            state.doc.entries.append(entry)


FEED_DATES: tuple[str, ...] = ("pubdate", "updated", "modified", "published", "issued")


def _feed_entry(element: etree._Element, base: str) -> SitemapEntry | None:
    """An RSS ``<item>`` (its ``<link>`` text) or an Atom ``<entry>`` (its first ``<link>`` whose rel is
    absent or ``alternate``, Atom's default), with its date."""
    loc: str | None = None
    lastmod: dt.date | None = None
    for child in element:
        name = _local(child.tag)
        if name == "link" and loc is None:
            rel = (child.get("rel") or "alternate").strip().lower()
            loc = child.get("href") if child.get("href") is not None else _text(child)
            loc = loc if rel == "alternate" else None
        elif name in FEED_DATES and lastmod is None:
            lastmod = parse_date(_text(child))
    if not loc:
        return None
    try:
        url = urljoin(base, loc.strip())
    except ValueError:
        return None
    return SitemapEntry(loc=url, lastmod=lastmod) if is_http(url) else None


def _release(element: etree._Element) -> None:
    """Free what has been read: the element's content and its earlier siblings."""
    element.clear(keep_tail=False)
    parent = element.getparent()
    if parent is not None:
        while element.getprevious() is not None:
            del parent[0]


def _new_parser() -> etree.XMLPullParser:
    return etree.XMLPullParser(
        events=("start", "end"),
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _plain_text(body: bytes, url: str, max_entries: int) -> SitemapDoc:
    text = body[:MAX_DECOMPRESSED].decode("utf-8", "replace").removeprefix("\ufeff")
    doc = SitemapDoc(kind="urlset")
    for line in text.splitlines():
        loc = line.strip()
        if is_http(loc) and len(doc.entries) < max_entries:
            doc.entries.append(SitemapEntry(loc=loc))
    if not doc.entries:
        return SitemapDoc(kind="invalid", error="neither XML nor a list of URLs")
    return doc


def _decompressed_head(body: bytes) -> bytes:
    try:
        return next(iter(_chunks(body)), b"")
    except (_Cut, zlib.error):
        return b""


def parse_sitemap(body: bytes, url: str, max_entries: int = 100_000) -> SitemapDoc:
    """Read a sitemap index, URL set or plain-text sitemap (gzipped or not). Never raises."""
    head = _strip_preamble(_decompressed_head(body))
    if head and not head.startswith((b"<", b"\xff\xfe", b"\xfe\xff")):
        joined = b"".join(_safe_chunks(body)) if body.startswith(b"\x1f\x8b") else body
        return _plain_text(joined, url, max_entries)
    state = _State(url=url, max_entries=max_entries)
    parser = _new_parser()
    error = _feed(parser, body, state)
    kept = (len(state.doc.entries), len(state.doc.sitemaps))
    complete = state.closed
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        error = error or f"not XML: {exc}"
    _consume(parser, state)
    # Entries completed only by the parser's recovery at close() may be cut short: drop them.
    if not complete or error:
        del state.doc.entries[kept[0] :], state.doc.sitemaps[kept[1] :]
        error = error or "truncated XML"
    return _finish(state, error)


def _safe_chunks(body: bytes) -> Iterator[bytes]:
    try:
        yield from _chunks(body)
    except (_Cut, zlib.error):
        return


def _feed(parser: etree.XMLPullParser, body: bytes, state: _State) -> str | None:
    first = True
    try:
        for chunk in _chunks(body):
            parser.feed(_strip_preamble(chunk) if first else chunk)
            first = False
            _consume(parser, state)
            if state.overflow:
                return f"more than {state.max_entries} entries: kept the first {state.max_entries}"
    except _Cut:
        return f"more than {MAX_DECOMPRESSED} bytes decompressed: cut there"
    except zlib.error as exc:
        return f"bad gzip data: {exc}"
    except etree.XMLSyntaxError as exc:
        return f"XML error: {exc}"
    return None


def _finish(state: _State, error: str | None) -> SitemapDoc:
    doc = state.doc
    if state.root == "sitemapindex":
        doc.kind = "index"
    elif state.root == "urlset" or state.root in FEED_ROOTS:
        doc.kind = "urlset"
    else:
        doc.kind = "invalid"
        error = f"not a sitemap (root element <{state.root}>)" if state.root else (error or "empty document")
    doc.error = error
    return doc


# --------------------------------------------------------------------------------------- to records


def _video_record(url: str, video: VideoMeta) -> ItemRecord:
    return ItemRecord(
        kind=ItemKind.VIDEO,
        url=url,
        title=video.title,
        duration=video.duration,
        views=video.view_count,
        upload_date=video.publication_date,
        uploader=video.uploader,
        uploader_url=video.uploader_url if video.uploader_url and not is_media(video.uploader_url) else None,
        tags=list(video.tags),
        categories=list(video.categories),
    )


Identify = Callable[[str], tuple[ItemKind, str] | None]


def sitemap_items(doc: SitemapDoc, classify: Identify) -> list[ItemRecord]:
    """Records for a URL set's entries (see docs/extraction.md, "Sitemaps and robots.txt").

    ``classify`` is the extractor's ``identify``: a canonical URL -> (item kind, platform id) or None.

    * An entry with exactly one ``<video:video>`` is that video (its metadata fill the record).
    * An entry with several is a page showing several videos (a listing, a model page, an article with
      embeds): it is an item only when ``classify`` knows its URL as one, and then without the blocks'
      metadata, since which block is the page's own video cannot be told. Each video is counted from
      its own page, which the sitemap or the site links.
    * Otherwise the entry's kind is the URL's. ``<image:image>`` blocks never make a photo or a gallery:
      an image sitemap lists the pictures *on* a page, and articles, products and profiles have them too
      (see ``media_pages`` for reading such pages to learn what they are).

    The platform id is the one ``classify`` gives, else the URL's path and query.
    """
    return list(_records(doc, classify))


def _records(doc: SitemapDoc, classify: Identify) -> Iterator[ItemRecord]:
    for entry in doc.entries:
        url = canonicalize(entry.loc)
        if not is_http(url) or is_media(url):
            continue
        known = classify(url)
        if entry.video is not None:
            record = _video_record(url, entry.video)
        elif known is not None:
            record = ItemRecord(kind=known[0], url=url)
        else:
            continue
        record.platform_id = known[1] if known else path_and_query(url)
        yield record


def media_pages(doc: SitemapDoc, classify: Identify) -> list[str]:
    """URLs of entries that show pictures or several videos but are no item by their URL: pages worth
    reading to learn from their own markup whether they are one (a photo page, an article)."""
    out: list[str] = []
    for entry in doc.entries:
        url = canonicalize(entry.loc)
        if not (entry.image_count or entry.video_count > 1) or not is_http(url) or is_media(url):
            continue
        if classify(url) is None:
            out.append(url)
    return out
