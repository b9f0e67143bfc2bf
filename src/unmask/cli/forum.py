"""`unmask forum …`: a census of a platform's forum (threads, paid requests, prices)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from unmask.cli.common import (
    CaseOpt,
    Choice,
    JsonOpt,
    PublicFiguresOpt,
    RealNamesOpt,
    err_console,
    opened_case,
    print_json,
    privacy_policy,
)
from unmask.cli.crawling import crawl_command
from unmask.core.case import Case

app = typer.Typer(
    help="Census of a platform's forum: threads, paid requests and their prices (never media).",
    no_args_is_help=True,
)

KINDS = Choice("kind", ("paid_request", "request", "offer", "other"))


def _crawl(case: Case, options: Any) -> Any:
    from unmask.forum.runner import crawl

    return crawl(case, options)


def _show(summary: Any) -> None:
    err_console.print(summary.verdict)
    err_console.print(
        f"{summary.threads:,} threads ({summary.new_threads:,} new, {summary.removed:,} removed), "
        f"{summary.closed_sections:,} closed sections, {summary.requests:,} requests in {summary.seconds:g} s"
        f" · engine {summary.engine or 'unknown'}"
    )
    for note in summary.notes:
        err_console.print(f"note: {note}")


crawl_cmd = crawl_command(
    app,
    action="forum crawl",
    help="Crawl a forum's sections and threads; the same command resumes an interrupted crawl (which exits "
    "130).",
    url_help="The forum's address (its index, or any page).",
    adapter_help="A built-in engine (xenforo2, mybb, phpbb3, vbulletin, discourse, nodebb) or an adapter "
    "file (default: recognised from the start page).",
    crawl=_crawl,
    show=_show,
)


@app.command("stats")
def stats_cmd(
    case: CaseOpt = None,
    public_figures: PublicFiguresOpt = None,
    real_names: RealNamesOpt = False,
    top: Annotated[int, typer.Option("--top", help="Sections listed.", min=1)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Threads, posts, authors, kinds, prices per currency and per month of the forum census."""
    from unmask.forum.analysis import stats

    with opened_case(case) as the_case:
        policy = privacy_policy(the_case, real_names, public_figures)
        figures = stats(the_case.store, policy, top=top)
    if as_json:
        print_json(figures)
        return
    from unmask.cli.forum_view import print_stats

    print_stats(figures)


@app.command("threads")
def threads_cmd(
    case: CaseOpt = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only threads of this kind.", metavar=KINDS.metavar)
    ] = None,
    real_names: RealNamesOpt = False,
    public_figures: PublicFiguresOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The counted threads, newest first: kind (and the rule that made it), prices, starter pseudonymized."""
    from unmask.forum.analysis import threads

    wanted = KINDS.check(kind)
    with opened_case(case) as the_case:
        listed = threads(the_case.store, privacy_policy(the_case, real_names, public_figures), kind=wanted)
    if as_json:
        print_json(listed)
        return
    from unmask.cli.forum_view import print_threads

    print_threads(listed)
