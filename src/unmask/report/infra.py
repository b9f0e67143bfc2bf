"""The report's Infrastructure section: per scanned domain, what it runs on now, a timeline of its
addresses, networks, masking services, certificates and linking IDs, the changes, and sister sites.

Reads what `unmask infra scan` (and `infra import-pdns`) stored, through unmask.infra's own queries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from unmask.core.output import html_text
from unmask.core.store import Store
from unmask.infra.changes import changes
from unmask.infra.related import CAVEAT, related
from unmask.infra.tables import InfraObservation
from unmask.infra.timeline import Span, spans
from unmask.report.svg import span_chart

CHART_KINDS: dict[str, str] = {
    "dns.a": "IP",
    "dns.aaaa": "IPv6",
    "net.asn_name": "network",
    "net.country": "country",
    "masking": "masking",
    "dns.ns": "nameserver",
    "cert.sha256": "certificate",
    "linking_id": "linking ID",
    "rdap.hoster": "hoster",
}
"""Observation kinds drawn on the timeline, with their label."""
CHART_ROWS = 40
CHANGES_SHOWN = 50


def _e(value: Any) -> str:
    return html_text("–" if value is None else value)


def domains(store: Store) -> list[str]:
    """Domains the case scanned (or imported passive DNS for), most observed first."""
    q = (
        select(InfraObservation.domain, func.count())
        .group_by(InfraObservation.domain)
        .order_by(func.count().desc(), InfraObservation.domain)
    )
    with store.session() as s:
        return [str(d) for d, _n in s.execute(q)]


def _days(when: dt.datetime) -> float:
    return when.timestamp() / 86400


def _axis(start: dt.datetime, end: dt.datetime) -> list[tuple[float, str]]:
    span = (end - start).days
    ticks: list[tuple[float, str]] = []
    if span > 3 * 365:
        for year in range(start.year + 1, end.year + 1):
            ticks.append((_days(dt.datetime(year, 1, 1)), str(year)))
    elif span > 60:
        month = dt.datetime(start.year, start.month, 1)
        while month <= end:
            ticks.append((_days(month), month.strftime("%Y-%m")))
            month = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1)
        ticks = ticks[:: max(1, len(ticks) // 8)]
    else:
        ticks = [
            (_days(start), start.strftime("%Y-%m-%d %H:%M")),
            (_days(end), end.strftime("%Y-%m-%d %H:%M")),
        ]
    return ticks


def _chart(domain: str, items: Sequence[Span]) -> str:
    shown = [s for s in items if s.kind in CHART_KINDS]
    if not shown:
        return ""
    shown = sorted(shown, key=lambda s: (list(CHART_KINDS).index(s.kind), s.start))[:CHART_ROWS]
    start = min(s.start for s in shown)
    end = max(s.end for s in shown)
    if end - start < dt.timedelta(hours=1):
        end = start + dt.timedelta(hours=1)
    rows = []
    for s in shown:
        label = s.value if s.subject == domain or s.kind.startswith("dns.") else f"{s.value} ({s.subject})"
        rows.append((CHART_KINDS[s.kind], f"{CHART_KINDS[s.kind]}: {label}", _days(s.start), _days(s.end)))
    return span_chart(
        f"{domain}: infrastructure over time",
        rows,
        start=_days(start),
        end=_days(end),
        axis=_axis(start, end),
    )


def _list(values: Sequence[Any]) -> str:
    if isinstance(values, list):
        return ", ".join(str(v) for v in values) or "none"
    return "none" if values is None else str(values)


def domain_section(store: Store, domain: str) -> str:
    items = spans(store, domain)
    latest = max((s.end for s in items), default=None)
    current: dict[str, list[str]] = {}
    for s in items:
        if latest is not None and s.end == latest and s.kind in CHART_KINDS:
            current.setdefault(CHART_KINDS[s.kind], []).append(s.value)
    now_rows = "".join(
        f"<tr><td>{_e(label)}</td><td>{_e(', '.join(sorted(set(values))))}</td></tr>"
        for label, values in current.items()
    )
    found = changes(store, domain)[-CHANGES_SHOWN:]
    change_rows = "".join(
        f"<tr><td>{_e(c.time.strftime('%Y-%m-%d %H:%M'))}</td><td>{_e(c.kind)}</td>"
        f"<td>{_e(_list(c.old))}</td><td>{_e(_list(c.new))}</td></tr>"
        for c in reversed(found)
    )
    links = related(store, domain)
    link_rows = "".join(
        f"<tr><td>{_e(x.domain)}</td><td>{_e(x.kind)}</td><td>{_e(x.value)}</td><td>{_e(x.strength)}</td></tr>"
        for x in links
    )
    parts = [f"<h3>{_e(domain)}</h3>"]
    if now_rows:
        seen = latest.strftime("%Y-%m-%d %H:%M") if latest else "–"
        parts.append(
            f"<p>Last seen {_e(seen)} UTC.</p><table><tr><th>What</th><th>Value</th></tr>{now_rows}</table>"
        )
    parts.append(_chart(domain, items))
    parts.append(
        "<h4>Changes</h4>"
        + (
            f"<table><tr><th>When</th><th>Kind</th><th>Before</th><th>After</th></tr>{change_rows}</table>"
            if change_rows
            else "<p>No change between scans yet.</p>"
        )
    )
    parts.append(
        "<h4>Sister sites</h4>"
        + (
            f"<table><tr><th>Domain</th><th>Shared</th><th>Value</th><th>Strength</th></tr>{link_rows}</table>"
            f"<p class=note>{_e(CAVEAT)}</p>"
            if link_rows
            else "<p>No other domain in the case shares an address, certificate, favicon or linking ID.</p>"
        )
    )
    return "".join(parts)


def infra_section(store: Store) -> str:
    found = domains(store)
    if not found:
        return (
            "<p>No infrastructure scan in this case: <code>unmask infra scan DOMAIN</code> records DNS, "
            "networks, masking services, certificates and linking IDs over time.</p>"
        )
    return "".join(domain_section(store, d) for d in found)
