"""`unmask report`: the self-contained HTML (or PDF) report of a case."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from unmask.cli.common import (
    CaseOpt,
    Choice,
    JsonOpt,
    PublicFiguresOpt,
    RealNamesOpt,
    err_console,
    format_option,
    opened_case,
    output_option,
    print_json,
    privacy_policy,
)
from unmask.evidence import custody

FORMATS = ("html", "pdf")


def _langs() -> tuple[str, ...]:
    from unmask.report.i18n import LANGS

    return LANGS


@custody.logged("report")
def report(
    case: CaseOpt = None,
    output: Path = output_option("The file to write (.html, or .pdf for PDF).", show_default=False),
    fmt: Annotated[
        str | None,
        format_option("format", FORMATS, "html or pdf (default: by the file's suffix).", show_default=False),
    ] = None,
    lang: Annotated[
        str,
        typer.Option(
            "--lang", callback=Choice("language", _langs).check, help="Language of the report's text."
        ),
    ] = "en",
    real_names: RealNamesOpt = False,
    public_figures: PublicFiguresOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write one self-contained report: findings first, charts, methodology, links to the evidence."""
    from unmask.core.output import output_target
    from unmask.report.evidence import full_list_path
    from unmask.report.html import write_report

    with opened_case(case) as the_case:
        output_target(output, the_case)  # a bad -o is the user's to fix before any work is done
        path = write_report(
            the_case, output, policy=privacy_policy(the_case, real_names, public_figures), lang=lang, fmt=fmt
        )
    evidence = full_list_path(path)
    if as_json:
        print_json({"report": str(path), "bytes": path.stat().st_size, "evidence": str(evidence)})
    else:
        err_console.print(f"report: {path} ({path.stat().st_size:,} bytes); evidence list: {evidence}")
