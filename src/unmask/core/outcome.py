"""A census run's verdict: complete, or incomplete with reasons, in words a journalist understands.

The census writes the reasons when it settles a run (``crawl_run.reasons``); `stats`, the report and the
crawl's own summary read them here, so the verdict is worded once. A run is complete only when every
frontier it started (start page, robots.txt, sitemaps, listings, item pages) was read or answered for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from unmask.core.store.models import CrawlRun, Platform

Bound = Literal["lower", "upper"]


@dataclass(frozen=True)
class Reason:
    """One reason a run is incomplete."""

    what: str
    """A stable code: ``failed:listing``, ``limit:frontier``, ``unseen``, ``no_items``, ``interrupted``…"""
    count: int
    text: str
    """The reason in plain words, without URLs or names (it is shown and published as it is)."""
    bound: Bound = "lower"
    """``lower``: the figures may miss items; ``upper``: they may still count items the site removed."""


def dump_reasons(reasons: Iterable[Reason]) -> str:
    return json.dumps([asdict(r) for r in reasons], ensure_ascii=False)


def load_reasons(text: str | None) -> list[Reason]:
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return [Reason("unreadable", 0, "the run's reasons could not be read")]
    out = []
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict) and isinstance(item.get("text"), str):
            bound: Bound = "upper" if item.get("bound") == "upper" else "lower"
            out.append(Reason(str(item.get("what", "")), int(item.get("count") or 0), item["text"], bound))
    return out


@dataclass(frozen=True)
class Verdict:
    complete: bool
    reasons: tuple[Reason, ...] = ()

    @property
    def texts(self) -> list[str]:
        return [r.text for r in self.reasons]

    def sentence(self) -> str:
        """ "This census is complete." or "This census is incomplete: …; the figures are lower bounds."."""
        if self.complete:
            return "This census is complete."
        bounds = {r.bound for r in self.reasons}
        if bounds == {"upper"}:
            tail = "the figures may still count items the site has removed"
        elif bounds == {"lower", "upper"}:
            tail = "the figures may miss items and may still count items the site has removed"
        else:
            tail = "the figures are lower bounds"
        said = "; ".join(self.texts) or "the run did not finish"
        return f"This census is incomplete: {said}; {tail}."

    def as_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "incomplete_reasons": self.texts}


NO_RUN = Reason("no_run", 0, "no census has been run")
UNFINISHED = Reason(
    "interrupted", 0, "the census run was interrupted (or is still running); run the same command again"
)


def run_verdict(status: str, reasons: str | None) -> Verdict:
    """The verdict of one run from its stored status and reasons."""
    if status == "complete":
        return Verdict(True)
    stored = tuple(load_reasons(reasons))
    if status in ("running", "interrupted"):
        return Verdict(False, stored or (UNFINISHED,))
    return Verdict(False, stored or (Reason(status, 0, f"the run ended {status}"),))


def latest_verdict(session: Session, platform_ids: Sequence[int] | None = None) -> Verdict:
    """The verdict of the latest run of each platform (of ``platform_ids``, or of every platform): complete
    when each is; with several platforms, each reason names its platform."""
    q = select(CrawlRun.platform_id, CrawlRun.status, CrawlRun.reasons, Platform.base_url).join(
        Platform, Platform.id == CrawlRun.platform_id
    )
    if platform_ids is not None:
        q = q.where(CrawlRun.platform_id.in_(platform_ids))
    latest: dict[int, tuple[str, str | None, str]] = {}
    for pid, status, stored, base in session.execute(q.order_by(CrawlRun.id)):
        latest[pid] = (status, stored, base)
    if not latest:
        return Verdict(False, (NO_RUN,))
    verdicts = [(base, run_verdict(status, stored)) for status, stored, base in latest.values()]
    several = len(verdicts) > 1
    reasons = tuple(
        Reason(r.what, r.count, f"{base}: {r.text}" if several else r.text, r.bound)
        for base, v in verdicts
        for r in v.reasons
    )
    return Verdict(all(v.complete for _, v in verdicts), reasons)
