"""A domain's infrastructure over time: per kind, each value with its first and last sighting.

``spans`` is the data (the report charts it); ``render`` is the text ``unmask infra timeline`` prints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from unmask.core.store import Store
from unmask.infra.changes import iso
from unmask.infra.tables import InfraObservation

TIMELINE_KINDS: tuple[str, ...] = (
    "dns.a",
    "dns.aaaa",
    "dns.cname",
    "dns.ns",
    "dns.mx",
    "net.asn_name",
    "net.asn",
    "net.country",
    "masking",
    "cert.sha256",
    "linking_id",
    "rdap.registrar",
    "rdap.hoster",
    "web.title",
    "web.favicon_mmh3",
)
"""Kinds shown, in this order (others stay in the store and the JSON of a scan)."""


@dataclass(frozen=True, slots=True)
class Span:
    kind: str
    value: str
    subject: str
    start: dt.datetime
    end: dt.datetime
    origin: str
    """scan | passive_dns | scan+passive_dns"""
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "value": self.value,
            "subject": self.subject,
            "start": iso(self.start),
            "end": iso(self.end),
            "origin": self.origin,
            "source": self.source,
        }


def spans(store: Store, domain: str, kinds: tuple[str, ...] = TIMELINE_KINDS) -> list[Span]:
    """Every value of the shown kinds for the domain, ordered by kind then first sighting."""
    order = {kind: i for i, kind in enumerate(kinds)}
    query = select(InfraObservation).where(
        InfraObservation.domain == domain, InfraObservation.kind.in_(kinds)
    )
    with store.session() as session:
        rows = [
            Span(r.kind, r.value, r.subject, r.first_seen, r.last_seen, r.origin, r.source)
            for r in session.scalars(query)
        ]
    return sorted(rows, key=lambda s: (order[s.kind], s.start, s.subject, s.value))


def render(domain: str, items: list[Span], kind_label: Callable[[str], str] = str) -> Iterator[str]:
    """The timeline as lines of text, each kind headed by ``kind_label(kind)``."""
    if not items:
        yield f"{domain}: nothing observed yet (run `unmask infra scan {domain}`)"
        return
    yield domain
    kind = None
    for span in items:
        if span.kind != kind:
            kind = span.kind
            yield f"  {kind_label(kind)}"
        where = "" if span.subject == domain else f" ({span.subject})"
        origin = "" if span.origin == "scan" else f" [{span.origin.replace('_', ' ')}]"
        when = f"{span.start:%Y-%m-%d %H:%M} → {span.end:%Y-%m-%d %H:%M}"
        yield f"    {when}  {span.value[:100]}{where}{origin}"
