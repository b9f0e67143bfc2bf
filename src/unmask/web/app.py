"""The Starlette application: routes, templates, static files, errors.

Templates autoescape everything, and every value printed is first cleaned of control, bidi and invisible
characters (unmask.core.output.display_text), so a platform's text shows as written and never as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from unmask.core.output import display_text
from unmask.web.apps import AppPages
from unmask.web.cases import UnknownCase
from unmask.web.charts import ChartPages
from unmask.web.crawl import CrawlPages
from unmask.web.errors import BadRequest
from unmask.web.evidence import EvidencePages
from unmask.web.forum import ForumPages
from unmask.web.graph import GraphPages
from unmask.web.infra import InfraPages
from unmask.web.protect import ProtectPages
from unmask.web.security import Guard
from unmask.web.settings import ServeSettings
from unmask.web.views import Pages

HERE = Path(__file__).parent


def _finalize(value: Any) -> Any:
    """Every printed value as shown: markup of our own passes, anything else is cleaned text."""
    if isinstance(value, Markup) or value is None:
        return "" if value is None else value
    return display_text(value)


def _number(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def _when(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)[:16].replace("T", " ")


def templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["when"] = _when
    return Jinja2Templates(env=env)


Endpoint = Callable[[Request], Any]


def _routes(path: str, get: Endpoint | None, post: Endpoint | None) -> list[BaseRoute]:
    """A page's routes: what GET shows, what a form POSTs."""
    found: list[BaseRoute] = [] if get is None else [Route(path, get)]
    return found if post is None else [*found, Route(path, post, methods=["POST"])]


def create_app(settings: ServeSettings) -> Starlette:
    """The application for one server; its cases open as pages first ask for them."""
    pages = Pages(settings, templates())

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if pages.shelf.single is not None:
            pages.warm(pages.shelf.single)
        try:
            yield
        finally:
            pages.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        return pages.error(request, 404, "no such page")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return pages.error(request, exc.status_code, str(exc.detail))

    async def unknown_case(request: Request, exc: Exception) -> Response:
        return pages.error(request, 404, "no such case or job on this server")

    async def bad_request(request: Request, exc: Exception) -> Response:
        return pages.error(request, 400, str(exc))

    evidence = EvidencePages(pages)
    charts = ChartPages(pages)
    graph = GraphPages(pages)
    infra = InfraPages(pages)
    apps = AppPages(pages)
    forum = ForumPages(pages)
    protect = ProtectPages(pages)
    crawl = CrawlPages(pages)
    job = "/jobs/{job_id:int}"
    of_case: dict[str, tuple[Endpoint | None, Endpoint | None]] = {  # a case's pages: (GET, POST)
        "/protect": (protect.page, None),
        "/": (pages.dashboard, None),
        "/items": (pages.items, None),
        "/items/{item_id:int}": (pages.item, None),
        "/persons": (pages.persons, None),
        "/charts": (charts.page, None),
        "/charts.json": (charts.data, None),
        "/infra": (infra.page, pages.runs.infra_start),
        "/infra/{domain:str}": (infra.domain, None),
        "/apps": (apps.page, None),
        "/apps/check": (None, pages.runs.apps_check),
        "/forum": (forum.page, pages.runs.forum_start),
        "/history": (pages.runs.history, pages.runs.history_start),
        "/owners": (pages.owners, None),
        "/owners/entity": (pages.entity, None),
        "/owners/graph": (graph.page, None),
        "/owners/node.json": (graph.node, None),
        "/owners/owners.json": (graph.owners, None),
        "/owners/path.json": (graph.path, None),
        "/evidence": (evidence.browser, None),
        "/evidence/verify": (None, evidence.verify_start),
        "/evidence/replay": (None, evidence.replay_start),
        "/report": (pages.report, pages.report_start),
        "/report/file.{fmt:str}": (pages.report_file, None),
        "/census": (pages.census, pages.census_start),
        "/crawl": (crawl.page, None),
        job: (pages.job, None),
        f"{job}.json": (pages.job_json, None),
        f"{job}/interrupt": (None, pages.job_interrupt),
        f"{job}/again": (None, pages.job_restart),
    }
    routes: list[BaseRoute] = [
        *_routes("/", pages.cases, pages.case_create),
        *_routes("/owner", protect.open_session, None),
        *(r for path, (get, post) in of_case.items() for r in _routes(f"/c/{{slug:str}}{path}", get, post)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            404: not_found,
            HTTPException: http_error,
            UnknownCase: unknown_case,
            BadRequest: bad_request,
        },
    )
    app.state.pages = pages
    app.add_middleware(Guard, settings=settings)
    return app
