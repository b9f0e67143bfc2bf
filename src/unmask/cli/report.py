"""`unmask report`: the self-contained HTML report of a case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.common import CaseOpt, JsonOpt, err_console, opened_case, print_json
from unmask.evidence import custody


@custody.logged("report")
def report(
    case: CaseOpt = None,
    output: Path = typer.Option(..., "-o", "--output", help="The HTML file to write.", show_default=False),
    real_names: Annotated[
        bool, typer.Option("--real-names", help="Show non-public depicted persons by name (no pseudonyms).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write one self-contained HTML report: figures, charts, methodology, links to the evidence."""
    from unmask.report.html import write_report

    with opened_case(case) as the_case:
        path = write_report(the_case, output, real_names=real_names)
    if as_json:
        print_json({"report": str(path), "bytes": path.stat().st_size})
    else:
        err_console.print(f"report: {path} ({path.stat().st_size:,} bytes)")
