"""A platform's growth curve from web-archive captures (`unmask history`), see docs/history.md.

A CDX index (the Wayback Machine's, or any server of the same shape such as pywb) lists the captures of
the platform's home and listing pages; one capture per month is replayed in its original bytes
(``id_``) through the one fetch layer, as evidence with purpose ``history``. Only HTML 200 captures of
the page itself count (a CDX server may answer with robots.txt, redirects or other pages of the host).
Each page gives the catalogue counts it states, in the forms home pages showed over the years
("13,160 videos", "Videos: 13,160", "Videos (13160)", "13.1K videos", "Videos: 13160 · Photos: 6566",
a count beside each link of a navigation menu, "Showing 1-40 of 12,345"), a pagination estimate (last
page × items on the page) and the tracker/ad IDs it embeds. Every failure (CDX errors, empty or
malformed indexes, replay 404s, media or non-HTML captures) is a recorded result, never an exception.
Reading a page is linear in its size: no pattern here can backtrack over a hostile page.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import unescape
from itertools import islice
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlencode, urljoin, urlsplit

from sqlalchemy import select

from unmask.core.errors import FetchRefused
from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.scope import Scope
from unmask.core.fetch.transport import FetchError
from unmask.core.identifiers import extract_linking_ids
from unmask.core.store.models import ArchiveCapture, ArchiveObservation, Capture
from unmask.core.text import parse_count

if TYPE_CHECKING:
    from unmask.core.case import Case

WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"
WAYBACK_REPLAY = "https://web.archive.org/web/{timestamp}id_/{original}"
CDX_FIELDS = ("timestamp", "original", "statuscode", "mimetype", "digest")

CDX_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp",),
    "original": ("original", "url"),
    "statuscode": ("statuscode", "status"),
    "mimetype": ("mimetype", "mime"),
    "digest": ("digest",),
}
"""CDX field names: the Wayback Machine's first, then pywb's."""

MAX_HTML = 4 * 1024 * 1024
"""Bytes of a replayed page that the extraction reads."""

# ---------------------------------------------------------------------------------- data tables

KIND_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "videos": {
        "en": ("videos", "video clips", "clips", "movies", "vids"),
        "de": ("videos", "filme", "clips"),
        "fr": ("vidéos", "videos"),
        "es": ("vídeos", "videos"),
        "it": ("video",),
        "pt": ("vídeos", "videos"),
        "nl": ("video's", "videos"),
        "ru": ("видео", "роликов", "ролика"),
    },
    "photos": {
        "en": ("photos", "pictures", "pics", "images"),
        "de": ("fotos", "bilder"),
        "fr": ("photos", "images"),
        "es": ("fotos", "imágenes", "imagenes"),
        "it": ("foto", "immagini"),
        "pt": ("fotos", "imagens"),
        "nl": ("foto's", "fotos", "afbeeldingen"),
        "ru": ("фото", "фотографий", "изображений"),
    },
    "galleries": {
        "en": ("galleries", "albums", "sets"),
        "de": ("galerien", "alben"),
        "fr": ("galeries", "albums"),
        "es": ("galerías", "galerias", "álbumes"),
        "ru": ("галерей", "альбомов"),
    },
    "total": {
        "en": ("items", "results", "uploads", "posts", "files", "entries"),
        "de": ("einträge", "ergebnisse", "beiträge", "dateien"),
        "fr": ("résultats", "fichiers", "éléments"),
        "es": ("resultados", "archivos", "elementos"),
        "ru": ("результатов", "файлов"),
    },
}
"""Words after a number that make it a catalogue count of that kind, per language ("58,123 videos")."""

RANGE_OF_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("of", "out of"),
    "de": ("von", "aus"),
    "fr": ("sur", "de"),
    "es": ("de",),
    "it": ("di", "su"),
    "pt": ("de",),
    "nl": ("van",),
    "ru": ("из",),
}
"""The word between a shown range and the total, per language ("Showing 1-40 of 12,345")."""

TRACKERS: dict[str, str] = {
    "ua": "{}",
    "ga4": "{}",
    "gtm": "{}",
    "adsense": "{}",
    "yandex_metrica": "ym-{}",
    "fb_pixel": "fbpx-{}",
}
"""Tracker and ad IDs: the linking-ID kinds kept (unmask.core.identifiers's table finds them), in the order
the results list them, and how each is written."""

PAGINATION_PARAMS: tuple[str, ...] = ("page", "p", "pg", "seite", "pagina", "strona", "start_page")
PAGINATION_PATHS: tuple[str, ...] = ("page", "seite", "pagina", "p", "strona")
"""Query parameters and path segments that number a listing's pages (``?page=1450``, ``/page/1450``)."""

NUMBER = r"(\d{1,3}(?:[ ,.'’\u00a0]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)"
SCALE = r"(?:\s?(k|m|b|mio\.?|mln|million|millionen|millions|mrd|tsd\.?|тыс\.?|млн))?"

BLOCK_TAGS: frozenset[str] = frozenset(
    {"address", "article", "aside", "blockquote", "body", "br", "dd", "div", "dl", "dt", "fieldset",
     "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr",
     "html", "li", "main", "nav", "ol", "option", "p", "section", "select", "table", "tbody", "td", "tfoot",
     "th", "thead", "title", "tr", "ul"}
)  # fmt: skip
"""Tags that end a phrase: a number and a word on either side of one are not read together. ``a`` and
``span`` are not among them, so "<a>Videos <span>13,160</span></a>" is one phrase."""
SEPARATORS = "·•|;,/–—"
"""Characters between two counts of one line ("Videos: 13160 · Photos: 6566")."""


@dataclass(frozen=True)
class CountRule:
    """One catalogue-count pattern: group 1 the number, group 2 an optional scale word."""

    kind: str
    language: str
    pattern: re.Pattern[str]
    source: str = "text"


def _words(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _compile_count_rules() -> tuple[CountRule, ...]:
    """The plain-text rules: a shown range and its total. (Kind words are read by ``read_counts``.)
    Every repetition is bounded, so no rule can backtrack quadratically over a page of digits."""
    rules: list[CountRule] = []
    for language, words in RANGE_OF_WORDS.items():
        shown = r"(?<![\w.,])\d[\d,.]{0,12}\s?[-–—]\s?\d[\d,.]{0,12}"
        pattern = rf"{shown} (?:{_words(words)}) {NUMBER}{SCALE}(?![\w])"
        rules.append(CountRule("total", language, re.compile(pattern, re.IGNORECASE)))
    return tuple(rules)


COUNT_RULES: tuple[CountRule, ...] = _compile_count_rules()
_PAGE_QUERY = re.compile(rf"[?&](?:{_words(PAGINATION_PARAMS)})=(\d{{1,7}})(?:&|#|$)", re.IGNORECASE)
_PAGE_PATH = re.compile(rf"/(?:{_words(PAGINATION_PATHS)})/(\d{{1,7}})/?(?:[?#]|$)", re.IGNORECASE)
_HREF = re.compile(
    r"""<a\b[^<>]{0,2000}?\bhref\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)'|([^\s<>]+))""", re.IGNORECASE
)
_RAW_TEXT_OPEN = re.compile(r"<(script|style|noscript|template)\b", re.IGNORECASE)
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]{0,20})?[^<>]*>")
_LANG = re.compile(r"<html\b[^<>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_TOKEN = re.compile(
    rf"(?P<number>{NUMBER}{SCALE})(?![\w])|(?P<word>[^\W\d_][\w'’.-]*)|(?P<colon>:)|(?P<open>[(\[])"
    rf"|(?P<close>[)\]])|(?P<dash>-)|(?P<sep>[{re.escape(SEPARATORS)}])|(?P<other>[^\s\w])",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class Observation:
    kind: str
    value: int | None
    text: str | None
    source: str


def without_raw_text(html: str) -> str:
    """The page without the content of script, style, noscript and template elements (linear: each
    element's end is found with one ``str.find`` from its start; an unclosed one ends the page)."""
    lowered = html.lower()
    parts: list[str] = []
    position = 0
    for match in _RAW_TEXT_OPEN.finditer(html):
        if match.start() < position:
            continue
        parts.append(html[position : match.start()])
        end = lowered.find(f"</{match.group(1).lower()}", match.end())
        if end < 0:
            return " ".join(parts)
        close = html.find(">", end)
        position = len(html) if close < 0 else close + 1
        parts.append(" ")
    parts.append(html[position:])
    return "".join(parts)


def page_text(html: str) -> str:
    """Visible text of a page, tags removed, entities decoded and whitespace folded (enough for counts)."""
    return " ".join(unescape(_TAG.sub(" ", without_raw_text(html))).split())


def page_language(html: str) -> str | None:
    match = _LANG.search(html[:5000])
    return match.group(1).lower() if match else None


MAX_TOKENS = 200_000
"""Numbers, words and marks read per page for counts (catalogue counts sit in headers and menus; a
hostile page of a million numbers stops here)."""


class Token(NamedTuple):
    kind: str
    """number, label (a kind word), word, colon, open, close, dash, sep, other or block."""
    text: str
    label: str | None = None
    """For a label: the catalogue kind it names (videos, photos, galleries, total)."""
    tagged: bool = False
    """A tag stands between this token and the one before (a menu's "Videos <span>13160</span>")."""


def kind_phrases(language: str | None) -> dict[str, str]:
    """Lower-case kind words and phrases of the page's language and English -> the kind they name."""
    out: dict[str, str] = {}
    for kind, languages in KIND_WORDS.items():
        for lang, words in languages.items():
            if language is None or lang in (language, "en"):
                for word in words:
                    out.setdefault(word.lower(), kind)
    return out


def tokens(markup: str, language: str | None) -> list[Token]:
    """Numbers, kind words and punctuation of a page (or a plain text), with block boundaries."""
    phrases = kind_phrases(language)
    longest = max((len(p.split()) for p in phrases), default=1)
    out: list[Token] = []
    tagged = False
    position = 0
    for tag in _TAG.finditer(markup):
        if len(out) >= MAX_TOKENS:
            return out[:MAX_TOKENS]
        _text_tokens(unescape(markup[position : tag.start()]), phrases, longest, tagged, out)
        position = tag.end()
        name = (tag.group(2) or "").lower()
        if name in BLOCK_TAGS:
            if out and out[-1].kind != "block":
                out.append(Token("block", name))
            tagged = False
        else:
            tagged = True
    _text_tokens(unescape(markup[position:]), phrases, longest, tagged, out)
    return out[:MAX_TOKENS]


def _text_tokens(text: str, phrases: dict[str, str], longest: int, tagged: bool, out: list[Token]) -> None:
    found = [(m.lastgroup or "", m.group(0)) for m in islice(_TOKEN.finditer(text), MAX_TOKENS - len(out))]
    index = 0
    while index < len(found):
        kind, value = found[index]
        step = 1
        if kind == "word":
            kind = "word"
            for size in range(min(longest, len(found) - index), 0, -1):
                words = [v for k, v in found[index : index + size] if k == "word"]
                phrase = " ".join(words).lower().rstrip(".")
                if len(words) == size and phrase in phrases:
                    out.append(Token("label", phrase, phrases[phrase], tagged))
                    break
            else:
                out.append(Token("word", value, None, tagged))
                size = 1
            step = size
        else:
            out.append(Token(kind, value, None, tagged))
        tagged = False
        index += step


Pair = tuple[str, str, bool]
"""(kind, number text, strong): strong when the page wrote the pair unmistakably."""
STRONG_JOINERS = frozenset({"colon", "open"})
"""Between a kind word and its number they make the pair unmistakable ("Videos: 13160", "Videos (13160)")."""
WEAK_JOINERS = frozenset({"close", "dash"})
"""They may stand inside a run without ending it."""


def _runs(stream: list[Token]) -> list[list[tuple[Token, bool]]]:
    """Maximal alternations of numbers and kind words, each member with whether a colon, a bracket or
    a tag joins it to the one before ("Videos: 13160 Photos: 6566", "13,160 videos", a menu)."""
    runs: list[list[tuple[Token, bool]]] = []
    current: list[tuple[Token, bool]] = []
    joined = False
    for token in stream:
        if token.kind in STRONG_JOINERS or token.kind in WEAK_JOINERS:
            joined = joined or token.kind in STRONG_JOINERS
            continue
        if token.kind in ("number", "label") and (not current or current[-1][0].kind != token.kind):
            current.append((token, joined or token.tagged))
        else:
            if len(current) > 1:
                runs.append(current)
            current = [(token, token.tagged)] if token.kind in ("number", "label") else []
        joined = False
    if len(current) > 1:
        runs.append(current)
    return runs


def count_pairs(stream: list[Token]) -> list[Pair]:
    """The (kind, number) pairs a page states.

    A run that starts with a number pairs each number with the kind word after it ("13,160 videos
    6,566 photos"); one that starts with a kind word pairs each word with the number after it
    ("Videos: 13160 Photos: 6566", "Photos (6566)"). A word-first pair standing alone with nothing
    joining it ("best videos 2019") is not a count; a colon, a bracket, a tag around the number, or
    another pair in the same run makes it one.
    """
    pairs: list[Pair] = []
    for run in _runs(stream):
        number_first = run[0][0].kind == "number"
        couples = [(run[i], run[i + 1]) for i in range(0, len(run) - 1, 2)]
        for first, second in couples:
            number, label = (first, second) if number_first else (second, first)
            strong = number_first or second[1] or len(couples) > 1
            if label[0].label:
                pairs.append((label[0].label, number[0].text, strong))
    return pairs


def extract_counts(
    markup: str, language: str | None, rules: Sequence[CountRule] = COUNT_RULES
) -> dict[str, int]:
    """The largest count the page (or text) states per kind (a catalogue header beats a card's)."""
    best: dict[str, int] = {}

    def keep(kind: str, raw: str) -> None:
        value = parse_count(raw, language)
        if value is not None and value > best.get(kind, -1):
            best[kind] = value

    for kind, number, strong in count_pairs(tokens(markup, language)):
        if strong:
            keep(kind, number)
    text = page_text(markup) if "<" in markup else markup
    for rule in rules:
        if language and rule.language not in (language, "en") and rule.source == "text":
            continue
        for match in rule.pattern.finditer(text):
            keep(rule.kind, match.group(1) + (match.group(2) or ""))
    return best


def extract_ids(html: str) -> list[str]:
    """Tracker and ad IDs in the page source: by kind (in ``TRACKERS`` order), then first seen."""
    order = {kind: n for n, kind in enumerate(TRACKERS)}
    found = [i for i in extract_linking_ids(html, where="html") if i.kind in order]
    found.sort(key=lambda ident: order[ident.kind])  # stable: first-seen order within a kind
    return [TRACKERS[ident.kind].format(ident.value) for ident in found]


def _page_number(href: str) -> int | None:
    for pattern in (_PAGE_QUERY, _PAGE_PATH):
        match = pattern.search(href)
        if match:
            return int(match.group(1))
    return None


def _shape(path: str) -> str | None:
    """The first path segment of a link that looks like an item page (``/video/123-title``)."""
    parts = [p for p in path.split("/") if p]
    if len(parts) < 2 or (not any(ch.isdigit() for ch in parts[-1]) and len(parts[-1]) < 8):
        return None
    return parts[0].lower()


def pagination_estimate(html: str, page_url: str) -> tuple[int, int] | None:
    """(last page number, items on this page) when the page links its last listing page."""
    host = urlsplit(page_url).netloc.lower()
    last = 0
    items: dict[str, set[str]] = {}
    for match in _HREF.finditer(html):
        href = next(g for g in match.groups() if g is not None).replace("&amp;", "&")
        number = _page_number(href)
        if number is not None:
            last = max(last, number)
            continue
        absolute = urljoin(page_url, href)
        parts = urlsplit(absolute)
        if parts.scheme not in ("http", "https") or (
            parts.netloc.lower() != host and not _archived(parts.path)
        ):
            continue
        path = _unwrap_archive(parts.path)
        shape = _shape(path)
        if shape is not None:
            items.setdefault(shape, set()).add(path)
    if last < 2 or not items:
        return None
    per_page = max(len(paths) for paths in items.values())
    return (last, per_page) if per_page >= 3 else None


_ARCHIVE_PREFIX = re.compile(r"^/(?:web/|[\w-]+/)?\d{8,14}(?:[a-z]{2}_)?/https?://[^/]+")


def _archived(path: str) -> bool:
    return _ARCHIVE_PREFIX.match(path) is not None


def _unwrap_archive(path: str) -> str:
    return _ARCHIVE_PREFIX.sub("", path) or "/"


def extract_page(html: str, page_url: str, extra_rules: Sequence[CountRule] = ()) -> list[Observation]:
    """Everything one archived page shows: counts, a pagination estimate, tracker IDs.

    ``extra_rules`` is the hook for an adapter's own ``history:`` count rules (tried with the generic ones).
    """
    html = html[:MAX_HTML]
    language = page_language(html)
    out: list[Observation] = []
    counts = extract_counts(without_raw_text(html), language, (*COUNT_RULES, *extra_rules))
    sources = {r.kind: r.source for r in extra_rules}
    for kind, value in counts.items():
        out.append(Observation(kind, value, None, sources.get(kind, "text")))
    estimate = pagination_estimate(html, page_url)
    if estimate is not None:
        last, per_page = estimate
        out.append(Observation("last_page", last, None, "pagination"))
        out.append(Observation("page_size", per_page, None, "pagination"))
        out.append(Observation("pagination_total", last * per_page, None, "pagination"))
    out.extend(Observation("linking_id", None, ident, "regex") for ident in extract_ids(html))
    return out


# ---------------------------------------------------------------------------------- the CDX index


@dataclass(frozen=True)
class CdxRow:
    timestamp: str
    original: str
    status: int | None = None
    mimetype: str | None = None
    digest: str | None = None

    @property
    def date(self) -> dt.date:
        return capture_date(self.timestamp)


@dataclass
class CdxAnswer:
    rows: list[CdxRow] = field(default_factory=list)
    malformed: int = 0
    error: str | None = None


_TIMESTAMP = re.compile(r"^\d{8,14}$")


def capture_date(timestamp: str) -> dt.date:
    return dt.date(int(timestamp[:4]), int(timestamp[4:6]), int(timestamp[6:8]))


def _row(values: dict[str, Any], default_url: str) -> CdxRow | None:
    def get(name: str) -> str | None:
        for alias in CDX_ALIASES[name]:
            value = values.get(alias)
            if value not in (None, "", "-"):
                return str(value)
        return None

    timestamp = get("timestamp")
    if timestamp is None or not _TIMESTAMP.match(timestamp):
        return None
    try:
        capture_date(timestamp)
    except ValueError:
        return None
    status = get("statuscode")
    return CdxRow(
        timestamp=timestamp,
        original=get("original") or default_url,
        status=int(status) if status and status.isdigit() else None,
        mimetype=get("mimetype"),
        digest=get("digest"),
    )


def parse_cdx(body: str, default_url: str) -> CdxAnswer:
    """Rows of a CDX answer: Wayback JSON (a header row, then lists), pywb NDJSON, or classic text."""
    answer = CdxAnswer()
    text = body.strip()
    if not text:
        return answer
    records: list[Any]
    try:
        whole = json.loads(text)
        records = whole if isinstance(whole, list) else [whole]
    except ValueError:
        records = []
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                records.append(line)
    header: list[str] | None = None
    for record in records:
        values: dict[str, Any] | None = None
        if isinstance(record, list) and all(isinstance(v, str) for v in record):
            if header is None and "timestamp" in record:
                header = record
                continue
            names = header or list(CDX_FIELDS)
            if len(record) == len(names):
                values = dict(zip(names, record, strict=True))
        elif isinstance(record, dict):
            values = record
        elif isinstance(record, str):
            parts = record.split()
            if len(parts) >= 5 and _TIMESTAMP.match(parts[1]):  # urlkey timestamp original mime status …
                values = dict(
                    zip(
                        ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest"),
                        parts,
                        strict=False,
                    )
                )
        row = _row(values, default_url) if values is not None else None
        if row is None:
            answer.malformed += 1
        else:
            answer.rows.append(row)
    if not answer.rows and answer.malformed:
        answer.error = f"CDX answer is not a capture index ({answer.malformed} unreadable lines)"
    return answer


HTML_TYPES: frozenset[str] = frozenset({"text/html", "application/xhtml+xml"})


def _page_key(url: str) -> tuple[str, str, str] | None:
    """(host without www., path, query) of a URL: captures over http and https, with or without www.
    and with or without the root's slash are captures of the same page."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".").removeprefix("www.")
    except ValueError:
        return None
    return (host, parts.path or "/", parts.query) if host else None


def is_capture_of(row: CdxRow, page: str) -> bool:
    """An HTML 200 capture of ``page`` itself: not its robots.txt, a redirect, an error page, an image
    or another page of the host that a CDX server answered with."""
    if row.status != 200:
        return False
    mimetype = (row.mimetype or "").split(";")[0].strip().lower()
    if mimetype not in HTML_TYPES:
        return False
    key = _page_key(row.original)
    return key is not None and key == _page_key(page)


def monthly(rows: Iterable[CdxRow]) -> list[CdxRow]:
    """One capture per month (the first 200 of the month, else the first), oldest first."""
    by_month: dict[str, CdxRow] = {}
    for row in sorted(rows, key=lambda r: r.timestamp):
        month = row.timestamp[:6]
        kept = by_month.get(month)
        if kept is None or (kept.status not in (None, 200) and row.status in (None, 200)):
            by_month[month] = row
    return [by_month[m] for m in sorted(by_month)]


def spread(rows: Sequence[CdxRow], limit: int | None) -> list[CdxRow]:
    """At most ``limit`` rows spread evenly over the whole period (first and last kept)."""
    if limit is None or len(rows) <= limit:
        return list(rows)
    if limit == 1:
        return [rows[-1]]
    picks = sorted({round(i * (len(rows) - 1) / (limit - 1)) for i in range(limit)})
    return [rows[i] for i in picks]


# ---------------------------------------------------------------------------------- the run


@dataclass(frozen=True)
class HistoryOptions:
    cdx_url: str = WAYBACK_CDX
    replay_url: str = WAYBACK_REPLAY
    year_from: int | None = None
    year_to: int | None = None
    limit: int | None = None
    pages: tuple[str, ...] = ()
    """Listing pages to follow beside the URL (an adapter's start pages)."""
    extra_rules: tuple[CountRule, ...] = ()


@dataclass
class CaptureResult:
    url: str
    row: CdxRow | None
    error: str | None = None
    observations: list[Observation] = field(default_factory=list)


def cdx_query_url(options: HistoryOptions, url: str) -> str:
    # No ``fl``: the Wayback Machine and pywb name the fields differently (original/url,
    # statuscode/status, mimetype/mime) and each drops the names it does not know, so a row would come
    # back without the URL, status and type that tell a capture of the page from a robots.txt or a
    # redirect. Without ``fl`` both send every field under their own names (``CDX_ALIASES``).
    params: list[tuple[str, str]] = [
        ("url", url),
        ("output", "json"),
        ("filter", "statuscode:200"),
        ("collapse", "timestamp:6"),
    ]
    if options.year_from is not None:
        params.append(("from", str(options.year_from)))
    if options.year_to is not None:
        params.append(("to", str(options.year_to)))
    joiner = "&" if "?" in options.cdx_url else "?"
    return options.cdx_url + joiner + urlencode(params)


def replay_url(options: HistoryOptions, row: CdxRow) -> str:
    return options.replay_url.replace("{timestamp}", row.timestamp).replace("{original}", row.original)


def _is_html(content_type: str, body: bytes) -> bool:
    ctype = content_type.split(";")[0].strip().lower()
    if ctype in ("text/html", "application/xhtml+xml"):
        return True
    return not ctype and body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def _last_capture(case: Case, url: str) -> int | None:
    """Our latest evidence row for a URL the fetch layer refused (it records what it refused)."""
    with case.store.session() as session:
        found: int | None = session.scalars(
            select(Capture.id)
            .where(Capture.url == url, Capture.purpose == "history")
            .order_by(Capture.id.desc())
            .limit(1)
        ).first()
    return found


async def _query_cdx(
    case: Case, fetcher: Fetcher, options: HistoryOptions, url: str
) -> tuple[CdxAnswer, int | None]:
    query = cdx_query_url(options, url)
    try:
        resp = await fetcher.get(query)
    except FetchRefused as exc:
        return CdxAnswer(error=f"CDX query refused: {exc.reason}"), _last_capture(case, exc.url)
    except FetchError as exc:
        return CdxAnswer(error=f"CDX query failed: {exc}"), None
    if resp.status != 200:
        return CdxAnswer(error=f"CDX server answered HTTP {resp.status}"), resp.capture_id
    answer = parse_cdx(resp.text, url)
    if answer.error is None and not answer.rows:
        answer.error = "no captures in the archive"
    return answer, resp.capture_id


async def _replay(
    case: Case, fetcher: Fetcher, options: HistoryOptions, url: str, row: CdxRow
) -> tuple[CaptureResult, int | None]:
    result = CaptureResult(url, row)
    target = replay_url(options, row)
    try:
        resp = await fetcher.get(target)
    except FetchRefused as exc:
        result.error = f"replay refused: {exc.reason}"
        return result, _last_capture(case, exc.url)
    except FetchError as exc:
        result.error = f"replay failed: {exc}"
        return result, None
    if resp.status != 200:
        result.error = f"replay answered HTTP {resp.status}"
    elif resp.refused:
        result.error = f"replay refused: {resp.refused}"
    elif not _is_html(resp.content_type, resp.body):
        result.error = f"not an HTML page ({resp.content_type or 'no content type'})"
    else:
        result.observations = extract_page(resp.text, row.original, options.extra_rules)
    return result, resp.capture_id


def _store(case: Case, result: CaptureResult, capture_id: int | None) -> None:
    row = result.row
    with case.store.session() as session:
        archived = ArchiveCapture(
            url=result.url,
            timestamp=row.timestamp if row else None,
            original=row.original if row else None,
            status=row.status if row else None,
            mimetype=row.mimetype if row else None,
            digest=row.digest if row else None,
            capture_id=capture_id,
            error=result.error,
        )
        session.add(archived)
        session.flush()
        if row is not None:
            session.add_all(
                ArchiveObservation(
                    archive_capture_id=archived.id,
                    date=row.date,
                    kind=obs.kind,
                    value=obs.value,
                    value_text=obs.text,
                    source=obs.source,
                )
                for obs in result.observations
            )


def _stored(case: Case, url: str, row: CdxRow) -> CaptureResult | None:
    """A capture an earlier run already read without error (not fetched again)."""
    with case.store.session() as session:
        found = session.scalars(
            select(ArchiveCapture)
            .where(ArchiveCapture.url == url, ArchiveCapture.timestamp == row.timestamp)
            .where(ArchiveCapture.error.is_(None))
            .order_by(ArchiveCapture.id.desc())
            .limit(1)
        ).first()
        if found is None:
            return None
        observations = session.scalars(
            select(ArchiveObservation).where(ArchiveObservation.archive_capture_id == found.id)
        ).all()
        return CaptureResult(
            url, row, None, [Observation(o.kind, o.value, o.value_text, o.source) for o in observations]
        )


async def run_history(case: Case, url: str, options: HistoryOptions) -> dict[str, Any]:
    """Query the CDX index for each page, replay one capture a month, store and return the growth curve."""
    results: list[CaptureResult] = []
    replay = replay_url(options, CdxRow("2000", "x"))
    private = case.config.fetch.allow_private_addresses
    archive = Scope.for_sources([options.cdx_url, replay], allow_private=private)
    async with Fetcher.for_case(case, purpose="history", scope=archive) as fetcher:
        for page in dict.fromkeys((url, *options.pages)):
            answer, cdx_capture = await _query_cdx(case, fetcher, options, page)
            if answer.error is not None:
                failed = CaptureResult(page, None, answer.error)
                _store(case, failed, cdx_capture)
                results.append(failed)
                continue
            if answer.malformed:
                note = CaptureResult(
                    page, None, f"CDX answer had {answer.malformed} unreadable lines (skipped)"
                )
                _store(case, note, cdx_capture)
                results.append(note)
            own = [row for row in answer.rows if is_capture_of(row, page)]
            if not own:
                skipped = CaptureResult(page, None, "no HTML 200 captures of this page in the archive")
                _store(case, skipped, cdx_capture)
                results.append(skipped)
            for row in spread(monthly(own), options.limit):
                done = _stored(case, page, row)
                if done is not None:
                    results.append(done)
                    continue
                result, capture_id = await _replay(case, fetcher, options, page, row)
                _store(case, result, capture_id)
                results.append(result)
    return growth_curve(url, results)


def growth_curve(url: str, results: Sequence[CaptureResult]) -> dict[str, Any]:
    """The JSON shape of `unmask history --json`: one point per capture date, oldest first."""
    by_date: dict[dt.date, dict[str, Any]] = {}
    for result in results:
        if result.row is None or result.error is not None:
            continue
        point = by_date.setdefault(
            result.row.date, {"videos": None, "photos": None, "total": None, "ids": [], "_pages": None}
        )
        values = {o.kind: o.value for o in result.observations if o.value is not None}
        for kind in ("videos", "photos"):
            if kind in values:
                point[kind] = max(point[kind] or 0, values[kind])
        total = values.get("total", values.get("pagination_total"))
        if total is not None:
            point["total"] = max(point["total"] or 0, total)
        for o in result.observations:
            if o.kind == "linking_id" and o.text and o.text not in point["ids"]:
                point["ids"].append(o.text)
    points = [
        {"date": day.isoformat(), **{k: v for k, v in point.items() if not k.startswith("_")}}
        for day, point in sorted(by_date.items())
    ]
    errors = [
        {
            "url": r.url,
            "timestamp": r.row.timestamp if r.row else None,
            "message": r.error,
        }
        for r in results
        if r.error is not None
    ]
    captures = sum(1 for r in results if r.row is not None)
    return {"url": url, "captures": captures, "points": points, "errors": errors}


def count_summary(points: Sequence[dict[str, Any]]) -> Counter[str]:
    """How many points carry each figure (for the text summary)."""
    seen: Counter[str] = Counter()
    for point in points:
        for key in ("videos", "photos", "total"):
            if point.get(key) is not None:
                seen[key] += 1
    return seen
