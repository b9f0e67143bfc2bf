"""The extractor used without an adapter file: sitemaps, schema.org, OpenGraph, rel=next and ItemList.

Item kinds of URLs are guessed from common path words (``/video/…``, ``/photo/…``, ``/album/…``);
the platform id of an item is its canonical URL's path and query.
"""

from __future__ import annotations

import datetime as dt
import re

from unmask.census.extract.base import MAX_LINKS, BaseExtractor
from unmask.census.extract.document import Document
from unmask.census.extract.schemaorg import itemlist_urls, schemaorg_records
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PageResult
from unmask.core.urls import canonicalize, is_http, is_media, path_and_query

_LANG = r"(?:/[a-z]{2}(?:-[a-z]{2})?)?"

ITEM_PATTERNS: tuple[tuple[ItemKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        (ItemKind.VIDEO, rf"^{_LANG}/(?:video|watch|v|clip|movie)/[^/?]+|^{_LANG}/watch\?(?:[^#]*&)?v="),
        (ItemKind.PHOTO, rf"^{_LANG}/(?:photo|image|picture|pic)/[^/?]+"),
        (ItemKind.GALLERY, rf"^{_LANG}/(?:album|gallery|galleries|set)/[^/?]+"),
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
    r"galleries|categories|category|tags?)(?:[/?]|$)|[?&]page=\d+",
    re.IGNORECASE,
)
NEWEST_PATTERN = re.compile(
    r"(?:^|/)(?:latest|newest|recent|new)(?:[/?]|$)|[?&](?:sort|order|sort_by|orderby|o)=(?:newest|latest|"
    r"recent|new|date|date_desc|mr|uploaded)(?:&|$)",
    re.IGNORECASE,
)

GENERIC_WANTED: dict[ItemKind, frozenset[str]] = {
    ItemKind.VIDEO: frozenset({"title", "duration", "views", "upload_date", "uploader", "persons", "tags"}),
    ItemKind.PHOTO: frozenset({"title", "views", "upload_date", "uploader", "persons"}),
    ItemKind.GALLERY: frozenset({"title", "views", "upload_date", "uploader", "persons", "photo_count"}),
}
"""What schema.org item pages commonly carry (no standard property says which gallery a photo is in)."""


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

    def _extract_html(self, kind: PageKind, doc: Document, fetched_at: dt.datetime) -> PageResult:
        records = self.with_ids(schemaorg_records(doc))
        if kind is PageKind.ITEM:
            return PageResult(items=self._item_page(records, doc))
        result = PageResult(items=records, next_page=doc.next_page())
        if kind is PageKind.PAGE:
            result.links = list(self.anchor_links(doc))
            return result
        urls = itemlist_urls(doc)
        links = [self._item_link(url) for url in urls[:MAX_LINKS]]
        if not links:
            links = list(self.anchor_links(doc, frozenset({PageKind.ITEM})))
        result.links = self.item_links(records) + links
        return result

    def with_ids(self, records: list[ItemRecord]) -> list[ItemRecord]:
        for record in records:
            record.platform_id = record.platform_id or path_and_query(record.url)
        return records

    def _item_link(self, url: str) -> Link:
        known = self.identify(url)
        return Link(url=url, kind=PageKind.ITEM, item_kind=known[0] if known else None)

    @staticmethod
    def _item_page(records: list[ItemRecord], doc: Document) -> list[ItemRecord]:
        """Mark the record that describes the page itself (or the only one) as from its item page."""
        page_urls = {doc.url, doc.canonical() or doc.url}
        own = next((r for r in records if r.url in page_urls), records[0] if len(records) == 1 else None)
        if own is not None:
            own.from_item_page = True
        return records
