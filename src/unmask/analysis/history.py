"""A platform's growth curve from web-archive captures (`unmask history`), see docs/history.md.

A CDX index (the Wayback Machine's, or any server of the same shape such as pywb) lists the captures of
the platform's home and listing pages; one capture per month is replayed in its original bytes
(``id_``) through the one fetch layer, as evidence with purpose ``history``. Each page gives the
catalogue counts it states ("58,123 videos", "Showing 1-40 of 12,345"), a pagination estimate (last
page × items on the page) and the tracker/ad IDs it embeds. Every failure (CDX errors, empty or
malformed indexes, replay 404s, media or non-HTML captures) is a recorded result, never an exception.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
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
    rules: list[CountRule] = []
    for kind, languages in KIND_WORDS.items():
        for language, words in languages.items():
            pattern = rf"(?<![\w.,]){NUMBER}{SCALE}\s*(?:{_words(words)})(?!\w)"
            rules.append(CountRule(kind, language, re.compile(pattern, re.IGNORECASE)))
    for language, words in RANGE_OF_WORDS.items():
        pattern = rf"\b\d[\d,. ]*\s*[-–—]\s*\d[\d,. ]*\s+(?:{_words(words)})\s+{NUMBER}{SCALE}(?![\w])"
        rules.append(CountRule("total", language, re.compile(pattern, re.IGNORECASE)))
    return tuple(rules)


COUNT_RULES: tuple[CountRule, ...] = _compile_count_rules()
_PAGE_QUERY = re.compile(rf"[?&](?:{_words(PAGINATION_PARAMS)})=(\d{{1,7}})(?:&|#|$)", re.IGNORECASE)
_PAGE_PATH = re.compile(rf"/(?:{_words(PAGINATION_PATHS)})/(\d{{1,7}})/?(?:[?#]|$)", re.IGNORECASE)
_HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_DROP = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_LANG = re.compile(r"<html\b[^>]*\blang\s*=\s*[\"']?([A-Za-z]{2,3})", re.IGNORECASE)
_ENTITIES = {"&nbsp;": " ", "&amp;": "&", "&#160;": " ", "&ndash;": "–", "&mdash;": "—", "&#8211;": "–"}


# ---------------------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class Observation:
    kind: str
    value: int | None
    text: str | None
    source: str


def page_text(html: str) -> str:
    """Visible text of a page, tags removed and whitespace folded (enough for counts)."""
    text = _TAG.sub(" ", _DROP.sub(" ", html))
    for entity, char in _ENTITIES.items():
        text = text.replace(entity, char)
    return " ".join(text.split())


def page_language(html: str) -> str | None:
    match = _LANG.search(html[:5000])
    return match.group(1).lower() if match else None


def extract_counts(
    text: str, language: str | None, rules: Sequence[CountRule] = COUNT_RULES
) -> dict[str, int]:
    """The largest count the text states per kind (a catalogue header beats a card's small numbers)."""
    best: dict[str, int] = {}
    for rule in rules:
        if language and rule.language not in (language, "en") and rule.source == "text":
            continue
        for match in rule.pattern.finditer(text):
            raw = match.group(1) + (match.group(2) or "")
            value = parse_count(raw, language)
            if value is not None and value > best.get(rule.kind, -1):
                best[rule.kind] = value
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
    counts = extract_counts(page_text(html), language, (*COUNT_RULES, *extra_rules))
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
    params: list[tuple[str, str]] = [
        ("url", url),
        ("output", "json"),
        ("fl", ",".join(CDX_FIELDS)),
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
            for row in spread(monthly(answer.rows), options.limit):
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
