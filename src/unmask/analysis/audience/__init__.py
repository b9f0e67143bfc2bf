"""Audience data from traffic-estimate exports and top-site rank lists (`unmask audience`).

Four layouts are read (docs/audience.md): ``monthly`` (a month column and a visits column), ``country``
(country and share columns, optionally visits and a month), ``wide`` (Similarweb-style, one column per
month) and ``rank`` (Tranco-style ``rank,domain`` lists). A file is parsed completely before anything is
stored, and stored in one transaction: a bad line stores nothing.

Split along its seams: ``values`` (tables and cell values), ``reading`` (encoding and delimiter),
``layouts`` (detecting and parsing the four layouts), ``store`` (one transaction per file) and
``summary`` (what the stored data says). The names callers use are importable from here.
"""

from unmask.analysis.audience.layouts import (
    CountryRow,
    ImportOptions,
    ParsedFile,
    RankRow,
    VisitRow,
    detect_layout,
    parse_file,
)
from unmask.analysis.audience.reading import decode, read_rows
from unmask.analysis.audience.store import ImportResult, import_file
from unmask.analysis.audience.summary import audience_summary, best_window, headline
from unmask.analysis.audience.values import (
    LAYOUTS,
    AudienceError,
    country_code,
    parse_month,
    parse_period,
    parse_share,
)

__all__ = [
    "LAYOUTS",
    "AudienceError",
    "CountryRow",
    "ImportOptions",
    "ImportResult",
    "ParsedFile",
    "RankRow",
    "VisitRow",
    "audience_summary",
    "best_window",
    "country_code",
    "decode",
    "detect_layout",
    "headline",
    "import_file",
    "parse_file",
    "parse_month",
    "parse_period",
    "parse_share",
    "read_rows",
]
