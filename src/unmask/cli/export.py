"""`unmask export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.common import CaseOpt, JsonOpt, opened_case, out_console, print_json
from unmask.report.export import FORMATS


def export(
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help=f"Output format: {', '.join(FORMATS)}.", show_default=False),
    ],
    case: CaseOpt = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="A folder for csv/parquet (one file per table), a file for json/sqlite "
            "(default: the case's exports/ folder, timestamped).",
            show_default=False,
        ),
    ] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Only this platform (its base URL).")
    ] = None,
    real_names: Annotated[
        bool, typer.Option("--real-names", help="Show non-public depicted persons by name (no pseudonyms).")
    ] = False,
    include_removed: Annotated[
        bool, typer.Option("--include-removed", help="Also export items the platform removed.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Export items, persons, uploaders, figures, captures and runs as CSV, Parquet, JSON or SQLite."""
    from unmask.report.export import ExportOptions, export_case

    with opened_case(case) as the_case:
        result = export_case(
            the_case,
            fmt.strip().lower(),
            output,
            ExportOptions(
                platform=platform.rstrip("/") if platform else None,
                pseudonymize=the_case.config.privacy.pseudonymize and not real_names,
                secret=the_case.config.secret,
                include_removed=include_removed,
            ),
        )
    if as_json:
        print_json(result.as_dict())
        return
    rows = ", ".join(f"{name} {n:,}" for name, n in result.tables.items())
    out_console.print(f"Exported {result.format} to {result.path}", highlight=False, soft_wrap=True)
    out_console.print(rows, highlight=False, soft_wrap=True)
