"""`unmask audience …`: traffic estimates and top-site ranks of the investigated domains."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from unmask.cli.common import CaseOpt, JsonOpt, format_option, opened_case, out_console, print_json
from unmask.evidence import custody


def _layouts() -> tuple[str, ...]:
    from unmask.analysis.audience import LAYOUTS

    return LAYOUTS


app = typer.Typer(
    help="Audience estimates: traffic-estimate exports (Similarweb…) and top-site rank lists (Tranco…).",
    no_args_is_help=True,
)


@app.command("import")
@custody.logged("audience import")
def import_cmd(
    file: Annotated[Path, typer.Argument(help="A CSV export (see docs/audience.md for the layouts).")],
    case: CaseOpt = None,
    fmt: Annotated[
        str | None,
        format_option(
            "layout", _layouts, "Force the layout instead of detecting it from the header (docs/audience.md)."
        ),
    ] = None,
    domain: Annotated[
        list[str] | None,
        typer.Option(
            "--domain",
            help="The domain of a file without a domain column; else keep only these domains (repeatable).",
        ),
    ] = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="Period of a country-share file without a month column: YYYY-MM[..YYYY-MM]."
        ),
    ] = None,
    list_name: Annotated[
        str | None, typer.Option("--list", help="Name of a rank list (default: from the file name).")
    ] = None,
    list_date: Annotated[
        str | None,
        typer.Option("--list-date", help="Date of a rank list, YYYY-MM-DD (default: from the file name)."),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace an earlier import of the same file.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Import an audience export; all of it or, on any bad line, nothing."""
    from unmask.analysis.audience import ImportOptions, import_file

    with opened_case(case) as the_case:
        result = import_file(
            the_case.store,
            file,
            ImportOptions(
                layout=fmt,
                domains=tuple(domain or ()),
                period=period,
                list_name=list_name,
                list_date=list_date,
                replace=replace,
            ),
        )
    if as_json:
        print_json(result.as_dict())
        return
    again = f", replacing import {result.replaced}" if result.replaced else ""
    out_console.print(
        f"imported {result.file}: {result.layout} layout, {result.rows} rows for "
        f"{', '.join(result.domains[:5])}{' …' if len(result.domains) > 5 else ''} "
        f"(import {result.import_id}{again})",
        highlight=False,
    )


@app.command("show")
def show_cmd(
    case: CaseOpt = None,
    domain: Annotated[str | None, typer.Option("--domain", help="Only this domain.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Monthly visits, the best 3 months, country shares and ranks per domain."""
    from unmask.analysis.audience import audience_summary

    with opened_case(case) as the_case:
        summary = audience_summary(the_case.store, domain)
    if as_json:
        print_json(summary)
        return
    if not summary["domains"]:
        out_console.print("no audience data yet: import some with `unmask audience import FILE`")
    for entry in summary["domains"]:
        _print_domain(entry)


def _print_domain(entry: dict[str, Any]) -> None:
    from unmask.analysis.audience import headline

    out_console.print(entry["domain"], style="bold")
    if (line := headline(entry)) is not None:
        out_console.print(f"  {line}", highlight=False, soft_wrap=True)
    for month in entry["monthly"]:
        out_console.print(f"  {month['month']}  {month['visits']:>15,} visits", highlight=False)
    if entry["countries"]:
        period = f" ({entry['countries_period']})" if entry["countries_period"] else ""
        shares = ", ".join(f"{c['country']} {c['share']:.1%}" for c in entry["countries"])
        out_console.print(f"  countries{period}: {shares}", highlight=False)
    for rank in entry["ranks"]:
        out_console.print(f"  {rank['list']} {rank['date']}: rank {rank['rank']:,}", highlight=False)
