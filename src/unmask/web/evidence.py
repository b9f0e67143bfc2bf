"""The evidence browser: the custody log and its chain, the latest seal, a verify job, and the replay.

- The custody log is read with the evidence stage's own reader (``evidence.custody.read_log`` and
  ``chain_problems``, as `unmask evidence log`); the newest :data:`LOG_SHOWN` entries are shown, every
  command line through the case's privacy policy.
- The seal status is the report's (``report.evidence.latest_seal``): the newest manifest, its timestamps,
  and the captures recorded since.
- Verify runs `unmask evidence verify --json` as a job (the stage's ``verify`` in a subprocess, so the
  server stays responsive); its exit 1 is a failed verification, shown as failed with every failure.
- The replay is the evidence stage's own :class:`~unmask.evidence.serve.ReplayServer` (ReplayWeb.page,
  vendored, offline), started by this server on a free loopback port when asked, kept until it stops.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from unmask.core.errors import UnmaskError
from unmask.web.cases import OpenCase
from unmask.web.errors import BadRequest
from unmask.web.security import has_token
from unmask.web.settings import ServeSettings

if TYPE_CHECKING:
    from unmask.core.privacy import PrivacyPolicy
    from unmask.evidence.serve import ReplayServer
    from unmask.web.jobs import Job
    from unmask.web.views import Pages

LOG_SHOWN = 200
"""Custody log entries shown, newest first."""
FAILURES_SHOWN = 500
"""Verification failures listed on a job's page (all are counted)."""


class Replays:
    """The replay servers this server started, one per case, closed when it stops.

    A replay listens on the address this server is bound to, on a port of its own: a port is an origin of
    its own to the browser, so the scripts of a replayed page (hostile, like everything a platform serves)
    never run inside the workbench's pages. It answers the same host names and, when this server has a
    token, only requests that carry it (the cookie reaches every port of the host), so its links work for
    every browser that may open this server, and for nobody else."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self._servers: dict[str, ReplayServer] = {}
        self._lock = threading.Lock()

    def port(self, slug: str) -> int | None:
        server = self._servers.get(slug)
        return server.port if server is not None else None

    def base(self, request: Request, slug: str) -> str | None:
        """The address of the case's replay as the browser that asked reaches this server (its host name,
        the replay's port), None when it does not run."""
        port = self.port(slug)
        if port is None:
            return None
        host = request.url.hostname or "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def start(self, opened: OpenCase) -> int:
        from unmask.evidence.serve import ReplayServer

        settings = self.settings
        with self._lock:
            server = self._servers.get(opened.slug)
            if server is None:
                server = ReplayServer(
                    opened.case,
                    port=0,
                    host=settings.host,
                    names=settings.allowed_hosts,
                    allow=(lambda headers: has_token(settings, headers)) if settings.token else None,
                ).__enter__()
                self._servers[opened.slug] = server
            return server.port

    def close(self) -> None:
        with self._lock:
            for server in self._servers.values():
                server.__exit__(None, None, None)
            self._servers.clear()


def custody(opened: OpenCase) -> dict[str, Any]:
    """The custody log as shown: the newest entries (command lines redacted), the count, the chain's state."""
    from unmask.evidence.custody import chain_problems, read_log
    from unmask.evidence.manifest import custody_path

    policy = opened.policy()
    path = custody_path(opened.case)
    newest: deque[dict[str, Any]] = deque(maxlen=LOG_SHOWN)
    count = 0
    for line in read_log(path):
        count += 1
        entry = line.entry
        if entry is None:
            newest.append({"seq": line.number, "broken": True})
            continue
        changed = entry.get("changed")
        rows = changed.get("rows") if isinstance(changed, dict) else None
        command = entry.get("command")
        newest.append(
            {
                "seq": entry.get("seq", line.number),
                "time": str(entry.get("time", "")),
                "command": policy.redact(" ".join(str(a) for a in command))
                if isinstance(command, list)
                else "",
                "action": str(entry.get("action", "")),
                "outcome": str(entry.get("outcome", "")),
                "rows": [(str(k), v) for k, v in rows.items() if isinstance(v, int)]
                if isinstance(rows, dict)
                else [],
                "seal": str(entry["seal"]) if entry.get("seal") else "",
                "version": str(entry.get("unmask_version", "")),
            }
        )
    problem = next(chain_problems(path), None)
    return {
        "entries": list(reversed(newest)),
        "count": count,
        "broken": None if problem is None else {"offset": problem[0], "problem": problem[1]},
    }


def verify_result(job: Job) -> dict[str, Any] | None:
    """A finished verify job's answer (`evidence verify --json`), None while it runs or when unreadable."""
    if job.state == "running":
        return None
    text = job.answer()
    try:
        data = json.loads(text) if text else None
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("failures"), list) else None


def verify_summary(job: Job, policy: PrivacyPolicy) -> dict[str, Any] | None:
    """What a job's page shows of a verification: ok, every failure as `FILE[:OFFSET]: problem` (the first
    :data:`FAILURES_SHOWN`, redacted), their count, what was checked."""
    result = verify_result(job)
    if result is None:
        return None
    failures = [f for f in result["failures"] if isinstance(f, dict)]
    lines = []
    for f in failures[:FAILURES_SHOWN]:
        where = f"{f.get('file')}" + ("" if f.get("offset") is None else f":{f['offset']}")
        lines.append(policy.redact(f"{where}: {f.get('problem')}"))
    checked = result.get("checked")
    return {
        "ok": bool(result.get("ok")) and not failures,
        "failures": lines,
        "count": len(failures),
        "checked": dict(checked) if isinstance(checked, dict) else {},
    }


class EvidencePages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages

    def browser(self, request: Request) -> Response:
        from unmask.report.evidence import latest_seal

        pages = self.pages
        opened = pages.open(request)
        jobs = [j for j in pages.jobs.of_case(opened.slug) if j.kind == "verify"]
        return pages.render(
            request,
            "evidence.html",
            case=opened,
            log=custody(opened),
            seal=latest_seal(opened.case),
            jobs=jobs,
            running=next((j for j in jobs if j.state == "running"), None),
            replay=pages.replays.base(request, opened.slug),
            serve_port=opened.case.config.evidence.serve_port,
            guarded=bool(pages.settings.token),
        )

    async def verify_start(self, request: Request) -> Response:
        pages = self.pages
        opened = pages.open(request)
        await pages.form(request)
        args = ["evidence", "verify", "--case", str(opened.case.root), "--json"]
        job = pages.start_job(opened, "verify", "verify the evidence", args, keep_output=True)
        return RedirectResponse(f"/c/{opened.slug}/jobs/{job.id}", status_code=303)

    async def replay_start(self, request: Request) -> Response:
        pages = self.pages
        opened = pages.open(request)
        await pages.form(request)
        try:
            await run_in_threadpool(pages.replays.start, opened)  # its index is built when first asked for
        except (UnmaskError, OSError) as exc:
            raise BadRequest(f"the replay could not start: {opened.policy().redact(str(exc))}") from None
        return RedirectResponse(f"/c/{opened.slug}/evidence#replay", status_code=303)
