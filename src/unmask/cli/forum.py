"""`unmask forum …`: a census of a platform's forum (threads, paid requests, prices)."""

from __future__ import annotations

from typing import Annotated

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
from unmask.evidence import custody

app = typer.Typer(
    help="Census of a platform's forum: threads, paid requests and their prices (never media).",
    no_args_is_help=True,
)

KINDS = Choice("kind", ("paid_request", "request", "offer", "other"))


@app.command("crawl")
@custody.logged("forum crawl", run=True)
def crawl_cmd(
    url: Annotated[str, typer.Argument(help="The forum's address (its index, or any page).")],
    case: CaseOpt = None,
    adapter: Annotated[
        str | None,
        typer.Option(
            "--adapter",
            help="A built-in engine (xenforo2, mybb, phpbb3, vbulletin, discourse, nodebb) or an "
            "adapter file (default: recognised from the start page).",
        ),
    ] = None,
    delay: Annotated[
        float | None,
        typer.Option("--delay", help="Seconds between requests per host; 0 turns politeness off."),
    ] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", help="Connections per host.")] = None,
    ignore_robots: Annotated[
        bool, typer.Option("--ignore-robots", help="Do not obey robots.txt (document why in your notes).")
    ] = False,
    max_requests: Annotated[
        int | None, typer.Option("--max-requests", help="Stop after this many requests.")
    ] = None,
    as_json: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Crawl a forum's sections and threads; the same command resumes an interrupted crawl."""
    from unmask.forum.runner import ForumCrawlOptions, crawl

    with opened_case(case) as the_case:
        summary = crawl(
            the_case,
            ForumCrawlOptions(
                url=url,
                adapter=adapter,
                delay=delay,
                concurrency=concurrency,
                obey_robots=False if ignore_robots else None,
                max_requests=max_requests,
                progress=not (quiet or as_json),
            ),
        )
    if as_json:
        print_json(summary.as_dict())
        return
    err_console.print(summary.verdict)
    err_console.print(
        f"{summary.threads:,} threads ({summary.new_threads:,} new, {summary.removed:,} removed), "
        f"{summary.closed_sections:,} closed sections, {summary.requests:,} requests in {summary.seconds:g} s"
        f" · engine {summary.engine or 'unknown'}"
    )
    for note in summary.notes:
        err_console.print(f"note: {note}")


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
