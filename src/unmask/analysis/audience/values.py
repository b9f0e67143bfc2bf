"""The tables and cell values of audience exports: header words, months, shares, countries."""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

import yaml

from unmask.core.errors import UnmaskError
from unmask.core.text import YEAR_RE, month_words, parse_date

LAYOUTS: tuple[str, ...] = ("monthly", "country", "wide", "rank")
"""monthly visits | country shares | months as columns | rank list"""

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "month": ("month", "date", "period", "time", "time period", "year month", "monat", "datum", "zeitraum",
              "mois", "période", "mes", "fecha"),
    "visits": ("visits", "total visits", "traffic", "monthly visits", "estimated visits", "visitors",
               "sessions", "besuche", "visits total", "visites", "visitas"),
    "domain": ("domain", "site", "website", "web site", "domain name", "url", "host", "hostname", "domäne"),
    "country": ("country", "country name", "country code", "countries", "land", "pays", "país", "pais",
                "geo", "geography", "location"),
    "share": ("share", "traffic share", "visits share", "share of visits", "share of traffic", "percent",
              "percentage", "%", "anteil", "part", "traffic %", "visits %", "share %"),
    "rank": ("rank", "position", "#", "rang", "global rank", "ranking"),
    "metric": ("metric", "measure", "kennzahl", "metrik"),
}  # fmt: skip
"""Header names (compared after lower-casing, `_`/`-` to spaces, parenthesised notes removed) per role."""

MISSING_VALUES: frozenset[str] = frozenset({"", "-", "–", "—", "n/a", "na", "null", "none", "?"})
"""Cells that mean "no estimate": the row (or, in a wide export, the month) is skipped."""

NOT_A_COUNTRY: frozenset[str] = frozenset({"other", "others", "rest", "rest of world", "total", "all"})
"""Country-share rows that are not one country and are skipped."""

RANK_LISTS: tuple[str, ...] = ("tranco", "umbrella", "majestic", "cloudflare", "radar", "crux", "alexa",
                               "quantcast", "builtwith", "secrank")  # fmt: skip
"""List names recognised in a rank file's name (else the file's stem names the list)."""


@functools.cache
def _countries() -> dict[str, str]:
    """Every name and code of a country (folded, see ``_name_key``) → its alpha-2 code."""
    text = resources.files("unmask.analysis").joinpath("data/countries.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    index: dict[str, str] = {}
    for code, names in data["iso"].items():
        for name in (code, *names, *data["aliases"].get(code, ())):
            index[_name_key(name)] = code
    return index


def _name_key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold())
    return re.sub(r"[\W_]+", "", "".join(ch for ch in folded if not unicodedata.combining(ch)))


HEADER_ROLE = {word: role for role, words in HEADER_WORDS.items() for word in words}
_YEAR_MONTH = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{4})")
_COMPACT_MONTH = re.compile(r"(\d{4})(\d{2})")
_SHARE = re.compile(r"(\d+(?:[.,]\d*)?|[.,]\d+)\s*(%?)")
MIN_YEAR, MAX_YEAR = 1990, 2100


class AudienceError(UnmaskError):
    """A file that cannot be imported: nothing of it was stored."""


def parse_month(value: str) -> str | None:
    """A calendar month as ``YYYY-MM`` from ``2024-10``, ``10/2024``, ``Oct 2024``, ``2024-10-01``…"""
    text = " ".join(value.split())
    year = month = 0
    if match := _YEAR_MONTH.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
    elif match := _MONTH_YEAR.fullmatch(text):
        year, month = int(match.group(2)), int(match.group(1))
    elif match := _COMPACT_MONTH.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
    elif day := parse_date(text):
        year, month = day.year, day.month
    else:
        words = month_words(text)
        years = YEAR_RE.findall(text)
        if len(words) != 1 or len(years) != 1:
            return None
        year, month = int(years[0]), words[0]
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


def parse_period(value: str) -> str | None:
    """A month (``2024-10``) or a range of months (``2024-08..2024-10``), normalised."""
    parts = [parse_month(part) for part in value.split("..")]
    if not 1 <= len(parts) <= 2 or any(p is None for p in parts):
        return None
    if len(parts) == 2 and str(parts[0]) > str(parts[1]):
        return None
    return "..".join(str(p) for p in parts)


def parse_share(value: str) -> tuple[float, bool] | None:
    """``"38.5%"`` -> (38.5, True), ``"0.385"`` -> (0.385, False), ``"38,5 %"`` -> (38.5, True)."""
    match = _SHARE.fullmatch(value.replace("\u00a0", " ").strip())
    if match is None:
        return None
    return float(match.group(1).replace(",", ".")), bool(match.group(2))


def country_code(value: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country given by code (alpha-2 or -3) or common English name."""
    return _countries().get(_name_key(value))


def missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_VALUES


def header_key(cell: str) -> str:
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", cell.replace("\ufeff", "").lower())
    return " ".join(text.replace("_", " ").replace("-", " ").replace(":", " ").split())


def shift_month(month: str, by: int) -> str:
    year, mon = int(month[:4]), int(month[5:7]) - 1 + by
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"
