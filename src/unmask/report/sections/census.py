"""The census's other sections: who is depicted (targets), how views and uploads concentrate, durations
and tags. Each reads its part of the analysis (unmask.analysis), computed here when the case lacks it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unmask.report.charts import specs
from unmask.report.evidence import EvidenceIndex
from unmask.report.page import Html, Page
from unmask.report.sections.base import Context, Finding

TOP_TAGS = 20


@dataclass
class Part:
    """One part of the analysis with what its sentences cite."""

    result: dict[str, Any]
    evidence: EvidenceIndex
    source: str
    pseudonymized: bool = True


def _part(name: str) -> Any:
    def gather(ctx: Context) -> Part:
        return Part(ctx.analysis[name], ctx.evidence, ctx.census_source, bool(ctx.figures["pseudonymized"]))

    return gather


gather_targets = _part("targets")
gather_concentration = _part("concentration")
gather_distributions = _part("distributions")


# -- targets -------------------------------------------------------------------------------------------


def render_targets(data: Part, page: Page) -> str:
    lang = page.lang
    persons, items = data.result["persons"], data.result["items"]
    note = page.t("targets.pseudonyms" if data.pseudonymized else "targets.real_names")
    rows = [
        (p["name"], lang.t("yes" if p["public_figure"] else "no"), p["items"], p["videos"], p["photos"],
         p["views"])
        for p in persons["top"]
    ]  # fmt: skip
    header = [lang.t(f"targets.{k}") for k in ("person", "public", "items", "videos", "photos", "views")]
    summary = page.t(
        "targets.summary",
        persons=page.num(persons["persons"]),
        public=page.num(persons["public_figures"]),
        share=page.pct(items["non_public_share"]),
        n=page.num(items["non_public"]["items"]),
        media=page.num(items["media"]),
    )
    return f"<p>{summary}</p><p class=note>{note}</p>" + page.table(header, rows)


def findings_targets(data: Part, page: Page) -> list[Finding]:
    persons, items = data.result["persons"], data.result["items"]
    if not items["media"]:
        return []
    sentence = page.t(
        "finding.targets",
        share=page.pct(items["non_public_share"], "non_public_share"),
        n=page.num(items["non_public"]["items"], "non_public_items"),
        media=page.num(items["media"], "media"),
        persons=page.num(persons["persons"], "persons"),
        public=page.num(persons["public_figures"], "public_figures"),
    )
    return [Finding("targets", sentence, page.cite(data.evidence.by_field.get("persons")))]


# -- concentration -------------------------------------------------------------------------------------


def render_concentration(data: Part, page: Page) -> str:
    lang = page.lang
    v, u = data.result["views"], data.result["uploaders"]
    rows = [
        (lang.t("concentration.videos_with_views"), lang.n(v["videos"])),
        (lang.t("concentration.views"), lang.n(v["views"])),
        (lang.t("concentration.top1"), lang.pct(v["top1_share"])),
        (lang.t("concentration.top10"), lang.pct(v["top10_share"])),
        (lang.t("concentration.gini"), lang.n(v["gini"], 3)),
        (lang.t("concentration.uploaders"), lang.n(u["uploaders"])),
        (lang.t("concentration.per_uploader"), f"{lang.n(u['median'])} / {lang.n(u['max'])}"),
        (lang.t("concentration.top10_uploaders"), lang.pct(u["top10_share"])),
    ]
    parts: list[str] = [page.table([lang.t("growth.figure"), lang.t("growth.value")], rows, cls="figures")]
    years = [y for y in data.result["views_by_year"] if y["year"] is not None]
    if years:
        latest = max(years, key=lambda y: y["year"])
        best = max(years, key=lambda y: y["views_per_video"] or 0)
        chart = specs.bars(
            "views-per-year",
            specs.Text(
                lang.t(
                    "concentration.chart_title", year=best["year"], n=lang.n(best["views_per_video"] or 0)
                ),
                lang.t("concentration.chart_subtitle"),
                data.source,
                lang.t("concentration.chart_note", year=latest["year"]),
            ),
            [str(y["year"]) for y in years],
            [
                specs.Series(
                    lang.t("concentration.views_per_video"), [y["views_per_video"] or 0 for y in years]
                )
            ],
            specs.Axes(lang.t("axis.upload_year"), lang.t("axis.views_per_video")),
        )
        parts.append(page.chart(chart))
    parts.append(f"<h3>{page.t('concentration.top_uploaders')}</h3>")
    parts.append(
        page.table(
            [lang.t("concentration.uploader"), lang.t("targets.items")],
            [(t["name"], t["items"]) for t in u["top"]],
        )
    )
    return "".join(parts)


def findings_concentration(data: Part, page: Page) -> list[Finding]:
    v, u = data.result["views"], data.result["uploaders"]
    if not v["videos"]:
        return []
    few = u["uploaders"] <= 10  # "the 10 most active of 7 uploaders" says nothing
    sentence = page.t(
        "finding.concentration_few" if few else "finding.concentration",
        top1=page.pct(v["top1_share"], "top1_share"),
        top10=page.pct(u["top10_share"], "top10_uploader_share"),
        uploaders=page.num(u["uploaders"], "uploaders"),
    )
    return [Finding("concentration", sentence, page.cite(data.evidence.by_field.get("views")))]


# -- durations and tags --------------------------------------------------------------------------------


def render_distributions(data: Part, page: Page) -> str:
    lang = page.lang
    d = data.result
    hist = d["durations"]["histogram"]
    median = d["durations"]["median_s"]
    parts: list[str] = []
    if hist and any(b["videos"] for b in hist):
        top = max(hist, key=lambda b: b["videos"])
        title = lang.t("distributions.chart_title", bin=top["bin"])
        if median is not None:
            title = lang.t("distributions.chart_title_median", bin=top["bin"], median=lang.n(median / 60, 1))
        chart = specs.bars(
            "durations",
            specs.Text(title, lang.t("distributions.chart_subtitle"), data.source),
            [b["bin"] for b in hist],
            [specs.Series(lang.t("growth.videos"), [b["videos"] for b in hist])],
            specs.Axes(lang.t("axis.duration"), lang.t("axis.videos")),
        )
        parts.append(page.chart(chart))
    tags = d["tags"]["overall"][:TOP_TAGS]
    parts.append(f"<h3>{page.t('distributions.tags')}</h3>")
    parts.append(
        page.table(
            [lang.t("distributions.tag"), lang.t("targets.items")],
            [(t["tag"], t["items"]) for t in tags],
            cls="compact",
        )
        or Html(f"<p>{page.t('distributions.no_tags')}</p>")
    )
    return "".join(parts)
