"""The marketplace: the forum census (`unmask forum crawl`) — threads and paid requests per month, prices
per currency (never converted), kinds, top sections, the non-public share (only with a public-figure
list), and the latest paid requests, each linked to the capture of its page. Starters and the depicted
persons the case knows are pseudonymized; any other word of a title that may be a name is withheld
(``PrivacyPolicy.forum_text``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from unmask.report.charts import specs
from unmask.report.evidence import Reference, capture_references
from unmask.report.page import Page
from unmask.report.sections.base import Context, Finding, Stage

PAID_SHOWN = 12


def _thread_table() -> Any:
    from unmask.forum.tables import ForumThread

    return ForumThread.id


FORUM = Stage("forum", _thread_table)


@dataclass
class ForumData:
    figures: dict[str, Any]
    paid: list[dict[str, Any]]
    refs: dict[int, Reference]
    index: Reference | None
    """The capture of the forum's start page in its latest run (the headline figures' evidence)."""


def gather(ctx: Context) -> ForumData:
    from unmask.forum.analysis import stats, threads
    from unmask.forum.tables import ForumFrontier, ForumRun

    store = ctx.case.store
    figures = stats(store, ctx.policy)
    paid = threads(store, ctx.policy, kind="paid_request")[:PAID_SHOWN]
    ids = {t["capture_id"] for t in paid if t["capture_id"]}
    with store.session() as s:
        latest = s.scalar(select(ForumRun.id).order_by(ForumRun.id.desc()).limit(1))
        index_id = s.scalar(
            select(ForumFrontier.capture_id)
            .where(
                ForumFrontier.run_id == latest, ForumFrontier.kind == "index", ForumFrontier.status == "done"
            )
            .order_by(ForumFrontier.id)
            .limit(1)
        )
        if index_id:
            ids.add(index_id)
        refs = {
            cid: dataclasses.replace(ref, what=ctx.policy.forum_url(ref.what) or "")
            for cid, ref in capture_references(ctx.case, ids, ctx.policy, session=s).items()
        }
    return ForumData(figures, paid, refs, refs.get(index_id) if index_id else None)


def _n(page: Page, value: float) -> str:
    """An amount: crypto amounts below 1 with their decimals, others with two at most."""
    return page.lang.n(value, 6 if 0 < value < 1 else (0 if value == int(value) else 2))


def _amount(page: Page, p: dict[str, Any]) -> str:
    lo, hi = p["min"], p["max"]
    amount = _n(page, lo) if lo == hi else f"{_n(page, lo)}–{_n(page, hi)}"
    return f"{amount} {p['currency']}" + (f" / {p['unit']}" if p.get("unit") else "")


def _months(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` (YYYY-MM), both included."""
    year, month = map(int, first.split("-"))
    out: list[str] = []
    while f"{year:04d}-{month:02d}" <= last and len(out) < 1200:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _monthly(f: dict[str, Any], page: Page) -> str:
    lang = page.lang
    counts = {m["month"]: (m["threads"], m["paid_requests"]) for m in f["monthly"]}
    months = _months(f["monthly"][0]["month"], f["monthly"][-1]["month"])  # empty months drawn as 0
    chart = specs.time_series(
        "forum-monthly",
        specs.Text(lang.t("forum.monthly_title"), lang.t("forum.monthly_subtitle"), lang.t("source.forum")),
        months,
        [
            specs.Series(lang.t("forum.threads"), [counts.get(m, (0, 0))[0] for m in months]),
            specs.Series(lang.t("forum.paid_requests"), [counts.get(m, (0, 0))[1] for m in months]),
        ],
        specs.Axes(lang.t("axis.month"), lang.t("forum.threads_per_month")),
    )
    return page.chart(chart)


def _prices(f: dict[str, Any], page: Page) -> str:
    lang = page.lang
    header = [lang.t(f"forum.price.{k}") for k in ("currency", "count", "min", "median", "mean", "max")]
    rows = [
        (cur, p["count"], *(_n(page, p[k]) for k in ("min", "median", "mean", "max")))
        for cur, p in f["prices"].items()
    ]
    parts = [f"<h3>{page.t('forum.prices')}</h3><p class=note>{page.t('forum.prices_note')}</p>"]
    parts.append(page.table(header, rows, cls="compact"))
    main, p = next(iter(f["prices"].items()))
    if p["histogram"]:
        chart = specs.bars(
            "forum-prices",
            specs.Text(
                lang.t("forum.histogram_title", currency=main),
                lang.t("forum.histogram_subtitle"),
                lang.t("source.forum"),
            ),
            [f"{_n(page, b['from'])}–{_n(page, b['to'])}" for b in p["histogram"]],
            [specs.Series(lang.t("forum.price.count"), [b["count"] for b in p["histogram"]])],
            specs.Axes(lang.t("forum.price_range", currency=main), lang.t("forum.prices_stated")),
        )
        parts.append(page.chart(chart))
    return "".join(parts)


def _paid(data: ForumData, page: Page) -> str:
    lang = page.lang
    keys = ("forum.started", "forum.section", "forum.title", "forum.price.stated", "forum.starter")
    head = "".join(f"<th>{page.t('forum.cell', v=lang.t(k))}</th>" for k in keys)
    head += f"<th>{page.t('growth.evidence')}</th>"
    body = []
    for t in data.paid:
        ref = data.refs.get(t["capture_id"]) if t["capture_id"] else None
        cells = (
            t["started"] or "–",
            t["section"] or "–",
            t["title"] or "–",
            ", ".join(_amount(page, p) for p in t["prices"]) or "–",
            t["starter"] or "–",
        )
        row = "".join(f"<td>{page.t('forum.cell', v=v)}</td>" for v in cells)
        body.append(f"<tr>{row}<td>{page.cite(ref)}</td></tr>")
    note = (
        f"<p class=note>{page.t('forum.withheld_note')}</p>" if any(t["withheld"] for t in data.paid) else ""
    )
    return (
        f"<h3>{page.t('forum.latest_paid')}</h3><table class=compact><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{note}"
    )


def render(data: ForumData, page: Page) -> str:
    lang, f = page.lang, data.figures
    parts: list[str] = []
    if not f.get("complete"):
        reasons = lang.t("semicolon").join(f.get("incomplete_reasons") or [])
        parts.append(f"<p class=warning>{page.t('forum.incomplete', reasons=reasons)}</p>")
    kinds = f["kinds"]
    headline = page.t(
        "forum.headline",
        threads=page.num(f["threads"], "forum_threads"),
        posts=page.num(f["posts"], "forum_posts"),
        authors=page.num(f["authors"], "forum_authors"),
        paid=page.num(kinds["paid_request"], "forum_paid_requests"),
    )
    parts.append(f"<p>{headline} {page.cite(data.index)}</p>")
    if f["monthly"]:
        parts.append(_monthly(f, page))
    if f["prices"]:
        parts.append(_prices(f, page))
    total = f["threads"]
    kind_rows = [
        (lang.t(f"forum.kind.{k}"), n, lang.pct(n / total) if total else "–") for k, n in kinds.items()
    ]
    header = [lang.t("forum.kind_header"), lang.t("forum.threads"), lang.t("forum.share")]
    parts.append(f"<h3>{page.t('forum.kinds')}</h3>" + page.table(header, kind_rows, cls="compact"))
    top = [(s["name"], s["threads"]) for s in f["sections"][:10]]
    header = [lang.t("forum.section"), lang.t("forum.threads")]
    parts.append(f"<h3>{page.t('forum.sections')}</h3>" + page.table(header, top, cls="compact"))
    if f["closed_sections"]:
        parts.append(f"<p class=note>{page.t('forum.closed', sections=', '.join(f['closed_sections']))}</p>")
    share = f.get("non_public_share")
    if share is None:
        parts.append(f"<p class=note>{page.t('forum.no_public_list')}</p>")
    elif share.get("share") is not None:
        said = page.t(
            "forum.non_public",
            share=page.pct(share["share"], "forum_non_public_share"),
            n=page.num(share["non_public"]),
            named=page.num(share["naming_a_known_person"]),
            unknown=page.num(share["naming_no_known_person"]),
        )
        parts.append(f"<p>{said}</p>")
    if data.paid:
        parts.append(_paid(data, page))
    return "".join(parts)


def findings(data: ForumData, page: Page) -> list[Finding]:
    f = data.figures
    if not f["threads"]:
        return []
    prices = f["prices"]
    if prices:
        cur, p = next(iter(prices.items()))
        said = page.t(
            "finding.forum_prices",
            currency=cur,
            low=page.num(p["min"], "forum_price_min", 2 if p["min"] < 1 else 0),
            high=page.num(p["max"], "forum_price_max", 2 if p["max"] < 1 else 0),
            median=page.num(p["median"], "forum_price_median", 2 if p["median"] < 1 else 0),
        )
    else:
        said = page.t("finding.forum_no_prices")
    sentence = page.t(
        "finding.forum",
        threads=page.num(f["threads"], "forum_threads"),
        paid=page.num(f["kinds"]["paid_request"], "forum_paid_requests"),
        prices=said,
    )
    return [Finding("forum", sentence, page.cite(data.index))]
