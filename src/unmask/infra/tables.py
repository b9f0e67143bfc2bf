"""The infrastructure scan's tables, on the case store's shared ``Base`` (migration 0007).

- ``infra_scan``: one scan (or one passive-DNS import) with its options and outcome.
- ``infra_observation``: one fact per (domain, subject, kind, value), seen from ``first_seen`` to
  ``last_seen``; seeing it again only moves ``last_seen``/``last_scan_id``.
- ``infra_failure``: a look-up that did not answer in a scan (a result, shown, never fatal).
- ``infra_snapshot``: per scan, domain and change kind the sorted set of values the scan saw; the
  change report compares consecutive snapshots, so it is exact, stable across re-runs and fast.

Import this module wherever the tables are used (it is not imported by ``core.store.models``).
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unmask.core.store.models import Base, utcnow


def value_key(value: str) -> str:
    """A fixed-size key of an observation's value, for the uniqueness index (values can be long)."""
    return hashlib.sha256(value.encode("utf-8", errors="surrogatepass")).hexdigest()[:40]


class InfraScan(Base):
    __tablename__ = "infra_scan"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    domains: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the domains asked for."""
    options: Mapped[str] = mapped_column(Text, default="{}")
    """JSON of the scan options (dns_only, active, resolver, kind of run)."""
    status: Mapped[str] = mapped_column(String(20), default="running")
    """running | complete | interrupted | failed"""


class InfraObservation(Base):
    __tablename__ = "infra_observation"
    __table_args__ = (
        UniqueConstraint("domain", "subject", "kind", "value_key", name="uq_infra_observation_fact"),
        Index("ix_infra_observation_kind_value", "kind", "value_key"),
        Index("ix_infra_observation_domain_kind", "domain", "kind"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    domain: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(Text)
    value_key: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str | None] = mapped_column(Text)
    """JSON extras of the latest sighting."""
    source: Mapped[str] = mapped_column(String(60))
    origin: Mapped[str] = mapped_column(String(40), default="scan")
    """scan | passive_dns | scan+passive_dns"""
    first_seen: Mapped[dt.datetime] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime)
    first_scan_id: Mapped[int | None] = mapped_column(ForeignKey("infra_scan.id"))
    last_scan_id: Mapped[int | None] = mapped_column(ForeignKey("infra_scan.id"))
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))


class InfraFailure(Base):
    __tablename__ = "infra_failure"
    __table_args__ = (Index("ix_infra_failure_domain_scan", "domain", "scan_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("infra_scan.id"))
    domain: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(60))
    error: Mapped[str] = mapped_column(Text)
    time: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class InfraSnapshot(Base):
    __tablename__ = "infra_snapshot"
    __table_args__ = (
        UniqueConstraint("domain", "kind", "scan_id", name="uq_infra_snapshot_domain_kind_scan"),
        Index("ix_infra_snapshot_scan", "scan_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("infra_scan.id"))
    domain: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(40))
    """A change kind (ip, asn, nameserver …), see unmask.infra.changes."""
    time: Mapped[dt.datetime] = mapped_column(DateTime)
    values: Mapped[str] = mapped_column(Text)
    """JSON: the sorted list of values the scan saw for this kind."""
