"""`unmask report`: the self-contained HTML report of a case."""

from __future__ import annotations

from pathlib import Path

import typer

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    PublicFiguresOpt,
    RealNamesOpt,
    err_console,
    opened_case,
    print_json,
    privacy_policy,
)
from unmask.evidence import custody


@custody.logged("report")
def report(
    case: CaseOpt = None,
    output: Path = typer.Option(..., "-o", "--output", help="The HTML file to write.", show_default=False),
    real_names: RealNamesOpt = False,
    public_figures: PublicFiguresOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write one self-contained HTML report: figures, charts, methodology, links to the evidence."""
    from unmask.core.output import output_target
    from unmask.report.html import write_report

    with opened_case(case) as the_case:
        output_target(output, the_case)  # a bad -o is the user's to fix before any work is done
        path = write_report(the_case, output, policy=privacy_policy(the_case, real_names, public_figures))
    if as_json:
        print_json({"report": str(path), "bytes": path.stat().st_size})
    else:
        err_console.print(f"report: {path} ({path.stat().st_size:,} bytes)")
