"""The Starlette application: routes, templates, static files, errors.

Templates autoescape everything, and every value printed is first cleaned of control, bidi and invisible
characters (unmask.core.output.display_text), so a platform's text shows as written and never as markup.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
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
    apps = AppPages(pages)
    forum = ForumPages(pages)
    protect = ProtectPages(pages)
    crawl = CrawlPages(pages)
    case = "/c/{slug:str}"
    routes = [
        Route("/", pages.cases),
        Route("/", pages.case_create, methods=["POST"]),
        Route("/owner", protect.open_session),
        Route(f"{case}/protect", protect.page),
        Route(f"{case}/", pages.dashboard),
        Route(f"{case}/items", pages.items),
        Route(f"{case}/items/{{item_id:int}}", pages.item),
        Route(f"{case}/persons", pages.persons),
        Route(f"{case}/charts", charts.page),
        Route(f"{case}/charts.json", charts.data),
        Route(f"{case}/infra", pages.infra),
        Route(f"{case}/infra", pages.runs.infra_start, methods=["POST"]),
        Route(f"{case}/infra/{{domain:str}}", pages.infra_domain),
        Route(f"{case}/apps", apps.page),
        Route(f"{case}/apps/check", pages.runs.apps_check, methods=["POST"]),
        Route(f"{case}/forum", forum.page),
        Route(f"{case}/forum", pages.runs.forum_start, methods=["POST"]),
        Route(f"{case}/history", pages.runs.history),
        Route(f"{case}/history", pages.runs.history_start, methods=["POST"]),
        Route(f"{case}/owners", pages.owners),
        Route(f"{case}/owners/entity", pages.entity),
        Route(f"{case}/owners/graph", graph.page),
        Route(f"{case}/owners/node.json", graph.node),
        Route(f"{case}/owners/owners.json", graph.owners),
        Route(f"{case}/owners/path.json", graph.path),
        Route(f"{case}/evidence", evidence.browser),
        Route(f"{case}/evidence/verify", evidence.verify_start, methods=["POST"]),
        Route(f"{case}/evidence/replay", evidence.replay_start, methods=["POST"]),
        Route(f"{case}/report", pages.report),
        Route(f"{case}/report", pages.report_start, methods=["POST"]),
        Route(f"{case}/report/file.{{fmt:str}}", pages.report_file),
        Route(f"{case}/census", pages.census),
        Route(f"{case}/census", pages.census_start, methods=["POST"]),
        Route(f"{case}/crawl", crawl.page),
        Route(f"{case}/jobs/{{job_id:int}}", pages.job),
        Route(f"{case}/jobs/{{job_id:int}}.json", pages.job_json),
        Route(f"{case}/jobs/{{job_id:int}}/interrupt", pages.job_interrupt, methods=["POST"]),
        Route(f"{case}/jobs/{{job_id:int}}/again", pages.job_restart, methods=["POST"]),
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
