"""`unmask export`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    PlatformOpt,
    PublicFiguresOpt,
    RealNamesOpt,
    format_option,
    opened_case,
    out_console,
    output_option,
    print_json,
    privacy_policy,
)


def _formats() -> tuple[str, ...]:
    from unmask.report.export import FORMATS

    return FORMATS


def export(
    fmt: Annotated[
        str, format_option("format", _formats, "The file format (docs/exports.md).", "-f", show_default=False)
    ],
    case: CaseOpt = None,
    output: Annotated[
        Path | None,
        output_option(
            "A folder for csv and parquet (one file per table), a file for json and sqlite "
            "(default: the case's exports/ folder, timestamped). Never the case's own files.",
            "--output",
            "-o",
            show_default=False,
        ),
    ] = None,
    platform: PlatformOpt = None,
    real_names: RealNamesOpt = False,
    public_figures: PublicFiguresOpt = None,
    include_removed: Annotated[
        bool, typer.Option("--include-removed", help="Also export items the platform removed.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Export items, persons, uploaders, figures, captures and runs as CSV, Parquet, JSON or SQLite."""
    from unmask.report.export import ExportOptions, export_case

    with opened_case(case) as the_case:
        policy = privacy_policy(the_case, real_names, public_figures)
        result = export_case(
            the_case,
            fmt,
            output,
            ExportOptions(
                platform=platform.rstrip("/") if platform else None,
                pseudonymize=policy.pseudonymize,
                secret=policy.secret,
                include_removed=include_removed,
                privacy=policy,
            ),
        )
    if as_json:
        print_json(result.as_dict())
        return
    rows = ", ".join(f"{name} {n:,}" for name, n in result.tables.items())
    out_console.print(f"Exported {result.format} to {result.path}", soft_wrap=True)
    out_console.print(rows, soft_wrap=True)
