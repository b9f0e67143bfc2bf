"""Declarative site adapters: a YAML file says how to read one platform (format: docs/adapters.md).

The file is validated and compiled once when loaded (regexes, CSS and XPath selectors); any mistake
is a ``ConfigError`` naming the file, the line and the key. ``load_extractor`` gives the crawler an
``Extractor``: a ``SiteAdapter`` for an adapter file or bundled name, the ``GenericExtractor`` for None.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urljoin

import lxml.html
import yaml
from cssselect import SelectorError
from lxml import etree
from parsel.csstranslator import HTMLTranslator

from unmask.census.extract.base import BaseExtractor, Extractor
from unmask.census.extract.document import MAX_HTML_BYTES, Document, text_of
from unmask.census.extract.generic import GenericExtractor
from unmask.census.extract.schemaorg import dedupe, schemaorg_records
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PageResult, PersonRef
from unmask.census.schema import ITEM_FIELDS, WANTABLE
from unmask.core.errors import ConfigError
from unmask.core.text import (
    parse_count,
    parse_date,
    parse_duration,
    parse_int,
    parse_relative_date,
)
from unmask.core.urls import canonicalize, is_http, is_media, path_and_query

__all__ = [
    "ADAPTERS_DIR",
    "AdapterSpec",
    "Extractor",
    "GenericExtractor",
    "SiteAdapter",
    "bundled_adapters",
    "load_adapter",
    "load_extractor",
]

ADAPTERS_DIR = Path(__file__).resolve().parent.parent / "adapters"
MAX_CARDS = 2_000
MAX_VALUES = 200
MAX_PERSONS = 100

# ============================================================================ compiled adapter


@dataclass(frozen=True)
class Selector:
    source: str
    xpath: etree.XPath

    def select(self, context: etree._Element) -> list[Any]:
        try:
            found = self.xpath(context)
        except etree.XPathError:
            return []
        if isinstance(found, list):
            return found
        if isinstance(found, bool):
            return ["true"] if found else []
        if isinstance(found, float):
            return [str(int(found)) if found.is_integer() else str(found)]
        return [found] if isinstance(found, str) and found else []


@dataclass(frozen=True)
class Rule:
    """Where a value is (selector, attribute), what part of it (regex) and how to read it (parse)."""

    selector: Selector
    attr: str | None = None
    regex: re.Pattern[str] | None = None
    parse: str = "text"
    many: bool = False
    locale: str | None = None
    dayfirst: bool | None = None
    kinds: frozenset[ItemKind] | None = None

    def texts(self, context: etree._Element) -> Iterator[str]:
        for node in self.selector.select(context):
            if self.attr is not None:
                node = node.get(self.attr) if isinstance(node, etree._Element) else None
            text = text_of(node)
            if text:
                yield text

    def _match(self, text: str) -> str | None:
        if self.regex is None:
            return text
        match = self.regex.search(text)
        if match is None:
            return None
        if "value" in self.regex.groupindex:
            return match.group("value")
        return match.group(1) if self.regex.groups else match.group(0)

    def values(self, context: etree._Element, ctx: _Context) -> Iterator[object]:
        for text in self.texts(context):
            matched = self._match(text)
            value = PARSERS[self.parse](matched, self, ctx) if matched else None
            if value is not None and value != "":
                yield value

    def flag(self, context: etree._Element) -> bool | None:
        """True if a value is there (and matches ``re``), False if there but not matching, else None."""
        texts = list(islice(self.texts(context), MAX_VALUES))
        if not texts:
            return None
        return self.regex is None or any(self.regex.search(text) for text in texts)


def _first(rules: Iterable[Rule], context: etree._Element, ctx: _Context) -> object | None:
    for rule in rules:
        value = next(rule.values(context, ctx), None)
        if value is not None:
            return value
    return None


@dataclass(frozen=True)
class FieldSpec:
    name: str
    rules: tuple[Rule, ...]
    many: bool

    def evaluate(self, context: etree._Element, ctx: _Context, kind: ItemKind) -> object | None:
        for rule in self.rules:
            if rule.kinds is not None and kind not in rule.kinds:
                continue
            values = list(dict.fromkeys(islice(rule.values(context, ctx), MAX_VALUES if rule.many else 1)))
            if not values:
                continue
            if self.many:
                return values
            return (
                float(values[0]) if self.name in SECONDS_FIELDS and isinstance(values[0], int) else values[0]
            )
        return None


@dataclass(frozen=True)
class PersonsRule:
    each: Selector
    name: tuple[Rule, ...]
    url: tuple[Rule, ...]
    public_figure: tuple[Rule, ...]

    def extract(self, context: etree._Element, ctx: _Context) -> list[PersonRef]:
        found: dict[tuple[str, str | None], PersonRef] = {}
        for element in self.each.select(context)[:MAX_PERSONS]:
            if not isinstance(element, etree._Element):
                continue
            name = _first(self.name, element, ctx)
            if not isinstance(name, str):
                continue
            url = _first(self.url, element, ctx)
            flag = next((f for f in (r.flag(element) for r in self.public_figure) if f is not None), None)
            person = PersonRef(name=name, url=url if isinstance(url, str) else None, public_figure=flag)
            found.setdefault((person.name, person.url), person)
        return list(found.values())


@dataclass(frozen=True)
class RecordRule:
    url: tuple[Rule, ...]
    fields: tuple[FieldSpec, ...]
    persons: PersonsRule | None


@dataclass(frozen=True)
class PageRule:
    type: PageKind
    pattern: re.Pattern[str]
    kind: ItemKind | None = None
    sorted_newest: bool = False
    cards: Selector | None = None
    record: RecordRule | None = None
    next: tuple[Rule, ...] = ()
    gone: Selector | None = None
    links: Selector | None = None
    """Links to follow from the page (hrefs, or URLs as text): item links, listings, person pages."""
    format: str = "html"
    """``html``, or ``json`` for a JSON API's answers (read as a tree: see ``json_document``)."""


@dataclass(frozen=True)
class AdapterSpec:
    name: str
    description: str
    source: str
    start: tuple[str, ...]
    items: tuple[tuple[ItemKind, re.Pattern[str]], ...]
    wanted: Mapping[ItemKind, frozenset[str]]
    pages: tuple[PageRule, ...]
    sitemaps: re.Pattern[str] | None = None


@dataclass(frozen=True)
class _Context:
    doc: Document
    reference: dt.datetime
    adapter: SiteAdapter

    def item_id(self, href: str) -> str | None:
        url = self.doc.resolve(href)
        known = self.adapter.identify(url) if url else None
        return known[1] if known else None


def _relative(text: str, rule: Rule, ctx: _Context) -> dt.date | None:
    return parse_relative_date(text, ctx.reference) or parse_date(text, dayfirst=rule.dayfirst)


PARSERS: dict[str, Callable[[str, Rule, _Context], object | None]] = {
    "text": lambda text, rule, ctx: text,
    "int": lambda text, rule, ctx: parse_int(text),
    "count": lambda text, rule, ctx: parse_count(text, rule.locale),
    "duration": lambda text, rule, ctx: parse_duration(text),
    "date": lambda text, rule, ctx: parse_date(text, dayfirst=rule.dayfirst),
    "relative_date": _relative,
    "url": lambda text, rule, ctx: ctx.doc.resolve(text),
    "id": lambda text, rule, ctx: ctx.item_id(text),
}
"""``parse:`` values. ``relative_date`` also reads absolute dates; ``url`` keeps same-site, non-media URLs;
``id`` is the platform id of the item a link points at (via ``items``)."""


# ================================================================================ the extractor


class SiteAdapter(BaseExtractor):
    """An ``Extractor`` driven by a compiled adapter file."""

    def __init__(self, spec: AdapterSpec, base_url: str | None = None) -> None:
        super().__init__(base_url)
        self.spec = spec
        self.name = spec.name

    def identify(self, url: str) -> tuple[ItemKind, str] | None:
        url = canonicalize(url)
        if not is_http(url) or is_media(url):
            return None
        path = path_and_query(url)
        for kind, pattern in self.spec.items:
            match = pattern.search(path)
            if match is not None and match.group("id"):
                return kind, match.group("id")
        return None

    def wanted(self, kind: ItemKind) -> frozenset[str]:
        return self.spec.wanted.get(kind, frozenset())

    def sorted_newest(self, url: str) -> bool:
        rule = self._rule(path_and_query(canonicalize(url)), None)
        return rule is not None and rule.sorted_newest

    def _start_pages(self, base_url: str) -> list[str]:
        return [urljoin(base_url + "/", page) for page in self.spec.start]

    def _is_sitemap(self, path: str) -> bool:
        if self.spec.sitemaps is not None:
            return self.spec.sitemaps.search(path) is not None
        return super()._is_sitemap(path)

    def _classify_page(self, url: str, path: str) -> tuple[PageKind, ItemKind | None] | None:
        known = self.identify(url)
        rule = self._rule(path, None)
        if rule is not None:
            return rule.type, (known[0] if known and rule.type is PageKind.ITEM else rule.kind)
        return (PageKind.ITEM, known[0]) if known else None

    def _rule(self, path: str, kind: PageKind | None) -> PageRule | None:
        matching = [rule for rule in self.spec.pages if rule.pattern.search(path)]
        return next((r for r in matching if r.type is kind), matching[0] if matching else None)

    def _document(self, kind: PageKind, url: str, body: bytes, encoding: str | None) -> Document:
        rule = self._rule(path_and_query(canonicalize(url)), kind)
        if rule is not None and rule.format == "json":
            return json_document(body, url, site=self.base_url or url)
        return super()._document(kind, url, body, encoding)

    def _rule_links(self, rule: PageRule, doc: Document) -> list[Link]:
        """The page's ``links``: each a followed page of the kind ``classify`` gives it (not the page)."""
        if rule.links is None:
            return []
        out = []
        for found in islice(rule.links.select(doc.root), MAX_CARDS):
            element = isinstance(found, etree._Element)
            url = doc.resolve((found.get("href") if element else None) or text_of(found))
            known = self.classify(url) if url and url != doc.url else None
            if url and known:
                out.append(Link(url, known[0], known[1]))
        return out

    # --------------------------------------------------------------------------------- reading

    def _extract_html(self, kind: PageKind, doc: Document, fetched_at: dt.datetime) -> PageResult:
        rule = self._rule(path_and_query(doc.url), kind)
        if rule is None or (rule.record is None and rule.type is not PageKind.PAGE):
            return self._structured(kind, doc)
        ctx = _Context(doc=doc, reference=fetched_at, adapter=self)
        if rule.type is PageKind.ITEM:
            return self._item(rule, doc, ctx)
        if rule.type is PageKind.PAGE:
            return PageResult(links=list(self.anchor_links(doc)), next_page=doc.next_page())
        return self._listing(rule, doc, ctx)

    def _listing(self, rule: PageRule, doc: Document, ctx: _Context) -> PageResult:
        if rule.cards is None or rule.record is None:  # not after validation
            return PageResult()
        cards = (c for c in rule.cards.select(doc.root) if isinstance(c, etree._Element))
        records = dedupe(
            r for card in islice(cards, MAX_CARDS) if (r := self._record(rule.record, card, ctx))
        )
        return PageResult(
            items=records,
            links=self.item_links(records) + self._rule_links(rule, doc),
            next_page=self._next(rule, doc, ctx),
        )

    def _next(self, rule: PageRule, doc: Document, ctx: _Context) -> str | None:
        next_page = _first(rule.next, doc.root, ctx) if rule.next else doc.next_page()
        return next_page if isinstance(next_page, str) and next_page != doc.url else None

    def _item(self, rule: PageRule, doc: Document, ctx: _Context) -> PageResult:
        if rule.record is None:  # not after validation
            return PageResult()
        if rule.gone is not None and rule.gone.select(doc.root):
            return PageResult(gone=True)
        url = self._item_url(doc)
        record = self._record(rule.record, doc.root, ctx, url=url) if url else None
        if record is None:
            return PageResult()
        record.from_item_page = True
        links = self._rule_links(rule, doc)
        # a gallery's page lists its photos (``links``) and may go on over further pages (rel=next)
        next_page = self._next(rule, doc, ctx) if rule.links else None
        return PageResult(items=[record], links=links, next_page=next_page)

    def _item_url(self, doc: Document) -> str | None:
        """The page's canonical URL if it names the same item (or the page's URL names none), else its URL."""
        own, canonical = self.identify(doc.url), doc.canonical()
        if canonical is not None and (found := self.identify(canonical)) and (own is None or own == found):
            return canonical
        return doc.url if own else None

    def _record(
        self, rule: RecordRule, context: etree._Element, ctx: _Context, url: str | None = None
    ) -> ItemRecord | None:
        if url is None:
            found = _first(rule.url, context, ctx)
            url = found if isinstance(found, str) else None
        known = self.identify(url) if url else None
        if url is None or known is None:
            return None
        record = ItemRecord(kind=known[0], url=url, platform_id=known[1])
        for spec in rule.fields:
            value = spec.evaluate(context, ctx, record.kind)
            if value is not None:
                setattr(record, spec.name, value)
        if rule.persons is not None:
            record.persons = rule.persons.extract(context, ctx)
        return record

    def _structured(self, kind: PageKind, doc: Document) -> PageResult:
        """No rule for this page: what schema.org says about identifiable items, and item links."""
        records = []
        for record in schemaorg_records(doc):
            known = self.identify(record.url)
            if known is not None and known[0] is record.kind:
                record.platform_id = known[1]
                record.from_item_page = kind is PageKind.ITEM and record.url in (doc.url, doc.canonical())
                records.append(record)
        links = self.anchor_links(doc, None if kind is PageKind.PAGE else frozenset({PageKind.ITEM}))
        return PageResult(
            items=records, links=self.item_links(records) + list(links), next_page=doc.next_page()
        )


# =================================================================================== JSON pages

MAX_JSON_NODES = 200_000
MAX_JSON_DEPTH = 64
_JSON_TAG = re.compile(r"[^a-z0-9_-]+")


def _json_tag(key: object) -> str:
    tag = _JSON_TAG.sub("_", str(key).lower())[:100].strip("-") or "_"
    return tag if tag[0].isalpha() or tag[0] == "_" else "_" + tag


def json_document(body: bytes, url: str, *, site: str) -> Document:
    """A JSON answer as a tree that selectors read like HTML: each key an element named after the key in
    lower case (other characters as ``_``; the key itself in its ``key`` attribute), each list member
    an ``item`` element, each value its element's text. ``{"videos": [{"url": "/v/1"}]}`` becomes
    ``<json><videos><item><url>/v/1</url></item></videos></json>`` (``cards: 'videos > item'``).
    Bounded in size, depth and nodes; a body that is not JSON gives an empty tree."""
    root = lxml.html.Element("json")
    try:
        data = json.loads(body[:MAX_HTML_BYTES].decode("utf-8", "replace").lstrip("\ufeff"))
    except (ValueError, RecursionError):
        data = None
    budget = [MAX_JSON_NODES]

    def add(value: object, parent: etree._Element, depth: int) -> None:
        if depth > MAX_JSON_DEPTH:
            return
        if isinstance(value, dict):
            pairs: Iterable[tuple[object, object]] = value.items()
        elif isinstance(value, list):
            pairs = (("item", v) for v in value)
        else:
            if value is not None:
                parent.text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            return
        for key, child_value in pairs:
            if budget[0] <= 0:
                return
            budget[0] -= 1
            child = parent.makeelement(_json_tag(key), {"key": str(key)[:200]})
            parent.append(child)
            add(child_value, child, depth + 1)

    add(data, root, 0)
    page = canonicalize(url)
    return Document(root=root, url=page, base=page, site=site)


# ================================================================================ loading YAML


class _Map(dict[str, Any]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] = {}


class _Seq(list[Any]):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key, self.line = key, line
        super().__init__(key)


class _Loader(yaml.SafeLoader):
    """A safe loader that remembers the lines of mapping keys and sequence items."""


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[_Map]:
    data = _Map()
    yield data
    data.line = node.start_mark.line + 1
    for key_node, _ in node.value:  # before merging ``<<:`` keys, which may repeat keys legitimately
        if isinstance(key_node, yaml.ScalarNode) and key_node.value != "<<":
            if key_node.value in data.key_lines:
                raise _DuplicateKey(key_node.value, key_node.start_mark.line + 1)
            data.key_lines[key_node.value] = key_node.start_mark.line + 1
    loader.flatten_mapping(node)
    data.update((str(key), value) for key, value in loader.construct_mapping(node).items())


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> Iterator[_Seq]:
    data = _Seq()
    yield data
    data.line = node.start_mark.line + 1
    data.item_lines = [item.start_mark.line + 1 for item in node.value]
    data.extend(loader.construct_sequence(node))


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


@dataclass(frozen=True)
class _At:
    """Where a value sits in the file: for error messages."""

    source: str
    path: str
    line: int

    def fail(self, message: str) -> NoReturn:
        raise ConfigError(
            f"{self.path}: {message}" if self.path else message, where=f"{self.source}:{self.line}"
        )

    def key(self, mapping: _Map, key: str) -> _At:
        line = (mapping.key_lines.get(key) or mapping.line) if isinstance(mapping, _Map) else 0
        return _At(self.source, f"{self.path}.{key}" if self.path else key, line or self.line)

    def item(self, sequence: _Seq, index: int) -> _At:
        lines = sequence.item_lines if isinstance(sequence, _Seq) else []
        return _At(self.source, f"{self.path}[{index}]", lines[index] if index < len(lines) else self.line)


@dataclass(frozen=True)
class _Defaults:
    locale: str | None
    dayfirst: bool | None


# ----------------------------------------------------------------------------------- validators


def _mapping(value: object, at: _At, allowed: Iterable[str], required: Iterable[str] = ()) -> _Map:
    if not isinstance(value, dict):
        at.fail(f"expected a mapping, got {_type_name(value)}")
    mapping = value if isinstance(value, _Map) else _Map(value)
    allowed = tuple(allowed)
    for key in mapping:
        if key not in allowed:
            line = at.key(mapping, str(key)).line
            _At(at.source, at.path, line).fail(f"unknown key {key!r} (expected one of: {', '.join(allowed)})")
    for key in required:
        if key not in mapping:
            at.fail(f"missing required key {key!r}")
    return mapping


def _type_name(value: object) -> str:
    names = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", type(None): "nothing"}
    return next((name for kind, name in names.items() if isinstance(value, kind)), type(value).__name__)


def _string(value: object, at: _At) -> str:
    if not isinstance(value, str) or not value.strip():
        at.fail(f"expected a non-empty string, got {_type_name(value)}")
    return value.strip()


def _bool(value: object, at: _At) -> bool:
    if not isinstance(value, bool):
        at.fail(f"expected true or false, got {_type_name(value)}")
    return value


def _choice(value: object, at: _At, options: Iterable[str]) -> str:
    text = _string(value, at)
    options = tuple(options)
    if text not in options:
        at.fail(f"{text!r} is not one of: {', '.join(options)}")
    return text


def _list(value: object, at: _At) -> _Seq:
    if not isinstance(value, list):
        at.fail(f"expected a list, got {_type_name(value)}")
    return value if isinstance(value, _Seq) else _Seq(value)


def _regex(value: object, at: _At, need_id: bool = False) -> re.Pattern[str]:
    source = _string(value, at)
    try:
        pattern = re.compile(source)
    except re.error as exc:
        at.fail(f"bad regular expression '{source}': {_one_line(exc)}")
    if need_id and "id" not in pattern.groupindex:
        at.fail(f"the pattern '{source}' needs a named group (?P<id>…) giving the platform id")
    return pattern


_TRANSLATOR = HTMLTranslator()
_XPATH_NAMESPACES = {"re": "http://exslt.org/regular-expressions", "set": "http://exslt.org/sets"}
_PROBE = lxml.html.document_fromstring("<html><body><div class='x'><a href='/a'>a</a></div></body></html>")


def _compile_selector(kind: str, source: str, at: _At) -> Selector:
    expression = source
    if kind == "css":
        try:
            expression = _TRANSLATOR.css_to_xpath(source)
        except (SelectorError, ValueError, NotImplementedError) as exc:
            at.fail(f"bad CSS selector {source!r}: {_one_line(exc)}")
    try:
        xpath = etree.XPath(expression, namespaces=_XPATH_NAMESPACES, smart_strings=False)
        xpath(_PROBE)
    except etree.XPathError as exc:
        at.fail(f"bad {'CSS selector' if kind == 'css' else 'XPath'} {source!r}: {_one_line(exc)}")
    return Selector(source=source, xpath=xpath)


def _selector(value: object, at: _At) -> Selector:
    """A selector: a CSS string, or ``{css: …}`` / ``{xpath: …}``."""
    if isinstance(value, str):
        return _compile_selector("css", _string(value, at), at)
    mapping = _mapping(value, at, ("css", "xpath"))
    return _selector_of(mapping, at)


def _selector_of(mapping: _Map, at: _At) -> Selector:
    present = [key for key in ("css", "xpath") if key in mapping]
    if len(present) != 1:
        at.fail("needs exactly one of 'css' or 'xpath'")
    key = present[0]
    return _compile_selector(key, _string(mapping[key], at.key(mapping, key)), at.key(mapping, key))


RULE_KEYS = ("css", "xpath", "attr", "re", "parse", "locale", "dayfirst", "many", "kinds")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class _RuleType:
    default_parse: str
    parses: frozenset[str]
    many: bool = False


def _rule_type(default: str, *others: str, many: bool = False) -> _RuleType:
    return _RuleType(default, frozenset((default, *others)), many)


FIELD_TYPES: dict[str, _RuleType] = {
    f.name: _rule_type(*f.parse, many=f.many) for f in ITEM_FIELDS if f.parse
}
"""Fields an adapter can fill, their default and allowed ``parse`` (from the item schema; ``persons`` has
its own block)."""
SECONDS_FIELDS = frozenset(f.name for f in ITEM_FIELDS if f.type == "seconds")

URL_RULE = _rule_type("url")
TEXT_RULE = _rule_type("text")
FLAG_RULE = _rule_type("text")


def _rule(value: object, at: _At, kind: _RuleType, defaults: _Defaults) -> Rule:
    if isinstance(value, str):
        value = _Map(css=value)
    mapping = _mapping(value, at, RULE_KEYS)
    selector = _selector_of(mapping, at)
    parse = mapping.get("parse", kind.default_parse)
    parse = _choice(parse, at.key(mapping, "parse"), sorted(kind.parses))
    many = _bool(mapping.get("many", kind.many), at.key(mapping, "many"))
    if many and not kind.many:
        at.key(mapping, "many").fail("only list fields (tags, categories) take many values")
    locale = mapping.get("locale", defaults.locale)
    if locale is not None and not _LOCALE.fullmatch(_string(locale, at.key(mapping, "locale"))):
        at.key(mapping, "locale").fail(f"{locale!r} is not a locale such as 'en' or 'de-DE'")
    dayfirst = mapping.get("dayfirst", defaults.dayfirst)
    attr = mapping.get("attr")
    return Rule(
        selector=selector,
        attr=_string(attr, at.key(mapping, "attr")) if attr is not None else None,
        regex=_regex(mapping["re"], at.key(mapping, "re")) if "re" in mapping else None,
        parse=parse,
        many=many,
        locale=locale,
        dayfirst=_bool(dayfirst, at.key(mapping, "dayfirst")) if dayfirst is not None else None,
        kinds=_kinds(mapping["kinds"], at.key(mapping, "kinds")) if "kinds" in mapping else None,
    )


def _rules(value: object, at: _At, kind: _RuleType, defaults: _Defaults) -> tuple[Rule, ...]:
    """One rule, or a list of alternatives tried in order."""
    if isinstance(value, list):
        sequence = _list(value, at)
        if not sequence:
            at.fail("expected at least one rule")
        return tuple(_rule(v, at.item(sequence, i), kind, defaults) for i, v in enumerate(sequence))
    return (_rule(value, at, kind, defaults),)


def _item_kind(value: object, at: _At) -> ItemKind:
    return ItemKind(_choice(value, at, [k.value for k in ItemKind]))


def _kinds(value: object, at: _At) -> frozenset[ItemKind]:
    values = [value] if isinstance(value, str) else _list(value, at)
    return frozenset(_item_kind(v, at) for v in values)


def _fields(value: object, at: _At, defaults: _Defaults) -> tuple[FieldSpec, ...]:
    mapping = _mapping(value, at, FIELD_TYPES)
    specs = []
    for name, rules in mapping.items():
        kind = FIELD_TYPES[name]
        specs.append(FieldSpec(name, _rules(rules, at.key(mapping, name), kind, defaults), kind.many))
    return tuple(specs)


_SELF = Selector(source="self::*", xpath=etree.XPath("self::*"))


def _persons(value: object, at: _At, defaults: _Defaults) -> PersonsRule:
    mapping = _mapping(value, at, ("each", "name", "url", "public_figure"), required=("each",))
    name: tuple[Rule, ...] = (Rule(_SELF),)
    url: tuple[Rule, ...] = (Rule(_SELF, attr="href", parse="url"),)
    flag: tuple[Rule, ...] = ()
    if "name" in mapping:
        name = _rules(mapping["name"], at.key(mapping, "name"), TEXT_RULE, defaults)
    if "url" in mapping:
        url = _rules(mapping["url"], at.key(mapping, "url"), URL_RULE, defaults)
    if "public_figure" in mapping:
        flag = _rules(mapping["public_figure"], at.key(mapping, "public_figure"), FLAG_RULE, defaults)
    return PersonsRule(_selector(mapping["each"], at.key(mapping, "each")), name, url, flag)


def _record(value: object, at: _At, defaults: _Defaults) -> RecordRule:
    mapping = _mapping(value, at, ("url", "fields", "persons"))
    return RecordRule(
        url=_rules(mapping["url"], at.key(mapping, "url"), URL_RULE, defaults) if "url" in mapping else (),
        fields=_fields(mapping.get("fields", {}), at.key(mapping, "fields"), defaults),
        persons=_persons(mapping["persons"], at.key(mapping, "persons"), defaults)
        if "persons" in mapping
        else None,
    )


PAGE_KEYS: dict[PageKind, tuple[str, ...]] = {
    PageKind.LISTING: ("cards", "record", "next", "sorted", "kind", "links", "format"),
    PageKind.PERSON: ("cards", "record", "next", "sorted", "kind", "links", "format"),
    PageKind.ITEM: ("record", "gone", "links", "format"),
    PageKind.PAGE: ("format",),
}
"""Keys each page type takes besides ``type`` and ``url``."""
PAGE_REQUIRED: dict[PageKind, tuple[str, ...]] = {
    PageKind.LISTING: ("cards", "record"),
    PageKind.PERSON: ("cards", "record"),
    PageKind.ITEM: ("record",),
    PageKind.PAGE: (),
}


def _page(value: object, at: _At, records: Mapping[str, RecordRule], defaults: _Defaults) -> PageRule:
    mapping = _mapping(value, at, ("type", "url", *dict.fromkeys(k for v in PAGE_KEYS.values() for k in v)))
    for key in ("type", "url"):
        if key not in mapping:
            at.fail(f"missing required key {key!r}")
    page_type = PageKind(_choice(mapping["type"], at.key(mapping, "type"), [k.value for k in PAGE_KEYS]))
    allowed = ("type", "url", *PAGE_KEYS[page_type])
    _mapping(mapping, at, allowed, PAGE_REQUIRED[page_type])
    record = None
    if "record" in mapping:
        record = _record_ref(mapping["record"], at.key(mapping, "record"), records, defaults)
        if page_type is not PageKind.ITEM and not record.url:
            at.key(mapping, "record").fail("a record read from cards needs a 'url' rule")
    sorted_order = (
        _choice(mapping["sorted"], at.key(mapping, "sorted"), ("newest",)) if "sorted" in mapping else None
    )
    return PageRule(
        type=page_type,
        pattern=_regex(mapping["url"], at.key(mapping, "url")),
        kind=_item_kind(mapping["kind"], at.key(mapping, "kind")) if "kind" in mapping else None,
        sorted_newest=sorted_order == "newest",
        cards=_selector(mapping["cards"], at.key(mapping, "cards")) if "cards" in mapping else None,
        record=record,
        next=_rules(mapping["next"], at.key(mapping, "next"), URL_RULE, defaults)
        if "next" in mapping
        else (),
        gone=_selector(mapping["gone"], at.key(mapping, "gone")) if "gone" in mapping else None,
        links=_selector(mapping["links"], at.key(mapping, "links")) if "links" in mapping else None,
        format=_choice(mapping.get("format", "html"), at.key(mapping, "format"), ("html", "json")),
    )


def _record_ref(value: object, at: _At, records: Mapping[str, RecordRule], defaults: _Defaults) -> RecordRule:
    if isinstance(value, str):
        if value not in records:
            known = ", ".join(records) or "none defined"
            at.fail(f"no record named {value!r} under 'records' ({known})")
        return records[value]
    return _record(value, at, defaults)


TOP_KEYS = (
    "name",
    "description",
    "start",
    "locale",
    "dayfirst",
    "items",
    "wanted",
    "records",
    "pages",
    "sitemaps",
)
_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")


def _wanted(value: object, at: _At) -> dict[ItemKind, frozenset[str]]:
    mapping = _mapping(value, at, [k.value for k in ItemKind])
    wanted = {}
    for kind, names in mapping.items():
        here = at.key(mapping, kind)
        fields = _list(names, here)
        for index, name in enumerate(fields):
            _choice(name, here.item(fields, index), WANTABLE)
        wanted[ItemKind(kind)] = frozenset(fields)
    return wanted


def _start(value: object, at: _At) -> tuple[str, ...]:
    pages = _list(value, at)
    for index, page in enumerate(pages):
        text = _string(page, at.item(pages, index))
        if not text.startswith("/") and not is_http(text):
            at.item(pages, index).fail(f"{text!r} is neither a path starting with '/' nor an http(s) URL")
    return tuple(str(page).strip() for page in pages)


def compile_adapter(data: object, source: str) -> AdapterSpec:
    """Validate and compile a loaded adapter document."""
    at = _At(source, "", getattr(data, "line", 1))
    top = _mapping(data, at, TOP_KEYS, required=("name", "start", "items", "pages"))
    name = _string(top["name"], at.key(top, "name"))
    if not _NAME.fullmatch(name):
        at.key(top, "name").fail(f"{name!r}: use lower-case letters, digits, '-', '_' or '.'")
    defaults = _Defaults(
        locale=_string(top["locale"], at.key(top, "locale")) if "locale" in top else None,
        dayfirst=_bool(top["dayfirst"], at.key(top, "dayfirst")) if "dayfirst" in top else None,
    )
    items_at = at.key(top, "items")
    items = _mapping(top["items"], items_at, [k.value for k in ItemKind])
    if not items:
        items_at.fail("needs at least one item kind with its URL pattern")
    records_at = at.key(top, "records")
    raw_records = top.get("records", _Map())
    records_map = _mapping(
        raw_records, records_at, raw_records.keys() if isinstance(raw_records, dict) else ()
    )
    records = {
        str(k): _record(v, records_at.key(records_map, str(k)), defaults) for k, v in records_map.items()
    }
    pages_at = at.key(top, "pages")
    pages = _list(top["pages"], pages_at)
    return AdapterSpec(
        name=name,
        description=_string(top["description"], at.key(top, "description")) if "description" in top else "",
        source=source,
        start=_start(top["start"], at.key(top, "start")),
        items=tuple((ItemKind(k), _regex(v, items_at.key(items, k), need_id=True)) for k, v in items.items()),
        wanted=_wanted(top.get("wanted", {}), at.key(top, "wanted")),
        pages=tuple(_page(p, pages_at.item(pages, i), records, defaults) for i, p in enumerate(pages)),
        sitemaps=_regex(top["sitemaps"], at.key(top, "sitemaps")) if "sitemaps" in top else None,
    )


def load_adapter(path: str | Path, *, base_url: str | None = None) -> SiteAdapter:
    """Read, validate and compile an adapter file (``base_url``: the site it will read, if known)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read adapter file: {_one_line(exc)}", where=source) from exc
    try:
        data = yaml.load(text, Loader=_Loader)
    except _DuplicateKey as exc:
        raise ConfigError(f"duplicate key {exc.key!r}", where=f"{source}:{exc.line}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or exc
        raise ConfigError(f"not valid YAML: {_one_line(problem)}", where=where) from exc
    return SiteAdapter(compile_adapter(data, source), base_url)


def bundled_adapters() -> list[str]:
    """Names of the adapters shipped with unmask."""
    return sorted(path.stem for path in ADAPTERS_DIR.glob("*.yaml"))


def load_extractor(name_or_path: str | None, *, base_url: str | None = None) -> Extractor:
    """None (or "generic"): the generic extractor; a bundled name ("demo"); or a path to a YAML file.

    ``base_url`` binds the extractor to the crawled site at once (``start_urls`` also does): links and
    records elsewhere are dropped. Unbound, each page's own URL stands for the site.
    """
    if name_or_path is None or name_or_path == "generic":
        return GenericExtractor(base_url)
    if _NAME.fullmatch(name_or_path) and not name_or_path.endswith((".yaml", ".yml")):
        path = ADAPTERS_DIR / f"{name_or_path}.yaml"
        if not path.is_file():
            bundled = ", ".join(bundled_adapters()) or "none"
            raise ConfigError(
                f"no bundled adapter named {name_or_path!r} (bundled: {bundled}; or give a path)"
            )
        return load_adapter(path, base_url=base_url)
    return load_adapter(name_or_path, base_url=base_url)
