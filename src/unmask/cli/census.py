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
    # -- distributed census (issue 20; unmask.census.distributed) --
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Worker processes on this machine (Redis holds the queue; docs/scale.md)."
        ),
    ] = None,
    redis_url: Annotated[
        str | None,
        typer.Option(
            "--redis", help="The shared Redis (redis://host:port/db); other machines join with census worker."
        ),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option("--metrics-port", help="Serve Prometheus metrics on 127.0.0.1:PORT (distributed only)."),
    ] = None,
) -> None:
    """Crawl a platform's catalogue; the same command resumes an interrupted crawl."""
    from unmask.census.runner import CrawlOptions, crawl
    from unmask.census.summary import print_summary

    with opened_case(case) as the_case, redacted_logs(privacy_policy(the_case)):
        options = CrawlOptions(
            url=url,
            adapter=adapter,
            delay=delay,
            concurrency=concurrency,
            obey_robots=False if ignore_robots else None,
            max_requests=max_requests,
            progress=not (quiet or as_json),
        )
        if workers is None and redis_url is None:
            if metrics_port is not None:
                raise typer.BadParameter("--metrics-port needs --workers or --redis (docs/scale.md)")
            summary = crawl(the_case, options)
        else:  # the distributed seam: the same options, the work split over worker processes
            from unmask.census.distributed.coordinator import DistributedOptions, crawl_distributed

            dist = DistributedOptions(
                workers=2 if workers is None else workers, redis_url=redis_url, metrics_port=metrics_port
            )
            summary = crawl_distributed(the_case, options, dist)
        policy = privacy_policy(the_case)  # after the crawl: the persons it found are known now
    summary.notes = [policy.redact(note) or "" for note in summary.notes]
    if as_json:
        print_json(summary.as_dict())
    else:
        print_summary(summary, console=err_console)


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
) -> None:
    """Join a running census of the case (same case.yaml and store) as one more worker."""
    from unmask.census.distributed.worker import WorkerOptions, run_worker

    if lease <= 0 or wait < 0:
        raise typer.BadParameter("--lease must be > 0 and --wait ≥ 0")
    with opened_case(case) as the_case, redacted_logs(privacy_policy(the_case)):
        summary = run_worker(the_case, WorkerOptions(redis_url=redis_url, name=name, wait=wait, lease=lease))
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
    """The case's distributed census now: its phase, its queue and each worker's progress."""
    from unmask.census.distributed.frontier import case_key, connect, live_run

    with opened_case(case) as the_case:
        run = live_run(connect(redis_url), case_key(the_case.config.secret))
        snapshot = run.snapshot() if run is not None else None
    if as_json:
        print_json(snapshot or {"run": None})
        return
    if snapshot is None:
        err_console.print("no census of this case is running on that Redis")
        return
    err_console.print(
        f"run {snapshot['run']}: phase {snapshot['phase']}, {snapshot['pending']:,} pages queued, "
        f"{snapshot['inflight']:,} in flight"
    )
    for worker in snapshot["workers"]:
        state = "alive" if worker["alive"] else "gone"
        err_console.print(
            f"  {worker['name']}: {state}, {worker['pages']:,} pages, {worker['items']:,} item descriptions, "
            f"{worker['failed']:,} failed"
        )
