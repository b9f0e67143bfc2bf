"""`unmask census …`."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from unmask.cli.common import CaseOpt, JsonOpt, err_console, opened_case, print_json, privacy_policy
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


def _option(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation)


DISTRIBUTED_OPTIONS = [  # the distributed census (issue 20; unmask.census.distributed, docs/scale.md)
    _option(
        "workers",
        Annotated[
            int | None,
            typer.Option(
                "--workers", help="Worker processes on this machine (Redis holds the queue; docs/scale.md)."
            ),
        ],
    ),
    _option(
        "redis_url",
        Annotated[
            str | None,
            typer.Option(
                "--redis",
                help="The shared Redis (redis://host:port/db); other machines join with census worker.",
            ),
        ],
    ),
    _option(
        "sites",
        Annotated[
            Path | None,
            typer.Option(
                "--sites",
                help="Many platforms into this case instead of URL: a file with one a line, URL "
                "adapter=NAME delay=S concurrency=N max_requests=N (settings optional; docs/scale.md).",
            ),
        ],
    ),
    _option(
        "metrics_port",
        Annotated[
            int | None,
            typer.Option(
                "--metrics-port", help="Serve Prometheus metrics on 127.0.0.1:PORT (distributed only)."
            ),
        ],
    ),
]


def _crawl(
    case: Case,
    options: Any,
    *,
    workers: int | None = None,
    redis_url: str | None = None,
    metrics_port: int | None = None,
    sites: Path | None = None,
) -> Any:
    """One process (census.runner) without --workers/--redis; otherwise the same options with the work
    split over worker processes that share a Redis queue. ``--sites FILE``: each line's platform, the
    command's options its defaults (census.sites)."""
    if sites is not None or not options.url:
        return _crawl_sites(case, options, sites, workers, redis_url, metrics_port)
    if workers is None and redis_url is None:
        if metrics_port is not None:
            raise typer.BadParameter("--metrics-port needs --workers or --redis (docs/scale.md)")
        from unmask.census.runner import crawl

        return crawl(case, options)
    from unmask.census.distributed.coordinator import DistributedOptions, crawl_distributed

    distributed = DistributedOptions(
        workers=2 if workers is None else workers, redis_url=redis_url, metrics_port=metrics_port
    )
    return crawl_distributed(case, options, distributed)


def _crawl_sites(
    case: Case,
    options: Any,
    sites: Path | None,
    workers: int | None,
    redis_url: str | None,
    metrics_port: int | None,
) -> Any:
    from dataclasses import replace

    from unmask.census.sites import crawl_sites, read_sites

    if sites is None:
        raise typer.BadParameter("give the platform's URL, or --sites FILE")
    if options.url:
        raise typer.BadParameter("give the platform's URL or --sites FILE, not both")
    listed = read_sites(sites, options)  # every line checked before anything starts
    say = _say if options.progress else None
    if workers is None and redis_url is None:
        if metrics_port is not None:
            raise typer.BadParameter("--metrics-port needs --workers or --redis (docs/scale.md)")
        return crawl_sites(case, listed, say)
    from unmask.census.distributed.coordinator import DistributedOptions
    from unmask.census.distributed.sites import crawl_sites_distributed

    quiet = [replace(site, options=replace(site.options, progress=False)) for site in listed]
    distributed = DistributedOptions(
        workers=2 if workers is None else workers, redis_url=redis_url, metrics_port=metrics_port
    )
    return crawl_sites_distributed(case, quiet, distributed, say)


def _say(line: str) -> None:
    from unmask.core.output import display_text

    err_console.print(display_text(line), markup=False, highlight=False, soft_wrap=True)


def _redact_notes(case: Case, summary: Any) -> None:
    policy = privacy_policy(case)  # after the crawl: the persons it found are known now
    from unmask.census.sites import SitesSummary

    if isinstance(summary, SitesSummary):
        summary.redact(lambda note: policy.redact(note) or "")
        return
    summary.notes = [policy.redact(note) or "" for note in summary.notes]


def _show(summary: Any) -> None:
    from unmask.census.sites import SitesSummary, summary_lines
    from unmask.census.summary import print_summary

    if isinstance(summary, SitesSummary):
        for line in summary_lines(summary):
            _say(line)
        return
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
    options=DISTRIBUTED_OPTIONS,
    url_optional="sites",
)


@app.command("worker")
def worker_cmd(
    redis_url: Annotated[str, typer.Option("--redis", help="The Redis the census coordinator uses.")],
    case: CaseOpt = None,
    name: Annotated[
        str | None, typer.Option("--name", help="This worker's name (WARC files, claims); default host-pid.")
    ] = None,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for a census of the case to start (0: no bound).")
    ] = 0.0,
    lease: Annotated[
        float, typer.Option("--lease", help="Seconds after which a silent worker's pages go to the others.")
    ] = 10.0,
    as_json: JsonOpt = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
    run: Annotated[
        int | None,
        typer.Option(
            "--run", help="Serve this census run (default: the case's run that needs a worker most)."
        ),
    ] = None,
) -> None:
    """Join a running census of the case (same case.yaml and store) as one more worker."""
    from unmask.census.distributed.worker import WorkerOptions, run_worker

    if lease <= 0 or wait < 0:
        raise typer.BadParameter("--lease must be > 0 and --wait ≥ 0")
    with opened_case(case) as the_case, redacted_logs(privacy_policy(the_case)):
        options = WorkerOptions(redis_url=redis_url, name=name, wait=wait, lease=lease, run=run)
        summary = run_worker(the_case, options)
    if as_json:
        print_json(summary.as_dict())
    elif not quiet:
        err_console.print(
            f"worker {summary.worker}: {summary.pages:,} pages, {summary.items:,} item descriptions "
            f"in {summary.seconds:.1f} s ({summary.reason})"
        )


@app.command("status")
def status_cmd(
    redis_url: Annotated[str, typer.Option("--redis", help="The Redis the census coordinator uses.")],
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The case's distributed census now: each run's phase, queue and each worker's progress (several
    runs with `census crawl --sites`; ``--json``: the latest run's keys, and ``runs``: every run's)."""
    from unmask.census.distributed.frontier import case_key, connect, live_runs

    with opened_case(case) as the_case:
        client = connect(redis_url)
        snapshots = [run.snapshot() for run in live_runs(client, case_key(the_case.config.secret))]
        bases = _platform_bases(the_case, snapshots)
    for snapshot in snapshots:
        snapshot["site"] = bases.get(snapshot["run"])
    if as_json:
        print_json({**snapshots[-1], "runs": snapshots} if snapshots else {"run": None, "runs": []})
        return
    if not snapshots:
        err_console.print("no census of this case is running on that Redis")
        return
    for snapshot in snapshots:
        err_console.print(
            f"run {snapshot['run']} ({snapshot['site'] or '?'}): phase {snapshot['phase']}, "
            f"{snapshot['pending']:,} pages queued, {snapshot['inflight']:,} in flight",
            markup=False,
            highlight=False,
        )
        for worker in snapshot["workers"]:
            state = "alive" if worker["alive"] else "gone"
            err_console.print(
                f"  {worker['name']}: {state}, {worker['pages']:,} pages, {worker['items']:,} item "
                f"descriptions, {worker['failed']:,} failed",
                markup=False,
                highlight=False,
            )


def _platform_bases(case: Case, snapshots: list[dict[str, Any]]) -> dict[int, str]:
    """Each run's platform (host and port), as the store has it."""
    from urllib.parse import urlsplit

    from sqlalchemy import select

    from unmask.core.store.models import CrawlRun, Platform

    ids = [s["run"] for s in snapshots]
    if not ids:
        return {}
    with case.store.session() as s:
        rows = s.execute(
            select(CrawlRun.id, Platform.base_url)
            .join(Platform, Platform.id == CrawlRun.platform_id)
            .where(CrawlRun.id.in_(ids))
        ).all()
    return {int(run): urlsplit(base).netloc for run, base in rows}
