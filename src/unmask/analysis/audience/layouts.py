"""The four layouts of audience exports (monthly, country, wide, rank): detected from the header and
parsed completely into rows, or refused naming file and line. Pure: nothing is stored here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unmask.analysis.audience.reading import decode, read_rows
from unmask.analysis.audience.values import (
    HEADER_ROLE,
    LAYOUTS,
    NOT_A_COUNTRY,
    RANK_LISTS,
    AudienceError,
    country_code,
    header_key,
    missing,
    parse_month,
    parse_period,
    parse_share,
)
from unmask.core.domains import site_key
from unmask.core.text import parse_count

_RANK = re.compile(r"#?\s*(\d{1,9})")
_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass(frozen=True)
class VisitRow:
    domain: str
    month: str
    visits: int
    line: int


@dataclass(frozen=True)
class CountryRow:
    domain: str
    period: str | None
    country: str
    share: float
    visits: int | None
    line: int


@dataclass(frozen=True)
class RankRow:
    list_name: str
    list_date: dt.date
    domain: str
    rank: int
    line: int


@dataclass
class ImportOptions:
    layout: str | None = None
    """Force a layout (one of LAYOUTS) instead of detecting it from the header."""
    domains: tuple[str, ...] = ()
    """The domain a file without a domain column is about; with a domain column, only these domains."""
    period: str | None = None
    """The period of a country-share file without a month column (YYYY-MM or YYYY-MM..YYYY-MM)."""
    list_name: str | None = None
    list_date: str | None = None
    """Date of a rank list (YYYY-MM-DD); default: a date in the file name."""
    replace: bool = False
    """Replace an earlier import of the same file instead of refusing it."""


@dataclass
class ParsedFile:
    layout: str
    visits: list[VisitRow] = field(default_factory=list)
    countries: list[CountryRow] = field(default_factory=list)
    ranks: list[RankRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.visits) + len(self.countries) + len(self.ranks)

    @property
    def domains(self) -> list[str]:
        rows: Iterable[VisitRow | CountryRow | RankRow] = (*self.visits, *self.countries, *self.ranks)
        return sorted({row.domain for row in rows})


def _roles(header: Sequence[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for index, cell in enumerate(header):
        role = HEADER_ROLE.get(header_key(cell))
        if role is not None and role not in roles:
            roles[role] = index
    return roles


def _headerless_rank(header: Sequence[str]) -> bool:
    return len(header) >= 2 and bool(_RANK.fullmatch(header[0])) and site_key(header[1]) is not None


def detect_layout(header: Sequence[str]) -> str | None:
    """The layout a header row announces (None when it announces none)."""
    roles = _roles(header)
    months = [cell for cell in header if parse_month(cell)]
    if _headerless_rank(header) or {"rank", "domain"} <= roles.keys():
        return "rank"
    if months and len(months) < len(header):
        return "wide"
    if {"country", "share"} <= roles.keys():
        return "country"
    if {"month", "visits"} <= roles.keys():
        return "monthly"
    return None


class _Parser:
    """Turns the rows of one file into VisitRow/CountryRow/RankRow, or raises AudienceError."""

    def __init__(self, path: Path, rows: list[tuple[int, list[str]]], options: ImportOptions) -> None:
        self.where = str(path)
        self.path = path
        self.header_line, self.header = rows[0]
        self.rows = rows[1:]
        self.options = options
        self.wanted = {d for d in (site_key(x) for x in options.domains) if d}
        self.roles = _roles(self.header)

    def fail(self, message: str, line: int) -> AudienceError:
        return AudienceError(message, where=f"{self.where}:{line}")

    def column(self, role: str, layout: str) -> int:
        if role not in self.roles:
            shown = ", ".join(self.header)
            raise self.fail(
                f"no {role} column for the {layout} layout (header: {shown}); see docs/audience.md",
                self.header_line,
            )
        return self.roles[role]

    @staticmethod
    def cell(row: list[str], index: int | None) -> str:
        return row[index] if index is not None and index < len(row) else ""

    def domain_of(self, row: list[str], index: int | None, line: int) -> str | None:
        """The row's domain; None when --domain filters it out."""
        if index is None:
            if len(self.wanted) != 1:
                raise self.fail("no domain column: pass --domain DOMAIN (exactly one)", self.header_line)
            return next(iter(self.wanted))
        cell = self.cell(row, index)
        if self.wanted and not any(w in cell.lower() for w in self.wanted):
            return None  # cheap pre-filter: a wanted domain is a part of its cell
        domain = site_key(cell)
        if domain is None:
            raise self.fail(f"not a domain name: {cell!r}", line)
        return domain if not self.wanted or domain in self.wanted else None

    def count(self, cell: str, what: str, line: int) -> int:
        value = parse_count(cell)
        if value is None or not re.search(r"\d", cell):
            raise self.fail(f"cannot read the {what} {cell!r} as a number", line)
        return value

    def month(self, cell: str, line: int) -> str:
        month = parse_month(cell)
        if month is None:
            raise self.fail(f"cannot read the month {cell!r} (e.g. 2024-10, 10/2024, Oct 2024)", line)
        return month

    # -- layouts ---------------------------------------------------------------------------------

    def monthly(self) -> ParsedFile:
        month_i, visits_i = self.column("month", "monthly"), self.column("visits", "monthly")
        domain_i = self.roles.get("domain")
        out = ParsedFile("monthly")
        seen: dict[tuple[str, str], int] = {}
        for line, row in self.rows:
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            month = self.month(self.cell(row, month_i), line)
            cell = self.cell(row, visits_i)
            if missing(cell):
                continue
            self.once(seen, (domain, month), line, f"month {month} of {domain}")
            out.visits.append(VisitRow(domain, month, self.count(cell, "visits", line), line))
        return out

    def wide(self) -> ParsedFile:
        months = {i: m for i, cell in enumerate(self.header) if (m := parse_month(cell))}
        if not months:
            raise self.fail("no month columns for the wide layout (e.g. 2024-10, Oct 2024)", self.header_line)
        domain_i = self.roles.get("domain")
        if domain_i is None and len(self.wanted) != 1:
            domain_i = next(i for i in range(len(self.header)) if i not in months)
        metric_i = self.roles.get("metric")
        out = ParsedFile("wide")
        seen: dict[tuple[str, str], int] = {}
        for line, row in self.rows:
            metric = self.cell(row, metric_i).lower()
            if metric_i is not None and not any(w in metric for w in ("visit", "traffic")):
                continue
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            for index, month in months.items():
                cell = self.cell(row, index)
                if missing(cell):
                    continue
                self.once(seen, (domain, month), line, f"month {month} of {domain}")
                visits = self.count(cell, f"visits of {self.header[index]}", line)
                out.visits.append(VisitRow(domain, month, visits, line))
        return out

    def country(self) -> ParsedFile:
        country_i, share_i = self.column("country", "country"), self.column("share", "country")
        visits_i, month_i, domain_i = (self.roles.get(r) for r in ("visits", "month", "domain"))
        period = None
        if self.options.period is not None:
            period = parse_period(self.options.period)
            if period is None:
                raise AudienceError(f"--period {self.options.period!r}: expected YYYY-MM or YYYY-MM..YYYY-MM")
        raw: list[tuple[int, str, str | None, str, float, bool, str, int | None]] = []
        seen: dict[tuple[str, str | None, str], int] = {}
        for line, row in self.rows:
            name = self.cell(row, country_i)
            if header_key(name) in NOT_A_COUNTRY:
                continue
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            code = country_code(name)
            if code is None:
                raise self.fail(f"unknown country {name!r} (an ISO code or an English name)", line)
            cell = self.cell(row, share_i)
            if missing(cell):
                continue
            share = parse_share(cell)
            if share is None:
                raise self.fail(f"cannot read the share {cell!r} (e.g. 38.5%, 0.385, 38,5 %)", line)
            when = self.month(self.cell(row, month_i), line) if month_i is not None else period
            visits_cell = self.cell(row, visits_i)
            visits = None if missing(visits_cell) else self.count(visits_cell, "visits", line)
            self.once(seen, (domain, when, code), line, f"country {code} of {domain}")
            raw.append((line, domain, when, code, share[0], share[1], cell, visits))
        percent = not any(r[5] for r in raw) and any(r[4] > 1 for r in raw)
        out = ParsedFile("country")
        totals: dict[tuple[str, str | None], float] = {}
        for line, domain, when, code, value, pct, cell, visits in raw:
            fraction = value / 100 if pct or percent else value
            if not 0 <= fraction <= 1:
                raise self.fail(f"the share {cell!r} is not between 0 and 100%", line)
            totals[domain, when] = totals.get((domain, when), 0.0) + fraction
            if totals[domain, when] > 1.005:
                raise self.fail(f"the shares of {domain} add up to more than 100% here", line)
            out.countries.append(CountryRow(domain, when, code, fraction, visits, line))
        return out

    def rank(self) -> ParsedFile:
        rows = self.rows
        if _headerless_rank(self.header) and not {"rank", "domain"} <= self.roles.keys():
            rank_i, domain_i = 0, 1
            rows = [(self.header_line, self.header), *rows]
        else:
            rank_i, domain_i = self.column("rank", "rank"), self.column("domain", "rank")
        list_date = self.list_date()
        list_name = self.options.list_name or self.list_name()
        out = ParsedFile("rank")
        seen: dict[str, int] = {}
        for line, row in rows:
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            cell = self.cell(row, rank_i)
            match = _RANK.fullmatch(cell)
            if match is None or int(match.group(1)) < 1:
                raise self.fail(f"cannot read the rank {cell!r} (a whole number from 1)", line)
            self.once(seen, domain, line, f"domain {domain}")
            out.ranks.append(RankRow(list_name, list_date, domain, int(match.group(1)), line))
        return out

    def list_date(self) -> dt.date:
        if self.options.list_date is not None:
            try:
                return dt.date.fromisoformat(self.options.list_date)
            except ValueError:
                raise AudienceError(f"--list-date {self.options.list_date!r}: expected YYYY-MM-DD") from None
        for match in _FILE_DATE.finditer(self.path.name):
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
        raise AudienceError(
            "no list date: pass --list-date YYYY-MM-DD (or name the file like tranco_2024-10-01.csv)",
            where=self.where,
        )

    def list_name(self) -> str:
        name = self.path.name.lower()
        known = next((n for n in RANK_LISTS if n in name), None)
        return known or (_FILE_DATE.sub("", self.path.stem.lower()).strip("_-. ") or "list")[:50]

    def once(self, seen: dict[Any, int], key: object, line: int, what: str) -> None:
        if key in seen:
            raise self.fail(f"{what} given twice (first at line {seen[key]})", line)
        seen[key] = line


def parse_file(path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
    """Parse a whole export (pure: nothing is stored). Raises AudienceError naming file and line."""
    where = str(path)
    if options.layout is not None and options.layout not in LAYOUTS:
        raise AudienceError(f"unknown format {options.layout!r} (one of {', '.join(LAYOUTS)})")
    empty = "nothing understood in this file (it is empty); nothing imported"
    if not data.strip():
        raise AudienceError(empty, where=where)
    rows = read_rows(decode(data, where), where)
    if not rows:
        raise AudienceError(empty, where=where)
    layout = options.layout or detect_layout(rows[0][1])
    if layout is None:
        raise AudienceError(
            f"cannot tell the layout from the header ({', '.join(rows[0][1])}): expected month and visits, "
            "country and share, months as columns, or rank,domain; or pass --format",
            where=f"{where}:{rows[0][0]}",
        )
    parser = _Parser(path, rows, options)
    parsed: ParsedFile = getattr(parser, layout)()
    if parsed.rows == 0:
        rows_for = " for the --domain given" if options.domains else ""
        raise AudienceError(
            f"nothing understood in this file (no data rows{rows_for}); nothing imported", where=where
        )
    return parsed
