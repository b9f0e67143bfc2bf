"""The extractor used without an adapter file: sitemaps, schema.org, OpenGraph, rel=next and ItemList.

Discovery. Item kinds of URLs are guessed from common path words (``/video/…``, ``/photo/…``, ``/album/…``,
and tube scripts' ``/videos/<id>/<slug>/``); the platform id of an item is its canonical URL's path and
query. A page whose URL says nothing is a *candidate*: a sitemap entry no extension describes, or a link
on a listing page that shows no recognisable item link (WordPress's ``/?p=123``). Candidates wait for
the fill phase like every item link; their own page then says whether they are an item, and of which
kind (its structured data). A page at an item-shaped URL with no structured data is an item of the
kind its URL says, unless its title says it was removed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from lxml import etree

from unmask.census.extract.base import MAX_LINKS, BaseExtractor
from unmask.census.extract.document import Document, text_of
from unmask.census.extract.schemaorg import itemlist_urls, schemaorg_records
from unmask.census.extract.sitemap import SitemapDoc
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PageResult
from unmask.core.urls import canonicalize, is_http, is_media, path_and_query, same_site

_LANG = r"(?:/[a-z]{2}(?:-[a-z]{2})?)?"
_ID_SLUG = r"/\d+/[^/?]+"
"""A numeric id followed by a slug: ``/videos/123/some-title/`` is an item, ``/videos/2/`` a listing page."""

ITEM_PATTERNS: tuple[tuple[ItemKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (
            ItemKind.VIDEO,
            rf"^{_LANG}/(?:video|watch|v|clip|movie)/[^/?]+|^{_LANG}/watch\?(?:[^#]*&)?v="
            rf"|^{_LANG}/(?:videos|clips|movies){_ID_SLUG}",
        ),
        (
            ItemKind.PHOTO,
            rf"^{_LANG}/(?:photo|image|picture|pic)/[^/?]+|^{_LANG}/(?:photos|pictures|pics){_ID_SLUG}",
        ),
        (ItemKind.GALLERY, rf"^{_LANG}/(?:album|gallery|galleries|set)/[^/?]+|^{_LANG}/albums{_ID_SLUG}"),
    )
)
"""Path words that usually mean an item page."""

PERSON_PATTERN = re.compile(
    rf"^{_LANG}/(?:model|models|performer|performers|pornstar|pornstars|actor|actress|star|stars|"
    r"celebrity|celebrities|person|people|channel|channels)/[^/?]+",
    re.IGNORECASE,
)
LISTING_PATTERN = re.compile(
    rf"^{_LANG}/(?:browse|latest|newest|recent|new|popular|top|videos|photos|pictures|images|albums|"
    r"galleries|categories|category|tags?|latest-updates|most-popular|most-viewed|most-recent|top-rated|"
    r"longest|random)(?:[/?]|$)|[?&](?:page|paged)=\d+|/page/\d+/?(?:\?|$)",
    re.IGNORECASE,
)
NEWEST_PATTERN = re.compile(
    r"(?:^|/)(?:latest|newest|recent|new|latest-updates|most-recent)(?:[/?]|$)|[?&](?:sort|order|sort_by|"
    r"orderby|o)=(?:newest|latest|recent|new|date|date_desc|mr|uploaded)(?:&|$)",
    re.IGNORECASE,
)
REMOVED_TITLE = re.compile(
    r"\b(?:removed|deleted|no longer available|not available|unavailable|does not exist|not found|"
    r"taken down|disabled)\b",
    re.IGNORECASE,
)
"""What the title of a page that says its item is gone says (checked only when no structured data
describes the page itself)."""

GENERIC_WANTED: dict[ItemKind, frozenset[str]] = {
    ItemKind.VIDEO: frozenset({"title", "duration", "views", "upload_date", "uploader", "persons", "tags"}),
    ItemKind.PHOTO: frozenset({"title", "views", "upload_date", "uploader", "persons"}),
    ItemKind.GALLERY: frozenset({"title", "views", "upload_date", "uploader", "persons", "photo_count"}),
}
"""What schema.org item pages commonly carry (no standard property says which gallery a photo is in)."""

_TITLES = tuple(
    etree.XPath(path, smart_strings=False)
    for path in ("//meta[@property='og:title']/@content", "//h1", "//title")
)
_ANCHORS = etree.XPath("//a[@href]/@href", smart_strings=False)


class GenericExtractor(BaseExtractor):
    name = "generic"
    sitemap_item_links = True

    def identify(self, url: str) -> tuple[ItemKind, str] | None:
        url = canonicalize(url)
        if not is_http(url) or is_media(url):
            return None
        path = path_and_query(url)
        kind = next((kind for kind, pattern in ITEM_PATTERNS if pattern.search(path)), None)
        return (kind, path) if kind else None

    def wanted(self, kind: ItemKind) -> frozenset[str]:
        return GENERIC_WANTED[kind]

    def sorted_newest(self, url: str) -> bool:
        return NEWEST_PATTERN.search(path_and_query(canonicalize(url))) is not None

    def _start_pages(self, base_url: str) -> list[str]:
        return [f"{base_url}/"]

    def _classify_page(self, url: str, path: str) -> tuple[PageKind, ItemKind | None] | None:
        known = self.identify(url)
        if known is not None:
            return PageKind.ITEM, known[0]
        if PERSON_PATTERN.search(path):
            return PageKind.PERSON, None
        if LISTING_PATTERN.search(path):
            return PageKind.LISTING, None
        return None

    def sitemap_candidates(self, doc: SitemapDoc, items: list[ItemRecord]) -> list[Link]:
        """Sitemap entries that gave no record and whose URL says nothing: their own page will tell."""
        recorded = {r.url for r in items}
        out = []
        for entry in doc.entries:
            url = canonicalize(entry.loc)
            if url in recorded or not is_http(url) or is_media(url) or not same_site(url, self._site(url)):
                continue
            if self.classify(url) is None and path_and_query(url) != "/":
                out.append(Link(url, PageKind.ITEM, None))
        return out

    def _extract_html(self, kind: PageKind, doc: Document, fetched_at: dt.datetime) -> PageResult:
        records = self.with_ids(schemaorg_records(doc))
        if kind is PageKind.ITEM:
            return self._item_page(records, doc)
        result = PageResult(items=records, next_page=doc.next_page())
        if kind is PageKind.PAGE:
            result.links = list(self.anchor_links(doc))
            return result
        urls = itemlist_urls(doc)
        links = [self._item_link(url) for url in urls[:MAX_LINKS]]
        if not links:
            links = list(self.anchor_links(doc, frozenset({PageKind.ITEM})))
        if not links and not records:  # a listing whose items have URLs that say nothing
            links = list(self._candidates(doc, result.next_page))
        result.links = self.item_links(records) + links
        return result

    def with_ids(self, records: list[ItemRecord]) -> list[ItemRecord]:
        for record in records:
            record.platform_id = record.platform_id or path_and_query(record.url)
        return records

    def _item_link(self, url: str) -> Link:
        known = self.identify(url)
        return Link(url=url, kind=PageKind.ITEM, item_kind=known[0] if known else None)

    def _candidates(self, doc: Document, next_page: str | None) -> Iterator[Link]:
        """Same-site links the URL patterns say nothing about (not the page, its pagination or the root)."""
        found = _ANCHORS(doc.root)
        skip = {doc.url, next_page}
        count = 0
        for href in found if isinstance(found, list) else []:
            url = doc.resolve(href) if isinstance(href, str) else None
            if url is None or url in skip or path_and_query(url) == "/" or self.classify(url) is not None:
                continue
            if LISTING_PATTERN.search(path_and_query(url)):
                continue
            skip.add(url)
            yield Link(url, PageKind.ITEM, None)
            count += 1
            if count >= MAX_LINKS:
                return

    def _item_page(self, records: list[ItemRecord], doc: Document) -> PageResult:
        """The page's own record marked as read from its item page; a gallery's page also lists its
        photos (and may continue on further pages); no structured data: the URL's kind, or gone."""
        page_urls = {doc.url, doc.canonical() or doc.url}
        own = next((r for r in records if r.url in page_urls), records[0] if len(records) == 1 else None)
        if own is None:
            title = self._title(doc)
            if title and len(title) <= 120 and REMOVED_TITLE.search(title):
                return PageResult(gone=True)
            known = self.identify(doc.url)
            if known is None:
                return PageResult(items=records)
            own = ItemRecord(kind=known[0], url=doc.url, platform_id=known[1], title=title)
            records.append(own)
        own.from_item_page = True
        result = PageResult(items=records)
        if own.kind is ItemKind.GALLERY:
            links = self.anchor_links(doc, frozenset({PageKind.ITEM}))
            result.links = [link for link in links if link.url not in page_urls]
            result.next_page = doc.next_page()
        return result

    @staticmethod
    def _title(doc: Document) -> str | None:
        """og:title, else the first heading, else the document's title."""
        for xpath in _TITLES:
            found = xpath(doc.root)
            text = text_of(found[0]) if isinstance(found, list) and found else None
            if text:
                return text
        return None
