"""Human-readable summary of a crawl run (stderr, rich)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from unmask.census.runner import CrawlSummary


def print_summary(summary: CrawlSummary, console: Console | None = None) -> None:
    console = console or Console(stderr=True)
    table = Table(title=f"census run {summary.run} ({summary.status})", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("session", f"{summary.session}{' (resumed)' if summary.resumed else ''}"),
        ("requests (run)", f"{summary.requests:,}"),
        ("pages stored (session)", f"{summary.pages:,}"),
        ("item records read (session)", f"{summary.items:,}"),
        ("items present", f"{summary.items_present:,}"),
        ("requests per item", f"{summary.requests_per_item:.3f}"),
        ("marked removed", f"{summary.removed:,}"),
        ("pages gone (404/410)", f"{summary.gone:,}"),
        ("failed", f"{summary.failed:,}"),
        ("refused (media, robots)", f"{summary.refused:,}"),
        ("seconds", f"{summary.seconds:,.1f}"),
    ]
    for what, value in rows:
        table.add_row(what, value)
    console.print(table)
    if summary.status != "interrupted":
        console.print(summary.verdict, highlight=False, markup=False, soft_wrap=True)
    for note in summary.notes[-10:]:
        console.print(f"• {note}", highlight=False, markup=False)
