"""Each site's census now: the latest run of every platform of the case with its phase, its pages answered
and waiting, the workers at work on it and its verdict (`stats`, the web UI's Crawl page).

The store has the run, its phase, its frontier and its verdict. Which workers are at work is Redis's, which
`stats` does not reach; so a distributed census's coordinator writes what it sees of each run to the case's
``logs/census-live-<run>.json`` (:func:`write_live`, at most once a second, removed when its session
ends), a file every machine sharing the case folder can read. A file older than :data:`FRESH_SECONDS` is a
coordinator that died: no worker is counted from it. A single-process crawl is one worker while it holds
the case's crawl lock.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select

from unmask.core.case import Case
from unmask.core.crawl.lock import lock_holder
from unmask.core.outcome import run_verdict
from unmask.core.output import write_text
from unmask.core.store.models import CrawlRun, Frontier, Platform

FRESH_SECONDS = 30.0
"""A live file not renewed for this long is a coordinator that is gone (it renews it every second)."""
WAITING = ("pending", "deferred")
"""Frontier rows not answered yet (``deferred``: item pages waiting for the fill phase)."""


def live_path(case_root: Path, run_id: int) -> Path:
    return case_root / "logs" / f"census-live-{run_id}.json"


def write_live(case_root: Path, run_id: int, state: dict[str, Any]) -> None:
    """What the coordinator sees of the run now (``workers``, ``pending``, ``inflight``, ``phase``):
    written whole (a reader never sees half a file)."""
    path = live_path(case_root, run_id)
    path.parent.mkdir(exist_ok=True)
    write_text(path, json.dumps({**state, "run": run_id, "updated": time.time()}), private=True)


def drop_live(case_root: Path, run_id: int) -> None:
    live_path(case_root, run_id).unlink(missing_ok=True)


def read_live(case_root: Path, run_id: int, now: float | None = None) -> dict[str, Any] | None:
    """The run's live file when it is fresh, else None."""
    try:
        data = json.loads(live_path(case_root, run_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    updated = data.get("updated")
    if not isinstance(updated, int | float) or (now or time.time()) - updated > FRESH_SECONDS:
        return None
    return data


def site_status(
    case: Case, platform_ids: Sequence[int] | None = None, platform: str | None = None
) -> list[dict[str, Any]]:
    """The latest run of each platform (of ``platform_ids``, of the platform whose base URL is
    ``platform``, or of every one), in the platforms' order."""
    where = [CrawlRun.platform_id.in_(platform_ids)] if platform_ids is not None else []
    if platform:
        base = platform.rstrip("/")
        where.append(CrawlRun.platform_id.in_(select(Platform.id).where(Platform.base_url == base)))
    with case.store.session() as s:
        latest = (
            select(func.max(CrawlRun.id).label("run_id"))
            .group_by(CrawlRun.platform_id)
            .where(*where)
            .subquery()
        )
        runs = s.execute(
            select(CrawlRun, Platform.base_url)
            .join(latest, latest.c.run_id == CrawlRun.id)
            .join(Platform, Platform.id == CrawlRun.platform_id)
            .order_by(CrawlRun.platform_id)
        ).all()
        ids = [run.id for run, _base in runs]
        counts: dict[int, list[int]] = {run_id: [0, 0] for run_id in ids}
        if ids:
            grouped = s.execute(
                select(Frontier.run_id, Frontier.status, func.count())
                .where(Frontier.run_id.in_(ids))
                .group_by(Frontier.run_id, Frontier.status)
            )
            for run_id, status, n in grouped:
                counts[run_id][1 if status in WAITING else 0] += int(n)
    locked = lock_holder(case.root) > 0  # a single-process crawl at work on this machine
    now = time.time()
    out = []
    for run, base in runs:
        live = read_live(case.root, run.id, now)
        at_work = run.status == "running" and (live is not None or locked)
        workers = int(live.get("workers", 0)) if live is not None else (1 if at_work else 0)
        verdict = run_verdict(run.status, run.reasons)
        done, waiting = counts[run.id]
        out.append(
            {
                "site": urlsplit(base).netloc,
                "platform": base,
                "run": run.id,
                "status": run.status,
                "phase": run.phase,
                "at_work": at_work,
                "pages_done": done,
                "pages_pending": waiting,
                "workers_active": workers if at_work else 0,
                "started": run.started_at.isoformat(timespec="seconds"),
                "finished": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
                **verdict.as_dict(),
                "verdict": verdict.sentence(),
            }
        )
    return out
