"""Methodology: how the figures were obtained (platforms, crawl runs, fetch settings), what they cannot
say, and which sections the report left out because their stage did not run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from unmask.report.page import Page
from unmask.report.sections.base import Context, verdict


@dataclass
class MethodData:
    method: dict[str, Any]
    skipped: list[tuple[str, str]]
    figures: dict[str, Any]


def gather(ctx: Context) -> MethodData:
    return MethodData(ctx.methodology, list(ctx.skipped), ctx.figures)


def _runs(data: MethodData, page: Page) -> str:
    lang = page.lang
    rows = []
    details = []
    for r in data.method["runs"]:
        started, finished = lang.date(r["started"]), lang.date(r["finished"])
        counts = (r["sessions"], r["requests"], r["refused"], r["errors"])
        rows.append((f"#{r['run']}", lang.status(r["status"]), started, finished, *counts))
        fetched = "; ".join(
            f"{kind}: " + ", ".join(f"{lang.n(n)} {status}" for status, n in sorted(counts.items()))
            for kind, counts in r["frontier"].items()
        )
        politeness = lang.t(
            "method.politeness", delay=lang.n(r["delay"] or 0, 1), concurrency=r["concurrency"] or "–"
        )
        detail = page.t(
            "method.run_detail",
            run=r["run"],
            url=r["start_url"],
            adapter=r["adapter"] or "–",
            politeness=politeness,
            fetched=fetched or "–",
            mode=lang.t("method.recrawl" if r["incremental"] else "method.first_crawl"),
        )
        details.append(f"<li>{detail}</li>")
    header = [
        lang.t(f"runs.{k}")
        for k in ("run", "status", "started", "finished", "sessions", "requests", "refused", "failed")
    ]
    return page.table(header, rows, cls="compact") + f"<ul class=runs>{''.join(details)}</ul>"


def render(data: MethodData, page: Page) -> str:
    lang = page.lang
    m = data.method
    platforms = page.table(
        [lang.t("method.platform"), lang.t("method.base_url"), lang.t("method.adapter")],
        [(p["name"], p["base_url"], p["adapter"]) for p in m["platforms"]],
        cls="compact wrap",
    )
    s = m["settings"]
    yes_no = {True: lang.t("yes"), False: lang.t("no")}
    settings = page.table(
        [lang.t("method.setting"), lang.t("growth.value")],
        [
            (lang.t("method.user_agent"), s["user_agent"]),
            (lang.t("method.delay"), f"{lang.n(s['delay'], 1)} s"),
            (lang.t("method.concurrency"), s["concurrency"]),
            (lang.t("method.autothrottle"), yes_no[bool(s["autothrottle"])]),
            (lang.t("method.robots"), yes_no[bool(s["obey_robots"])]),
            (lang.t("method.retries"), s["retries"]),
            (lang.t("method.max_body"), f"{lang.n(s['max_response_bytes'])} bytes"),
            (lang.t("method.proxy"), yes_no[bool(s["proxy"])]),
        ],
        cls="compact wrap",
        numeric=False,
    )
    limits = "".join(
        f"<li>{page.t(key, **{k: lang.n(v) if isinstance(v, int) else v for k, v in values.items()})}</li>"
        for key, values in m["limitations"]
    )
    complete, reasons = verdict(data.figures, data.method["runs"])
    if not complete:
        limits += "".join(f"<li>{page.t('method.incomplete', reason=r)}</li>" for r in reasons)
    skipped = "".join(
        "<li>"
        + page.t(
            "method.skipped",
            section=lang.t(f"section.{key}"),
            stage=lang.t(f"stage.{stage}.name"),
            how=lang.t(f"stage.{stage}.how"),
        )
        + "</li>"
        for key, stage in data.skipped
    )
    return (
        f"<p>{page.t('method.intro')}</p>"
        f"<h3>{page.t('method.platforms')}</h3>{platforms}"
        f'<h3 id="runs">{page.t("method.runs")}</h3>{_runs(data, page)}'
        f"<h3>{page.t('method.settings')}</h3>{settings}"
        f"<h3>{page.t('method.limitations')}</h3><ul>{limits}</ul>"
        + (f"<h3>{page.t('method.not_included')}</h3><ul>{skipped}</ul>" if skipped else "")
    )
