"""The watch's scheduler: what the case's ``watch:`` section schedules (cron expressions, croniter), run
once (`unmask watch run`, for cron) or for ever (`unmask watch daemon`); `unmask infra watch` is the same
loop with one infrastructure job at a fixed interval.

Each job run is a row of ``watch_run`` (start, end, ok or the error, its changes, where the alert went).
Its changes go out as one message per change set, a failed run as a failure (never as "no change"),
through unmask.watch.alerts. Ctrl-C stops within seconds: a job's child process gets SIGINT (a crawl keeps
what it stored and resumes next time), the run is recorded as interrupted.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TextIO, TypeVar

from sqlalchemy import select, update

from unmask.core.case import Case
from unmask.core.config import WatchJob
from unmask.core.errors import UnmaskError
from unmask.core.store.models import utcnow
from unmask.infra.base import ScanOptions
from unmask.watch.jobs import InfraJob, Job, JobFailed, make_job
from unmask.watch.tables import WatchRun

P = ParamSpec("P")
T = TypeVar("T")

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY = 1.0
MAX_SLEEP = 1.0
"""The daemon wakes at least this often (Ctrl-C and a changed clock are noticed within a second)."""


def parse_every(text: str) -> float:
    """``90s``, ``30m``, ``6h``, ``1d`` or combinations (``1h30m``) → seconds."""
    parts = re.fullmatch(r"\s*((?:\d+(?:\.\d+)?[smhd]\s*)+)\s*", text.lower())
    if not parts:
        raise UnmaskError(f"malformed interval {text!r}: use e.g. 90s, 30m, 6h, 1d")
    seconds = sum(float(n) * UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhd])", parts.group(1)))
    if seconds < MIN_EVERY:
        raise UnmaskError(f"interval {text!r} is too short (at least {MIN_EVERY:g}s)")
    return seconds


def check_cron(expression: str, where: str) -> str:
    from croniter import croniter

    if not croniter.is_valid(expression):
        raise UnmaskError(f"not a cron expression: {expression!r} (e.g. '0 3 * * *')", where=where)
    return expression


def next_time(expression: str, after: dt.datetime) -> dt.datetime:
    from croniter import croniter

    return croniter(expression, after).get_next(dt.datetime)


# -- one job run -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    job: str
    kind: str
    ok: bool
    changes: list[dict[str, Any]]
    error: str | None = None
    alerts: list[Any] = field(default_factory=list)
    detail: Any = None
    run_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "kind": self.kind,
            "ok": self.ok,
            "error": self.error,
            "changes": self.changes,
            "alerts": [a.as_dict() if hasattr(a, "as_dict") else a for a in self.alerts],
        }


Deliver = Callable[[Outcome], list[Any]]


def _record_start(case: Case, job: Job) -> int:
    with case.store.session() as s:
        row = WatchRun(job=job.key[:300], kind=job.kind, started_at=utcnow())
        s.add(row)
        s.flush()
        return int(row.id)


def _record_end(case: Case, run_id: int, outcome: Outcome) -> None:
    alerts = [a.as_dict() if hasattr(a, "as_dict") else a for a in outcome.alerts]
    with case.store.session() as s:
        s.execute(
            update(WatchRun)
            .where(WatchRun.id == run_id)
            .values(
                finished_at=utcnow(),
                ok=outcome.ok,
                error=outcome.error,
                changes=json.dumps(outcome.changes, ensure_ascii=False, default=str),
                alerts=json.dumps(alerts, ensure_ascii=False, default=str),
            )
        )


async def run_job(case: Case, job: Job, deliver: Deliver | None) -> Outcome:
    """Run one job, record it, alert its changes or its failure."""
    run_id = await asyncio.to_thread(_record_start, case, job)
    outcome = Outcome(job.key, job.kind, True, [], run_id=run_id)
    try:
        outcome.changes = await job.run(case)
    except asyncio.CancelledError:
        outcome.ok, outcome.error = False, "interrupted"
        await asyncio.shield(asyncio.to_thread(_record_end, case, run_id, outcome))
        raise
    except (JobFailed, UnmaskError, TimeoutError, OSError) as exc:
        outcome.ok = False
        outcome.error = str(exc) or type(exc).__name__ if not isinstance(exc, TimeoutError) else "timed out"
    except Exception as exc:  # a bug or a hostile answer inside the job: a failure, shown, the watch goes on
        outcome.ok, outcome.error = False, f"{type(exc).__name__}: {exc}"[:500]
    outcome.detail = job.detail
    if deliver is not None and (outcome.changes or not outcome.ok):
        outcome.alerts = await asyncio.to_thread(deliver, outcome)
    await asyncio.to_thread(_record_end, case, run_id, outcome)
    return outcome


# -- the case's schedule -----------------------------------------------------------------------------


def case_jobs(case: Case) -> list[tuple[Job, str]]:
    """The case's jobs with their cron expressions; a one-line error for a job that cannot run."""
    out: list[tuple[Job, str]] = []
    for n, spec in enumerate(case.config.watch.jobs):
        where = f"case.yaml watch.jobs[{n}]"
        out.append((make_job(spec), check_cron(spec.cron, where)))
    if not out:
        raise UnmaskError("nothing to watch: the case's watch.jobs is empty (see docs/watch.md)")
    return out


def last_started(case: Case, key: str) -> dt.datetime | None:
    with case.store.session() as s:
        return s.scalar(
            select(WatchRun.started_at).where(WatchRun.job == key[:300]).order_by(WatchRun.id.desc()).limit(1)
        )


@dataclass(frozen=True)
class RunRecord:
    """One watch run as the case's dashboard shows it: counts, never the changes themselves (they may name
    what the policy hides); ``error`` is the run's own one-line error, for the caller to redact."""

    job: str
    kind: str
    started: dt.datetime
    finished: dt.datetime | None
    ok: bool | None
    error: str | None
    changes: int
    alerts_sent: int
    alerts_failed: int


def _json_list(text: str | None) -> list[Any]:
    """A stored JSON list (``changes``, ``alerts``); anything else reads as empty."""
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def recent_runs(case: Case, limit: int = 10) -> list[RunRecord]:
    """The case's latest watch runs, newest first (a run still going has no ``finished`` and ``ok``)."""
    records = []
    with case.store.session() as s:
        for row in s.scalars(select(WatchRun).order_by(WatchRun.id.desc()).limit(limit)):
            delivered = [a.get("ok") for a in _json_list(row.alerts) if isinstance(a, dict)]
            records.append(
                RunRecord(
                    job=row.job,
                    kind=row.kind,
                    started=row.started_at,
                    finished=row.finished_at,
                    ok=row.ok,
                    error=row.error,
                    changes=len(_json_list(row.changes)),
                    alerts_sent=sum(1 for ok in delivered if ok is True),
                    alerts_failed=sum(1 for ok in delivered if ok is False),
                )
            )
    return records


def is_due(case: Case, job: Job, cron: str, now: dt.datetime) -> bool:
    """Never run, or its cron time came since its last start."""
    last = last_started(case, job.key)
    return last is None or next_time(cron, last) <= now


async def run_pass(case: Case, deliver: Deliver | None, *, everything: bool = False) -> list[Outcome]:
    """One pass: every job that is due (``everything``: every job), one after the other."""
    now = utcnow()
    outcomes: list[Outcome] = []
    for job, cron in case_jobs(case):
        if everything or is_due(case, job, cron, now):
            outcomes.append(await run_job(case, job, deliver))
    return outcomes


async def daemon(
    case: Case,
    deliver: Deliver | None,
    *,
    on_outcome: Callable[[Outcome], None] | None = None,
    passes: int | None = None,
) -> None:
    """Run each job at its cron times until interrupted (``passes``: stop after that many passes)."""
    jobs = case_jobs(case)
    done = 0
    while passes is None or done < passes:
        now = utcnow()
        for job, cron in jobs:
            if is_due(case, job, cron, now):
                outcome = await run_job(case, job, deliver)
                if on_outcome is not None:
                    on_outcome(outcome)
        done += 1
        if passes is not None and done >= passes:
            return
        wake = min(next_time(cron, utcnow()) for _, cron in jobs)
        while (left := (wake - utcnow()).total_seconds()) > 0:
            await asyncio.sleep(min(left, MAX_SLEEP))


def default_deliver(case: Case, stdout: TextIO | None) -> Deliver:
    def deliver(outcome: Outcome) -> list[Any]:
        from unmask.watch.alerts import deliver_outcome

        return deliver_outcome(outcome, case, stdout=stdout)

    return deliver


# -- `unmask infra watch`: one infra job at a fixed interval ------------------------------------------


@dataclass
class Round:
    scan: Any
    changes: list[Any]
    delivery: Any = None


@dataclass
class WatchState:
    rounds: list[Round] = field(default_factory=list)


ChangeDeliver = Callable[[list[dict[str, Any]]], Any]


def _infra_deliver(case: Case, deliver: ChangeDeliver | None) -> Deliver:
    """The infra watch's delivery: its own channels (infra.alerts, or the given function), and the
    case's watch.notify."""

    def send(outcome: Outcome) -> list[Any]:
        from unmask.watch.alerts import deliver as send_changes
        from unmask.watch.alerts import notify

        changes = [{k: v for k, v in c.items() if k != "summary"} for c in outcome.changes]
        results: list[Any] = []
        if outcome.ok and changes:
            if deliver is not None:
                got = deliver(changes)
                results += got if isinstance(got, list) else []
            else:
                settings = case.config
                results += send_changes(changes, settings.infra.alerts, settings.fetch, stdout=sys.stdout)
        results += notify(outcome, case)
        return results

    return send


async def watch_async(
    case: Case,
    domains: list[str],
    every: float,
    options: ScanOptions,
    *,
    once: bool = False,
    deliver: ChangeDeliver | None = None,
    progress: Any = None,
    state: WatchState | None = None,
    rounds: int | None = None,
    on_round: Callable[[Round], None] | None = None,
) -> WatchState:
    """Scan now and then every ``every`` seconds until interrupted (or once, or after ``rounds``)."""
    state = state or WatchState()
    job = InfraJob(
        WatchJob(
            kind="infra",
            domains=list(domains),
            options={"resolver": options.resolver, "dns_only": options.dns_only, "active": options.active},
        )
    )
    send = _infra_deliver(case, deliver)
    while True:
        outcome = await run_job(case, job, send)
        if not outcome.ok and outcome.detail is None:
            raise UnmaskError(f"the scan failed: {outcome.error}")
        state.rounds.append(Round(outcome.detail, outcome.changes, outcome.alerts or None))
        if on_round is not None:
            on_round(state.rounds[-1])
        if once or (rounds is not None and len(state.rounds) >= rounds):
            return state
        await asyncio.sleep(every)


def _blocking(run: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """``run`` for a caller without an event loop: the same parameters, its result awaited."""

    def wait(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(run(*args, **kwargs))

    return wait


watch = _blocking(watch_async)
""":func:`watch_async` for a caller without an event loop (`unmask infra watch`)."""
