"""No CSV the product writes carries a cell a spreadsheet would run as a formula.

68 kinds of formula cell (ASCII and fullwidth `= + - @`, after spaces, ideographic and no-break spaces,
and cells starting with tab or CR) are put where platform and register text reaches a CSV: item titles,
tags and uploaders of the census export, entity names of the owners export. Read back with Python's
csv module, each is text that starts with an apostrophe.
"""

from __future__ import annotations

import csv
from pathlib import Path

from tests.helpers.cases import load_census, record
from tests.owners.build import Builder
from unmask.census.model import ItemKind
from unmask.core.case import Case
from unmask.core.output import neutralise
from unmask.owners.export import export_graph
from unmask.report.export import export_case

STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
LEADING = ("", " ", "\u3000", "\xa0 ")
BODIES = ('HYPERLINK("http://x.invalid","click")', "cmd|' /C calc'!A0")
FORMULAS = [
    *(lead + start + body for start in STARTS for lead in LEADING for body in BODIES),
    "\t=1+1", "\tcmd|' /C calc'!A0", "\r=1+1", "\r+1",
]  # fmt: skip


def _formula_like(cell: str) -> bool:
    """What a spreadsheet may evaluate (the test's own reading, not the product's)."""
    return cell[:1] in ("\t", "\r") or cell.lstrip()[:1] in STARTS


def test_there_are_68_kinds_and_each_is_neutralised() -> None:
    assert len(set(FORMULAS)) == 68
    for formula in FORMULAS:
        assert neutralise(formula) == "'" + formula
        assert not _formula_like(neutralise(formula))
    assert neutralise("plain") == "plain" and neutralise("") == ""


def _cells(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as fh:
        return [cell for row in csv.reader(fh) for cell in row]


def test_the_census_csv_export_neutralises_every_formula(sqlite_case: Case, tmp_path: Path) -> None:
    items = [
        record(ItemKind.VIDEO, n, title=f, uploader=f"{f}-up", tags=[f], views=1)
        for n, f in enumerate(FORMULAS)
    ]
    load_census(sqlite_case, items)
    result = export_case(sqlite_case, "csv", tmp_path / "out")
    cells = [c for f in sorted(result.path.glob("*.csv")) for c in _cells(f)]
    assert [c for c in cells if _formula_like(c)] == []
    quoted = {c[1:] for c in cells if c.startswith("'")}
    stored = {" ".join(f.split()) for f in FORMULAS}  # the census keeps titles with whitespace folded
    assert len(quoted & (set(FORMULAS) | stored)) >= 60


def test_the_owners_csv_export_neutralises_every_formula(sqlite_case: Case, tmp_path: Path) -> None:
    b = Builder(sqlite_case)
    b.entity("OP", "Operator Ltd")
    for n, formula in enumerate(FORMULAS):
        b.entity(f"F{n}", formula)
        b.edge(f"F{n}", "OP", 1, properties=None)
    out = tmp_path / "edges.csv"
    export_graph(sqlite_case, "csv", out)
    cells = _cells(out) + _cells(tmp_path / "edges.nodes.csv")
    assert [c for c in cells if _formula_like(c)] == []
    assert {c[1:] for c in cells if c.startswith("'")} >= set(FORMULAS)
