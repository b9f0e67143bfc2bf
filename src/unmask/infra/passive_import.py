"""Passive-DNS records into the store (``unmask infra import-pdns``): the address history before the
first scan, as observations of origin ``passive_dns``, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from unmask.core.store import Store
from unmask.infra.storage import close_scan, open_scan, upsert_observations
from unmask.infra.tables import InfraObservation, value_key


@dataclass
class PassiveImport:
    scan_id: int
    records: int
    domains: list[str]
    skipped: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _known_domains(store: Store) -> list[str]:
    with store.session() as session:
        found = session.scalars(select(InfraObservation.domain).distinct()).all()
    return sorted(found, key=len, reverse=True)


def _domain_of(name: str, known: list[str]) -> str:
    for domain in known:
        if name == domain or name.endswith("." + domain):
            return domain
    return name.removeprefix("www.")


def passive_rows(records: Iterable[Any], known: list[str], scan_id: int) -> Iterator[dict[str, Any]]:
    """Observation rows (origin passive_dns) from parsed passive-DNS records."""
    for record in records:
        name = str(record.rrname).lower().rstrip(".")
        rrtype = str(record.rrtype).upper()
        value = str(record.rdata).strip()
        if rrtype in ("CNAME", "NS", "MX", "PTR"):
            value = value.lower().rstrip(".")
        first = record.first_seen or record.last_seen
        last = record.last_seen or record.first_seen
        if not name or not value or first is None:
            continue
        detail = {"count": record.count, "source": record.source}
        yield {
            "domain": _domain_of(name, known),
            "subject": name[:255],
            "kind": f"dns.{rrtype.lower()}",
            "value": value,
            "value_key": value_key(value),
            "detail": json.dumps(detail, default=str, sort_keys=True),
            "source": f"passive_dns:{record.source}" if record.source else "passive_dns",
            "origin": "passive_dns",
            "first_seen": _naive(first),
            "last_seen": _naive(last),
            "first_scan_id": None,
            "last_scan_id": None,
            "capture_id": None,
        }


def _naive(when: Any) -> Any:
    if isinstance(when, dt.datetime) and when.tzinfo is not None:
        return when.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        return dt.datetime(when.year, when.month, when.day)
    return when


def import_passive_dns(store: Store, path: str, records: Iterable[Any], skipped: list[str]) -> PassiveImport:
    """Store passive-DNS records as observations (origin passive_dns), all in one transaction."""
    known = _known_domains(store)
    scan_id = open_scan(store, [], {"kind": "passive_dns", "file": path})
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in passive_rows(records, known, scan_id):
        key = (row["domain"], row["subject"], row["kind"], row["value_key"])
        if key in rows:  # one fact seen in several rows: widen its span
            rows[key]["first_seen"] = min(rows[key]["first_seen"], row["first_seen"])
            rows[key]["last_seen"] = max(rows[key]["last_seen"], row["last_seen"])
        else:
            rows[key] = row
    with store.session() as session:
        if rows:
            upsert_observations(store, session, list(rows.values()), passive=True)
    close_scan(store, scan_id, "complete")
    return PassiveImport(scan_id, len(rows), sorted({r["domain"] for r in rows.values()}), skipped)
