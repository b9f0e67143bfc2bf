"""`unmask infra watch`: scan again on a schedule and send each scan's changes as alerts.

Every round is an ordinary scan (stored like any other); its changes go to
``unmask.watch.alerts.deliver`` (stdout, webhook, e-mail as configured). Ctrl-C ends the loop; what
the current scan finished is kept.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.infra.base import ScanOptions
from unmask.infra.changes import Change, changes_in_scan
from unmask.infra.scan import Progress, ScanResult, scan_async

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_EVERY = 1.0


def parse_every(text: str) -> float:
    """``90s``, ``30m``, ``6h``, ``1d`` or combinations (``1h30m``) → seconds."""
    parts = re.fullmatch(r"\s*((?:\d+(?:\.\d+)?[smhd]\s*)+)\s*", text.lower())
    if not parts:
        raise UnmaskError(f"malformed interval {text!r}: use e.g. 90s, 30m, 6h, 1d")
    seconds = sum(float(n) * UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhd])", parts.group(1)))
    if seconds < MIN_EVERY:
        raise UnmaskError(f"interval {text!r} is too short (at least {MIN_EVERY:g}s)")
    return seconds


@dataclass
class Round:
    scan: ScanResult
    changes: list[Change]
    delivery: Any = None


@dataclass
class WatchState:
    rounds: list[Round] = field(default_factory=list)


Deliver = Callable[[list[dict[str, Any]]], Any]


def default_deliver(case: Case, stdout: TextIO) -> Deliver:
    def deliver(changes: list[dict[str, Any]]) -> Any:
        from unmask.watch.alerts import deliver as send

        return send(changes, case.config.infra.alerts, case.config.fetch, stdout=stdout)

    return deliver


async def watch_async(
    case: Case,
    domains: list[str],
    every: float,
    options: ScanOptions,
    *,
    once: bool = False,
    deliver: Deliver | None = None,
    progress: Progress | None = None,
    state: WatchState | None = None,
    rounds: int | None = None,
    on_round: Callable[[Round], None] | None = None,
) -> WatchState:
    state = state or WatchState()
    send = deliver or default_deliver(case, sys.stdout)
    while True:
        result = await scan_async(case, domains, options, progress)
        found = await asyncio.to_thread(changes_in_scan, case.store, result.scan_id)
        outcome = await asyncio.to_thread(send, [c.as_dict() for c in found]) if found else None
        if asyncio.iscoroutine(outcome):
            outcome = await outcome
        state.rounds.append(Round(result, found, outcome))
        if on_round is not None:
            on_round(state.rounds[-1])
        if once or (rounds is not None and len(state.rounds) >= rounds):
            return state
        await asyncio.sleep(every)


def watch(
    case: Case,
    domains: list[str],
    every: float,
    options: ScanOptions,
    once: bool = False,
    *,
    deliver: Deliver | None = None,
    progress: Progress | None = None,
    on_round: Callable[[Round], None] | None = None,
) -> WatchState:
    """Scan now and then every ``every`` seconds until interrupted (or once)."""
    return asyncio.run(
        watch_async(
            case, domains, every, options, once=once, deliver=deliver, progress=progress, on_round=on_round
        )
    )
