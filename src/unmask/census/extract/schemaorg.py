"""schema.org (JSON-LD, microdata) and OpenGraph -> item records; rel=canonical/next and ItemList links.

Structured data is taken as pages write it, which is loosely: ``@graph`` lists or bare objects,
single values or lists, strings or objects for persons, numbers as strings, ``@id`` references,
types with or without the ``https://schema.org/`` prefix. Anything that does not fit is skipped.
Each JSON-LD script is decoded on its own, so one broken script does not hide the others; leading
HTML or JavaScript comment lines and ``<!-- … -->``/CDATA wrappers are removed first.

Which nodes are items (docs/extraction.md, "Structured data"):

* a ``VideoObject`` at the top level, as a page's ``mainEntity``, in an ``ItemList``, or nested under
  another node's ``video``, ``subjectOf`` or ``associatedMedia`` (a ``TVEpisode`` or ``WebPage`` whose
  ``video`` it is). A nested one that names no URL of its own stands for the page only when it is the
  page's one such video and nothing else describes the page;
* an ``ImageObject``/``Photograph`` only when it is the page's main entity: named by ``mainEntity``
  or ``mainEntityOfPage``, or the page's only top-level content node and referenced by no other node
  (not an article's ``image``, not a WebPage's ``primaryImageOfPage``), or an ``ItemList`` card with
  its own page;
* galleries (``ImageGallery``, ``MediaGallery``, a ``CollectionPage`` with ``associatedMedia``) where
  videos may be, except nested under media properties.

Views are only watch or view counts (``WatchAction``/``ViewAction``, legacy ``UserViews``/``UserPlays``
or a bare number): likes, comments, shares and untyped counters are not views.
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Literal, NamedTuple

import jstyleson
from lxml import etree

from unmask.census.extract.document import MAX_TEXT_CHARS, Document
from unmask.census.model import ItemKind, ItemRecord, PersonRef
from unmask.core.text import parse_date, parse_duration, read_count
from unmask.core.urls import absolute, is_media, same_site

log = logging.getLogger(__name__)

Node = dict[str, Any]

MAX_SCRIPT_CHARS = 2 * 1024 * 1024
MAX_LENIENT_CHARS = 256 * 1024
"""JSON-LD that strict JSON refuses is read leniently (comments, trailing commas) up to this size: the
lenient reader is pure Python, so a megabyte of broken JSON would cost seconds."""
MAX_NODES = 5_000
MAX_DEPTH = 6
MAX_LIST = 500
MAX_WRAPPERS = 50

ITEM_TYPES: dict[str, ItemKind] = {
    "VideoObject": ItemKind.VIDEO,
    "ImageObject": ItemKind.PHOTO,
    "Photograph": ItemKind.PHOTO,
    "ImageGallery": ItemKind.GALLERY,
    "MediaGallery": ItemKind.GALLERY,
}
"""schema.org types that are items. A ``CollectionPage`` with ``associatedMedia`` is a gallery too."""

PAGE_TYPES: tuple[str, ...] = ("WebPage", "ItemPage", "CollectionPage")
LIST_PROPERTIES: dict[str, tuple[str, ...]] = {
    "ItemList": ("itemListElement",),
    "ListItem": ("item",),
}
"""Where listing cards sit inside other nodes (items inside items, such as thumbnails, are not items)."""
MEDIA_PROPERTIES: tuple[str, ...] = ("video", "subjectOf", "associatedMedia")
"""Properties of any node under which a nested ``VideoObject`` is an item (a TVEpisode's ``video``)."""
CONTENT_TYPES: frozenset[str] = frozenset(
    {"Article", "NewsArticle", "BlogPosting", "Blog", "Report", "TechArticle", "ScholarlyArticle",
     "SocialMediaPosting", "LiveBlogPosting", "DiscussionForumPosting", "Product", "Recipe", "Event",
     "Review", "HowTo", "Course", "JobPosting", "VideoObject", "ImageGallery", "MediaGallery", "Movie",
     "TVEpisode", "Episode", "MusicRecording", "Book"}
)  # fmt: skip
"""Top-level types that are a page's main content: beside one, a top-level ImageObject is its picture."""

VIEW_ACTIONS: frozenset[str] = frozenset({"WatchAction", "ViewAction"})
LEGACY_VIEW_WORDS: frozenset[str] = frozenset({"userviews", "userplays", "views", "plays", "watches"})
"""Words of the superseded ``interactionCount`` ("UserViews:42") that make it a view count."""
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

_LETTERS = re.compile(r"[^\W\d_]+")
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


def _skip_comment(text: str) -> str | None:
    """``text`` without the comment or wrapper it starts with; None when it starts with neither."""
    if text.startswith("<!--"):
        end = text.find("-->", 4)
        if end < 0 or text[4:end].lstrip().startswith(("{", "[")):
            return text[4:]  # a wrapper around the JSON: "<!--" … JSON … "-->"
        return text[end + 3 :]  # a comment line before it
    if text.startswith("//"):
        end = text.find("\n")
        return "" if end < 0 else text[end + 1 :]
    if text.startswith("/*"):
        end = text.find("*/", 2)
        return "" if end < 0 else text[end + 2 :]
    if text.startswith("<![CDATA["):
        return text[9:]
    return None


def jsonld_text(raw: str) -> str:
    """A JSON-LD script's JSON: leading comment lines and HTML comment or CDATA wrappers removed."""
    text = raw[:MAX_SCRIPT_CHARS].strip()
    for _ in range(MAX_WRAPPERS):
        rest = _skip_comment(text)
        if rest is None:
            break
        text = rest.lstrip()
    for _ in range(MAX_WRAPPERS):
        stripped = text.removesuffix("-->").removesuffix("]]>").rstrip().removesuffix("//").rstrip()
        if stripped == text:
            break
        text = stripped
    return text


def parse_jsonld(raw: str) -> object:
    """The value of one JSON-LD script, or None when it is not JSON even read leniently."""
    text = jsonld_text(raw)
    if not text:
        return None
    try:
        return json.loads(text, strict=False)
    except (ValueError, RecursionError):
        pass
    if len(text) > MAX_LENIENT_CHARS:
        return None
    try:
        return jstyleson.loads(text, strict=False)
    except Exception:  # a third-party parser on hostile input
        return None


def jsonld_values(doc: Document) -> Iterator[object]:
    """The value of each JSON-LD script of the page that reads as JSON, in document order."""
    found = _JSONLD_SCRIPTS(doc.root)
    for script in found if isinstance(found, list) else []:
        if isinstance(script, etree._Element):
            data = parse_jsonld(script.text or "")
            if data is not None:
                yield data


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


MAX_MICRODATA_ELEMENTS = 5_000
"""``itemscope``/``itemprop`` elements read per page; later ones lose their microdata attributes."""
MAX_MICRODATA_DEPTH = 12
"""Nesting of ``itemscope``/``itemprop`` elements kept (real pages nest 3–6 deep); extruct's work grows
with the cube of the depth (400 levels took 15 s), so deeper elements lose their microdata attributes."""
MAX_MICRODATA_REFS = 16
"""``itemref`` tokens kept per page (each one walks the referenced subtree again)."""
MAX_PROPERTY_ELEMENTS = 2_000
"""A text-valued ``itemprop`` spanning more elements is dropped: its value would be a page, not a name,
and extruct copies and cleans the whole subtree for it."""
MICRODATA_ATTRIBUTES: tuple[str, ...] = ("itemscope", "itemprop", "itemtype", "itemid", "itemref")
_FIRST_MARKED = etree.XPath("(//*[@itemscope or @itemprop])[position() <= $n]")
_FIRST_REFERRING = etree.XPath("(//*[@itemref])[position() <= $n]")
_DESCENDANTS = etree.XPath("count(descendant::*)")
_ATTRIBUTE_VALUED = frozenset(
    {"meta", "audio", "embed", "iframe", "img", "source", "track", "video", "a", "area", "link", "object",
     "data", "meter", "time"}
)  # fmt: skip
"""Elements whose microdata value is an attribute, not their text (the microdata spec's list)."""


def _over_limits(marked: list[etree._Element]) -> list[int]:
    """Positions (in document order) of the marked elements that would make extraction unbounded.

    An element's depth is the number of marked elements above it plus one. Ancestors come first in
    document order, so one pass with a memo of the unmarked elements already walked through finds every
    depth (and every property's item) in time linear in the tree.
    """
    below: dict[etree._Element, tuple[int, etree._Element | None]] = {}
    """Element -> (depth of the nearest marked element at or above it, the item its children belong to)."""
    drop: list[int] = []
    owners: set[etree._Element] = set()
    for index, element in enumerate(marked):
        path: list[etree._Element] = []
        parent = element.getparent()
        while parent is not None and parent not in below:
            path.append(parent)
            parent = parent.getparent()
        above, scope = below[parent] if parent is not None else (0, None)
        for unmarked in path:
            below[unmarked] = (above, scope)
        is_item = element.get("itemscope") is not None
        below[element] = (above + 1, element if is_item else scope)
        if above + 1 > MAX_MICRODATA_DEPTH or _huge_text_property(element):
            drop.append(index)
        elif element.get("itemprop") is not None and scope is not None:
            owners.add(scope)
    dropped = set(drop)
    for index, element in enumerate(marked):
        if index not in dropped and _huge_empty_item(element, owners):
            drop.append(index)
    return sorted(drop)


def _huge_text_property(element: etree._Element) -> bool:
    if element.get("itemscope") is not None or element.get("itemprop") is None or not len(element):
        return False
    if str(element.tag).lower() in _ATTRIBUTE_VALUED or element.get("content"):
        return False
    return _larger_than(element, MAX_PROPERTY_ELEMENTS)


def _huge_empty_item(element: etree._Element, owners: set[etree._Element]) -> bool:
    """An item with no property of its own, whose value extruct would take from all of its text."""
    if element.get("itemscope") is None or element in owners or element.get("itemref"):
        return False
    return _larger_than(element, MAX_PROPERTY_ELEMENTS)


def _larger_than(element: etree._Element, limit: int) -> bool:
    if not len(element):
        return False
    count = _DESCENDANTS(element)
    return isinstance(count, float) and count > limit


def _elements(found: object) -> list[etree._Element]:
    return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []


Attributes = list[tuple[etree._Element, dict[str, str | None]]]


def _ref_budget(elements: list[etree._Element]) -> Attributes:
    """``itemref`` values cut so that at most ``MAX_MICRODATA_REFS`` tokens remain (the first ones)."""
    changes: Attributes = []
    left = MAX_MICRODATA_REFS
    for element in elements:
        tokens = (element.get("itemref") or "").split()
        if not tokens:
            continue
        keep = tokens[:left]
        left -= len(keep)
        if len(keep) < len(tokens):
            changes.append((element, {"itemref": " ".join(keep) or None}))
    return changes


def _apply(changes: Attributes) -> Attributes:
    """Set the attributes (None removes one); returns what restores them, all of them in their order."""
    undo: Attributes = []
    for element, attributes in changes:
        undo.append(
            (
                element,
                {**dict(element.attrib), **dict.fromkeys(a for a in attributes if a not in element.attrib)},
            )
        )
        for name, value in attributes.items():
            if value is None:
                element.attrib.pop(name, None)
            else:
                element.set(name, value)
    return undo


def _restore(undo: Attributes) -> None:
    for element, attributes in reversed(undo):
        element.attrib.clear()
        for name, value in attributes.items():
            if value is not None:
                element.set(name, value)


def _stripped_copy(root: etree._Element) -> etree._Element:
    """A copy in which only the first ``MAX_MICRODATA_ELEMENTS`` marked elements within the limits keep
    their microdata attributes (counting and stripping run in libxml2)."""
    copy = deepcopy(root)
    marked = _elements(_FIRST_MARKED(copy, n=MAX_MICRODATA_ELEMENTS))
    drop = set(_over_limits(marked))
    kept = [element for index, element in enumerate(marked) if index not in drop]
    saved = [(element, {name: element.get(name) for name in MICRODATA_ATTRIBUTES}) for element in kept]
    etree.strip_attributes(copy, *MICRODATA_ATTRIBUTES)
    _apply(saved)
    _apply(_ref_budget(kept))
    return copy


@contextmanager
def bounded_microdata(root: etree._Element) -> Iterator[etree._Element | None]:
    """The tree extruct may read, for the ``with`` block (None: the page has no microdata).

    Within bounds, the page's own tree; marked elements that are too deep or too large lose their
    microdata attributes for the block only (adapters read the same tree afterwards). A page with more
    than ``MAX_MICRODATA_ELEMENTS`` marked elements, or more ``itemref`` elements than
    ``MAX_MICRODATA_REFS``, is read from a stripped copy. Python touches at most that many elements.
    """
    first = _elements(_FIRST_MARKED(root, n=MAX_MICRODATA_ELEMENTS + 1))
    if not first:
        yield None
        return
    referring = _elements(_FIRST_REFERRING(root, n=MAX_MICRODATA_REFS + 1))
    if len(first) > MAX_MICRODATA_ELEMENTS or len(referring) > MAX_MICRODATA_REFS:
        log.debug("microdata bounded: read from a stripped copy")
        yield _stripped_copy(root)
        return
    changes: Attributes = [(first[i], dict.fromkeys(MICRODATA_ATTRIBUTES)) for i in _over_limits(first)]
    changes.extend(_ref_budget(referring))
    undo = _apply(changes)
    try:
        yield root
    finally:
        _restore(undo)


def _microdata(doc: Document) -> Iterator[Node]:
    with bounded_microdata(doc.root) as root:
        if root is None:
            return
        from extruct.w3cmicrodata import MicrodataExtractor  # extruct's import costs 0.2 s: only when used

        try:
            items = MicrodataExtractor().extract_items(root, doc.url)
        except Exception:
            log.debug("microdata extraction failed on %s", doc.url, exc_info=True)
            return
    for item in items[:MAX_NODES]:
        node = _from_microdata(item)
        if isinstance(node, dict):
            yield node


def structured_nodes(doc: Document) -> list[Node]:
    """JSON-LD then microdata nodes of the page, in JSON-LD shape (read once per document)."""
    if doc.structured is None:
        nodes = [node for data in jsonld_values(doc) for node in _flatten(data)]
        nodes.extend(_microdata(doc))
        doc.structured = nodes[:MAX_NODES]
    return doc.structured


class Route(StrEnum):
    """How a node was reached from the page's top level (it decides whether the node is an item)."""

    TOP = "top"
    MAIN = "main"
    """A page node's ``mainEntity`` (or a node naming the page as its ``mainEntityOfPage``)."""
    LIST = "list"
    """An ``ItemList`` element (a listing card)."""
    MEDIA = "media"
    """Under some node's ``video``, ``subjectOf`` or ``associatedMedia``."""
    NESTED = "nested"
    """Under any other property (an article's ``image``, a season's ``episode``): never an item itself."""


@dataclass
class _Graph:
    """The page's nodes with ``@id`` references resolvable."""

    nodes: list[Node]
    by_id: dict[str, Node] = field(default_factory=dict)
    referenced: set[str] = field(default_factory=set)
    """``@id``s that some node refers to (``{"@id": …}`` as a property value)."""

    def __post_init__(self) -> None:
        for node in self.nodes:
            ref = node.get("@id")
            if isinstance(ref, str):
                self.by_id.setdefault(ref, node)
        self.referenced = _references(self.nodes)

    def deref(self, value: object) -> object:
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and isinstance(value.get("@id"), str):
            return self.by_id.get(value["@id"], value)
        return value

    def main_entities(self) -> set[int]:
        """``id()`` of the nodes a page node names as its ``mainEntity``."""
        found: set[int] = set()
        for node in self.nodes:
            if types_of(node) & set(PAGE_TYPES):
                for value in as_list(node.get("mainEntity")):
                    child = self.deref(value)
                    if isinstance(child, dict):
                        found.add(id(child))
        return found

    def walk(self, kinds: Iterable[str]) -> Iterator[tuple[Node, Route]]:
        """Nodes with one of ``kinds``, with how they were reached: top-level ones, a page's main
        entity, listing cards, media under ``MEDIA_PROPERTIES`` of any node at any depth (a series'
        season's episode's ``video``), and any other nested node. A node reached in several ways is
        yielded once per way."""
        wanted, main = set(kinds), self.main_entities()
        seen: set[tuple[int, Route]] = set()
        visits = 0
        stack: list[tuple[object, int, Route]] = [(node, 0, Route.TOP) for node in reversed(self.nodes)]
        while stack and visits < MAX_NODES:
            value, depth, route = stack.pop()
            node = self.deref(value)
            if not isinstance(node, dict) or depth > MAX_DEPTH:
                continue
            route = Route.MAIN if id(node) in main else route
            if (id(node), route) in seen:
                continue
            seen.add((id(node), route))
            visits += 1
            types = types_of(node)
            if types & wanted:
                yield node, route
            stack.extend(reversed(list(self._children(node, types, depth + 1))))

    @staticmethod
    def _children(node: Node, types: set[str], depth: int) -> Iterator[tuple[object, int, Route]]:
        list_props = {p for kind in types & LIST_PROPERTIES.keys() for p in LIST_PROPERTIES[kind]}
        for prop, value in node.items():
            if prop.startswith("@") or not isinstance(value, dict | list):
                continue
            if prop == "mainEntity" and types & set(PAGE_TYPES):
                route = Route.MAIN
            elif prop in list_props:
                route = Route.LIST
            elif prop in MEDIA_PROPERTIES:
                route = Route.MEDIA
            else:
                route = Route.NESTED
            yield from ((child, depth, route) for child in as_list(value))


def _references(nodes: list[Node]) -> set[str]:
    """Every ``@id`` used as a reference inside the nodes (a bounded walk)."""
    found: set[str] = set()
    stack: list[tuple[object, int]] = [(v, 1) for node in nodes for k, v in node.items() if k != "@id"]
    visited = 0
    while stack and visited < MAX_NODES * 4:
        value, depth = stack.pop()
        visited += 1
        if depth > MAX_DEPTH * 2:
            continue
        if isinstance(value, list):
            stack.extend((v, depth + 1) for v in value[:MAX_LIST])
        elif isinstance(value, dict):
            ref = value.get("@id")
            if isinstance(ref, str) and set(value) <= {"@id", "@type"}:
                found.add(ref)
            else:
                stack.extend((v, depth + 1) for k, v in value.items() if k != "@id")
    return found


# ------------------------------------------------------------------------------------------ records


def _own_url(node: Node, doc: Document) -> str | Literal[False] | None:
    """The page the node names for itself (url, @id, mainEntityOfPage) on this site; False when it
    names one elsewhere; None when it names none. An ``@id`` counts only when it looks like a URL
    (absolute, root-relative or a fragment of this page): ``"vid-9457…"`` is a label, not a page."""
    for prop in ("url", "@id", "mainEntityOfPage"):
        for value in as_list(node.get(prop)):
            href = value.get("@id") or value.get("url") if isinstance(value, dict) else value
            if not isinstance(href, str) or not href.strip() or href.startswith("_:"):
                continue
            if prop == "@id" and not href.strip().startswith(("http://", "https://", "/", "#")):
                continue
            url = doc.resolve(href)
            if url is not None:
                return url
            if _offsite(href, doc):
                return False
    return None


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
    """The watch/view count: an ``InteractionCounter`` (object, list or ``@graph`` member by ``@id``)
    of ``WatchAction``/``ViewAction``, else the legacy ``interactionCount`` when it is a bare number or
    names views or plays. Likes, comments, shares and counters of no stated type are not views."""
    for stat in as_list(node.get("interactionStatistic")):
        stat = graph.deref(stat)
        if not isinstance(stat, dict):
            continue
        action = local_name(_scalar(stat.get("interactionType")))
        if action in VIEW_ACTIONS:
            count = read_count(_scalar(stat.get("userInteractionCount")))
            if count is not None:
                return count
    return _legacy_views(node.get("interactionCount"))


def _legacy_views(value: object) -> int | None:
    """``"UserViews:42"``, ``"42 UserPlays"``, ``42`` -> 42; ``"5555 UserLikes"`` -> None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return read_count(value)
    text = clean_text(_scalar(value))
    if not text:
        return None
    words = {w.lower() for w in _LETTERS.findall(text)}
    if words and not words <= LEGACY_VIEW_WORDS:
        return None
    return read_count(text.rsplit(":", 1)[-1] if ":" in text else text)


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
    return read_count(_scalar(node.get("numberOfItems")))


def _kind(node: Node) -> ItemKind | None:
    types = types_of(node)
    for name, kind in ITEM_TYPES.items():
        if name in types:
            return kind
    if "CollectionPage" in types and node.get("associatedMedia"):
        return ItemKind.GALLERY
    return None


def _is_main_picture(node: Node, graph: _Graph) -> bool:
    """A top-level ImageObject/Photograph is the page's own item: nothing refers to it and no other
    top-level node is the page's content (an article's picture, a video's thumbnail are not items)."""
    ref = node.get("@id")
    if isinstance(ref, str) and ref in graph.referenced:
        return False
    return not any(
        other is not node and types_of(other) & CONTENT_TYPES and not types_of(other) & PHOTO_TYPES
        for other in graph.nodes
    )


PHOTO_TYPES: frozenset[str] = frozenset(t for t, k in ITEM_TYPES.items() if k is ItemKind.PHOTO)


def _item_url(
    node: Node, kind: ItemKind, route: Route, graph: _Graph, doc: Document, page_url: str
) -> str | None:
    """The URL the node is an item at, or None when it is not an item (see the module's rules)."""
    own = _own_url(node, doc)
    if own is False:
        return None  # an item of another site
    if route is Route.MAIN:
        return own or page_url
    if kind is ItemKind.PHOTO:
        if route is Route.LIST:
            return own if own and own != page_url else None
        if route is Route.TOP and _is_main_picture(node, graph):
            return own or page_url
        return None
    if route is Route.NESTED:
        return None
    if route is Route.MEDIA:
        return own if kind is ItemKind.VIDEO else None  # an unnamed video: see schemaorg_records
    if route is Route.LIST:
        return own  # a card that names no page is no item of its own
    return own or page_url


def node_record(
    node: Node, graph: _Graph, doc: Document, page_url: str, route: Route = Route.TOP
) -> ItemRecord | None:
    kind = _kind(node)
    url = _item_url(node, kind, route, graph, doc, page_url) if kind else None
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


OG_PREFIXES: frozenset[str] = frozenset({"og", "music", "video", "article", "book", "profile", "product"})
"""OpenGraph's own prefixes (and ``product``, common in the wild): a ``<meta property>`` in one of them, or in
a prefix the page declares (``<html prefix="fb: …">``), is an OpenGraph property (extruct's reading)."""
_HEADS = etree.XPath("//head")
_DECLARED_PREFIX = re.compile(r"\s*(\w+):\s*([^\s]+)")


def _declared_prefixes(element: etree._Element | None) -> set[str]:
    prefix = element.get("prefix") if element is not None else None
    return {name for name, _ in _DECLARED_PREFIX.findall(prefix)} if prefix else set()


def opengraph_properties(doc: Document) -> dict[str, list[str]]:
    """The page's OpenGraph properties, lower-case, without the ``og:`` prefix, values in page order: the
    ``<meta property content>`` children of each ``<head>`` (what extruct's OpenGraphExtractor reads, at
    most ``MAX_LIST`` a head)."""
    properties: dict[str, list[str]] = {}
    heads = _elements(_HEADS(doc.root))
    if not heads:
        return properties
    parent = heads[0].getparent()
    on_html = _declared_prefixes(parent if parent is not None and parent.tag == "html" else None)
    for head in heads:
        prefixes = OG_PREFIXES | on_html | _declared_prefixes(head)
        kept = 0
        for meta in head.iterchildren("meta"):
            prop, value = meta.get("property"), meta.get("content")
            if prop is None or value is None or prop.partition(":")[0] not in prefixes:
                continue
            properties.setdefault(prop.lower().removeprefix("og:"), []).append(value)
            kept += 1
            if kept >= MAX_LIST:
                break
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
    og = opengraph_properties(doc)
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
    found: list[ItemRecord] = []
    unnamed_videos: dict[int, Node] = {}
    for node, route in graph.walk(wanted):
        record = node_record(node, graph, doc, page_url, route)
        if record is not None:
            found.append(record)
        elif route is Route.MEDIA and _kind(node) is ItemKind.VIDEO and _own_url(node, doc) is None:
            unnamed_videos.setdefault(id(node), node)
    if len(unnamed_videos) == 1 and not any(r.url == page_url for r in found):
        record = node_record(next(iter(unnamed_videos.values())), graph, doc, page_url, Route.MAIN)
        found.extend([record] if record is not None else [])
    records = dedupe(found)
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
    for node, _route in graph.walk({"ItemList"}):
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
