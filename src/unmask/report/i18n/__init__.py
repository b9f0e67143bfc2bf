"""The report's fixed text in each language (``en.yaml``, ``de.yaml`` beside this file), and numbers,
percentages, dates, months and country names formatted for the language (Babel's CLDR data, offline).

Texts are templates with ``{name}`` fields; :meth:`Lang.t` fills them with plain text, the report's
page (unmask.report.page) with HTML it built. Every language has every key (tests check it).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from unmask.core.errors import UnmaskError

LANGS = ("en", "de")
"""Languages the report is written in (``--lang``)."""
VEGA_LOCALES = {"en": "en-US", "de": "de-DE"}
"""The d3-format / d3-time-format locale of each language, for the charts' axes."""


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, out)
    else:
        out[prefix] = str(value)


@dataclass(frozen=True)
class Lang:
    code: str
    texts: dict[str, str]

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.code)

    @property
    def vega_locale(self) -> str:
        return VEGA_LOCALES[self.code]

    def t(self, key: str, **values: Any) -> str:
        """The text ``key`` with its fields filled (plain text, not escaped)."""
        return self.texts[key].format(**values) if values else self.texts[key]

    def status(self, status: str) -> str:
        """A run's status in words (the stored word when the language has none for it)."""
        return self.texts.get(f"status.{status}", status)

    def n(self, value: float | None, digits: int = 0) -> str:
        """A number with the language's grouping and decimal separators (58,114 / 58.114)."""
        if value is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.code)

    def pct(self, share: float | None, digits: int = 1) -> str:
        """A share 0–1 as a percentage (42.3 % / 42,3 %)."""
        if share is None:
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "") + " %"
        return format_percent(share, format=pattern, locale=self.code)

    def share_range(self, low: float, high: float) -> str:
        """An effective share given in percent, exact or as a range (30 % / 42–52.5 %)."""
        lo = format_decimal(low, format="#,##0.##", locale=self.code)
        hi = format_decimal(high, format="#,##0.##", locale=self.code)
        return f"{lo} %" if lo == hi else f"{lo}–{hi} %"

    def date(self, value: dt.date | str | None) -> str:
        """A day in words (15 March 2026 / 15. März 2026)."""
        if value is None:
            return "–"
        day = dt.date.fromisoformat(str(value)[:10]) if not isinstance(value, dt.date) else value
        return format_date(day, "d MMMM y" if self.code == "en" else "d. MMMM y", locale=self.code)

    def short_date(self, value: dt.date | str | None) -> str:
        """A day for a table cell (15 Mar 2026 / 15.03.2026)."""
        if value is None:
            return "–"
        day = dt.date.fromisoformat(str(value)[:10]) if not isinstance(value, dt.date) else value
        return format_date(day, "d MMM y" if self.code == "en" else "dd.MM.y", locale=self.code)

    def time(self, value: dt.datetime | str | None) -> str:
        """A moment, UTC (15 March 2026, 10:04 UTC)."""
        if value is None:
            return "–"
        when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        pattern = "d MMMM y, HH:mm" if self.code == "en" else "d. MMMM y, HH:mm"
        return format_datetime(when.replace(tzinfo=None), pattern, locale=self.code) + " UTC"

    def month(self, value: str | None) -> str:
        """A month "YYYY-MM" in words (March 2026 / März 2026)."""
        if not value:
            return "–"
        return format_date(dt.date(int(value[:4]), int(value[5:7]), 1), "LLLL y", locale=self.code)

    def country(self, code: str) -> str:
        """A country's name from its ISO 3166-1 alpha-2 code (the code itself when unknown)."""
        return str(self.locale.territories.get(code.upper(), code))


@functools.cache
def language(code: str) -> Lang:
    if code not in LANGS:
        raise UnmaskError(f"no report text in {code!r}; languages: {', '.join(LANGS)}", where="--lang")
    raw = yaml.safe_load((Path(__file__).parent / f"{code}.yaml").read_text(encoding="utf-8"))
    texts: dict[str, str] = {}
    _flatten("", raw, texts)
    return Lang(code, texts)
