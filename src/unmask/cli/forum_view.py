"""Terminal views of `unmask forum stats` and `unmask forum threads` (every value escaped)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from unmask.core.output import term


def _price(p: dict[str, Any]) -> str:
    amount = f"{p['min']:g}" if p["min"] == p["max"] else f"{p['min']:g}–{p['max']:g}"
    return f"{amount} {p['currency']}" + (f"/{p['unit']}" if p.get("unit") else "")


def print_stats(figures: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    if not figures.get("complete"):
        reasons = "; ".join(figures.get("incomplete_reasons") or []) or "not complete"
        console.print(f"[yellow]The forum census is incomplete[/]: {term(reasons)}")
    console.print(
        f"{figures['threads']:,} threads · {figures['posts']:,} posts · {figures['authors']:,} authors"
    )
    kinds = figures["kinds"]
    console.print(" · ".join(f"{term(k)} {n:,}" for k, n in kinds.items()))
    table = Table("currency", "count", "min", "median", "mean", "max", title="Prices (never converted)")
    for cur, p in figures["prices"].items():
        table.add_row(
            term(cur),
            f"{p['count']:,}",
            f"{p['min']:g}",
            f"{p['median']:g}",
            f"{p['mean']:.6g}",
            f"{p['max']:g}",
        )
    console.print(table)
    sections = Table("section", "threads", title="Sections")
    for s in figures["sections"]:
        sections.add_row(term(s["name"]), f"{s['threads']:,}")
    console.print(sections)
    share = figures.get("non_public_share")
    if share and share.get("share") is not None:
        console.print(
            f"Paid requests naming a person not on the public-figure list: {share['share']:.1%} "
            f"({share['non_public']:,} of {share['naming_a_known_person']:,})"
        )


def print_threads(listed: list[dict[str, Any]], console: Console | None = None) -> None:
    console = console or Console()
    table = Table("started", "kind", "section", "title", "prices", "starter")
    for t in listed:
        table.add_row(
            term(t["started"] or ""),
            term(t["kind"]),
            term(t["section"] or ""),
            term(t["title"] or ""),
            term(", ".join(_price(p) for p in t["prices"])),
            term(t["starter"] or ""),
        )
    console.print(table)
