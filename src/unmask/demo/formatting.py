"""How the demo platform writes numbers, durations, dates and page links (and reads page numbers)."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qsl


def fmt_duration(seconds: int) -> str:
    """``754`` → ``"12:34"``; ``3723`` → ``"1:02:03"``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def iso_duration(seconds: int) -> str:
    """``754`` → ``"PT12M34S"``; ``3723`` → ``"PT1H2M3S"``."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S" if hours else f"PT{minutes}M{secs}S"


def fmt_views_short(views: int) -> str:
    """``987`` → ``"987"``, ``12345`` → ``"12.3K"``, ``1234567`` → ``"1.2M"`` (truncated, not rounded)."""
    if views < 1000:
        return str(views)
    if views < 1_000_000:
        return f"{views // 100 / 10:.1f}K"
    return f"{views // 100_000 / 10:.1f}M"


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"


def fmt_relative(day: dt.date, today: dt.date) -> str:
    """How long ago ``day`` was, seen on ``today``.

    ``"today"``, ``"yesterday"``, ``"3 days ago"``, ``"1 week ago"``, ``"5 months ago"``, ``"3 years ago"``.
    """
    days = (today - day).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    if days < 30:
        return _plural(days // 7, "week") + " ago"
    if days < 365:
        return _plural(min(11, days // 30), "month") + " ago"
    return _plural(days // 365, "year") + " ago"


def json_ld(data: object) -> str:
    """A JSON-LD script element; ``<`` is escaped so no text can close the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/ld+json">{text}</script>'


def parse_number(text: str) -> int | None:
    """A non-negative decimal integer in ASCII digits (at most 18 of them), else ``None``."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def page_number(query: bytes) -> int | None:
    """The ``page`` query parameter (1 when absent); ``None`` when it is not a positive integer."""
    if not query:
        return 1
    for key, value in parse_qsl(query.decode("latin-1")):
        if key == "page":
            number = parse_number(value)
            return number if number is not None and number >= 1 else None
    return 1


def paged_url(path: str, page: int) -> str:
    return path if page == 1 else f"{path}?page={page}"
