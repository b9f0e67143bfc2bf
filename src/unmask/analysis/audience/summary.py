"""What the stored audience data says per domain: monthly visits, the best three months, country
shares and ranks, and the one-line headline the report shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from unmask.analysis.audience.values import (
    AudienceError,
    shift_month,
)
from unmask.core.domains import site_key
from unmask.core.store import Store
from unmask.core.store.models import AudienceCountry, AudienceVisits, SiteRank


def best_window(monthly: Sequence[tuple[str, int]], size: int = 3) -> dict[str, Any] | None:
    """The ``size`` consecutive calendar months with the most visits (months without data count 0)."""
    visits = dict(monthly)
    best: dict[str, Any] | None = None
    for start in sorted(visits):
        months = [m for m in (shift_month(start, k) for k in range(size)) if m in visits]
        total = sum(visits[m] for m in months)
        if best is None or total > best["visits"]:
            best = {"months": months, "visits": total}
    return best


def audience_summary(store: Store, domain: str | None = None) -> dict[str, Any]:
    """Per domain: monthly visits, the best 3 months, country shares (highest first), ranks.

    Where several imports give the same month, the latest import wins; country shares come from the
    latest import that has them for the domain, and from its latest period.
    """
    wanted = None
    if domain is not None:
        wanted = site_key(domain)
        if wanted is None:
            raise AudienceError(f"--domain {domain!r} is not a domain name")
    with store.session() as session:

        def rows(*columns: Any) -> list[Any]:
            query = select(*columns)
            if wanted is not None:
                query = query.where(columns[0] == wanted)
            return list(session.execute(query))

        visits = rows(
            AudienceVisits.domain, AudienceVisits.month, AudienceVisits.visits, AudienceVisits.import_id
        )
        countries = rows(
            AudienceCountry.domain, AudienceCountry.period, AudienceCountry.country, AudienceCountry.share,
            AudienceCountry.import_id,
        )  # fmt: skip
        ranks = rows(SiteRank.domain, SiteRank.list_name, SiteRank.list_date, SiteRank.rank)
    monthly: dict[str, dict[str, tuple[int, int]]] = {}
    for d, month, count, import_id in visits:
        if month not in monthly.setdefault(d, {}) or import_id > monthly[d][month][1]:
            monthly[d][month] = (count, import_id)
    share_rows: dict[str, list[Any]] = {}
    for row in countries:
        share_rows.setdefault(row.domain, []).append(row)
    rank_rows: dict[str, list[Any]] = {}
    for row in ranks:
        rank_rows.setdefault(row.domain, []).append(row)
    domains = sorted({*monthly, *share_rows, *rank_rows})
    if wanted is not None and not domains:
        raise AudienceError(f"no audience data for {wanted}: import some with `unmask audience import FILE`")
    out = []
    for d in domains:
        series = [(m, v) for m, (v, _) in sorted(monthly.get(d, {}).items())]
        chosen: list[Any] = []
        period = None
        if share_rows.get(d):
            latest = max(r.import_id for r in share_rows[d])
            in_latest = [r for r in share_rows[d] if r.import_id == latest]
            period = max((r.period for r in in_latest if r.period), default=None)
            chosen = sorted((r for r in in_latest if r.period == period), key=lambda r: (-r.share, r.country))
        out.append({
            "domain": d,
            "monthly": [{"month": m, "visits": v} for m, v in series],
            "best_3_months": best_window(series),
            "countries": [{"country": r.country, "share": r.share} for r in chosen],
            "countries_period": period,
            "ranks": [
                {"list": r.list_name, "date": r.list_date.isoformat(), "rank": r.rank}
                for r in sorted(rank_rows.get(d, []), key=lambda r: (r.list_date, r.list_name))
            ],
        })  # fmt: skip
    return {"domains": out}


def _millions(visits: int) -> str:
    if visits >= 1_000_000:
        return f"{visits / 1_000_000:.1f} million"
    return f"{visits:,}"


def headline(entry: dict[str, Any]) -> str | None:
    """``"17.3 million visits in 3 months (2024-08 to 2024-10), most from US (38.5%), then JP and DE"``."""
    best = entry.get("best_3_months")
    parts = []
    if best:
        months = best["months"]
        span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
        count = "1 month" if len(months) == 1 else f"{len(months)} months"
        parts.append(f"{_millions(best['visits'])} visits in {count} ({span})")
    countries = [c["country"] for c in entry.get("countries", [])][:3]
    if countries:
        top = entry["countries"][0]
        text = f"most from {top['country']} ({top['share']:.1%})"
        if len(countries) > 1:
            text += ", then " + " and ".join(countries[1:])
        parts.append(text)
    return ", ".join(parts) if parts else None
