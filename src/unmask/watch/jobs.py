"""What the watch re-runs: one short class per kind of job on a shared base.

A job runs and returns its changes (dicts with at least ``kind`` and ``summary``; counts and domains, never
a protected person's name) or raises :class:`JobFailed`. Census and forum re-crawls and store checks run
as ``unmask`` subprocesses (Scrapy's reactor runs once per process; a crash or a hang stays in the child,
which is stopped on Ctrl-C or after ``watch.job_timeout``); infrastructure and protect scans and takedown
re-checks run here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from sqlalchemy import func, select

from unmask.core.case import Case
from unmask.core.config import WatchJob
from unmask.core.errors import UnmaskError

MAX_STDOUT = 64 * 1024 * 1024


class JobFailed(Exception):
    """The job could not do its work: alerted as a failure, never as "no change"."""


class Job(ABC):
    kind: ClassVar[str]
    needs: ClassVar[Literal["url", "domains", "packages"] | None] = None
    """The field of its ``watch.jobs`` entry a job of this kind cannot run without; its value is the
    job's target."""
    OPTIONS: ClassVar[tuple[str, ...]] = ()
    """The options it takes (``watch.jobs[].options``), passed on as the flags of its command."""
    detail: Any = None
    """What the run produced besides its changes (an infra scan's ScanResult)."""

    def __init__(self, spec: WatchJob) -> None:
        self.spec = spec
        self.check()

    def check(self) -> None:
        """Raise UnmaskError (one line naming the setting) for a job that cannot run: its needed field
        empty, an option it does not take."""
        if self.needs is not None and not getattr(self.spec, self.needs):
            article = "an" if self.kind[0] in "aeiou" else "a"
            raise UnmaskError(f"{article} {self.kind} job needs `{self.needs}`", where="case.yaml watch.jobs")
        self.args = _option_args(self.spec.options, self.OPTIONS, f"case.yaml watch.jobs {self.kind} options")

    @property
    def target(self) -> str:
        value: str | list[str] | None = getattr(self.spec, self.needs) if self.needs is not None else None
        return " ".join(value) if isinstance(value, list) else value or ""

    @property
    def key(self) -> str:
        return f"{self.kind} {self.target}".strip()

    @abstractmethod
    async def run(self, case: Case) -> list[dict[str, Any]]: ...


def _option_args(options: dict[str, Any], known: tuple[str, ...], where: str) -> list[str]:
    args: list[str] = []
    for name, value in options.items():
        if name not in known:
            raise UnmaskError(f"unknown option {name!r} (known: {', '.join(known)})", where=where)
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif value is not False and value is not None:  # 0 is a value (--delay 0), False is not
            for one in value if isinstance(value, list) else [value]:
                args += [flag, str(one)]
    return args


async def run_unmask(args: list[str], timeout: float) -> dict[str, Any]:
    """``unmask ARGS --json`` in a child process; its JSON, or JobFailed with its last error line."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "unmask",
        *args,
        "--json",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
        limit=MAX_STDOUT,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except (asyncio.CancelledError, TimeoutError):
        await _stop(proc)
        raise
    if proc.returncode != 0:
        lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
        raise JobFailed(f"exit {proc.returncode}: {lines[-1] if lines else 'no message'}"[:500])
    try:
        data = json.loads(out)
    except ValueError as exc:
        raise JobFailed(f"unreadable output of unmask {args[0]} ({exc})") from None
    return data if isinstance(data, dict) else {"result": data}


async def _stop(proc: asyncio.subprocess.Process) -> None:
    """SIGINT to the child's group (a crawl stores what is in flight), then SIGKILL after 10 s."""
    for sig, wait in ((signal.SIGINT, 10.0), (signal.SIGKILL, 5.0)):
        if proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(proc.wait()), wait)


class _CrawlJob(Job):
    """A re-crawl of ``url`` by ``unmask KIND crawl`` in a child process (census, forum)."""

    needs = "url"
    OPTIONS = ("delay", "concurrency", "adapter", "max_requests", "ignore_robots")

    async def crawl(self, case: Case) -> dict[str, Any]:
        """The crawl's summary (its --json)."""
        args = [self.kind, "crawl", self.target, "--case", str(case.root), "--quiet", *self.args]
        return await run_unmask(args, case.config.watch.job_timeout)


class CensusJob(_CrawlJob):
    """A re-crawl: new items and removed items (and an incomplete run says why)."""

    kind = "census"

    async def run(self, case: Case) -> list[dict[str, Any]]:
        from unmask.core.store.models import CrawlRun, Item

        summary = await self.crawl(case)
        with case.store.session() as s:
            run = s.scalar(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1))
            if run is None:
                raise JobFailed("the crawl left no run")
            new = s.scalar(select(func.count()).where(Item.first_seen_run == run.id)) or 0
            removed = s.scalar(select(func.count()).where(Item.removed_run == run.id)) or 0
            status, reasons = run.status, run.message
        if status == "failed":
            raise JobFailed(f"the crawl failed: {reasons or 'the start page could not be fetched'}")
        changes: list[dict[str, Any]] = []
        if new:
            changes.append({"kind": "new_items", "count": new, "summary": f"{new} new items"})
        if removed:
            changes.append({"kind": "removed_items", "count": removed, "summary": f"{removed} items removed"})
        if status != "complete":
            why = "; ".join(summary.get("incomplete_reasons") or []) or (reasons or status)
            changes.append({"kind": "incomplete", "summary": f"the re-crawl is incomplete: {why}"[:500]})
        return changes


class ForumJob(_CrawlJob):
    """A forum re-crawl (``unmask forum crawl``): new threads (and how many are paid requests), removed
    threads, and an incomplete run says why."""

    kind = "forum"

    async def run(self, case: Case) -> list[dict[str, Any]]:
        summary = await self.crawl(case)
        status = summary.get("status")
        if status == "failed":
            why = "; ".join(summary.get("incomplete_reasons") or []) or "the start page could not be fetched"
            raise JobFailed(f"the forum crawl failed: {why}"[:500])
        new, removed = int(summary.get("new_threads") or 0), int(summary.get("removed") or 0)
        changes: list[dict[str, Any]] = []
        if new:
            paid = await asyncio.to_thread(_new_paid_requests, case, int(summary["run"]))
            said = f"{new} new forum threads" + (f" ({paid} paid requests)" if paid else "")
            changes.append({"kind": "new_threads", "count": new, "paid_requests": paid, "summary": said})
        if removed:
            changes.append(
                {"kind": "removed_threads", "count": removed, "summary": f"{removed} forum threads removed"}
            )
        if status != "complete":
            why = "; ".join(summary.get("incomplete_reasons") or []) or str(status)
            changes.append(
                {"kind": "incomplete", "summary": f"the forum re-crawl is incomplete: {why}"[:500]}
            )
        return changes


def _new_paid_requests(case: Case, run: int) -> int:
    from unmask.forum.tables import ForumThread

    with case.store.session() as s:
        q = select(func.count()).where(ForumThread.first_run == run, ForumThread.kind == "paid_request")
        return int(s.scalar(q) or 0)


class InfraJob(Job):
    """An infrastructure scan: each change against the previous scan (addresses, hosters, certificates…)."""

    kind = "infra"
    needs = "domains"
    OPTIONS = ("resolver", "dns_only", "active")

    def check(self) -> None:
        from unmask.infra.base import ScanOptions

        super().check()
        o = self.spec.options
        self.options = ScanOptions(
            dns_only=bool(o.get("dns_only")), active=bool(o.get("active")), resolver=o.get("resolver")
        )

    async def run(self, case: Case) -> list[dict[str, Any]]:
        from unmask.infra.changes import changes_in_scan
        from unmask.infra.scan import scan_async

        self.detail = result = await scan_async(case, list(self.spec.domains), self.options)
        found = await asyncio.to_thread(changes_in_scan, case.store, result.scan_id)
        return [{**c.as_dict(), "summary": _infra_line(c.as_dict())} for c in found]


def _infra_line(change: dict[str, Any]) -> str:
    from unmask.watch.alerts import change_line

    return change_line(change)


class AppsJob(Job):
    """Store presence of apps: each listing change (seller, policy URL, version, removal)."""

    kind = "apps"
    needs = "packages"
    OPTIONS = ("country", "store_base", "store")

    async def run(self, case: Case) -> list[dict[str, Any]]:
        from unmask.core.store.models import App, AppStoreEvent

        with case.store.session() as s:
            last = s.scalar(select(func.max(AppStoreEvent.id))) or 0
        await run_unmask(["apps", "add", *self.spec.packages, "--case", str(case.root), *self.args], 3600)
        with case.store.session() as s:
            rows = s.execute(
                select(App.package, AppStoreEvent.store, AppStoreEvent.country, AppStoreEvent.field,
                       AppStoreEvent.old, AppStoreEvent.new)
                .join(App, App.id == AppStoreEvent.app_id)
                .where(AppStoreEvent.id > last)
                .order_by(AppStoreEvent.id)
            ).all()  # fmt: skip
        return [
            {
                "kind": f"app_{fld}",
                "package": package,
                "store": f"{store}/{country}",
                "old": old,
                "new": new,
                "summary": f"{package} ({store}/{country}) {fld}: {old or '—'} → {new or '—'}",
            }
            for package, store, country, fld, old, new in rows
        ]


class ProtectJob(Job):
    """A scan for protected persons: how many new matches (never who, never where)."""

    kind = "protect"

    def check(self) -> None:
        """Nothing: a protect scan takes no options, and any given are ignored (as they always were)."""

    async def run(self, case: Case) -> list[dict[str, Any]]:
        from unmask.protect.scan import scan

        result = await asyncio.to_thread(scan, case)
        if not result.new:
            return []
        n = len(result.new)
        return [
            {
                "kind": "protect_matches",
                "count": n,
                "summary": f"{n} new match{'es' * (n != 1)} for protected persons (`unmask protect report`)",
            }
        ]


class TakedownJob(Job):
    """Takedown re-checks: is each URL of a notice past its deadline still online? A URL gone since the last
    check (or back again) is a change; the results go into the takedown record (protect/notices.json).
    Counts and recipients' kinds only, never a person or a URL."""

    kind = "takedown"
    OPTIONS = ("all",)

    async def run(self, case: Case) -> list[dict[str, Any]]:
        from unmask.protect.notices import load_notices
        from unmask.takedown.record import recheck

        before = {r.id: {u: c.gone for u, c in r.checks.items()} for r in load_notices(case.root)}
        checked = await asyncio.to_thread(recheck, case, everything=bool(self.spec.options.get("all")))
        results = [c for r in checked for c in r.checks.values()]
        if results and all(c.status is None for c in results):
            raise JobFailed(f"no URL could be checked ({results[0].error or 'no answer'})"[:500])
        changes: list[dict[str, Any]] = []
        for entry in checked:
            was = before.get(entry.id, {})
            gone = sum(1 for u, c in entry.checks.items() if c.gone and not was.get(u))
            back = sum(
                1 for u, c in entry.checks.items() if was.get(u) and not c.gone and c.status is not None
            )
            where = f"notice {entry.id} ({entry.recipient_kind})"
            if gone:
                changes.append(
                    {
                        "kind": "takedown_removed",
                        "notice": entry.id,
                        "count": gone,
                        "status": entry.status,
                        "summary": f"{where}: {gone} of {len(entry.urls)} URLs removed since the last check",
                    }
                )
            if back:
                changes.append(
                    {
                        "kind": "takedown_back_online",
                        "notice": entry.id,
                        "count": back,
                        "summary": f"{where}: {back} removed URLs online again",
                    }
                )
        return changes


JOBS: dict[str, Callable[[WatchJob], Job]] = {
    cls.kind: cls for cls in (CensusJob, ForumJob, InfraJob, AppsJob, ProtectJob, TakedownJob)
}


def make_job(spec: WatchJob) -> Job:
    factory = JOBS.get(spec.kind)
    if factory is None:
        raise UnmaskError(
            f"unknown job kind {spec.kind!r} (known: {', '.join(JOBS)})", where="case.yaml watch.jobs"
        )
    return factory(spec)
