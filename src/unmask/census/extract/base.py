"""The interface the crawler drives (``Extractor``) and what every extractor shares: robots.txt,
sitemaps, site and media filtering, HTML decoding.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Protocol, runtime_checkable

from lxml import etree

from unmask.census.extract.document import Document
from unmask.census.extract.sitemap import media_pages, parse_sitemap, robots_sitemaps, sitemap_items
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PageResult, RejectedValue
from unmask.core.text import implausible
from unmask.core.urls import canonicalize, is_http, is_media, origin, path_and_query, same_site

log = logging.getLogger(__name__)

MAX_LINKS = 5_000
"""Links kept from one page (a hostile page may hold millions of anchors)."""
MAX_ROBOTS_BYTES = 512 * 1024

_SITEMAP_SEGMENT = re.compile(r"(?:^|/)([^/?]*)\.(?:xml|txt)(?:\.gz)?(?=\?|$)", re.IGNORECASE)
_SITEMAP_FOLDER = re.compile(r"^/sitemaps?/[^?]+\.(?:xml|txt)(?:\.gz)?(?:\?|$)", re.IGNORECASE)


def is_sitemap_path(path: str) -> bool:
    r"""Paths (with their query) taken for sitemaps when an adapter does not say otherwise: a segment
    naming a sitemap that ends the path or stands before a ``?`` (``/sitemap-videos-3.xml.gz``,
    ``/index.php?/sitemap.xml``), or any XML or text file under ``/sitemap(s)/``.

    Linear: each pattern has one unbounded run per start, and starts are at ``/``. The single pattern this
    replaced (two unbounded runs around "sitemap" before ``\.xml``) backtracked quadratically over a
    4 KB path of "sitemap." repeated: about 10 ms an anchor, tens of seconds for a page of them.
    """
    lowered = path.lower()
    if ".xml" not in lowered and ".txt" not in lowered:
        return False
    if any("sitemap" in m.group(1) for m in _SITEMAP_SEGMENT.finditer(lowered)):
        return True
    return _SITEMAP_FOLDER.search(lowered) is not None


_ANCHORS = etree.XPath("//a[@href]/@href", smart_strings=False)


@runtime_checkable
class Extractor(Protocol):
    """What the crawler needs from a platform's reader (an adapter file or the generic one)."""

    name: str

    def start_urls(self, base_url: str) -> list[Link]:
        """robots.txt first, then the start pages. Also fixes the site the extractor keeps to."""
        ...

    def classify(self, url: str) -> tuple[PageKind, ItemKind | None] | None:
        """What fetching ``url`` would give; None when it is not worth fetching."""
        ...

    def identify(self, url: str) -> tuple[ItemKind, str] | None:
        """(item kind, platform id) of an item page URL, or None."""
        ...

    def extract(
        self, kind: PageKind, url: str, body: bytes, *, encoding: str | None, fetched_at: dt.datetime
    ) -> PageResult:
        """Everything one response says. Never raises on any body."""
        ...

    def wanted(self, kind: ItemKind) -> frozenset[str]:
        """Fields a complete record of ``kind`` has: an item lacking one is worth its own page."""
        ...

    def sorted_newest(self, url: str) -> bool:
        """True when the listing at ``url`` shows the newest items first."""
        ...


def decode_text(body: bytes, encoding: str | None, limit: int) -> str:
    """A text body (robots.txt) in its declared charset, else UTF-8; BOM dropped.

    Bytes invalid in the charset become lone surrogates (``surrogateescape``), so a reader can tell a
    value that held one from a value that holds a real U+FFFD and skip it.
    """
    codec = "utf-8"
    if encoding:
        try:
            codec = codecs.lookup(encoding.strip().strip("\"'")).name
        except (LookupError, ValueError):
            codec = "utf-8"
    try:
        return body[:limit].decode(codec, "surrogateescape").removeprefix("\ufeff")
    except (LookupError, TypeError, ValueError):
        return body[:limit].decode("utf-8", "surrogateescape").removeprefix("\ufeff")


class BaseExtractor:
    """Shared behaviour; subclasses say how pages are classified, identified and read."""

    name: str = "base"
    sitemap_item_links: bool = False
    """Whether a URL set's items are also returned as ITEM links."""

    def __init__(self, base_url: str | None = None) -> None:
        self.base_url: str | None = origin(base_url) if base_url else None

    # ----------------------------------------------------------------------------- the interface

    def start_urls(self, base_url: str) -> list[Link]:
        self.base_url = origin(base_url)
        links = [Link(url=f"{self.base_url}/robots.txt", kind=PageKind.ROBOTS)]
        seen = {links[0].url}
        for url in self._start_pages(self.base_url):
            url = canonicalize(url)
            if url in seen or not is_http(url):
                continue
            seen.add(url)
            known = self.classify(url)
            links.append(
                Link(url=url, kind=known[0], item_kind=known[1]) if known else Link(url, PageKind.PAGE)
            )
        return links

    def classify(self, url: str) -> tuple[PageKind, ItemKind | None] | None:
        url = canonicalize(url)
        if not is_http(url) or is_media(url):
            return None
        if self.base_url is not None and not same_site(url, self.base_url):
            return None
        path = path_and_query(url)
        if path == "/robots.txt":
            return PageKind.ROBOTS, None
        if self._is_sitemap(path):
            return PageKind.SITEMAP, None
        return self._classify_page(url, path)

    def identify(self, url: str) -> tuple[ItemKind, str] | None:
        raise NotImplementedError

    def wanted(self, kind: ItemKind) -> frozenset[str]:
        raise NotImplementedError

    def sorted_newest(self, url: str) -> bool:
        raise NotImplementedError

    def extract(
        self, kind: PageKind, url: str, body: bytes, *, encoding: str | None, fetched_at: dt.datetime
    ) -> PageResult:
        if kind is PageKind.ROBOTS:
            return self._robots(url, body, encoding)
        if kind is PageKind.SITEMAP:
            result = self._sitemap(url, body)
        else:
            doc = Document.parse(body, url, encoding=encoding, site=self.base_url or url)
            result = self._extract_html(kind, doc, fetched_at)
            result.canonical = result.canonical or doc.canonical()
            result.links = _unique_links(result.links)
        for record in result.items:
            vet(record, fetched_at.date())
        return result

    # ------------------------------------------------------------------------------ for subclasses

    def _start_pages(self, base_url: str) -> list[str]:
        return []

    def _is_sitemap(self, path: str) -> bool:
        return is_sitemap_path(path)

    def _classify_page(self, url: str, path: str) -> tuple[PageKind, ItemKind | None] | None:
        raise NotImplementedError

    def _extract_html(self, kind: PageKind, doc: Document, fetched_at: dt.datetime) -> PageResult:
        raise NotImplementedError

    # ----------------------------------------------------------------------------------- helpers

    def _site(self, url: str) -> str:
        return self.base_url or url

    def _robots(self, url: str, body: bytes, encoding: str | None) -> PageResult:
        text = decode_text(body, encoding, MAX_ROBOTS_BYTES)
        site = self._site(url)
        urls = [u for u in robots_sitemaps(text, url) if same_site(u, site) and not is_media(u)]
        if not urls:
            urls = [f"{origin(url)}/sitemap.xml"]
        return PageResult(links=[Link(url=u, kind=PageKind.SITEMAP) for u in urls])

    def _sitemap(self, url: str, body: bytes) -> PageResult:
        doc = parse_sitemap(body, url)
        site = self._site(url)
        if doc.kind == "index":
            links = [
                Link(u, PageKind.SITEMAP)
                for u in doc.sitemaps
                if same_site(u, site) and not is_media(u) and path_and_query(u) != "/robots.txt"
            ]
            return PageResult(links=links)
        items = [r for r in sitemap_items(doc, self.identify) if same_site(r.url, site)]
        links = self.item_links(items) if self.sitemap_item_links else []
        if self.sitemap_item_links:
            pages = media_pages(doc, self.identify)
            links.extend(Link(u, PageKind.ITEM) for u in pages if same_site(u, site))
        return PageResult(items=items, links=links)

    @staticmethod
    def item_links(records: Iterable[ItemRecord]) -> list[Link]:
        return [Link(url=r.url, kind=PageKind.ITEM, item_kind=r.kind) for r in records]

    def anchor_links(self, doc: Document, kinds: frozenset[PageKind] | None = None) -> Iterator[Link]:
        """Links of the page's anchors that ``classify`` accepts (optionally only of some kinds)."""
        found = _ANCHORS(doc.root)
        count = 0
        for href in found if isinstance(found, list) else []:
            url = doc.resolve(href) if isinstance(href, str) else None
            known = self.classify(url) if url else None
            if url and known and (kinds is None or known[0] in kinds):
                yield Link(url=url, kind=known[0], item_kind=known[1])
                count += 1
                if count >= MAX_LINKS:
                    return


PLAUSIBILITY_FIELDS: tuple[str, ...] = ("views", "duration", "upload_date", "photo_count")


def vet(record: ItemRecord, today: dt.date) -> ItemRecord:
    """Refuse implausible values (``core.text.implausible``): the field becomes None and the value is
    kept in ``record.rejected``, never guessed into range (a 1900 upload date, -5 views, 2199)."""
    for name in PLAUSIBILITY_FIELDS:
        value = getattr(record, name)
        reason = implausible(name, value, today) if value is not None else None
        if reason is not None:
            setattr(record, name, None)
            record.rejected.append(RejectedValue(name, str(value), reason))
            log.info("refused %s %r of %s: %s", name, value, record.url, reason)
    return record


def _unique_links(links: Iterable[Link]) -> list[Link]:
    seen: dict[tuple[str, PageKind], Link] = {}
    for link in links:
        if not is_media(link.url):
            seen.setdefault((link.url, link.kind), link)
    return list(seen.values())[:MAX_LINKS]
