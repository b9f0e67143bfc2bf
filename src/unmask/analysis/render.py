"""Terminal rendering of the headline figures (rich; the CLI passes a console that reads no markup)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from unmask.analysis.figures import headline


def print_figures(fig: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    head = Table(title="census figures", show_header=False)
    head.add_column("figure")
    head.add_column("value", justify="right")
    for label, value in headline(fig):
        head.add_row(label, value)
    console.print(head)
    for key, title in (("top_targets", "most targeted persons"), ("top_uploaders", "top uploaders")):
        rows = fig[key]
        if not rows:
            continue
        table = Table(title=title)
        table.add_column("name")
        table.add_column("videos", justify="right")
        table.add_column("views", justify="right")
        for row in rows:
            table.add_row(row["name"], f"{row['videos']:,}", f"{row['views']:,}")
        console.print(table)
    if fig["pseudonymized"]:
        console.print(
            "Persons who are not on the public-figure list are shown as pseudonyms (--real-names).",
            style="dim",
            markup=False,
        )
    years: dict[str, int] = {}
    for row in fig["monthly"]:
        years[row["month"][:4]] = row["videos_cumulative"]
    if years:
        growth = Table(title="videos by end of year (cumulative)")
        growth.add_column("year")
        growth.add_column("videos", justify="right")
        for year, n in years.items():
            growth.add_row(year, f"{n:,}")
        console.print(growth)
