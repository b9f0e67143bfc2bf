"""`unmask census …`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from unmask.cli.common import CaseOpt, JsonOpt, err_console, opened_case, print_json, privacy_policy
from unmask.core.privacy import PrivacyPolicy, RedactingFilter
from unmask.evidence import custody

app = typer.Typer(
    help="Census of a platform's public catalogue (metadata only, never media).", no_args_is_help=True
)


@contextmanager
def redacted_logs(policy: PrivacyPolicy) -> Iterator[None]:
    """Every log record made meanwhile (the crawl log in the case's logs/) has the names the policy hides
    replaced, as far as the case knows them when the crawl starts (a re-crawl knows every person)."""
    previous = logging.getLogRecordFactory()
    redact = RedactingFilter(policy)

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact.filter(record)
        return record

    logging.setLogRecordFactory(factory)
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)


@app.command("crawl")
@custody.logged("census crawl", run=True)
def crawl_cmd(
    url: Annotated[str, typer.Argument(help="The platform's address (home page or any page).")],
    case: CaseOpt = None,
    adapter: Annotated[
        str | None,
        typer.Option("--adapter", help="Site adapter: a bundled name or a YAML file (default: generic)."),
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
    """Crawl a platform's catalogue; the same command resumes an interrupted crawl."""
    from unmask.census.runner import CrawlOptions, crawl
    from unmask.census.summary import print_summary

    with opened_case(case) as the_case, redacted_logs(privacy_policy(the_case)):
        summary = crawl(
            the_case,
            CrawlOptions(
                url=url,
                adapter=adapter,
                delay=delay,
                concurrency=concurrency,
                obey_robots=False if ignore_robots else None,
                max_requests=max_requests,
                progress=not (quiet or as_json),
            ),
        )
        policy = privacy_policy(the_case)  # after the crawl: the persons it found are known now
    summary.notes = [policy.redact(note) or "" for note in summary.notes]
    if as_json:
        print_json(summary.as_dict())
    else:
        print_summary(summary, console=err_console)
