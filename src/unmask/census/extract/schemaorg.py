"""schema.org (JSON-LD, microdata) and OpenGraph -> item records; rel=canonical/next and ItemList links.

Structured data is taken as pages write it, which is loosely: ``@graph`` lists or bare objects,
single values or lists, strings or objects for persons, numbers as strings, ``@id`` references,
types with or without the ``https://schema.org/`` prefix. Anything that does not fit is skipped.
Each JSON-LD script is decoded on its own, so one broken script does not hide the others.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple

import jstyleson
from extruct.opengraph import OpenGraphExtractor
from extruct.w3cmicrodata import MicrodataExtractor
from lxml import etree

from unmask.census.extract.document import MAX_TEXT_CHARS, Document
from unmask.census.model import ItemKind, ItemRecord, PersonRef
from unmask.core.text import parse_count, parse_date, parse_duration
from unmask.core.urls import absolute, is_media, same_site

log = logging.getLogger(__name__)

Node = dict[str, Any]

MAX_SCRIPT_CHARS = 2 * 1024 * 1024
MAX_NODES = 5_000
MAX_DEPTH = 6
MAX_LIST = 500

ITEM_TYPES: dict[str, ItemKind] = {
    "VideoObject": ItemKind.VIDEO,
    "ImageObject": ItemKind.PHOTO,
    "Photograph": ItemKind.PHOTO,
    "ImageGallery": ItemKind.GALLERY,
    "MediaGallery": ItemKind.GALLERY,
}
"""schema.org types that are items. A ``CollectionPage`` with ``associatedMedia`` is a gallery too."""

CONTAINER_PROPERTIES: dict[str, tuple[str, ...]] = {
    "ItemList": ("itemListElement",),
    "ListItem": ("item",),
    "WebPage": ("mainEntity",),
    "ItemPage": ("mainEntity",),
    "CollectionPage": ("mainEntity",),
}
"""Where items may sit inside other nodes (items inside items, such as thumbnails, are not items)."""

VIEW_ACTIONS: frozenset[str] = frozenset({"WatchAction", "ViewAction"})
PERSON_PROPERTIES: tuple[tuple[str, bool], ...] = (
    ("actor", False),
    ("actors", False),
    ("performer", False),
    ("character", False),
    ("about", True),
)
"""Properties naming depicted persons, and whether the value must be typed ``Person``."""
UPLOADER_PROPERTIES: tuple[str, ...] = ("author", "creator", "uploader")
TITLE_PROPERTIES: tuple[str, ...] = ("name", "headline", "caption")
DATE_PROPERTIES: tuple[str, ...] = ("uploadDate", "datePublished", "dateCreated")
GALLERY_MEDIA_PROPERTIES: tuple[str, ...] = ("associatedMedia", "hasPart", "image")

_JSONLD_SCRIPTS = etree.XPath(
    "//script[contains(translate(@type, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),"
    " 'ld+json')]"
)


# ------------------------------------------------------------------------------------------ helpers


def local_name(value: object) -> str | None:
    """``"https://schema.org/VideoObject"``, ``"schema:VideoObject"``, ``{"@type": …}`` -> ``VideoObject``."""
    if isinstance(value, dict):
        value = value.get("@type") or value.get("@id")
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str)), None)
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1] or None


def types_of(node: Node) -> set[str]:
    raw = node.get("@type")
    values = raw if isinstance(raw, list) else [raw]
    return {name for name in (local_name(v) for v in values[:20]) if name}


def as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value[:MAX_LIST] if isinstance(value, list) else [value]


def clean_text(value: object, _depth: int = 0) -> str | None:
    """A display string from a JSON-LD value (string, number, ``{"@value": …}``, first of a list)."""
    if _depth > 3:
        return None
    if isinstance(value, list):
        return next((t for t in (clean_text(v, _depth + 1) for v in value[:MAX_LIST]) if t), None)
    if isinstance(value, dict):
        return clean_text(value.get("@value") if "@value" in value else value.get("name"), _depth + 1)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value)[: MAX_TEXT_CHARS * 2]
    if "&" in text:
        text = html.unescape(text)
    text = " ".join(text.split())[:MAX_TEXT_CHARS]
    return text or None


def _scalar(value: object) -> object:
    """First element of a list, ``@value`` of a value object, else the value."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict) and "@value" in value:
        value = value["@value"]
    return value


# ----------------------------------------------------------------------------------------- reading


def _jsonld_scripts(doc: Document) -> Iterator[object]:
    found = _JSONLD_SCRIPTS(doc.root)
    for script in found if isinstance(found, list) else []:
        if not isinstance(script, etree._Element):
            continue
        text = (script.text or "")[:MAX_SCRIPT_CHARS].strip()
        if text.startswith("<!--"):
            text = text.removeprefix("<!--").removesuffix("-->")
        try:
            yield json.loads(text, strict=False)
        except (ValueError, RecursionError):
            try:
                yield jstyleson.loads(text, strict=False)
            except Exception:  # a third-party parser on hostile input
                continue


def _flatten(data: object, depth: int = 0) -> Iterator[Node]:
    """Top-level JSON-LD nodes: lists unrolled, ``@graph`` members lifted."""
    if depth > 3:
        return
    if isinstance(data, list):
        for value in data[:MAX_NODES]:
            yield from _flatten(value, depth + 1)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _flatten(data["@graph"], depth + 1)
        if "@type" in data:
            yield data


def _from_microdata(item: object, depth: int = 0) -> object:
    """extruct's microdata item ``{"type", "properties", "id"}`` in JSON-LD shape."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(item, list):
        return [_from_microdata(v, depth + 1) for v in item[:MAX_LIST]]
    if not isinstance(item, dict) or "properties" not in item:
        return item
    node: Node = {"@type": item.get("type")}
    if item.get("id"):
        node["@id"] = item["id"]
    properties = item.get("properties")
    if isinstance(properties, dict):
        for key, value in properties.items():
            node[key] = _from_microdata(value, depth + 1)
    return node


def _microdata(doc: Document) -> Iterator[Node]:
    try:
        items = MicrodataExtractor().extract_items(doc.root, doc.url)
    except Exception:
        log.debug("microdata extraction failed on %s", doc.url, exc_info=True)
        return
    for item in items[:MAX_NODES]:
        node = _from_microdata(item)
        if isinstance(node, dict):
            yield node


def structured_nodes(doc: Document) -> list[Node]:
    """JSON-LD then microdata nodes of the page, in JSON-LD shape."""
    nodes = [node for data in _jsonld_scripts(doc) for node in _flatten(data)]
    nodes.extend(_microdata(doc))
    return nodes[:MAX_NODES]


@dataclass
class _Graph:
    """The page's nodes with ``@id`` references resolvable."""

    nodes: list[Node]
    by_id: dict[str, Node] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node in self.nodes:
            ref = node.get("@id")
            if isinstance(ref, str):
                self.by_id.setdefault(ref, node)

    def deref(self, value: object) -> object:
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and isinstance(value.get("@id"), str):
            return self.by_id.get(value["@id"], value)
        return value

    def walk(self, kinds: Iterable[str]) -> Iterator[Node]:
        """Nodes with one of ``kinds`` among the top-level ones and inside lists and pages."""
        wanted, seen = set(kinds), set[int]()
        stack: list[tuple[object, int]] = [(node, 0) for node in reversed(self.nodes)]
        while stack and len(seen) < MAX_NODES:
            value, depth = stack.pop()
            node = self.deref(value)
            if not isinstance(node, dict) or id(node) in seen or depth > MAX_DEPTH:
                continue
            seen.add(id(node))
            types = types_of(node)
            if types & wanted:
                yield node
            for kind in types & CONTAINER_PROPERTIES.keys():
                for prop in CONTAINER_PROPERTIES[kind]:
                    stack.extend((child, depth + 1) for child in reversed(as_list(node.get(prop))))


# ------------------------------------------------------------------------------------------ records


def _node_url(node: Node, doc: Document, page_url: str) -> str | None:
    """The item's page: its url/@id/mainEntityOfPage on this site, else the page; None if elsewhere."""
    for prop in ("url", "@id", "mainEntityOfPage"):
        for value in as_list(node.get(prop)):
            href = value.get("@id") or value.get("url") if isinstance(value, dict) else value
            if not isinstance(href, str) or not href.strip() or href.startswith("_:"):
                continue
            url = doc.resolve(href)
            if url is not None:
                return url
            if _offsite(href, doc):
                return None
    return page_url


def _offsite(href: str, doc: Document) -> bool:
    url = absolute(href, doc.base)
    return url is not None and not is_media(url) and not same_site(url, doc.site)


def _person(value: object, graph: _Graph, doc: Document, typed: bool) -> PersonRef | None:
    value = graph.deref(value)
    if isinstance(value, str):
        name = None if typed else clean_text(value)
        return PersonRef(name=name) if name else None
    if not isinstance(value, dict):
        return None
    types = types_of(value)
    if (typed and "Person" not in types) or (types and "Person" not in types and "Organization" in types):
        return None
    name = clean_text(value.get("name"))
    if not name:
        return None
    href = clean_text(_scalar(value.get("url")))
    return PersonRef(name=name, url=doc.resolve(href))


def _persons(node: Node, graph: _Graph, doc: Document) -> list[PersonRef]:
    found: dict[tuple[str, str | None], PersonRef] = {}
    for prop, typed in PERSON_PROPERTIES:
        for value in as_list(node.get(prop)):
            person = _person(value, graph, doc, typed)
            if person is not None:
                found.setdefault((person.name, person.url), person)
    return list(found.values())


def _uploader(node: Node, graph: _Graph, doc: Document) -> tuple[str | None, str | None]:
    for prop in UPLOADER_PROPERTIES:
        for value in as_list(node.get(prop)):
            value = graph.deref(value)
            if isinstance(value, dict):
                name = clean_text(value.get("name"))
                if name:
                    return name, doc.resolve(clean_text(_scalar(value.get("url"))))
            elif (name := clean_text(value)) is not None:
                return name, None
    return None, None


def _views(node: Node, graph: _Graph) -> int | None:
    untyped: int | None = None
    for stat in as_list(node.get("interactionStatistic")):
        stat = graph.deref(stat)
        if not isinstance(stat, dict):
            untyped = untyped if untyped is not None else parse_count(_scalar(stat))
            continue
        count = parse_count(_scalar(stat.get("userInteractionCount")))
        action = local_name(_scalar(stat.get("interactionType")))
        if action in VIEW_ACTIONS and count is not None:
            return count
        if action is None and untyped is None:
            untyped = count
    if untyped is None:
        legacy = clean_text(node.get("interactionCount"))
        if legacy and (":" not in legacy or legacy.lower().startswith(("userviews", "userplays"))):
            untyped = parse_count(legacy.rsplit(":", 1)[-1])
    return untyped


def _strings(value: object, split: bool) -> list[str]:
    out: dict[str, None] = {}
    for item in as_list(value):
        text = clean_text(item)
        for part in text.split(",") if text and split else [text]:
            part = part.strip() if part else None
            if part:
                out.setdefault(part)
    return list(out)


def _photo_count(node: Node) -> int | None:
    for prop in GALLERY_MEDIA_PROPERTIES:
        media = node.get(prop)
        if isinstance(media, list | dict):
            return len(media) if isinstance(media, list) else 1
    return parse_count(_scalar(node.get("numberOfItems")))


def _kind(node: Node) -> ItemKind | None:
    types = types_of(node)
    for name, kind in ITEM_TYPES.items():
        if name in types:
            return kind
    if "CollectionPage" in types and node.get("associatedMedia"):
        return ItemKind.GALLERY
    return None


def node_record(node: Node, graph: _Graph, doc: Document, page_url: str) -> ItemRecord | None:
    kind = _kind(node)
    url = _node_url(node, doc, page_url) if kind else None
    if kind is None or url is None:
        return None
    uploader, uploader_url = _uploader(node, graph, doc)
    record = ItemRecord(
        kind=kind,
        url=url,
        title=next((t for t in (clean_text(node.get(p)) for p in TITLE_PROPERTIES) if t), None),
        duration=parse_duration(_scalar(node.get("duration"))) if kind is ItemKind.VIDEO else None,
        views=_views(node, graph),
        upload_date=next((d for d in (parse_date(_scalar(node.get(p))) for p in DATE_PROPERTIES) if d), None),
        uploader=uploader,
        uploader_url=uploader_url,
        persons=_persons(node, graph, doc),
        tags=_strings(node.get("keywords"), split=True),
        categories=_strings(node.get("genre"), split=False),
    )
    if kind is ItemKind.GALLERY:
        record.photo_count = _photo_count(node)
    return record


RECORD_VALUE_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(ItemRecord) if f.name not in {"kind", "url", "from_item_page"}
)


def merge_into(target: ItemRecord, other: ItemRecord) -> None:
    """Fill ``target``'s empty fields from ``other`` (same item described twice)."""
    for name in RECORD_VALUE_FIELDS:
        if getattr(target, name) in (None, []) and getattr(other, name) not in (None, []):
            setattr(target, name, getattr(other, name))


def dedupe(records: Iterable[ItemRecord]) -> list[ItemRecord]:
    """One record per item (platform id, else URL), later descriptions filling the first one's gaps."""
    merged: dict[tuple[str, ItemKind], ItemRecord] = {}
    for record in records:
        key = (record.platform_id or record.url, record.kind)
        if key in merged:
            merge_into(merged[key], record)
        else:
            merged[key] = record
    return list(merged.values())


# ---------------------------------------------------------------------------------------- opengraph


def _opengraph(doc: Document) -> dict[str, list[str]]:
    properties: dict[str, list[str]] = {}
    try:
        blocks = list(OpenGraphExtractor().extract_items(doc.root))
    except Exception:
        return properties
    for block in blocks:
        for prop, value in block.get("properties", [])[:MAX_LIST]:
            if isinstance(prop, str) and isinstance(value, str):
                properties.setdefault(prop.lower().removeprefix("og:"), []).append(value)
    return properties


def _og_person(value: str, doc: Document) -> PersonRef | None:
    url = doc.resolve(value) if value.strip().lower().startswith(("http://", "https://", "/")) else None
    if url is None:
        name = clean_text(value)
        return PersonRef(name=name) if name and "/" not in name else None
    slug = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    name = clean_text(slug.replace("-", " ").replace("_", " "))
    return PersonRef(name=name, url=url) if name else None


def opengraph_record(doc: Document, page_url: str) -> ItemRecord | None:
    """A video record from OpenGraph ``og:type video.*`` (the only media type OpenGraph defines)."""
    og = _opengraph(doc)
    og_type = (og.get("type") or [""])[0].lower()
    if not og_type.startswith("video"):
        return None
    url = next((u for u in (doc.resolve(v) for v in og.get("url", [])) if u), page_url)
    persons = [p for p in (_og_person(v, doc) for v in og.get("video:actor", [])) if p]
    return ItemRecord(
        kind=ItemKind.VIDEO,
        url=url,
        title=clean_text(og.get("title")),
        duration=parse_duration(next(iter(og.get("video:duration", [])), None)),
        upload_date=parse_date(next(iter(og.get("video:release_date", [])), None)),
        persons=list({(p.name, p.url): p for p in persons}.values()),
        tags=_strings(og.get("video:tag"), split=False),
    )


# ------------------------------------------------------------------------------------------- public


def schemaorg_records(doc: Document) -> list[ItemRecord]:
    """Items described by the page's JSON-LD and microdata; OpenGraph when none is the page itself."""
    page_url = doc.canonical() or doc.url
    graph = _Graph(structured_nodes(doc))
    wanted = set(ITEM_TYPES) | {"CollectionPage"}
    records = dedupe(
        record for node in graph.walk(wanted) if (record := node_record(node, graph, doc, page_url))
    )
    if not any(record.url == page_url for record in records):
        fallback = opengraph_record(doc, page_url)
        if fallback is not None:
            records.append(fallback)
    return records


def extract_schemaorg(
    html_body: bytes | str, url: str, *, encoding: str | None = None, site: str | None = None
) -> list[ItemRecord]:
    """Records (url canonical, platform_id unset) for the items a page describes in structured data."""
    return schemaorg_records(Document.parse(html_body, url, encoding=encoding, site=site))


class PageLinks(NamedTuple):
    canonical: str | None
    next_url: str | None
    itemlist_urls: list[str]


def _list_element_url(value: object, graph: _Graph) -> str | None:
    """The URL of an ``itemListElement``: a string, a ListItem's url or item, or a bare node's url/@id."""
    value = graph.deref(value)
    if isinstance(value, str):
        return value
    if not isinstance(value, dict):
        return None
    candidates = [value.get("url"), graph.deref(value.get("item"))]
    if "ListItem" not in types_of(value):
        candidates.append(value.get("@id"))
    for candidate in candidates:
        if isinstance(candidate, dict):
            candidate = candidate.get("url") or candidate.get("@id")
        candidate = _scalar(candidate)
        if isinstance(candidate, str) and candidate.strip():
            return candidate
    return None


def itemlist_urls(doc: Document, nodes: list[Node] | None = None) -> list[str]:
    """URLs of JSON-LD/microdata ``ItemList`` elements (resolved, same-site, non-media, deduplicated)."""
    graph = _Graph(nodes if nodes is not None else structured_nodes(doc))
    found: dict[str, None] = {}
    for node in graph.walk({"ItemList"}):
        for element in as_list(node.get("itemListElement")):
            url = doc.resolve(_list_element_url(element, graph))
            if url is not None:
                found.setdefault(url)
    return list(found)


def page_links(doc: Document) -> PageLinks:
    return PageLinks(doc.canonical(), doc.next_page(), itemlist_urls(doc))


def extract_page_links(html_body: bytes | str, url: str, *, encoding: str | None = None) -> PageLinks:
    """(rel=canonical, rel=next from ``<link>`` or ``<a>``, JSON-LD/microdata ItemList URLs)."""
    return page_links(Document.parse(html_body, url, encoding=encoding))
