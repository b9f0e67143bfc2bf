"""Forum adapters: how to read one forum engine's pages, said in YAML (``engines/*.yaml`` or your own).

An adapter names the engine's URL shapes (sections, threads), how to recognise it (``detect``), where its
feeds are, how to read a section listing's cards and a thread's first page (CSS rules on HTML, or dotted
paths on a JSON API's answers), which pages are login only (``closed``) and which say a thread is gone.
Pure extraction: no I/O. The format is documented in docs/forum.md.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from lxml import etree
from parsel import Selector

from unmask.core.errors import ConfigError
from unmask.core.text import parse_count, parse_date, parse_relative_date
from unmask.core.urls import absolute, canonicalize, is_media, path_and_query
from unmask.forum.model import FEED_RANK, LISTING_RANK, PAGE_RANK, Link, PageKind, PageResult, SectionRecord
from unmask.forum.model import ThreadRecord as Thread

MAX_BODY = 8 * 1024 * 1024
"""Bytes of one page read (a forum page is far smaller; the rest is not parsed)."""
MAX_CARDS = 2_000
MAX_TEXT = 100_000
"""Characters of a first post kept."""
MAX_JSON_LD = 512 * 1024
DETECT_BYTES = 256 * 1024
THREAD_FIELDS = frozenset(
    {"url", "title", "labels", "starter", "started", "last_post", "replies", "views", "section", "first_post"}
)
PARSES = frozenset({"text", "count", "date", "timestamp", "url", "section", "list", "html_text"})
DEFAULT_PARSE = {
    "url": "url",
    "labels": "list",
    "started": "date",
    "last_post": "date",
    "replies": "count",
    "views": "count",
    "section": "section",
}
_WS = re.compile(r"\s+")
VISIBLE_TEXT = ".//text()[not(ancestor::script) and not(ancestor::style)]"
RULE_KEYS = frozenset({"css", "path", "attr", "re", "parse", "template"})
TOP_KEYS = frozenset(
    {
        "name",
        "description",
        "detect",
        "format",
        "start",
        "feeds",
        "listings",
        "sections",
        "threads",
        "rewrite",
        "closed",
        "gone",
        "page_time",
        "dayfirst",
        "index",
        "section",
        "thread",
    }
)


def _text(value: str) -> str:
    return _WS.sub(" ", value).strip()


@dataclass(frozen=True)
class Rule:
    css: str | None = None
    path: str | None = None
    attr: str | None = None
    regex: re.Pattern[str] | None = None
    parse: str = "text"
    template: str | None = None


@dataclass
class Context:
    """One page being read: its URL, its own time (for "Yesterday, 03:12 PM") and its section."""

    url: str
    now: dt.datetime
    dayfirst: bool | None


class AdapterError(ConfigError):
    pass


def _fail(where: str, message: str) -> AdapterError:
    return AdapterError(f"{message}", where=where)


def _compile_regex(value: Any, where: str, *, group: str | None = None) -> re.Pattern[str]:
    if not isinstance(value, str):
        raise _fail(where, "expected a regular expression")
    try:
        pattern = re.compile(value)
    except re.error as exc:
        raise _fail(where, f"bad regular expression {value!r}: {exc}") from None
    if group is not None and group not in pattern.groupindex:
        raise _fail(where, f"the pattern {value!r} needs a named group (?P<{group}>…)")
    return pattern


def _rule(spec: Any, where: str, *, json_format: bool, parse: str) -> Rule:
    if isinstance(spec, str):
        spec = {"path": spec} if json_format else {"css": spec}
    if not isinstance(spec, dict):
        raise _fail(where, "a rule is a selector or a mapping")
    unknown = set(spec) - RULE_KEYS
    if unknown:
        raise _fail(where, f"unknown key {sorted(unknown)[0]!r}")
    parse = spec.get("parse", parse)
    if parse not in PARSES:
        raise _fail(where, f"unknown parse {parse!r} (one of {', '.join(sorted(PARSES))})")
    css = spec.get("css")
    if css is not None:
        try:
            Selector(text="<html></html>").css(css)
        except Exception as exc:  # cssselect raises several types
            raise _fail(where, f"bad CSS selector {css!r}: {exc}") from None
    if css is None and spec.get("path") is None and spec.get("template") is None:
        raise _fail(where, "a rule needs css, path or template")
    regex = _compile_regex(spec["re"], where) if "re" in spec else None
    return Rule(css, spec.get("path"), spec.get("attr"), regex, parse, spec.get("template"))


def _rules(specs: Any, where: str, *, json_format: bool) -> dict[str, Rule]:
    if specs is None:
        return {}
    if not isinstance(specs, dict):
        raise _fail(where, "expected a mapping of fields to rules")
    unknown = set(specs) - THREAD_FIELDS - {"name", "key"}
    if unknown:
        raise _fail(where, f"unknown field {sorted(unknown)[0]!r}")
    return {
        name: _rule(spec, f"{where}.{name}", json_format=json_format, parse=DEFAULT_PARSE.get(name, "text"))
        for name, spec in specs.items()
    }


# -- reading values ---------------------------------------------------------------------------------


def _json_path(node: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _raw_values(rule: Rule, node: Any) -> list[str]:
    if rule.template is not None and isinstance(node, dict):
        try:
            return [rule.template.format(**{k: v for k, v in node.items() if isinstance(v, str | int)})]
        except (KeyError, IndexError, ValueError):
            return []
    if rule.path is not None:
        value = _json_path(node, rule.path)
        values = value if isinstance(value, list) else [value]
        return [str(v) for v in values if isinstance(v, str | int | float) and not isinstance(v, bool)]
    assert isinstance(node, Selector) and rule.css is not None
    nodes = node.css(rule.css)
    if rule.attr is not None:
        return [v for n in nodes if (v := n.attrib.get(rule.attr)) is not None]
    if rule.parse == "html_text" or rule.css.endswith(("::text", "::attr")) or "::attr(" in rule.css:
        return [n.get() for n in nodes]
    return [" ".join(n.xpath(VISIBLE_TEXT).getall()) for n in nodes]


def _filtered(rule: Rule, values: list[str]) -> list[str]:
    if rule.regex is None:
        return values
    out = []
    for v in values:
        m = rule.regex.search(v)
        if m is not None:
            groups = m.groupdict()
            out.append(groups.get("value") or (m.group(1) if m.groups() else m.group(0)))
    return out


_TAGS = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.S | re.I)


class ForumAdapter:
    """One engine's adapter, compiled from YAML."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        unknown = set(data) - TOP_KEYS
        if unknown:
            raise _fail(where, f"unknown key {sorted(unknown)[0]!r}")
        for key in ("name", "sections", "threads"):
            if key not in data:
                raise _fail(where, f"missing key {key!r}")
        self.name: str = str(data["name"])
        self.description: str = str(data.get("description", ""))
        self.format: str = data.get("format", "html")
        if self.format not in ("html", "json"):
            raise _fail(f"{where}: format", "format is html or json")
        json_format = self.format == "json"
        self.detect = [_compile_regex(p, f"{where}: detect") for p in data.get("detect", [])]
        self.start: list[str] = list(data.get("start", ["/"]))
        self.feeds: list[str] = list(data.get("feeds", []))
        self.listings: list[str] = list(data.get("listings", []))
        """Section-like listings to start from (Discourse's /latest.json: every thread, newest first)."""
        self.sections = _compile_regex(data["sections"], f"{where}: sections", group="id")
        self.threads = _compile_regex(data["threads"], f"{where}: threads", group="id")
        self.rewrite = [
            (_compile_regex(r.get("match"), f"{where}: rewrite"), str(r.get("to", "")))
            for r in data.get("rewrite", [])
        ]
        self.closed = [_compile_regex(p, f"{where}: closed") for p in data.get("closed", [])]
        self.gone = [_compile_regex(p, f"{where}: gone") for p in data.get("gone", [])]
        self.dayfirst: bool | None = data.get("dayfirst")
        self.page_time = (
            _rule(data["page_time"], f"{where}: page_time", json_format=json_format, parse="text")
            if "page_time" in data
            else None
        )
        index = data.get("index") or {}
        self.index_cards: str | None = index.get("cards")
        self.index_fields = _rules(index.get("fields"), f"{where}: index.fields", json_format=json_format)
        self.index_links = (
            _rule(index["links"], f"{where}: index.links", json_format=json_format, parse="url")
            if "links" in index
            else None
        )
        section = data.get("section") or {}
        self.section_name = (
            _rule(section["name"], f"{where}: section.name", json_format=json_format, parse="text")
            if "name" in section
            else None
        )
        self.cards: str | None = section.get("cards")
        self.card = _rules(section.get("card"), f"{where}: section.card", json_format=json_format)
        if self.cards and "url" not in self.card:
            raise _fail(f"{where}: section.card", "cards need a url rule")
        self.next = (
            _rule(section["next"], f"{where}: section.next", json_format=json_format, parse="url")
            if "next" in section
            else None
        )
        thread = data.get("thread") or {}
        self.thread_fields = _rules(thread.get("fields"), f"{where}: thread.fields", json_format=json_format)
        self.jsonld: bool = bool(thread.get("jsonld", False))

    # -- URLs ---------------------------------------------------------------------------------------

    root: str = ""
    """The folder the forum is installed in ("/forum"): URL patterns match paths below it."""

    def at(self, root: str) -> ForumAdapter:
        """This adapter for a forum installed in ``root`` ("" for the site's root)."""
        copy = object.__new__(ForumAdapter)
        copy.__dict__.update(self.__dict__)
        copy.root = root.rstrip("/")
        return copy

    def _relative(self, pq: str) -> str:
        root = self.root
        return pq[len(root) :] if root and pq.startswith(root + "/") else pq

    def fetch_url(self, url: str) -> str:
        """The URL fetched for a link: the adapter's rewrites applied (a JSON API's endpoint)."""
        if not self.rewrite:
            return url
        pq = path_and_query(url)
        relative = self._relative(pq)
        new = relative
        for pattern, to in self.rewrite:  # each rule in turn
            new = pattern.sub(to, new, count=1)
        if new == relative or not url.endswith(pq):
            return url
        return canonicalize(url[: len(url) - len(pq)] + pq[: len(pq) - len(relative)] + new)

    def classify(self, url: str) -> Link | None:
        """What a (canonical) URL is to this engine: a thread, a section page, or nothing to follow."""
        if is_media(url):
            return None
        fetched = self.fetch_url(url)
        pq = self._relative(path_and_query(fetched))
        m = self.threads.search(pq)
        if m is not None:
            return Link(fetched, PageKind.THREAD)
        m = self.sections.search(pq)
        if m is not None:
            return Link(fetched, PageKind.SECTION, m.group("id"))
        return None

    def thread_id(self, url: str) -> str | None:
        m = self.threads.search(self._relative(path_and_query(self.fetch_url(url))))
        return m.group("id") if m else None

    def section_id(self, url: str) -> str | None:
        m = self.sections.search(self._relative(path_and_query(self.fetch_url(url))))
        return m.group("id") if m else None

    def seeds(self, base: str) -> list[Link]:
        """The engine's start pages and feeds, below the forum's folder."""

        def link(path: str, kind: PageKind) -> Link:
            return Link(canonicalize(base + self.root + path if path.startswith("/") else path), kind)

        return (
            [link(p, PageKind.INDEX) for p in self.start]
            + [link(p, PageKind.FEED) for p in self.feeds]
            + [link(p, PageKind.SECTION) for p in self.listings]
        )

    def detects(self, body: bytes) -> bool:
        head = body[:DETECT_BYTES].decode("utf-8", "replace")
        return any(p.search(head) for p in self.detect)

    # -- values -------------------------------------------------------------------------------------

    def _values(self, rule: Rule, node: Any, ctx: Context) -> list[Any]:
        raw = _filtered(rule, _raw_values(rule, node))
        out: list[Any] = []
        for value in raw:
            parsed = self._parse(rule.parse, value, ctx)
            if parsed is not None and parsed != "":
                out.append(parsed)
        return out

    def _parse(self, parse: str, value: str, ctx: Context) -> Any:
        if parse in ("text", "list"):
            return _text(value)[:2000]
        if parse == "html_text":
            return _text(_TAGS.sub(" ", value))[:MAX_TEXT]
        if parse == "count":
            return parse_count(value)
        if parse == "timestamp":
            return _timestamp(value)
        if parse == "date":
            return read_date(value, ctx.now, ctx.dayfirst)
        if parse in ("url", "section"):
            url = absolute(value.strip(), ctx.url)
            if url is None:
                return None
            url = canonicalize(url)
            return self.section_id(url) if parse == "section" else url
        raise AssertionError(parse)

    def _first(self, rules: dict[str, Rule], name: str, node: Any, ctx: Context) -> Any:
        rule = rules.get(name)
        if rule is None:
            return None
        values = self._values(rule, node, ctx)
        if name == "labels":
            return list(dict.fromkeys(values))
        return values[0] if values else None

    def _record(self, rules: dict[str, Rule], node: Any, ctx: Context, rank: int, url: str) -> Thread | None:
        pid = self.thread_id(url)
        if pid is None:
            return None
        rec = Thread(platform_id=pid, url=url, rank=rank)
        for name in THREAD_FIELDS - {"url", "section"}:
            value = self._first(rules, name, node, ctx)
            if value is not None:
                setattr(rec, name, value[:MAX_TEXT] if name == "first_post" else value)
        section = self._first(rules, "section", node, ctx)
        if section is not None:
            rec.section_key = str(section)
        return rec

    # -- pages --------------------------------------------------------------------------------------

    def extract(
        self,
        kind: PageKind,
        url: str,
        body: bytes,
        *,
        fetched_at: dt.datetime,
        section_key: str | None = None,
        encoding: str | None = None,
    ) -> PageResult:
        body = body[:MAX_BODY]
        if kind == PageKind.FEED:
            return self._feed(url, body, fetched_at)
        text = body.decode(encoding or "utf-8", "replace")
        node: Any
        if self.format == "json":
            try:
                node = json.loads(text)
            except ValueError:
                return PageResult()
        else:
            node = Selector(text=text)
        if self.closed and any(p.search(text) for p in self.closed):
            return PageResult(closed=True)
        ctx = Context(url, self._page_time(node, fetched_at), self.dayfirst)
        if kind == PageKind.INDEX:
            return self._index(node, ctx)
        if kind == PageKind.SECTION:
            return self._section(node, ctx, section_key or self.section_id(url))
        if self.gone and any(p.search(text) for p in self.gone):
            return PageResult(gone=True)
        return self._thread(node, ctx, text)

    def _page_time(self, node: Any, fetched_at: dt.datetime) -> dt.datetime:
        if self.page_time is None:
            return fetched_at
        for raw in _filtered(self.page_time, _raw_values(self.page_time, node)):
            when = _datetime(raw, self.dayfirst)
            if when is not None and abs(when - fetched_at) < dt.timedelta(days=2):
                return when
        return fetched_at

    def _links(self, node: Any, ctx: Context) -> Iterator[Link]:
        if self.format == "json":
            return
        for href in node.css("a::attr(href)").getall()[:20_000]:
            url = absolute(href.strip(), ctx.url)
            if url is None:
                continue
            link = self.classify(canonicalize(url))
            if link is not None:
                yield link

    def _index(self, node: Any, ctx: Context) -> PageResult:
        result = PageResult()
        if self.index_cards is not None:
            for card in _cards(node, self.index_cards):
                key = self._first(self.index_fields, "key", card, ctx)
                url = self._first(self.index_fields, "url", card, ctx)
                name = self._first(self.index_fields, "name", card, ctx)
                if url is not None:
                    url = self.fetch_url(url)
                    key = key or self.section_id(url)
                if key is None:
                    continue
                result.sections.append(SectionRecord(str(key), name, url))
                if url is not None:
                    result.links.append(Link(url, PageKind.SECTION, str(key)))
            return result
        for link in self._links(node, ctx):
            result.links.append(link)
        if self.format == "html":
            for a in node.css("a[href]"):
                url = absolute(a.attrib.get("href", "").strip(), ctx.url)
                key = self.section_id(canonicalize(url)) if url else None
                name = _text(" ".join(a.xpath(".//text()").getall()))
                if key is not None and name:
                    result.sections.append(SectionRecord(key, name[:500], canonicalize(url or "")))
        return result

    def _section(self, node: Any, ctx: Context, key: str | None) -> PageResult:
        result = PageResult()
        name = None
        if self.section_name is not None:
            values = self._values(self.section_name, node, ctx)
            name = values[0] if values else None
        if key is not None:
            result.sections.append(SectionRecord(key, name, None))
        for card in _cards(node, self.cards or "")[:MAX_CARDS]:
            url = self._first(self.card, "url", card, ctx)
            if url is None:
                continue
            link = self.classify(url)
            if link is None or link.kind != PageKind.THREAD:
                continue
            rec = self._record(self.card, card, ctx, LISTING_RANK, url)
            if rec is None:
                continue
            rec.section_key = rec.section_key or key
            rec.section_name = name if rec.section_key == key else None
            result.threads.append(rec)
            result.links.append(Link(link.url, PageKind.THREAD, rec.section_key))
        for link in self._links(node, ctx):
            if link.kind == PageKind.SECTION and link.section_key != key:
                result.links.append(link)  # subsections (the section's own pages: only through `next`)
        if self.next is not None:
            values = self._values(self.next, node, ctx)
            if values:
                result.next_page = self.fetch_url(values[0])
        elif self.format == "html":
            href = node.css('link[rel="next"]::attr(href), a[rel~="next"]::attr(href)').get()
            url = absolute(href.strip(), ctx.url) if href else None
            result.next_page = canonicalize(url) if url else None
        return result

    def _thread(self, node: Any, ctx: Context, text: str) -> PageResult:
        rec = self._record(self.thread_fields, node, ctx, PAGE_RANK, ctx.url)
        if rec is None:
            return PageResult()
        if self.jsonld and self.format == "html":
            _merge_jsonld(rec, node, ctx)
        section = self.thread_fields.get("section")
        if section is not None and rec.section_key is not None:
            names = _raw_values(Rule(css=section.css, path=section.path), node)
            if names and self.format == "html":
                rec.section_name = _text(names[-1])[:500] or None
        return PageResult(
            threads=[rec],
            sections=[SectionRecord(rec.section_key, rec.section_name)] if rec.section_key else [],
        )

    def _feed(self, url: str, body: bytes, fetched_at: dt.datetime) -> PageResult:
        result = PageResult()
        for entry in feed_entries(body):
            link = entry.get("link")
            target = absolute(link, url) if link else None
            if target is None:
                continue
            found = self.classify(canonicalize(target))
            if found is None or found.kind != PageKind.THREAD:
                continue
            pid = self.thread_id(found.url)
            if pid is None:
                continue
            rec = Thread(platform_id=pid, url=found.url, rank=FEED_RANK, title=entry.get("title"))
            rec.starter = entry.get("author")
            if entry.get("date"):
                rec.started = read_date(entry["date"], fetched_at, None)
            result.threads.append(rec)
            result.links.append(found)
        return result


def _cards(node: Any, where: str) -> list[Any]:
    if not where:
        return []
    if isinstance(node, Selector):
        return list(node.css(where))
    value = _json_path(node, where)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _timestamp(value: str) -> dt.date | None:
    try:
        seconds = int(value.strip())
        return dt.datetime.fromtimestamp(seconds, dt.UTC).date() if 0 < seconds < 10**11 else None
    except (ValueError, OverflowError, OSError):
        return None


def read_date(value: str, now: dt.datetime, dayfirst: bool | None) -> dt.date | None:
    """A date as a forum shows it: absolute ("2024-03-05T10:00", "Mar 5, 2024", "03-05-2024, 10:12 PM")
    or relative to the page's own time ("Yesterday, 03:12 PM", "5 hours ago", "Today")."""
    return parse_date(value, dayfirst=dayfirst) or parse_relative_date(value, now)


_CLOCK = re.compile(r"(\d{1,2}):(\d{2})\s*([AaPp][Mm])?")


def _datetime(value: str, dayfirst: bool | None) -> dt.datetime | None:
    day = parse_date(value, dayfirst=dayfirst)
    if day is None:
        return None
    m = _CLOCK.search(value.split("T", 1)[-1] if "T" in value else value)
    hour = minute = 0
    if m is not None:
        hour, minute = int(m.group(1)) % 24, int(m.group(2)) % 60
        if m.group(3) and m.group(3).lower() == "pm" and hour < 12:
            hour += 12
        if m.group(3) and m.group(3).lower() == "am" and hour == 12:
            hour = 0
    return dt.datetime.combine(day, dt.time(hour, minute))


# -- feeds and JSON-LD ------------------------------------------------------------------------------

_FEED_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, huge_tree=False, recover=True, load_dtd=False
)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def feed_entries(body: bytes) -> Iterator[dict[str, str]]:
    """RSS items and Atom entries: link, title, date, author (bounded; a broken feed gives what it can)."""
    try:
        root = etree.fromstring(body, _FEED_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return
    if root is None:
        return
    for n, el in enumerate(root.iter()):
        if n > 200_000:
            return
        if _local(el.tag) not in ("item", "entry"):
            continue
        entry: dict[str, str] = {}
        for child in el:
            name = _local(child.tag)
            text = _text(child.text or "")
            if name == "link":
                href = child.get("href")
                if href and child.get("rel", "alternate") == "alternate":
                    entry.setdefault("link", href.strip())
                elif text:
                    entry.setdefault("link", text)
            elif name == "title":
                entry["title"] = text[:2000]
            elif name in ("pubdate", "published", "updated", "date") and text:
                entry.setdefault("date", _feed_date(text))
            elif name in ("creator", "author"):
                author = text or _text(" ".join(child.itertext()))
                if author:
                    entry.setdefault("author", author[:500])
        yield entry


def _feed_date(text: str) -> str:
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return text


def _jsonld_nodes(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 8:
        return
    if isinstance(value, list):
        for v in value[:200]:
            yield from _jsonld_nodes(v, depth + 1)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "mainEntityOfPage"):
            if key in value:
                yield from _jsonld_nodes(value[key], depth + 1)


def _types(node: dict[str, Any]) -> set[str]:
    t = node.get("@type")
    return {str(x) for x in (t if isinstance(t, list) else [t]) if x}


def _name(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name")
    return _text(value)[:500] if isinstance(value, str) and value.strip() else None


def _merge_jsonld(rec: Thread, node: Selector, ctx: Context) -> None:
    """A ``DiscussionForumPosting`` describes the thread: its headline is the title without the prefix
    (XenForo 2), its author the starter, its counters the replies and views."""
    for raw in node.css('script[type="application/ld+json"]::text').getall()[:20]:
        if len(raw) > MAX_JSON_LD:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        for item in _jsonld_nodes(data):
            if "DiscussionForumPosting" not in _types(item):
                continue
            headline = _name(item.get("headline"))
            if headline:
                rec.title = headline
            rec.starter = _name(item.get("author")) or rec.starter
            published = item.get("datePublished")
            if isinstance(published, str):
                rec.started = read_date(published, ctx.now, None) or rec.started
            body = item.get("articleBody") or item.get("text")
            if isinstance(body, str) and body.strip() and not rec.first_post:
                rec.first_post = _text(body)[:MAX_TEXT]
            section = _name(item.get("articleSection"))
            rec.section_name = rec.section_name or section
            for counter in _as_list(item.get("interactionStatistic")):
                if not isinstance(counter, dict):
                    continue
                kind = str(_name(counter.get("interactionType")) or counter.get("interactionType") or "")
                count = parse_count(str(counter.get("userInteractionCount", "")))
                if count is None:
                    continue
                if "Comment" in kind or "Reply" in kind:
                    rec.replies = count
                elif "View" in kind or "Watch" in kind:
                    rec.views = count
            return


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# -- loading ----------------------------------------------------------------------------------------

ENGINES = ("xenforo2", "mybb", "phpbb3", "vbulletin", "discourse", "nodebb")
"""The built-in engines, in the order detection tries them."""


def _load(text: str, where: str) -> ForumAdapter:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", exc)
        raise AdapterError(f"YAML syntax error: {problem}", where=f"{where}{line}") from None
    if not isinstance(data, dict):
        raise AdapterError("an adapter is a YAML mapping", where=where)
    return ForumAdapter(data, where)


@cache
def engine(name: str) -> ForumAdapter:
    """A built-in engine's adapter."""
    text = resources.files("unmask.forum").joinpath(f"engines/{name}.yaml").read_text("utf-8")
    return _load(text, f"engines/{name}.yaml")


def load_adapter(name_or_path: str) -> ForumAdapter:
    """A built-in engine by name, or an adapter file."""
    if name_or_path in ENGINES:
        return engine(name_or_path)
    path = Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AdapterError(f"cannot read it: {exc.strerror}", where=name_or_path) from None
    return _load(text, str(path))


def detect(body: bytes) -> ForumAdapter | None:
    """The built-in engine whose markers the page shows (the start page's markup and assets)."""
    for name in ENGINES:
        adapter = engine(name)
        if adapter.detects(body):
            return adapter
    return None


def engines() -> Iterable[ForumAdapter]:
    return (engine(name) for name in ENGINES)
