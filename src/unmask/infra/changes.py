"""Changes between scans: each scan's snapshot of a domain compared with the previous one.

One table maps observation kinds onto the contract's change kinds. A snapshot of a change kind is
written only when the sources behind it ran and answered (a SERVFAIL or a timeout says nothing about
the records, so it never shows as "the records went away"); a name that is gone (NXDOMAIN) is an
empty set, which is a change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select

from unmask.core.store import Store
from unmask.infra.base import Failure, Observation
from unmask.infra.tables import InfraSnapshot

Scope = Literal["apex", "www", "domain", "addresses"]
"""apex: the domain name itself; www: it and its www. name; domain: every subject of the domain;
addresses: the apex's IPs."""


@dataclass(frozen=True, slots=True)
class ChangeKind:
    name: str
    kinds: tuple[str, ...]
    scope: Scope
    sources: tuple[str, ...]
    is_set: bool = True
    """A set (JSON list) or one value (JSON string or null)."""
    blocked_by: tuple[str, ...] = ()
    """Failure sources besides ``sources`` that make the scan unable to speak for this kind (a favicon or a
    script that did not load is not a removed favicon or linking ID)."""


CHANGE_KINDS: tuple[ChangeKind, ...] = (
    ChangeKind("ip", ("dns.a", "dns.aaaa"), "apex", ("dns",)),
    ChangeKind("nameserver", ("dns.ns",), "apex", ("dns",)),
    ChangeKind("mx", ("dns.mx",), "apex", ("dns",)),
    ChangeKind("cname", ("dns.cname",), "www", ("dns",)),
    ChangeKind("txt", ("dns.txt",), "apex", ("dns",)),
    ChangeKind("asn", ("net.asn_name", "net.asn"), "addresses", ("networks",)),
    ChangeKind("country", ("net.country",), "addresses", ("networks",)),
    ChangeKind("masking", ("masking",), "domain", ("masking",)),
    ChangeKind("certificate", ("cert.sha256",), "domain", ("certificate",)),
    ChangeKind("linking_id", ("linking_id",), "domain", ("web", "txt_ids"), blocked_by=("web.script",)),
    ChangeKind("hoster", ("rdap.hoster",), "domain", ("rdap",)),
    ChangeKind("registrar", ("rdap.registrar",), "domain", ("rdap",)),
    ChangeKind("title", ("web.title",), "apex", ("web",), is_set=False),
    ChangeKind("favicon", ("web.favicon_mmh3",), "apex", ("web",), is_set=False, blocked_by=("web.favicon",)),
)
CONCLUSIVE_ERRORS = ("NXDOMAIN", "not in the offline network data")
"""Failures that are an answer (the name is gone, the data has no entry), not an unknown."""


@dataclass(frozen=True, slots=True)
class Change:
    time: dt.datetime
    domain: str
    kind: str
    old: Any
    new: Any
    scan_id: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "time": iso(self.time),
            "domain": self.domain,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
        }


def iso(when: dt.datetime) -> str:
    return when.replace(microsecond=0).isoformat() + "Z"


def _blocked(spec: ChangeKind, failures: Iterable[Failure], subjects: set[str] | None) -> bool:
    for failure in failures:
        if failure.source not in (*spec.sources, *spec.blocked_by) or failure.error.startswith(
            CONCLUSIVE_ERRORS
        ):
            continue
        if subjects is not None and failure.subject not in subjects:
            continue
        rdtype = failure.error.rpartition("(")[2].rstrip(")") if failure.error.endswith(")") else None
        if rdtype and f"dns.{rdtype.lower()}" not in spec.kinds:
            continue
        return True
    return False


def snapshot(
    domain: str,
    observations: Sequence[Observation],
    failures: Sequence[Failure],
    sources_ran: Iterable[str],
) -> dict[str, list[str]]:
    """Change kind → sorted values, for the kinds this scan of the domain can speak for."""
    ran = set(sources_ran)
    addresses = {o.value for o in observations if o.subject == domain and o.kind in ("dns.a", "dns.aaaa")}
    result: dict[str, list[str]] = {}
    for spec in CHANGE_KINDS:
        if not all(source in ran for source in spec.sources):
            continue
        subjects: set[str] | None = {domain} if spec.scope == "apex" else None
        if spec.scope == "www":
            subjects = {domain, f"www.{domain}"}
        elif spec.scope == "addresses":
            subjects = addresses
        if _blocked(spec, failures, subjects):
            continue
        values = {
            o.value
            for o in observations
            if o.kind in spec.kinds and (subjects is None or o.subject in subjects)
        }
        result[spec.name] = sorted(values)
    return result


def _shown(spec: ChangeKind | None, values: list[str]) -> Any:
    if spec is None or spec.is_set:
        return values
    return values[0] if values else None


SPECS = {spec.name: spec for spec in CHANGE_KINDS}


def _diff(rows: Iterable[InfraSnapshot]) -> Iterator[Change]:
    """Changes along snapshot rows ordered by (domain, kind, scan_id)."""
    previous: dict[tuple[str, str], list[str]] = {}
    for row in rows:
        values = json.loads(row.values)
        key = (row.domain, row.kind)
        old = previous.get(key)
        previous[key] = values
        if old is not None and old != values:
            spec = SPECS.get(row.kind)
            yield Change(row.time, row.domain, row.kind, _shown(spec, old), _shown(spec, values), row.scan_id)


def _order(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (c.time, c.scan_id, c.domain, c.kind))


def changes(store: Store, domain: str) -> list[Change]:
    """Every change of one domain, oldest first."""
    query = (
        select(InfraSnapshot)
        .where(InfraSnapshot.domain == domain)
        .order_by(InfraSnapshot.kind, InfraSnapshot.scan_id)
    )
    with store.session() as session:
        return _order(_diff(session.scalars(query)))


def changes_in_scan(store: Store, scan_id: int) -> list[Change]:
    """The changes one scan found (each domain and kind against its previous snapshot)."""
    with store.session() as session:
        current = session.scalars(select(InfraSnapshot).where(InfraSnapshot.scan_id == scan_id)).all()
        found: list[Change] = []
        for row in current:
            before = session.scalars(
                select(InfraSnapshot)
                .where(
                    InfraSnapshot.domain == row.domain,
                    InfraSnapshot.kind == row.kind,
                    InfraSnapshot.scan_id < scan_id,
                )
                .order_by(InfraSnapshot.scan_id.desc())
                .limit(1)
            ).first()
            if before is not None:
                found.extend(_diff([before, row]))
        return _order(found)
