"""The watch loop: real scans against a real DNS server, changes handed to the alert delivery."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.dns_server import DnsServer
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.infra.base import ScanOptions
from unmask.watch.schedule import WatchState, parse_every, watch, watch_async


@pytest.fixture
def dns(tmp_path: Path) -> Iterator[DnsServer]:
    with DnsServer(tmp_path) as server:
        server.zone("watched.test", ["@ A 127.0.0.90"])
        server.start()
        yield server


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("6h", 21600), ("1d", 86400), ("1h30m", 5400)]
)
def test_parse_every(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "6", "0s", "-1h", "6 hours"])
def test_bad_interval(text: str) -> None:
    with pytest.raises(UnmaskError):
        parse_every(text)


@pytest.mark.slow
def test_each_round_delivers_its_changes(case: Case, dns: DnsServer) -> None:
    delivered: list[list[dict[str, Any]]] = []
    options = ScanOptions(dns_only=True, resolver=dns.resolver)
    first = watch(case, ["watched.test"], 3600, options, once=True, deliver=delivered.append)
    assert len(first.rounds) == 1 and delivered == []  # nothing to compare with yet

    state = WatchState()

    async def two_rounds() -> None:
        async def hop_between_rounds() -> None:
            while not state.rounds:
                await asyncio.sleep(0.05)
            dns.zone("watched.test", ["@ A 127.0.0.91"])
            await asyncio.to_thread(dns.reload)

        rounds = watch_async(
            case, ["watched.test"], 4, options, deliver=delivered.append, state=state, rounds=2
        )
        await asyncio.gather(rounds, hop_between_rounds())

    asyncio.run(two_rounds())
    assert len(state.rounds) == 2
    assert delivered == [
        [
            {
                "time": delivered[0][0]["time"],
                "domain": "watched.test",
                "kind": "ip",
                "old": ["127.0.0.90"],
                "new": ["127.0.0.91"],
            }
        ]
    ]


@pytest.mark.slow
def test_watch_is_interruptible(case: Case, dns: DnsServer) -> None:
    options = ScanOptions(dns_only=True, resolver=dns.resolver)

    async def interrupted() -> None:
        first_round = asyncio.Event()
        task = asyncio.ensure_future(
            watch_async(
                case,
                ["watched.test"],
                3600,
                options,
                deliver=lambda c: None,
                on_round=lambda r: first_round.set(),
            )
        )
        await first_round.wait()  # then it waits an hour for the next round: cancelled there
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())


def test_a_job_is_due_when_its_cron_time_came_since_its_last_run(case: Case) -> None:
    """The case's schedule: a protect job runs once a pass when due, each run recorded in watch_run."""
    import datetime as dt

    from unmask.core.config import WatchJob
    from unmask.watch.schedule import case_jobs, daemon, is_due, last_started, run_pass

    case.config.watch.jobs = [WatchJob(kind="protect", cron="0 3 * * *")]
    ((job, cron),) = case_jobs(case)
    now = dt.datetime(2026, 12, 5, 12, 0)
    assert last_started(case, job.key) is None and is_due(case, job, cron, now)
    outcomes: list[Any] = []
    asyncio.run(daemon(case, None, on_outcome=outcomes.append, passes=1))
    assert [(o.kind, o.ok, o.changes) for o in outcomes] == [("protect", True, [])]
    started = last_started(case, job.key)
    assert started is not None
    assert not is_due(case, job, cron, started + dt.timedelta(minutes=1))
    next_day = started.replace(hour=3, minute=0) + dt.timedelta(days=1)
    assert is_due(case, job, cron, next_day)
    assert asyncio.run(run_pass(case, None)) == []  # nothing due right after it ran
    assert len(asyncio.run(run_pass(case, None, everything=True))) == 1
