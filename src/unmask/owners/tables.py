"""The entity graph's tables: imports, entities, identifiers, edges, resolution merges.

Defined on the shared declarative ``Base`` but kept out of ``core.store.models``: import this module
where the tables are used. Migration ``0006_owners`` creates them (``0009`` the address index,
``0010`` the graph version and the name index). Properties and warnings are JSON
text so the same schema works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unmask.core.store.models import Base, utcnow


class OwnerImport(Base):
    """One file loaded into the graph (`unmask owners import`), or one emission of case findings."""

    __tablename__ = "owner_import"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    entities: Mapped[int] = mapped_column(Integer, default=0)
    edges: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[str | None] = mapped_column(Text)
    """JSON list of {"line": int|null, "message": str}."""
    status: Mapped[str] = mapped_column(String(20), default="ok")
    """ok | failed"""


class OwnerEntity(Base):
    """A node of the graph: a legal entity, person, address, security, or a platform-side node."""

    __tablename__ = "owner_entity"
    __table_args__ = (
        Index("ix_owner_entity_merged_into", "merged_into"),
        # a hash index on PostgreSQL: names of any length, equality look-ups only (the ID resolver)
        Index("ix_owner_entity_name", "name", postgresql_using="hash"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[str] = mapped_column(Text, index=True)
    """The ID users pass: FtM id, LEI, BODS recordId/statementID, registry number, domain, IP…"""
    schema: Mapped[str] = mapped_column(String(40))
    """FtM schema name (Company, Person, …) or a platform node type (Platform, Domain, IPAddress, ASN…)."""
    name: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[str | None] = mapped_column(Text)
    """JSON: FtM-style {property: [values]}."""
    topmark: Mapped[str | None] = mapped_column(String(60))
    """Why the source says this entity is a chain top: listed, NO_KNOWN_PERSON, NATURAL_PERSONS, …"""
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("owner_import.id"), index=True)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    line: Mapped[int | None] = mapped_column(Integer)
    merged_into: Mapped[int | None] = mapped_column(ForeignKey("owner_entity.id"))
    """Set by entity resolution: this entity's edges count for the canonical entity."""
    replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    """A closed or replaced record (history)."""


class OwnerIdentifier(Base):
    """An identifier of an entity: (scheme, value), e.g. ("lei", "5493…"), ("registration:gb", "0123")."""

    __tablename__ = "owner_identifier"
    __table_args__ = (
        Index("ix_owner_identifier_scheme_value", "scheme", "value"),
        Index("ix_owner_identifier_value", "value"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("owner_entity.id", ondelete="CASCADE"), index=True)
    scheme: Mapped[str] = mapped_column(String(60))
    value: Mapped[str] = mapped_column(Text)


class OwnerAddress(Base):
    """An address an entity gives (its ``address`` property), by a key of its normalised text: the index
    that finds mass-registration addresses (many entities at one address) without reading every entity."""

    __tablename__ = "owner_address"
    __table_args__ = (Index("ix_owner_address_key", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("owner_entity.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    """SHA-1 (hex) of the address, case-folded, commas dropped, whitespace collapsed."""


class OwnerEdge(Base):
    """A typed link from an owner/controller/director (src) to an asset/subject (dst), with provenance."""

    __tablename__ = "owner_edge"
    __table_args__ = (
        Index("ix_owner_edge_src_id", "src_id"),
        Index("ix_owner_edge_dst_id", "dst_id"),
        Index("ix_owner_edge_kind", "kind"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    """ownership | control | directorship | nominee | representation | family | address | platform |
    unknown_interest"""
    src_id: Mapped[int] = mapped_column(ForeignKey("owner_entity.id", ondelete="CASCADE"))
    dst_id: Mapped[int] = mapped_column(ForeignKey("owner_entity.id", ondelete="CASCADE"))
    share_min: Mapped[float | None] = mapped_column(Float)
    """Percent 0–100. Exact share: min == max. Unknown share: both NULL (treated as 0–100)."""
    share_max: Mapped[float | None] = mapped_column(Float)
    voting_min: Mapped[float | None] = mapped_column(Float)
    voting_max: Mapped[float | None] = mapped_column(Float)
    direct: Mapped[bool | None] = mapped_column(Boolean)
    """False: an indirect interest."""
    component: Mapped[bool] = mapped_column(Boolean, default=False)
    """A BODS component of an indirect statement: details it, not counted a second time."""
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    """The statement was closed or replaced (history)."""
    source_id: Mapped[str | None] = mapped_column(Text)
    """The relationship record's ID in its source (FtM id, BODS recordId/statementID, GLEIF …)."""
    role: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("owner_import.id"), index=True)
    line: Mapped[int | None] = mapped_column(Integer)
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    first_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_seen: Mapped[dt.datetime | None] = mapped_column(DateTime)


class OwnerMerge(Base):
    """A merge from entity resolution: proposed, applied on command, reversible."""

    __tablename__ = "owner_merge"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    canonical_id: Mapped[int] = mapped_column(ForeignKey("owner_entity.id", ondelete="CASCADE"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("owner_entity.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    """lei | registration | isin | domain | email | name:<normalised> …"""
    score: Mapped[float] = mapped_column(Float, default=1.0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    reverted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class OwnerGraphState(Base):
    """One row: the graph's version, moved on by every write to the graph (imports, case findings,
    merges). The compact index (``unmask.owners.index``) is built for one version and is stale after."""

    __tablename__ = "owner_graph_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    stamp: Mapped[str] = mapped_column(String(32))
    """Random per version (a store made again from scratch never matches an older index)."""
