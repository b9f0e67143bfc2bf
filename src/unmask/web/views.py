"""The pages. Each reads through the stages' public functions (as the CLI does) and hands plain values
to a template; every name and free text has been through the case's privacy policy before it gets there,
and the templates escape everything (unmask.web.app)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from unmask.core.errors import UnmaskError
from unmask.core.privacy import Role
from unmask.core.secrets import redact_text
from unmask.core.store.models import (
    Capture,
    CrawlRun,
    Item,
    ItemPerson,
    ItemSource,
    Person,
)
from unmask.web.cases import CannotCreate, CaseShelf, OpenCase, UnknownCase
from unmask.web.errors import BadRequest
from unmask.web.evidence import Replays, verify_summary
from unmask.web.items import BadFilter, ItemFilter, item_page
from unmask.web.jobs import Job, JobConflict, JobManager
from unmask.web.runs import RunPages, check_url, crawl_args
from unmask.web.security import check_csrf, csrf_token, is_owner
from unmask.web.settings import ServeSettings

MAX_FORM = 64 * 1024
REPORT_FORMATS = ("html", "pdf")


class Pages:
    """The pages of one server: its settings, cases, jobs and templates."""

    def __init__(self, settings: ServeSettings, templates: Any) -> None:
        self.settings = settings
        self.templates = templates
        self.shelf = CaseShelf(settings)
        self.jobs = JobManager()
        self.replays = Replays(settings)
        self.warmers: list[Callable[[OpenCase], Any]] = []
        self.progress: dict[str, Callable[[OpenCase, Job], dict[str, Any]]] = {}
        """Per job kind, what a job's page shows besides its state (a run's progress, result links)."""
        self.runs = RunPages(self)
        """More whole-case computations done in the background when a case opens (the charts)."""
        self._cache: dict[tuple[str, str], tuple[tuple[object, ...], Any]] = {}
        self._cache_lock = threading.Lock()
        self._computing: dict[tuple[str, str], threading.Lock] = {}

    # -- helpers ----------------------------------------------------------------------------------

    def render(self, request: Request, name: str, code: int = 200, **context: Any) -> Response:
        context.setdefault("case", None)
        context.update(
            request=request,
            csrf=csrf_token(self.settings),
            owner=is_owner(self.settings, request.scope),
            real_names=self.settings.real_names,
            single=self.shelf.single,
        )
        return self.templates.TemplateResponse(request, name, context, status_code=code)

    def error(self, request: Request, status: int, message: str, case: OpenCase | None = None) -> Response:
        return self.render(request, "error.html", code=status, message=message, case=case)

    def open(self, request: Request) -> OpenCase:
        return self.shelf.get(request.path_params["slug"])

    async def form(self, request: Request) -> dict[str, str]:
        """A posted form (urlencoded, bounded), its CSRF token checked."""
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_FORM:
                raise BadRequest("form too large")
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if not check_csrf(self.settings, fields.get("csrf")):
            raise BadRequest("the form's token is missing or stale: reload the page and try again")
        return fields

    def data_version(self, opened: OpenCase) -> tuple[object, ...]:
        """Changes whenever a census (or the privacy policy) changes what the case's figures are: new items,
        removals, fetches, runs. Each part is read from an index."""
        # one max() per statement: only then does SQLite read it from the end of an index
        ends = (func.max(Item.id), func.max(Item.removed_at), func.max(Capture.id), func.max(CrawlRun.id))
        with opened.case.store.session() as s:
            parts = [s.scalar(select(end)) for end in ends]
            runs = s.execute(select(func.max(CrawlRun.finished_at), func.count()).select_from(CrawlRun)).one()
        return (opened.policy().fingerprint, *parts, *runs)

    def cached(self, opened: OpenCase, name: str, compute: Callable[[], Any]) -> Any:
        """A whole-case computation (figures, the persons list, the charts), kept until the case's data
        changes; computed once at a time (a page asked while the background computes it waits for it)."""
        key = self.data_version(opened)
        with self._cache_lock:
            found = self._cache.get((opened.slug, name))
            computing = self._computing.setdefault((opened.slug, name), threading.Lock())
        if found is not None and found[0] == key:
            return found[1]
        with computing:
            with self._cache_lock:
                found = self._cache.get((opened.slug, name))
            if found is not None and found[0] == key:
                return found[1]
            value = compute()
            with self._cache_lock:
                self._cache[(opened.slug, name)] = (key, value)
            return value

    def figures(self, opened: OpenCase) -> dict[str, Any]:
        """`stats` figures, as `unmask stats` computes them."""
        from unmask.analysis.figures import FigureOptions, compute_figures

        return dict(
            self.cached(
                opened,
                "figures",
                lambda: compute_figures(opened.case.store, FigureOptions(privacy=opened.policy())),
            )
        )

    def warm(self, slug: str) -> None:
        """Compute a case's whole-case pages in the background, so that the first visit finds them."""

        def work() -> None:
            try:
                opened = self.shelf.get(slug)
                self.figures(opened)
                self.person_rows(opened)
                for warmer in self.warmers:
                    warmer(opened)
            except Exception:  # a case that cannot be read says so on its pages
                return

        threading.Thread(target=work, name=f"warm-{slug}", daemon=True).start()

    # -- cases ------------------------------------------------------------------------------------

    def cases(self, request: Request) -> Response:
        if self.shelf.single is not None:
            return RedirectResponse(f"/c/{self.shelf.single}/", status_code=303)
        return self.render(request, "cases.html", cases=sorted(self.shelf.roots()))

    async def case_create(self, request: Request) -> Response:
        """A new case in the folder of cases (``--cases``), made as `unmask init` makes it."""
        fields = await self.form(request)
        folder, name, db = (fields.get(k, "").strip() for k in ("folder", "name", "db"))
        try:
            slug = await run_in_threadpool(self.shelf.create, folder, name, db)
        except CannotCreate as exc:
            raise BadRequest(redact_text(str(exc))) from None
        return RedirectResponse(f"/c/{slug}/", status_code=303)

    def dashboard(self, request: Request) -> Response:
        opened = self.open(request)
        figures = self.figures(opened)
        from unmask.analysis.figures import headline
        from unmask.watch.schedule import recent_runs

        policy = opened.policy()
        watch = [
            {**asdict(run), "job": policy.redact(run.job), "error": policy.redact(run.error or "")}
            for run in recent_runs(opened.case, 10)
        ]
        return self.render(
            request,
            "dashboard.html",
            case=opened,
            figures=figures,
            headline=headline(figures),
            runs=list(reversed(figures["runs"]))[:10],
            jobs=self.jobs.of_case(opened.slug)[:10],
            watch=watch,
        )

    # -- items ------------------------------------------------------------------------------------

    def items(self, request: Request) -> Response:
        opened = self.open(request)
        try:
            flt = ItemFilter.parse(request.query_params)
            page = item_page(opened.case.store, flt, opened.policy())
        except BadFilter as exc:
            return self.error(request, 400, str(exc), opened)
        person = uploader = None
        policy = opened.policy()
        if flt.person is not None or flt.uploader is not None:
            from unmask.core.store.models import Uploader

            with opened.case.store.session() as s:
                if flt.person is not None:
                    person = policy.name(
                        s.scalar(select(Person.name).where(Person.id == flt.person)), Role.DEPICTED
                    )
                if flt.uploader is not None:
                    uploader = policy.name(
                        s.scalar(select(Uploader.name).where(Uploader.id == flt.uploader)), Role.UPLOADER
                    )
        tag_shown = policy.redact(flt.tag) if flt.tag else ""

        def link(**changes: Any) -> str:
            return "?" + urlencode(flt.params(**changes))

        return self.render(
            request,
            "items.html",
            case=opened,
            flt=flt,
            page=page,
            link=link,
            person=person,
            uploader=uploader,
            tag_shown=tag_shown,
            next_link=link(after=page.next_after) if page.next_after else None,
            first_link=link(after=None) if flt.after else None,
        )

    def item(self, request: Request) -> Response:
        from unmask.core.store.models import Uploader
        from unmask.evidence.links import reference
        from unmask.report.export import item_labels, item_persons

        opened = self.open(request)
        policy = opened.policy()
        item_id = request.path_params["item_id"]
        with opened.case.store.session() as s:
            row = s.get(Item, item_id)
            if row is None:
                return self.error(request, 404, "no item with this key in the case", opened)
            uploader = s.get(Uploader, row.uploader_id) if row.uploader_id is not None else None
            persons = [
                (pid, policy.name(name, Role.DEPICTED)) for _, pid, name in s.execute(item_persons([row.id]))
            ]
            tags = [
                (kind, value, policy.redact(value)) for _, kind, value in s.execute(item_labels([row.id]))
            ]
            sources = s.execute(
                select(Capture, ItemSource.fields)
                .join(ItemSource, ItemSource.capture_id == Capture.id)
                .where(ItemSource.item_id == row.id)
                .order_by(Capture.requested_at)
            ).all()
            port = self.replays.port(opened.slug) or opened.case.config.evidence.serve_port
            base = self.replays.base(request, opened.slug)
            captures = []
            for capture, fields in sources:
                ref = reference(capture, port=port)
                captures.append(
                    {
                        "ref": ref,
                        "link": f"{base}capture/{ref.capture_id}" if base else ref.replay_url,
                        "url": policy.redact(ref.url),
                        "fields": fields,
                        "status": capture.status,
                    }
                )
            item = {
                "id": row.id,
                "kind": row.kind,
                "title": policy.redact(row.title),
                "url": policy.redact(row.url),
                "platform_item_id": policy.redact(row.platform_item_id),
                "upload_date": row.upload_date,
                "views": row.views,
                "duration_s": row.duration_s,
                "uploader": policy.name(uploader.name, Role.UPLOADER) if uploader else None,
                "uploader_id": row.uploader_id,
                "first_seen_at": row.first_seen_at,
                "last_seen_at": row.last_seen_at,
                "removed_at": row.removed_at,
            }
        return self.render(
            request,
            "item.html",
            case=opened,
            item=item,
            persons=persons,
            tags=tags,
            captures=captures,
            port=port,
            replay_running=self.replays.port(opened.slug) is not None,
        )

    def person_rows(self, opened: OpenCase) -> list[tuple[int, str | None, bool, int]]:
        """The 200 depicted persons with most items present: (key, name as shown, public figure, items)."""
        policy = opened.policy()
        items = func.count(ItemPerson.item_id)

        def compute() -> list[tuple[int, str | None, bool, int]]:
            with opened.case.store.session() as s:
                rows = s.execute(
                    select(Person.id, Person.name, items)
                    .join(ItemPerson, ItemPerson.person_id == Person.id)
                    .join(Item, Item.id == ItemPerson.item_id)
                    .where(Item.removed_at.is_(None))
                    .group_by(Person.id, Person.name)
                    .order_by(items.desc(), Person.id)
                    .limit(200)
                ).all()
            return [
                (pid, policy.name(name, Role.DEPICTED), policy.is_public(name), n) for pid, name, n in rows
            ]

        return list(self.cached(opened, "persons", compute))

    def persons(self, request: Request) -> Response:
        opened = self.open(request)
        return self.render(request, "persons.html", case=opened, persons=self.person_rows(opened))

    # -- the entity graph -------------------------------------------------------------------------

    def owners(self, request: Request) -> Response:
        from unmask.owners import query
        from unmask.owners.index import reading
        from unmask.owners.privacy import shown

        opened = self.open(request)
        policy = opened.policy()
        text = request.query_params.get("q", "").strip()[:200]
        results: list[dict[str, Any]] = []
        message = None
        if text:
            try:
                with reading(opened.case.store, opened.case.root, None) as (conn, index):
                    results = [query.resolve(conn, text, index).brief()]
            except UnmaskError as exc:
                message = policy.redact(str(exc))
            results = shown(results, policy)
        return self.render(request, "owners.html", case=opened, q=text, results=results, message=message)

    def entity(self, request: Request) -> Response:
        from unmask.owners.privacy import shown
        from unmask.owners.show import show
        from unmask.owners.ultimate import ultimate

        opened = self.open(request)
        policy = opened.policy()
        ref = request.query_params.get("id", "").strip()[:300]
        try:
            info = shown(show(opened.case, ref, note=None), policy)
        except UnmaskError as exc:
            return self.error(request, 404, policy.redact(str(exc)) or "", opened)
        owners: dict[str, Any] | None
        owners_error = None
        try:
            owners = shown(ultimate(opened.case, info["key"], note=None), policy)
        except UnmaskError as exc:
            owners, owners_error = None, policy.redact(str(exc))
        return self.render(
            request, "entity.html", case=opened, info=info, owners=owners, owners_error=owners_error
        )

    # -- the report -------------------------------------------------------------------------------

    def _report_path(self, opened: OpenCase, fmt: str) -> Path:
        """Where this server writes the case's report (one file per format and per naming: a report with
        real names is never served by a server that shows pseudonyms)."""
        names = "-real-names" if self.settings.real_names else ""
        return opened.case.reports_dir / f"web-report{names}.{fmt}"

    def report(self, request: Request) -> Response:
        opened = self.open(request)
        files = {}
        for fmt in REPORT_FORMATS:
            path = self._report_path(opened, fmt)
            if path.is_file():
                stat = path.stat()
                files[fmt] = {"size": stat.st_size, "when": dt.datetime.fromtimestamp(stat.st_mtime)}
        running = self.jobs.running(opened.slug, "report")
        return self.render(request, "report.html", case=opened, files=files, running=running)

    async def report_start(self, request: Request) -> Response:
        opened = self.open(request)
        fields = await self.form(request)
        fmt = fields.get("format", "html")
        if fmt not in REPORT_FORMATS:
            raise BadRequest(f"format: choose from {', '.join(REPORT_FORMATS)}")
        args = ["report", "--case", str(opened.case.root), "-o", str(self._report_path(opened, fmt))]
        args += ["--format", fmt, *(["--real-names"] if self.settings.real_names else [])]
        job = self.start_job(opened, "report", f"report ({fmt.upper()})", args)
        return RedirectResponse(f"/c/{opened.slug}/jobs/{job.id}", status_code=303)

    def report_file(self, request: Request) -> Response:
        from unmask.report.html import CSP

        opened = self.open(request)
        fmt = request.path_params["fmt"]
        if fmt not in REPORT_FORMATS:
            return self.error(request, 404, "no such report format", opened)
        path = self._report_path(opened, fmt)
        if not path.is_file():
            return self.error(request, 404, "no report yet: make one first", opened)
        download = request.query_params.get("download") == "1" or fmt == "pdf"
        media = "text/html; charset=utf-8" if fmt == "html" else "application/pdf"
        response = FileResponse(
            path,
            media_type=media,
            filename=f"{opened.slug}-report.{fmt}" if download else None,
            content_disposition_type="attachment" if download else "inline",
        )
        if fmt == "html":  # the report's own policy: its one hashed script runs, nothing loads
            response.headers["content-security-policy"] = CSP + "; frame-ancestors 'none'"
        return response

    # -- census jobs ------------------------------------------------------------------------------

    def census(self, request: Request) -> Response:
        opened = self.open(request)
        with opened.case.store.session() as s:
            last = s.scalars(select(CrawlRun).order_by(CrawlRun.id.desc()).limit(1)).first()
            start_url = last.start_url if last is not None else ""
        return self.render(
            request,
            "census.html",
            case=opened,
            start_url=start_url,
            jobs=[j for j in self.jobs.of_case(opened.slug) if j.kind == "census"],
        )

    async def census_start(self, request: Request) -> Response:
        opened = self.open(request)
        fields = await self.form(request)
        url = check_url(fields)
        args = ["census", "crawl", url, "--case", str(opened.case.root), "--json", *crawl_args(fields)]
        job = self.start_job(opened, "census", f"census of {opened.policy().redact(url)}", args)
        return RedirectResponse(f"/c/{opened.slug}/jobs/{job.id}", status_code=303)

    def start_job(
        self, opened: OpenCase, kind: str, title: str, args: list[str], *, keep_output: bool = False
    ) -> Job:
        try:
            return self.jobs.start(opened.slug, kind, title, args, keep_output=keep_output)
        except JobConflict as exc:
            raise BadRequest(str(exc)) from None

    def _job(self, request: Request) -> tuple[OpenCase, Job]:
        opened = self.open(request)
        job = self.jobs.get(request.path_params["job_id"])
        if job is None or job.case != opened.slug:
            raise UnknownCase("job")
        return opened, job

    def job_status(self, opened: OpenCase, job: Job) -> dict[str, Any]:
        """A job's state and, for a census, its run's progress as the store has it."""
        policy = opened.policy()
        status: dict[str, Any] = {
            "id": job.id,
            "kind": job.kind,
            "title": job.title,
            "state": job.state,
            "returncode": job.returncode,
            "seconds": round((job.ended or dt.datetime.now().timestamp()) - job.started, 1),
            "message": policy.redact(job.last_line()) if job.state == "failed" else "",
            "log": policy.redact(job.tail()),
        }
        count = job.progress()
        if count is not None:
            status["progress"] = {**asdict(count), "info": policy.redact(count.info), "text": count.text()}
        if job.kind in self.progress:
            status.update(self.progress[job.kind](opened, job))
        if job.kind == "report" and job.state == "done":
            status["links"] = [f"/c/{opened.slug}/report"]
        if job.kind == "verify":
            status["verify"] = verify_summary(job, policy)
        return status

    def job(self, request: Request) -> Response:
        opened, job = self._job(request)
        return self.render(request, "job.html", case=opened, job=job, status=self.job_status(opened, job))

    def job_json(self, request: Request) -> Response:
        opened, job = self._job(request)
        return JSONResponse(self.job_status(opened, job))

    async def job_interrupt(self, request: Request) -> Response:
        opened, job = self._job(request)
        await self.form(request)
        self.jobs.interrupt(job.id)
        return RedirectResponse(f"/c/{opened.slug}/jobs/{job.id}", status_code=303)

    async def job_restart(self, request: Request) -> Response:
        """The same command again: an interrupted crawl resumes, a finished one re-crawls."""
        opened, job = self._job(request)
        await self.form(request)
        again = self.start_job(opened, job.kind, job.title, job.argv[3:], keep_output=job.output is not None)
        return RedirectResponse(f"/c/{opened.slug}/jobs/{again.id}", status_code=303)

    def close(self) -> None:
        self.jobs.shutdown()
        self.replays.close()
        self.shelf.close()
