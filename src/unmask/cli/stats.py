"""`unmask stats`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from unmask.cli.common import CaseOpt, JsonOpt, open_case, print_json


def stats(
    case: CaseOpt = None,
    as_json: JsonOpt = False,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Only this platform (its base URL).")
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Length of the top lists.")] = 10,
    real_names: Annotated[
        bool, typer.Option("--real-names", help="Show non-public depicted persons by name (no pseudonyms).")
    ] = False,
) -> None:
    """Headline figures of the census: items, hours, views, uploaders, targets, growth."""
    from unmask.analysis.figures import FigureOptions, compute_figures
    from unmask.analysis.render import print_figures

    the_case = open_case(case)
    figures = compute_figures(
        the_case.store,
        FigureOptions(
            platform=platform.rstrip("/") if platform else None,
            top=top,
            pseudonymize=the_case.config.privacy.pseudonymize and not real_names,
            secret=the_case.config.secret,
        ),
    )
    if as_json:
        print_json(figures)
    else:
        console = Console()
        # the verdict first: a reader sees whether the figures are the whole census before reading them
        bold = None if figures["complete"] else "bold"
        console.print(figures["verdict"], style=bold, markup=False, highlight=False, soft_wrap=True)
        print_figures(figures, console)
