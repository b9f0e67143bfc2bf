"""Size and growth: the headline figures with their evidence, uploads per month, the catalogue over
time (census and web archive), and what each crawl run found."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from unmask.analysis.history_curve import archive_curve, census_at
from unmask.report.charts import specs
from unmask.report.evidence import EvidenceIndex, Reference
from unmask.report.page import Html, Page
from unmask.report.sections.base import Context, Finding

HEADLINE = (
    ("videos", "int", ""),
    ("photos", "int", ""),
    ("galleries", "int", ""),
    ("hours", "hours", "duration"),
    ("views", "int", "views"),
    ("uploaders", "int", "uploader"),
    ("targets", "int", "persons"),
    ("first_upload", "date", "upload_date"),
    ("last_upload", "date", "upload_date"),
    ("removed", "int", None),
)
"""Headline figures: key in `stats --json`, how it reads, the item field whose best capture is its evidence
("": the capture that listed the most items; None: the crawl runs in the methodology)."""
MARK_CHANGES = ("hoster", "masking", "asn")
"""Infrastructure changes marked on the catalogue chart."""


@dataclass
class GrowthData:
    figures: dict[str, Any]
    monthly: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    archive: list[dict[str, Any]]
    evidence: EvidenceIndex
    source: str
    marks: list[tuple[str, str]]
    """(day, what changed) from the infrastructure scans, for the catalogue chart."""


def gather(ctx: Context) -> GrowthData:
    marks: list[tuple[str, str]] = []
    if ctx.stages["infra"]:
        from unmask.infra.changes import changes
        from unmask.report.sections.infrastructure import domains

        for domain in domains(ctx.case.store)[:3]:
            for c in changes(ctx.case.store, domain):
                if c.kind in MARK_CHANGES:
                    marks.append((c.time.date().isoformat(), ctx.lang.t("growth.mark", kind=c.kind)))
    return GrowthData(
        figures=ctx.figures,
        monthly=ctx.analysis["growth"]["monthly"],
        runs=ctx.analysis["growth"]["runs"],
        archive=[p.as_dict() for p in archive_curve(ctx.case.store)],
        evidence=ctx.evidence,
        source=ctx.census_source,
        marks=sorted(set(marks))[:6],
    )


def evidence_for(index: EvidenceIndex, field: str | None) -> Reference | None:
    if field is None:
        return None
    return index.any_items if field == "" else index.by_field.get(field)


def partial_month(monthly: list[dict[str, Any]], last_upload: str | None) -> str | None:
    """The last month of the series when the latest upload seen is dated before that month's last day:
    the census cannot tell how it ended (the site was read then, or mirrors a state of that day)."""
    if not monthly or not last_upload:
        return None
    day = dt.date.fromisoformat(last_upload[:10])
    last = monthly[-1]["month"]
    if last != day.strftime("%Y-%m"):
        return None
    return last if day.day < calendar.monthrange(day.year, day.month)[1] else None


def _value(page: Page, key: str, kind: str, value: Any) -> Html:
    if kind == "date":
        return page.day(value, key)
    return page.num(value, key, digits=1 if kind == "hours" else 0)


def _headline(data: GrowthData, page: Page) -> Html:
    rows = []
    for key, kind, field in HEADLINE:
        ref = evidence_for(data.evidence, field)
        if field is None:
            cite = page.link("#runs", page.lang.t("growth.see_runs"))
        elif ref is None:
            cite = page.t("evidence.none")
        else:
            cite = page.cite(ref)
        rows.append(
            f"<tr><th scope=row>{page.t(f'figure.{key}')}</th>"
            f"<td class=n>{_value(page, key, kind, data.figures.get(key))}</td><td>{cite}</td></tr>"
        )
    head = (
        "<tr>"
        + "".join(f"<th>{page.t(f'growth.{k}')}</th>" for k in ("figure", "value", "evidence"))
        + "</tr>"
    )
    return Html(f"<table class=headline><thead>{head}</thead><tbody>{''.join(rows)}</tbody></table>")


def _uploads(data: GrowthData, page: Page) -> str:
    lang, monthly = page.lang, data.monthly
    months = [m["month"] for m in monthly]
    last_upload = data.figures.get("last_upload")
    partial = partial_month(monthly, last_upload)
    note = (
        lang.t("chart.partial_note", month=lang.month(partial), day=lang.date(last_upload)) if partial else ""
    )
    complete = monthly[:-1] if partial else monthly
    peak = max(complete, key=lambda m: m["videos"] + m["photos"], default=None)
    title = (
        lang.t(
            "growth.uploads_title", month=lang.month(peak["month"]), n=lang.n(peak["videos"] + peak["photos"])
        )
        if peak
        else lang.t("growth.uploads_subtitle")
    )
    series = [
        specs.Series(lang.t("growth.videos"), [m["videos"] for m in monthly]),
        specs.Series(lang.t("growth.photos"), [m["photos"] for m in monthly]),
    ]
    text = specs.Text(title, lang.t("growth.uploads_subtitle"), data.source, note)
    chart = specs.time_series(
        "uploads",
        text,
        months,
        series,
        specs.Axes(lang.t("axis.upload_month"), lang.t("axis.items_per_month")),
        partial=specs.Partial(lang.t("chart.partial")) if partial else None,
    )
    cumulative = [m["videos_cumulative"] for m in monthly]
    year_ago = cumulative[-13] if len(cumulative) > 12 else None
    title2 = (
        lang.t(
            "growth.catalogue_title",
            before=lang.n(year_ago),
            after=lang.n(cumulative[-1]),
            month=lang.month(months[-13]),
        )
        if year_ago is not None
        else lang.t("growth.catalogue_title_short", after=lang.n(cumulative[-1]))
    )
    chart2 = specs.time_series(
        "catalogue",
        specs.Text(title2, lang.t("growth.catalogue_subtitle"), data.source, ""),
        months,
        [specs.Series(lang.t("growth.videos"), cumulative)],
        specs.Axes(lang.t("axis.upload_month"), lang.t("axis.videos_online")),
        area=True,
        marks=[specs.Mark(day, label) for day, label in data.marks],
    )
    return page.chart(chart) + page.chart(chart2)


def _archive(data: GrowthData, page: Page) -> str:
    lang = page.lang
    if not data.archive:
        return f"<p class=note>{page.t('growth.no_archive')}</p>"
    months = [p["month"] for p in data.archive]
    candidates = [
        (lang.t("growth.archive_videos"), [p["videos"] for p in data.archive]),
        (lang.t("growth.archive_photos"), [p["photos"] for p in data.archive]),
        (lang.t("growth.archive_listed"), [p["listed"] for p in data.archive]),
        (lang.t("growth.archive_census"), census_at(months, data.monthly, "videos_cumulative")),
    ]
    series = [specs.Series(name, values) for name, values in candidates if any(v is not None for v in values)]
    stated = [v for v in candidates[0][1] if v is not None]
    title = (
        lang.t("growth.archive_title", first=lang.n(stated[0]), last=lang.n(stated[-1]))
        if len(stated) > 1
        else lang.t("growth.archive_subtitle")
    )
    chart = specs.time_series(
        "archive",
        specs.Text(
            title, lang.t("growth.archive_subtitle"), lang.t("source.archive", n=len(data.archive)), ""
        ),
        months,
        series,
        specs.Axes(lang.t("axis.month"), lang.t("axis.items")),
        points=True,
    )
    table = page.table(
        [
            lang.t("axis.month"),
            lang.t("growth.archive_videos"),
            lang.t("growth.archive_photos"),
            lang.t("growth.archive_listed"),
        ],
        [(p["month"], p["videos"], p["photos"], p["listed"]) for p in data.archive],
        cls="compact",
    )
    return page.chart(chart) + f"<p class=note>{page.t('growth.archive_note')}</p>" + table


def _runs(data: GrowthData, page: Page) -> str:
    lang = page.lang
    if not data.runs:
        return ""
    rows = [
        (f"#{r['run']}", lang.status(r["status"]), lang.date(r["started"]), lang.date(r["finished"]),
         r["new"], r["removed"], r["present_after"])
        for r in data.runs
    ]  # fmt: skip
    header = [
        lang.t(f"runs.{k}") for k in ("run", "status", "started", "finished", "new", "removed", "present")
    ]
    return f"<h3>{page.t('growth.runs')}</h3>" + page.table(header, rows, cls="compact")


def render(data: GrowthData, page: Page) -> str:
    parts: list[str] = [_headline(data, page)]
    parts.append(_uploads(data, page) if data.monthly else f"<p>{page.t('growth.no_dates')}</p>")
    parts.append(_archive(data, page))
    parts.append(_runs(data, page))
    return "".join(parts)


def findings(data: GrowthData, page: Page) -> list[Finding]:
    f, ev = data.figures, data.evidence
    out = [
        Finding(
            "growth",
            page.t(
                "finding.size",
                videos=page.num(f["videos"], "videos"),
                photos=page.num(f["photos"], "photos"),
                hours=page.num(f["hours"], "hours", 1),
                views=page.num(f["views"], "views"),
                uploaders=page.num(f["uploaders"], "uploaders"),
            ),
            page.cite(ev.any_items),
        )
    ]
    monthly = data.monthly
    if len(monthly) > 12:
        before, after = monthly[-13], monthly[-1]
        uploaded = sum(m["videos"] for m in monthly[-12:])
        out.append(
            Finding(
                "growth",
                page.t(
                    "finding.growth",
                    before=page.num(before["videos_cumulative"], "videos_cumulative_year_before"),
                    month=page.lang.month(before["month"]),
                    after=page.num(after["videos_cumulative"], "videos_cumulative"),
                    uploaded=page.num(uploaded, "videos_last_12_months"),
                ),
                page.cite(ev.by_field.get("upload_date")),
            )
        )
    stated = [p for p in data.archive if p["videos"] is not None]
    if len(stated) > 1:
        out.append(
            Finding(
                "growth",
                page.t(
                    "finding.archive",
                    first=page.num(stated[0]["videos"], "archive_videos_first"),
                    first_month=page.lang.month(stated[0]["month"]),
                    last=page.num(stated[-1]["videos"], "archive_videos_last"),
                    last_month=page.lang.month(stated[-1]["month"]),
                ),
            )
        )
    return out
