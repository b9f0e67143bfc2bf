"""`unmask stats`."""

from __future__ import annotations

from typing import Annotated

import typer

from unmask.cli.common import (
    CaseOpt,
    JsonOpt,
    PlatformOpt,
    PublicFiguresOpt,
    RealNamesOpt,
    opened_case,
    out_console,
    print_json,
    privacy_policy,
)


def stats(
    case: CaseOpt = None,
    as_json: JsonOpt = False,
    platform: PlatformOpt = None,
    top: Annotated[int, typer.Option("--top", min=1, max=1000, help="Length of the top lists.")] = 10,
    real_names: RealNamesOpt = False,
    public_figures: PublicFiguresOpt = None,
) -> None:
    """Headline figures of the census: items, hours, views, uploaders, targets, growth."""
    from unmask.analysis.figures import FigureOptions, compute_figures
    from unmask.analysis.render import print_figures

    with opened_case(case) as the_case:
        policy = privacy_policy(the_case, real_names, public_figures)
        figures = compute_figures(
            the_case.store,
            FigureOptions(platform=platform.rstrip("/") if platform else None, top=top, privacy=policy),
        )
    if as_json:
        print_json(figures)
    else:
        # the verdict first: a reader sees whether the figures are the whole census before reading them
        bold = None if figures["complete"] else "bold"
        out_console.print(figures["verdict"], style=bold, markup=False, highlight=False, soft_wrap=True)
        print_figures(figures, console=out_console)
