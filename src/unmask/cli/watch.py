"""`unmask watch run|daemon`: re-run what the case's ``watch:`` section schedules and send the alerts."""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from unmask.cli.common import CaseOpt, JsonOpt, err_console, opened_case, print_json
from unmask.evidence import custody

if TYPE_CHECKING:
    from unmask.watch.schedule import Outcome

app = typer.Typer(
    help="Scheduled re-runs (census, infrastructure, store presence, protect) with alerts.",
    no_args_is_help=True,
)


def _show(outcome: Outcome) -> None:
    state = "ok" if outcome.ok else f"FAILED: {outcome.error}"
    err_console.print(f"{outcome.job}: {state}, {len(outcome.changes)} changes", highlight=False)
    for alert in outcome.alerts:
        if not getattr(alert, "ok", True):
            failed = f"alert via {alert.channel} {alert.target} failed: {alert.error}"
            err_console.print(failed, style="yellow")


@app.command("run")
@custody.logged("watch run", run=True)
def run_cmd(
    everything: Annotated[
        bool, typer.Option("--all", help="Run every job now, not only those whose time has come.")
    ] = False,
    case: CaseOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """One pass, for cron: each job whose cron time came since its last run; alerts to watch.notify."""
    from unmask.watch.schedule import default_deliver, run_pass

    with opened_case(case) as the_case:
        deliver = default_deliver(the_case, None if as_json else sys.stdout)
        outcomes = asyncio.run(run_pass(the_case, deliver, everything=everything))
    if as_json:
        print_json({"runs": [o.as_dict() for o in outcomes]})
        return
    for outcome in outcomes:
        _show(outcome)
    if not outcomes:
        err_console.print("no job is due (--all runs every job now)", highlight=False)


@app.command("daemon")
@custody.logged("watch daemon", run=True)
def daemon_cmd(case: CaseOpt = None) -> None:
    """Run each job at its cron times until Ctrl-C; alerts to watch.notify."""
    from unmask.watch.schedule import daemon, default_deliver

    with opened_case(case) as the_case:
        jobs = len(the_case.config.watch.jobs)
        err_console.print(f"watching {jobs} jobs (Ctrl-C to stop)", highlight=False)
        asyncio.run(daemon(the_case, default_deliver(the_case, sys.stdout), on_outcome=_show))
