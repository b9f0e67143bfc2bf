"""`unmask stats`."""

from __future__ import annotations

from typing import Annotated, Any

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
from unmask.core.output import display_text


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
    from unmask.census.status import site_status

    with opened_case(case) as the_case:
        policy = privacy_policy(the_case, real_names, public_figures)
        figures = compute_figures(
            the_case.store,
            FigureOptions(platform=platform.rstrip("/") if platform else None, top=top, privacy=policy),
        )
        figures["sites"] = [policy.redact_all(site) for site in site_status(the_case, platform=platform)]
    if as_json:
        print_json(figures)
    else:
        # the verdict first: a reader sees whether the figures are the whole census before reading them
        bold = None if figures["complete"] else "bold"
        out_console.print(figures["verdict"], style=bold, markup=False, highlight=False, soft_wrap=True)
        print_figures(figures, console=out_console)
        print_sites(figures["sites"])


def print_sites(sites: list[dict[str, Any]]) -> None:
    """A line per site: the latest run's status and phase, its pages answered and waiting, its workers
    (the verdict's reasons are in the verdict printed first, each naming its platform)."""
    from rich.table import Table
    from rich.text import Text

    if not sites:
        return
    table = Table(title="census runs, latest per site (the verdict above says why one is incomplete)")
    table.add_column("site", overflow="fold")
    for column in ("run", "status", "phase", "pages done", "pending", "workers"):
        table.add_column(column, justify="left" if column in ("status", "phase") else "right")
    for site in sites:
        table.add_row(
            Text(display_text(site["site"])),
            str(site["run"]),
            site["status"] if site["at_work"] or site["status"] != "running" else "interrupted",
            site["phase"],
            f"{site['pages_done']:,}",
            f"{site['pages_pending']:,}",
            f"{site['workers_active']:,}",
        )
    out_console.print(table)
