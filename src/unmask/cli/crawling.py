"""The crawl commands (`census crawl`, `forum crawl`): one definition of their options, run and exit.

Each stage's command module declares what differs (its help, how it crawls and shows the summary);
an interrupted session prints its summary and exits 130, as any interrupted command, and the same
command resumes it.

No ``from __future__ import annotations`` here: the command's option annotations hold the stage's help
texts, which Typer must read when the command is made (not from the module's globals later)."""

import inspect
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Annotated, Any, Protocol

import typer
from typer._click.exceptions import MissingParameter
from typer._click.globals import get_current_context

from unmask.cli.common import CaseOpt, JsonOpt, opened_case, print_json
from unmask.core.case import Case
from unmask.evidence import custody

INTERRUPTED_EXIT = 130
"""The exit code of an interrupted command (``unmask.cli.main`` uses it for Ctrl-C outside a crawl)."""


class Summary(Protocol):
    status: str
    notes: list[str]

    def as_dict(self) -> dict[str, Any]: ...


def crawl_command(
    app: typer.Typer,
    *,
    action: str,
    help: str,
    url_help: str,
    adapter_help: str,
    crawl: Callable[..., Summary],
    show: Callable[[Summary], None],
    around: Callable[[Case], AbstractContextManager[Any]] = lambda case: nullcontext(),
    after: Callable[[Case, Summary], None] | None = None,
    options: Sequence[inspect.Parameter] = (),
    url_optional: str | None = None,
) -> Callable[..., None]:
    """Add the ``crawl`` command to ``app``: ``crawl(case, CrawlOptions, **stage_options)`` runs it (inside
    ``around(case)``), ``after`` may adjust the summary while the case is open, ``show`` prints it for a
    person. ``options``: the stage's own options (keyword parameters with Typer annotations and defaults),
    passed to ``crawl`` by name; ``url_optional``: the name of one of them that can stand for the URL
    (``census crawl --sites``; ``crawl`` then gets an empty URL), without which the URL is missing. A
    summary whose status is ``failed`` (a site of several could not be reached) exits 1 after it is
    printed, as one unreachable site does.
    """

    def crawl_cmd(
        url: Annotated[str, typer.Argument(help=url_help)],
        case: CaseOpt = None,
        adapter: Annotated[str | None, typer.Option("--adapter", help=adapter_help)] = None,
        delay: Annotated[
            float | None,
            typer.Option("--delay", help="Seconds between requests per host; 0 turns politeness off."),
        ] = None,
        concurrency: Annotated[
            int | None, typer.Option("--concurrency", help="Connections per host.")
        ] = None,
        ignore_robots: Annotated[
            bool, typer.Option("--ignore-robots", help="Do not obey robots.txt (document why in your notes).")
        ] = False,
        max_requests: Annotated[
            int | None, typer.Option("--max-requests", help="Stop after this many requests.")
        ] = None,
        as_json: JsonOpt = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
        **stage_options: Any,
    ) -> None:
        from unmask.core.crawl.runner import CrawlOptions

        if not url and (url_optional is None or stage_options.get(url_optional) is None):
            ctx = get_current_context()
            param: Any = next(p for p in ctx.command.params if p.name == "url")
            raise MissingParameter(ctx=ctx, param=param)
        crawl_options = CrawlOptions(
            url=url,
            adapter=adapter,
            delay=delay,
            concurrency=concurrency,
            obey_robots=False if ignore_robots else None,
            max_requests=max_requests,
            progress=not (quiet or as_json),
        )
        with opened_case(case) as the_case:
            with around(the_case):
                summary = crawl(the_case, crawl_options, **stage_options)
            if after is not None:
                after(the_case, summary)
        if as_json:
            print_json(summary.as_dict())
        else:
            show(summary)
        if summary.status == "interrupted":
            raise typer.Exit(INTERRUPTED_EXIT)
        if summary.status == "failed":
            raise typer.Exit(1)

    signature = inspect.signature(crawl_cmd)
    common = [
        p.replace(default="") if p.name == "url" and url_optional is not None else p
        for p in signature.parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    crawl_cmd.__signature__ = signature.replace(parameters=[*common, *options])  # type: ignore[attr-defined]
    command = custody.logged(action, run=True)(crawl_cmd)
    app.command("crawl", help=help)(command)
    return command
