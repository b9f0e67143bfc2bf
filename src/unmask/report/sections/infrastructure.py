"""Infrastructure: per scanned domain, what it runs on now, a timeline of its addresses, networks, masking
services, certificates and linking IDs, the changes between scans, and sister sites.

Reads what `unmask infra scan` (and `infra import-pdns`) stored, through unmask.infra's own queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from unmask.core.store import Store
from unmask.report.charts import specs
from unmask.report.evidence import Reference
from unmask.report.page import Page
from unmask.report.sections.base import Context, Finding

if TYPE_CHECKING:  # the infra stage is imported only when its section is shown
    from unmask.infra.changes import Change
    from unmask.infra.related import Link
    from unmask.infra.timeline import Span

CHART_KINDS: dict[str, str] = {
    "dns.a": "ip",
    "dns.aaaa": "ipv6",
    "net.asn_name": "network",
    "net.country": "country",
    "masking": "masking",
    "dns.ns": "nameserver",
    "cert.sha256": "certificate",
    "linking_id": "linking_id",
    "rdap.hoster": "hoster",
}
"""Observation kinds drawn on the timeline, with their label's key (``infra.kind.KEY``)."""
CHART_ROWS = 40
CHANGES_SHOWN = 25
DOMAINS_IN_SUMMARY = 3


def domains(store: Store) -> list[str]:
    """Domains the case scanned (or imported passive DNS for), most observed first."""
    from unmask.infra.tables import InfraObservation

    q = (
        select(InfraObservation.domain, func.count())
        .group_by(InfraObservation.domain)
        .order_by(func.count().desc(), InfraObservation.domain)
    )
    with store.session() as s:
        return [str(d) for d, _n in s.execute(q)]


@dataclass
class DomainData:
    domain: str
    spans: list[Span]
    changes: list[Change]
    related: list[Link]

    @property
    def latest(self) -> dt.datetime | None:
        return max((s.end for s in self.spans), default=None)

    def current(self) -> dict[str, list[str]]:
        """Per shown kind, the values seen in the latest scan."""
        out: dict[str, list[str]] = {}
        for s in self.spans:
            if s.end == self.latest and s.kind in CHART_KINDS:
                out.setdefault(CHART_KINDS[s.kind], [])
                if s.value not in out[CHART_KINDS[s.kind]]:
                    out[CHART_KINDS[s.kind]].append(s.value)
        return out


@dataclass
class InfraData:
    domains: list[DomainData]
    scan: Reference | None
    scans: int


def gather(ctx: Context) -> InfraData:
    from unmask.infra.changes import changes
    from unmask.infra.related import related
    from unmask.infra.tables import InfraScan
    from unmask.infra.timeline import spans

    store = ctx.case.store
    found = [DomainData(d, spans(store, d), changes(store, d), related(store, d)) for d in domains(store)]
    with store.session() as s:
        n = int(s.scalar(select(func.count()).select_from(InfraScan)) or 0)
        last = s.scalars(select(InfraScan).order_by(InfraScan.id.desc()).limit(1)).first()
        ref = (
            Reference("scan", last.id, ", ".join(_domains(last.domains)), _iso(last.started_at))
            if last is not None
            else None
        )
    return InfraData(found, ref, n)


def caveat() -> str:
    from unmask.infra.related import CAVEAT

    return CAVEAT


def _domains(raw: str) -> list[str]:
    import json

    try:
        value = json.loads(raw or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _iso(when: dt.datetime) -> str:
    return when.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def _list(values: Any) -> str:
    if isinstance(values, list):
        return ", ".join(str(v) for v in values) or "–"
    return "–" if values is None else str(values)


def _timeline(d: DomainData, n: int, page: Page, scan: Reference | None) -> str:
    lang = page.lang
    shown = sorted(
        (s for s in d.spans if s.kind in CHART_KINDS),
        key=lambda s: (list(CHART_KINDS).index(s.kind), s.start),
    )[:CHART_ROWS]
    if not shown:
        return ""
    start = min(s.start for s in shown)
    end = max(s.end for s in shown)
    least = max((end - start) / 100, dt.timedelta(hours=1))
    rows = []
    for s in shown:
        kind = lang.t(f"infra.kind.{CHART_KINDS[s.kind]}")
        label = s.value if s.subject == d.domain or s.kind.startswith("dns.") else f"{s.value} ({s.subject})"
        rows.append(
            specs.Span(kind, f"{kind}: {label}"[:60], _iso(s.start), _iso(max(s.end, s.start + least)))
        )
    marks = [
        specs.Mark(c.time.date().isoformat(), c.kind)
        for c in d.changes
        if c.kind in ("hoster", "masking", "asn")
    ]
    chart = specs.timeline(
        f"infra-{n}",
        specs.Text(
            lang.t("infra.chart_title", domain=d.domain),
            lang.t("infra.chart_subtitle", changes=lang.n(len(d.changes))),
            lang.t(
                "source.infra", scan=scan.id if scan else "–", date=lang.date(scan.time[:10]) if scan else "–"
            ),
        ),
        rows,
        lang.t("axis.time"),
        marks[-4:],
    )
    return page.chart(chart)


def _domain(d: DomainData, n: int, page: Page, scan: Reference | None) -> str:
    lang = page.lang
    parts = [f"<h3>{page.t('infra.domain', domain=d.domain)}</h3>"]
    current = d.current()
    if current:
        seen = lang.time(d.latest) if d.latest else "–"
        now: list[tuple[str, ...]] = [
            (lang.t(f"infra.kind.{k}"), ", ".join(sorted(v))) for k, v in current.items()
        ]
        parts.append(f"<p>{page.t('infra.last_seen', when=seen)}</p>")
        parts.append(page.table([lang.t("infra.what"), lang.t("infra.value")], now, cls="compact"))
    parts.append(_timeline(d, n, page, scan))
    parts.append(f"<h4>{page.t('infra.changes')}</h4>")
    recent = d.changes[-CHANGES_SHOWN:]
    rows = [(lang.time(c.time), c.kind, _list(c.old), _list(c.new)) for c in reversed(recent)]
    header = [lang.t("infra.when"), lang.t("infra.kind_col"), lang.t("infra.before"), lang.t("infra.after")]
    parts.append(page.table(header, rows, cls="compact wrap") or f"<p>{page.t('infra.no_changes')}</p>")
    if len(d.changes) > len(recent):
        parts.append(
            "<p class=note>"
            + page.t("infra.more_changes", n=lang.n(len(d.changes) - len(recent)), domain=d.domain)
            + "</p>"
        )
    parts.append(f"<h4>{page.t('infra.sisters')}</h4>")
    if d.related:
        rows = [(x.domain, x.kind, x.value, x.strength) for x in d.related]
        header = [lang.t(f"infra.{k}") for k in ("domain_col", "shared", "value", "strength")]
        parts.append(page.table(header, rows, cls="compact wrap"))
        parts.append(f"<p class=note>{page.t('infra.caveat', caveat=caveat())}</p>")
    else:
        parts.append(f"<p>{page.t('infra.no_sisters')}</p>")
    return "".join(parts)


def render(data: InfraData, page: Page) -> str:
    parts = [_domain(d, n, page, data.scan) for n, d in enumerate(data.domains)]
    if data.scan is not None:
        parts.append(
            f"<p class=note>{page.t('infra.scans', n=page.lang.n(data.scans))} {page.cite(data.scan)}</p>"
        )
    return "".join(parts)


def findings(data: InfraData, page: Page) -> list[Finding]:
    lang = page.lang
    out = []
    for d in data.domains[:DOMAINS_IN_SUMMARY]:
        now = d.current()
        networks, masking = ", ".join(now.get("network", [])), ", ".join(now.get("masking", []))
        if not networks and not masking:
            continue  # nothing known about where it runs: no sentence
        countries = ", ".join(lang.country(c) for c in now.get("country", []))
        where = f"{networks} ({countries})" if networks and countries else networks or lang.t("infra.unknown")
        moved = [c for c in d.changes if c.kind in ("hoster", "masking", "asn", "ip")]
        sentence = page.t(
            "finding.infra_masked" if masking else "finding.infra",
            domain=d.domain,
            network=where,
            masking=masking,
            changes=page.num(len(moved), f"infra_changes_{d.domain}"),
        )
        out.append(Finding("infrastructure", sentence, page.cite(data.scan)))
    return out
