"""Audience: third-party traffic estimates per domain as imported (`unmask audience import`), the best
three months, and a world map of where the visits come from. Each figure cites the import it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, union

from unmask.analysis.audience import audience_summary
from unmask.core.store.models import AudienceCountry, AudienceImport, AudienceVisits
from unmask.report.charts import specs
from unmask.report.evidence import Reference, import_reference
from unmask.report.page import Page, join
from unmask.report.sections.base import Context, Finding

COUNTRIES_SHOWN = 10


@dataclass
class AudienceData:
    domains: list[dict[str, Any]]
    imports: dict[str, Reference]
    """Per domain, the latest import that gave its figures."""


def gather(ctx: Context) -> AudienceData:
    domains = [d for d in audience_summary(ctx.case.store)["domains"] if d["monthly"] or d["countries"]]
    with ctx.case.store.session() as s:
        pairs = union(
            select(AudienceVisits.domain, AudienceVisits.import_id),
            select(AudienceCountry.domain, AudienceCountry.import_id),
        ).subquery()
        latest: dict[str, int] = {}
        for domain, import_id in s.execute(select(pairs.c.domain, pairs.c.import_id)):
            latest[str(domain)] = max(latest.get(str(domain), 0), int(import_id))
        refs = {
            int(r.id): import_reference(r.id, r.file_name, r.imported_at, r.sha256)
            for r in s.scalars(select(AudienceImport).where(AudienceImport.id.in_(set(latest.values()))))
        }
    return AudienceData(domains, {d: refs[i] for d, i in latest.items() if i in refs})


def _source(page: Page, ref: Reference | None) -> str:
    if ref is None:
        return page.lang.t("source.audience_unknown")
    return page.lang.t("source.audience", file=ref.what, date=page.lang.date(ref.time[:10]))


def render(data: AudienceData, page: Page) -> str:
    lang = page.lang
    parts = [f"<p class=note>{page.t('audience.note')}</p>"]
    for n, d in enumerate(data.domains):
        ref = data.imports.get(d["domain"])
        parts.append(f"<h3>{page.t('audience.domain', domain=d['domain'])}</h3>")
        best = d["best_3_months"]
        if d["monthly"]:
            months = [m["month"] for m in d["monthly"]]
            title = (
                lang.t("audience.chart_title", visits=lang.n(best["visits"]),
                       first=lang.month(best["months"][0]), last=lang.month(best["months"][-1]))
                if best
                else lang.t("audience.chart_subtitle")
            )  # fmt: skip
            marks = [specs.Mark(best["months"][0], lang.t("audience.best"))] if best else []
            chart = specs.time_series(
                f"visits-{n}",
                specs.Text(title, lang.t("audience.chart_subtitle"), _source(page, ref)),
                months,
                [specs.Series(lang.t("audience.visits"), [m["visits"] for m in d["monthly"]])],
                specs.Axes(lang.t("axis.month"), lang.t("axis.visits")),
                area=True,
                marks=marks,
            )
            parts.append(page.chart(chart))
        if d["countries"]:
            top = d["countries"][0]
            names = {c["country"].upper(): lang.country(c["country"]) for c in d["countries"]}
            chart = specs.world_map(
                f"countries-{n}",
                specs.Text(
                    lang.t(
                        "audience.map_title",
                        country=lang.country(top["country"]),
                        share=lang.pct(top["share"]),
                    ),
                    lang.t("audience.map_subtitle", period=d["countries_period"] or "–"),
                    _source(page, ref),
                ),
                {c["country"]: c["share"] for c in d["countries"]},
                names,
                lang.t("audience.share"),
            )
            parts.append(page.chart(chart))
            rows = [
                (lang.country(c["country"]), c["country"], lang.pct(c["share"]))
                for c in d["countries"][:COUNTRIES_SHOWN]
            ]
            header = [lang.t("audience.country"), lang.t("audience.code"), lang.t("audience.share")]
            parts.append(page.table(header, rows, cls="compact"))
        if ref is not None:
            parts.append(f"<p class=note>{page.t('audience.from_import')} {page.cite(ref)}</p>")
    return "".join(parts)


def findings(data: AudienceData, page: Page) -> list[Finding]:
    out = []
    lang = page.lang
    for d in data.domains:
        best, countries = d["best_3_months"], d["countries"]
        if not best and not countries:
            continue
        parts = []
        if best:
            parts.append(
                page.t(
                    "finding.audience_visits",
                    visits=page.num(best["visits"], "best_3_months_visits"),
                    first=lang.month(best["months"][0]),
                    last=lang.month(best["months"][-1]),
                )
            )
        if countries:
            rest = [lang.country(c["country"]) for c in countries[1:3]]
            key = "finding.audience_countries" if rest else "finding.audience_country"
            parts.append(
                page.t(
                    key,
                    country=lang.country(countries[0]["country"]),
                    share=page.pct(countries[0]["share"], "top_country_share"),
                    rest=lang.t("and").join(rest) if rest else "",
                )
            )
        sentence = page.t("finding.audience", domain=d["domain"], what=join(parts, lang.t("semicolon")))
        out.append(Finding("audience", sentence, page.cite(data.imports.get(d["domain"]))))
    return out
