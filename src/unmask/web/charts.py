"""The charts page: the report's own Vega-Lite specs (growth, audience, forum prices), drawn interactively.

The specs are the report's, built by its sections from the same data (``report.sections``: each
section's gather, then its render with a page that keeps every :class:`~unmask.report.charts.specs.Chart`
it is handed instead of drawing it as SVG). The page loads them from ``charts.json`` and draws them with
the vendored vega, vega-lite, vega-embed and vega-interpreter (static/vendor/vega/, SOURCE.md there): no eval
(expressions through the interpreter), no injected style, no request off this server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from unmask.report.charts.specs import Chart
from unmask.report.page import Html, Page
from unmask.web.cases import OpenCase

if TYPE_CHECKING:
    from unmask.web.views import Pages

CHART_SECTIONS = ("growth", "audience", "forum")
"""The report's sections whose charts the page shows, in this order."""


@dataclass
class _Keeping(Page):
    """A report page that keeps the charts it is handed (the section's text is not needed here)."""

    charts: list[Chart] = field(default_factory=list)

    def chart(self, chart: Chart) -> Html:
        self.charts.append(chart)
        return Html("")


def case_charts(opened: OpenCase) -> list[dict[str, Any]]:
    """The charts of the report's chart sections whose stage ran: section, key, title, subtitle, source,
    note and the complete Vega-Lite spec (data inline), every text through the case's privacy policy."""
    from unmask.report.i18n import language
    from unmask.report.sections import SECTIONS, Context
    from unmask.report.sections.base import STAGES, stages_run

    policy = opened.policy()
    words = language("en")
    ctx = Context(opened.case, policy, words)
    chosen = [s for s in SECTIONS if s.key in CHART_SECTIONS]
    ctx.stages = stages_run(opened.case, [*STAGES, *(s.needs for s in chosen if s.needs is not None)])
    out: list[dict[str, Any]] = []
    for section in chosen:
        if section.needs is not None and not ctx.stages[section.needs.name]:
            continue
        page = _Keeping(words, case_href=".")
        section.render(section.gather(ctx), page)
        for chart in page.charts:
            out.append(
                {
                    "section": section.key,
                    "key": chart.key,
                    "title": policy.redact(chart.title),
                    "subtitle": policy.redact(chart.subtitle),
                    "source": policy.redact(chart.source),
                    "note": policy.redact(chart.note),
                    "spec": _interactive(policy.redact_all(chart.vega_lite())),
                }
            )
    return out


def _interactive(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec for the page: without ``$schema`` (vega-embed would warn that it names an older
    Vega-Lite; the spec is built for the vendored one), with tooltips on every mark that takes them, and
    without vega's own ARIA roles on marks (some lack a label; the chart's container is one image labelled
    with the chart's title and subtitle)."""
    out = {k: v for k, v in spec.items() if k != "$schema"}
    config = dict(out.get("config") or {})
    config["mark"] = {**(config.get("mark") or {}), "tooltip": True}
    config["aria"] = False
    out["config"] = config
    return out


class ChartPages:
    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        pages.warmers.append(self.charts)

    def charts(self, opened: OpenCase) -> list[dict[str, Any]]:
        return list(self.pages.cached(opened, "charts", lambda: case_charts(opened)))

    def page(self, request: Request) -> Response:
        opened = self.pages.open(request)
        charts = self.charts(opened)
        return self.pages.render(request, "charts.html", case=opened, charts=charts)

    def data(self, request: Request) -> Response:
        opened = self.pages.open(request)
        return JSONResponse([{"key": c["key"], "spec": c["spec"]} for c in self.charts(opened)])
