"""Jobs started from the browser besides the census and the report: an infrastructure scan of the case's
domains, a forum crawl, a store-presence check of the case's apps and the web-archive history.

Each runs the `unmask` command itself through the server's one JobManager (live state, interrupt, run
again, a failure shown with its exit code and last line of error), exactly as the census job does. A form's
values are checked here as the command checks them (the same functions: a domain with
``core.domains.domain_name``, an address with ``core.urls.is_http``), so a bad one is a one-line error on
the page and starts nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from unmask.core.urls import is_http
from unmask.web.cases import OpenCase
from unmask.web.errors import BadRequest
from unmask.web.jobs import Job

if TYPE_CHECKING:
    from unmask.web.views import Pages

MAX_DOMAINS = 200
"""Most domains one scan started from the page takes."""
MAX_URL = 2000


def check_url(fields: Mapping[str, str], name: str = "url") -> str:
    """An http(s) address with a host, as the crawl commands take it (one line of error otherwise)."""
    url = fields.get(name, "").strip()
    if not is_http(url) or len(url) > MAX_URL or any(c.isspace() for c in url):
        raise BadRequest(f"{name}: an http:// or https:// address")
    return url


def crawl_args(fields: Mapping[str, str]) -> list[str]:
    """The crawl options a census or forum form may set: adapter, delay, concurrency, max requests."""
    args: list[str] = []
    adapter = fields.get("adapter", "").strip()
    if adapter:
        if len(adapter) > 100 or not adapter.replace("-", "").replace("_", "").isalnum():
            raise BadRequest("adapter: the name of a bundled adapter")
        args += ["--adapter", adapter]
    for name in ("delay", "concurrency", "max_requests"):
        value = fields.get(name, "").strip()
        if value:
            try:
                number = float(value) if name == "delay" else int(value)
            except ValueError:
                raise BadRequest(f"{name}: not a number") from None
            if number < 0 or number != number:
                raise BadRequest(f"{name}: not a number")
            args += [f"--{name.replace('_', '-')}", str(number)]
    return args


def check_domains(text: str) -> list[str]:
    """The domains of a form (one per line, or separated by spaces or commas), as `infra scan` reads
    them (``infra.scan.normalise_domains``: punycode, lower case; a bad one names itself)."""
    from unmask.core.domains import BadDomain
    from unmask.infra.scan import normalise_domains

    words = [w for w in text.replace(",", " ").split() if w]
    if not words:
        raise BadRequest("domains: at least one domain name")
    if len(words) > MAX_DOMAINS:
        raise BadRequest(f"domains: at most {MAX_DOMAINS} at a time")
    try:
        return [ascii_name for ascii_name, _ in normalise_domains(words)]
    except BadDomain as exc:
        raise BadRequest(f"domains: {str(exc)[:300]}") from None


def _year(fields: Mapping[str, str], name: str) -> int | None:
    value = fields.get(name, "").strip()
    if not value:
        return None
    if not (value.isdigit() and len(value) == 4 and 1990 <= int(value) <= dt.date.today().year + 1):
        raise BadRequest(f"{name}: a year (YYYY)")
    return int(value)


def _run_state(s: Session, run: Any, frontier: Any, phase: str, seen: int | None) -> dict[str, Any]:
    """A crawl run as a job's page shows it: its frontier's pages by status and what it has seen."""
    pages = s.execute(
        select(frontier.status, func.count()).where(frontier.run_id == run.id).group_by(frontier.status)
    ).all()
    return {
        "id": run.id,
        "status": run.status,
        "phase": phase,
        "pages": {str(k): int(v) for k, v in pages},
        "items": int(seen or 0),
    }


class RunPages:
    """The forms and jobs of infra scan, forum crawl, app check and history."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        pages.progress["census"] = self.census_progress
        pages.progress["forum"] = self.forum_progress
        pages.progress["infra"] = self.infra_results
        pages.progress["apps"] = lambda opened, job: {"links": [f"/c/{opened.slug}/apps"]}
        pages.progress["history"] = self.history_results

    def _started(self, opened: OpenCase, job: Job) -> Response:
        return RedirectResponse(f"/c/{opened.slug}/jobs/{job.id}", status_code=303)

    def _jobs(self, opened: OpenCase, kind: str) -> list[Job]:
        return [j for j in self.pages.jobs.of_case(opened.slug) if j.kind == kind]

    # -- infrastructure ---------------------------------------------------------------------------

    def case_domains(self, opened: OpenCase) -> list[str]:
        """The case's domains: those scanned before, the hosts its censuses and forum crawls started
        from, and those its watch jobs scan."""
        from unmask.core.store.models import CrawlRun
        from unmask.forum.tables import ForumRun
        from unmask.infra.tables import InfraObservation

        found: dict[str, None] = {}
        with opened.case.store.session() as s:
            urls = list(s.scalars(select(CrawlRun.start_url).distinct().limit(MAX_DOMAINS)))
            urls += list(s.scalars(select(ForumRun.start_url).distinct().limit(MAX_DOMAINS)))
            scanned = list(
                s.scalars(
                    select(InfraObservation.domain).distinct().order_by(InfraObservation.domain).limit(500)
                )
            )
        for url in urls:
            host = urlsplit(url or "").hostname
            if host and not host.replace(".", "").isdigit() and ":" not in host:
                found.setdefault(host.lower())
        for job in opened.case.config.watch.jobs:
            if job.kind == "infra":
                for domain in job.domains:
                    found.setdefault(domain.lower())
        for domain in scanned:
            found.setdefault(domain)
        return list(found)[:MAX_DOMAINS]

    async def infra_start(self, request: Request) -> Response:
        pages = self.pages
        opened = pages.open(request)
        fields = await pages.form(request)
        domains = check_domains(fields.get("domains", ""))
        args = ["infra", "scan", *domains, "--case", str(opened.case.root), "--json"]
        if fields.get("dns_only") == "1":
            args.append("--dns-only")
        if fields.get("active") == "1":
            if fields.get("dns_only") == "1":
                raise BadRequest("active: origin discovery connects to addresses; untick DNS only first")
            args.append("--active")
        shown = ", ".join(domains[:3]) + (f" and {len(domains) - 3} more" if len(domains) > 3 else "")
        job = pages.start_job(
            opened, "infra", f"infra scan of {opened.policy().redact(shown)}", args, keep_output=True
        )
        return self._started(opened, job)

    def infra_results(self, opened: OpenCase, job: Job) -> dict[str, Any]:
        """The scanned domains, each a link to its timeline (read from the command's arguments)."""
        at = job.argv.index("scan") + 1
        domains = job.argv[at : job.argv.index("--case")]
        return {"links": [f"/c/{opened.slug}/infra/{d}" for d in domains]} if job.state == "done" else {}

    # -- forum ------------------------------------------------------------------------------------

    def forum_form(self, opened: OpenCase) -> dict[str, Any]:
        from unmask.forum.tables import ForumRun

        with opened.case.store.session() as s:
            last = s.scalars(select(ForumRun).order_by(ForumRun.id.desc()).limit(1)).first()
        return {
            "forum_url": last.start_url if last is not None else "",
            "forum_jobs": self._jobs(opened, "forum"),
        }

    async def forum_start(self, request: Request) -> Response:
        pages = self.pages
        opened = pages.open(request)
        fields = await pages.form(request)
        url = check_url(fields)
        args = ["forum", "crawl", url, "--case", str(opened.case.root), "--json", *crawl_args(fields)]
        job = pages.start_job(opened, "forum", f"forum crawl of {opened.policy().redact(url)}", args)
        return self._started(opened, job)

    def census_progress(self, opened: OpenCase, job: Job) -> dict[str, Any]:
        """The latest crawl run (the crawl opens a new run or resumes the latest one): its pages by
        status, the items seen in it."""
        from unmask.core.store.models import CrawlRun, Frontier, Item

        with opened.case.store.session() as s:
            run = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
            if run is None:
                return {}
            seen = s.scalar(select(func.count()).select_from(Item).where(Item.last_seen_run == run.id))
            return {"run": _run_state(s, run, Frontier, run.phase, seen)}

    def forum_progress(self, opened: OpenCase, job: Job) -> dict[str, Any]:
        """The latest forum run (the crawl opens one or resumes it): its pages by status, threads seen."""
        from unmask.forum.tables import ForumFrontier, ForumRun, ForumThread

        with opened.case.store.session() as s:
            run = s.scalars(select(ForumRun).order_by(ForumRun.id.desc()).limit(1)).first()
            if run is None:
                return {}
            seen = s.scalar(
                select(func.count()).select_from(ForumThread).where(ForumThread.last_run == run.id)
            )
            found: dict[str, Any] = {"run": _run_state(s, run, ForumFrontier, "forum", seen)}
        if job.state == "done":
            found["links"] = [f"/c/{opened.slug}/forum"]
        return found

    # -- apps -------------------------------------------------------------------------------------

    async def apps_check(self, request: Request) -> Response:
        """Store presence of every app of the case, checked again (`unmask apps add PACKAGE...`)."""
        from unmask.apps.show import packages

        pages = self.pages
        opened = pages.open(request)
        await pages.form(request)
        names = [p for p in packages(opened.case.store) if not p.startswith("apple:")]
        if not names:
            raise BadRequest("no app in the case to check: add one with `unmask apps add SOURCE`")
        args = ["apps", "add", *names, "--case", str(opened.case.root)]
        title = f"store presence of {len(names)} app{'s' * (len(names) != 1)}"
        return self._started(opened, pages.start_job(opened, "apps", title, args))

    # -- history ----------------------------------------------------------------------------------

    def history(self, request: Request) -> Response:
        from unmask.core.store.models import CrawlRun

        pages = self.pages
        opened = pages.open(request)
        with opened.case.store.session() as s:
            last = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
        settings = opened.case.config.history
        return pages.render(
            request,
            "history.html",
            case=opened,
            start_url=last.start_url if last is not None else "",
            archive=settings.cdx_url or settings.archive,
            jobs=self._jobs(opened, "history"),
        )

    async def history_start(self, request: Request) -> Response:
        """`unmask history URL` with the case's archive settings (case.yaml ``history``)."""
        pages = self.pages
        opened = pages.open(request)
        fields = await pages.form(request)
        url = check_url(fields)
        args = ["history", url, "--case", str(opened.case.root), "--json"]
        first, last = _year(fields, "from"), _year(fields, "to")
        if first is not None and last is not None and first > last:
            raise BadRequest(f"from: {first} is after to {last}")
        args += [*(["--from", str(first)] if first else []), *(["--to", str(last)] if last else [])]
        limit = fields.get("limit", "").strip()
        if limit:
            if not limit.isdigit() or not 1 <= int(limit) <= 100_000:
                raise BadRequest("limit: a number of captures, at least 1")
            args += ["--limit", limit]
        job = pages.start_job(
            opened, "history", f"history of {opened.policy().redact(url)}", args, keep_output=True
        )
        return self._started(opened, job)

    def history_results(self, opened: OpenCase, job: Job) -> dict[str, Any]:
        """The command's answer (its JSON), redacted, for the job's page."""
        import json

        answer = job.answer() if job.state == "done" else None
        if not answer:
            return {}
        try:
            found = json.loads(answer)
        except ValueError:
            return {}
        return {"answer": opened.policy().redact(json.dumps(found, indent=1, ensure_ascii=False)[:20_000])}
