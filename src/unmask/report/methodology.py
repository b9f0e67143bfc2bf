"""What the report says about how the figures were obtained, read from the case itself.

`methodology` describes the platforms and every crawl run (sessions, requests, what was fetched and how,
the fetch settings, the limitations); `evidence` lists the captures that provided item fields, the
sitemaps and listings first, each located in its WARC file.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unmask.core.case import Case
from unmask.core.privacy import PrivacyPolicy
from unmask.core.store.models import Capture, CrawlRun, Frontier, Item, ItemSource, Platform

KIND_ORDER = ("robots", "sitemap", "listing", "item", "person", "page")
"""Frontier kinds, in the order the report lists them (and ranks evidence)."""
EVIDENCE_LIMIT = 500


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
        "frontier": {k: by_kind[k] for k in sorted(by_kind, key=_kind_rank)},
        "adapter": options.get("adapter"),
        "delay": options.get("delay"),
        "concurrency": options.get("concurrency"),
    }


def _kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


def _limitations(s: Session, runs: list[dict[str, Any]]) -> list[str]:
    present = [Item.removed_at.is_(None)]
    items = int(s.scalar(select(func.count()).select_from(Item).where(*present)) or 0)
    without_page = int(
        s.scalar(select(func.count()).select_from(Item).where(*present, Item.page_run.is_(None))) or 0
    )
    removed = int(s.scalar(select(func.count()).select_from(Item).where(Item.removed_at.is_not(None))) or 0)
    out = []
    if items:
        out.append(
            f"{without_page:,} of {items:,} items present were never read on their own page: their fields "
            "come only from sitemaps and listings (listing view counts may be rounded)."
        )
    complete = sum(1 for r in runs if r["status"] == "complete")
    if removed:
        out.append(
            f"Items marked removed: {removed:,}. Their page answered 404/410, or a complete run that read "
            "every sitemap and listing no longer found them (removal inferred from absence)."
        )
    elif complete < 2:
        out.append("No removals are inferred: that takes a second complete run (a re-crawl) of the platform.")
    unfinished = [r["run"] for r in runs if r["status"] != "complete"]
    if unfinished:
        out.append(
            "Runs not complete (figures may miss items): " + ", ".join(f"#{n}" for n in unfinished) + "."
        )
    failed = sum(r["frontier"].get(k, {}).get("failed", 0) for r in runs for k in r["frontier"])
    refused = sum(r["frontier"].get(k, {}).get("refused", 0) for r in runs for k in r["frontier"])
    if failed or refused:
        out.append(
            f"{failed:,} URLs could not be fetched and {refused:,} were refused (robots.txt, media, size)."
        )
    out.append("Audience figures are third-party estimates, not measurements by unmask.")
    return out


def evidence(
    case: Case, limit: int = EVIDENCE_LIMIT, *, policy: PrivacyPolicy | None = None
) -> dict[str, Any]:
    """Captures that provided item fields, most relevant first (sitemaps and listings, then by items).
    Their URLs go through the privacy policy (``/model/janet-doerwald`` names a person).

    Returns {"captures": [...], "total": n, "by_field": {field: [capture ids, best first]}}.
    """
    policy = policy or PrivacyPolicy.for_case(case)
    with case.store.session() as s:
        rows = s.execute(
            select(
                Capture.id,
                Capture.url,
                Capture.requested_at,
                Capture.status,
                Capture.warc_file,
                Capture.warc_offset,
                func.max(Frontier.kind),
                func.count(ItemSource.item_id),
            )
            .select_from(ItemSource)
            .join(Capture, Capture.id == ItemSource.capture_id)
            .outerjoin(Frontier, Frontier.capture_id == Capture.id)
            .group_by(
                Capture.id,
                Capture.url,
                Capture.requested_at,
                Capture.status,
                Capture.warc_file,
                Capture.warc_offset,
            )
        ).all()
        fields = s.execute(
            select(ItemSource.capture_id, ItemSource.fields, func.count()).group_by(
                ItemSource.capture_id, ItemSource.fields
            )
        ).all()
    per_capture: dict[int, dict[str, int]] = {}
    for capture_id, names, n in fields:
        counts = per_capture.setdefault(int(capture_id), {})
        for name in str(names).split(","):
            if name:
                counts[name] = counts.get(name, 0) + int(n)
    captures: list[dict[str, Any]] = [
        {
            "id": int(cid),
            "url": policy.redact(url),
            "requested": at.isoformat(timespec="seconds"),
            "status": status,
            "warc_file": warc_file,
            "warc_offset": offset,
            "kind": kind or "page",
            "items": int(n),
            "fields": per_capture.get(int(cid), {}),
        }
        for cid, url, at, status, warc_file, offset, kind, n in rows
    ]
    captures.sort(key=lambda c: (_kind_rank(c["kind"]), -c["items"], c["id"]))
    shown = captures[:limit]
    by_field: dict[str, list[int]] = {}
    for c in sorted(shown, key=lambda c: (-c["items"], c["id"])):
        for name in c["fields"]:
            by_field.setdefault(name, []).append(c["id"])
    return {"captures": shown, "total": len(captures), "by_field": by_field}
