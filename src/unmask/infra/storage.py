"""What a scan stores: each domain's observations (facts with first and last sighting), failures and
snapshot, written in small batches, each in one transaction; the scans themselves; and what earlier
scans stored that a new one reads (the addresses a domain had).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import func, insert, select, update

from unmask.core.store import Store
from unmask.core.store.models import utcnow
from unmask.infra import changes as change_report
from unmask.infra.base import Failure, Observation
from unmask.infra.tables import InfraFailure, InfraObservation, InfraScan, InfraSnapshot, value_key

INSERT_CHUNK = 400


@dataclass
class DomainResult:
    domain: str
    unicode: str
    observations: list[Observation] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    time: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "unicode": self.unicode,
            "observations": [
                {
                    "kind": o.kind,
                    "value": o.value,
                    "subject": o.subject,
                    "source": o.source,
                    "detail": dict(o.detail) if o.detail else None,
                    "capture_id": o.capture_id,
                }
                for o in self.observations
            ],
            "failures": [asdict(f) for f in self.failures],
        }


def _fact_rows(scan_id: int, result: DomainResult) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for o in result.observations:
        key = (o.subject, o.kind, value_key(o.value))
        rows[key] = {
            "domain": result.domain,
            "subject": o.subject[:255],
            "kind": o.kind,
            "value": o.value,
            "value_key": key[2],
            "detail": json.dumps(dict(o.detail), default=str, sort_keys=True) if o.detail else None,
            "source": o.source,
            "origin": "scan",
            "first_seen": result.time,
            "last_seen": result.time,
            "first_scan_id": scan_id,
            "last_scan_id": scan_id,
            "capture_id": o.capture_id,
        }
    return list(rows.values())


def upsert_observations(
    store: Store, session: Any, rows: list[dict[str, Any]], *, passive: bool = False
) -> None:
    """Insert facts; a fact seen before only widens its first/last seen (and takes the new detail)."""
    table = InfraObservation.__table__
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = store.insert()(table).values(rows[start : start + INSERT_CHUNK])
        new = stmt.excluded
        mark = "passive_dns" if passive else "scan"
        stmt = stmt.on_conflict_do_update(
            index_elements=["domain", "subject", "kind", "value_key"],
            set_={
                "first_seen": sql_case(
                    (new.first_seen < table.c.first_seen, new.first_seen), else_=table.c.first_seen
                ),
                "last_seen": sql_case(
                    (new.last_seen > table.c.last_seen, new.last_seen), else_=table.c.last_seen
                ),
                "last_scan_id": func.coalesce(new.last_scan_id, table.c.last_scan_id),
                "first_scan_id": func.coalesce(table.c.first_scan_id, new.first_scan_id),
                "detail": func.coalesce(new.detail, table.c.detail),
                "capture_id": func.coalesce(new.capture_id, table.c.capture_id),
                "origin": sql_case(
                    (table.c.origin == mark, table.c.origin),
                    (table.c.origin == "scan+passive_dns", table.c.origin),
                    else_="scan+passive_dns",
                ),
            },
        )
        session.execute(stmt)


def store_results(store: Store, scan_id: int, results: list[DomainResult]) -> None:
    """One transaction for a batch of finished domains: facts, failures, snapshots."""
    with store.session() as session:
        rows = [row for result in results for row in _fact_rows(scan_id, result)]
        if rows:
            upsert_observations(store, session, rows)
        failures = [
            {
                "scan_id": scan_id,
                "domain": r.domain,
                "subject": f.subject[:255],
                "source": f.source,
                "error": f.error,
                "time": r.time,
            }
            for r in results
            for f in r.failures
        ]
        if failures:
            session.execute(insert(InfraFailure), failures)
        snapshots = [
            {
                "scan_id": scan_id,
                "domain": r.domain,
                "kind": kind,
                "time": r.time,
                "values": json.dumps(values),
            }
            for r in results
            for kind, values in change_report.snapshot(
                r.domain, r.observations, r.failures, r.sources
            ).items()
        ]
        if snapshots:
            session.execute(insert(InfraSnapshot), snapshots)


def open_scan(store: Store, domains: list[str], options: Mapping[str, Any]) -> int:
    with store.session() as session:
        row = InfraScan(domains=json.dumps(domains), options=json.dumps(dict(options)), status="running")
        session.add(row)
        session.flush()
        return row.id


def close_scan(store: Store, scan_id: int, status: str) -> None:
    with store.session() as session:
        session.execute(
            update(InfraScan).where(InfraScan.id == scan_id).values(status=status, finished_at=utcnow())
        )


def earlier_addresses(store: Store, domains: list[str]) -> dict[str, list[str]]:
    """Domain → every A/AAAA answer stored for its own name (earlier scans and passive DNS)."""
    found: dict[str, list[str]] = {d: [] for d in domains}
    query = select(InfraObservation.domain, InfraObservation.value).where(
        InfraObservation.domain.in_(domains),
        InfraObservation.subject == InfraObservation.domain,
        InfraObservation.kind.in_(("dns.a", "dns.aaaa")),
    )
    with store.session() as session:
        for domain, value in session.execute(query.order_by(InfraObservation.first_seen)):
            found[domain].append(value)
    return found
