"""`unmask census …`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

from unmask.cli.common import err_console, privacy_policy
from unmask.cli.crawling import crawl_command
from unmask.core.case import Case
from unmask.core.privacy import PrivacyPolicy, RedactingFilter

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


def _crawl(case: Case, options: Any) -> Any:
    from unmask.census.runner import crawl

    return crawl(case, options)


def _redact_notes(case: Case, summary: Any) -> None:
    policy = privacy_policy(case)  # after the crawl: the persons it found are known now
    summary.notes = [policy.redact(note) or "" for note in summary.notes]


def _show(summary: Any) -> None:
    from unmask.census.summary import print_summary

    print_summary(summary, console=err_console)


crawl_cmd = crawl_command(
    app,
    action="census crawl",
    help="Crawl a platform's catalogue; the same command resumes an interrupted crawl (which exits 130).",
    url_help="The platform's address (home page or any page).",
    adapter_help="Site adapter: a bundled name or a YAML file (default: generic).",
    crawl=_crawl,
    show=_show,
    around=lambda case: redacted_logs(privacy_policy(case)),
    after=_redact_notes,
)
