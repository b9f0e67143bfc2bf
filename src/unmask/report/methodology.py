"""What the report says about how the figures were obtained, read from the case itself.

`methodology` describes the platforms and every crawl run (sessions, requests, what was fetched and how,
the fetch settings, the limitations); `analysis` gives the analysis parts the report shows (stored, or
computed when the case lacks them). The evidence is unmask.report.evidence.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unmask.analysis.analyze import PARTS, AnalysisOptions, load_results, run_analysis
from unmask.core.case import Case
from unmask.core.privacy import PrivacyPolicy
from unmask.core.store.models import Capture, CrawlRun, Frontier, Item, Platform
from unmask.report.evidence import kind_rank


def methodology(case: Case, *, policy: PrivacyPolicy | None = None) -> dict[str, Any]:
    """Platforms, crawl runs with their fetch counts and settings, and the limitations of the figures.
    Start URLs and run messages go through the privacy policy (a URL may spell a hidden name)."""
    policy = policy or PrivacyPolicy.for_case(case)
    fetch = case.config.fetch
    with case.store.session() as s:
        platforms = {
            p.id: {"id": p.id, "name": p.name, "base_url": p.base_url, "adapter": p.adapter}
            for p in s.scalars(select(Platform).order_by(Platform.id))
        }
        frontier: dict[int, list[Any]] = {}
        q = select(Frontier.run_id, Frontier.kind, Frontier.status, func.count())
        for run_id, kind, status, n in s.execute(q.group_by(Frontier.run_id, Frontier.kind, Frontier.status)):
            frontier.setdefault(int(run_id), []).append((kind, status, n))
        counts = select(
            Capture.run_id,
            func.count(),
            func.count(Capture.refused),
            func.count(Capture.error),
            func.count(Capture.warc_file),
        ).where(Capture.run_id.is_not(None))
        captures = {
            int(r[0] or 0): tuple(int(n) for n in r[1:]) for r in s.execute(counts.group_by(Capture.run_id))
        }
        runs = [
            _run(run, frontier, captures, policy) for run in s.scalars(select(CrawlRun).order_by(CrawlRun.id))
        ]
        limitations = _limitations(s, runs)
    return {
        "platforms": list(platforms.values()),
        "runs": runs,
        "settings": {
            "user_agent": fetch.user_agent,
            "delay": fetch.delay,
            "concurrency": fetch.concurrency,
            "autothrottle": fetch.autothrottle,
            "obey_robots": fetch.obey_robots,
            "retries": fetch.retries,
            "max_response_bytes": fetch.max_response_bytes,
            "proxy": bool(fetch.proxy),
        },
        "limitations": limitations,
    }


def _run(
    run: CrawlRun, frontier: dict[int, list[Any]], captures: dict[int, tuple[int, ...]], policy: PrivacyPolicy
) -> dict[str, Any]:
    by_kind: dict[str, dict[str, int]] = {}
    for kind, status, n in frontier.get(run.id, []):
        counts = by_kind.setdefault(str(kind), {})
        counts[str(status)] = counts.get(str(status), 0) + int(n)
    requests, refused, errors, archived = captures.get(run.id, (0, 0, 0, 0))
    try:
        options = json.loads(run.options or "{}")
    except ValueError:
        options = {}
    return {
        "run": run.id,
        "platform_id": run.platform_id,
        "start_url": policy.redact(run.start_url),
        "status": run.status,
        "phase": run.phase,
        "incremental": run.incremental,
        "started": run.started_at.isoformat(timespec="seconds"),
        "finished": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
        "sessions": run.sessions,
        "message": policy.redact(run.message),
        "requests": int(requests),
        "refused": int(refused),
        "errors": int(errors),
        "archived": int(archived),
        "frontier": {k: by_kind[k] for k in sorted(by_kind, key=kind_rank)},
        "adapter": options.get("adapter"),
        "delay": options.get("delay"),
        "concurrency": options.get("concurrency"),
    }


def _limitations(s: Session, runs: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """What the figures cannot say, as (text key, values): the report words them in its language."""
    present = [Item.removed_at.is_(None)]
    items = int(s.scalar(select(func.count()).select_from(Item).where(*present)) or 0)
    without_page = int(
        s.scalar(select(func.count()).select_from(Item).where(*present, Item.page_run.is_(None))) or 0
    )
    removed = int(s.scalar(select(func.count()).select_from(Item).where(Item.removed_at.is_not(None))) or 0)
    out: list[tuple[str, dict[str, Any]]] = []
    if items:
        out.append(("limits.listing_only", {"n": without_page, "items": items}))
    complete = sum(1 for r in runs if r["status"] == "complete")
    if removed:
        out.append(("limits.removed", {"n": removed}))
    elif complete < 2:
        out.append(("limits.no_removals", {}))
    unfinished = [r["run"] for r in runs if r["status"] != "complete"]
    if unfinished:
        out.append(("limits.unfinished", {"runs": ", ".join(f"#{n}" for n in unfinished)}))
    failed = sum(r["frontier"].get(k, {}).get("failed", 0) for r in runs for k in r["frontier"])
    refused = sum(r["frontier"].get(k, {}).get("refused", 0) for r in runs for k in r["frontier"])
    if failed or refused:
        out.append(("limits.failed", {"failed": failed, "refused": refused}))
    out.append(("limits.audience", {}))
    return out


def analysis(case: Case, policy: PrivacyPolicy, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The stored analysis when it fits (all parts, all platforms, same privacy policy, newer than every
    run); computed here otherwise (`unmask analyze` is never required first)."""
    stored = load_results(case.store)
    last_crawl = max((r["finished"] or r["started"] for r in runs), default="")
    fits = all(
        part in stored
        and stored[part]["platform_id"] is None
        and stored[part]["params"].get("privacy") == policy.fingerprint
        and stored[part]["computed_at"] >= last_crawl
        for part in PARTS
    )
    if fits:
        return {part: stored[part]["result"] for part in PARTS}
    result = run_analysis(case, AnalysisOptions(privacy=policy, save=False))
    return {part: result[part] for part in PARTS}
