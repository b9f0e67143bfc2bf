"""Tests of the entity graph (unmask.owners). Shared look-ups of what an import wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from unmask.core.case import Case
from unmask.owners.query import EntityRow, resolve
from unmask.owners.tables import OwnerEdge, OwnerEntity

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
DATA = Path(__file__).resolve().parent / "data"
PEERS_BODS = Path(__file__).resolve().parents[1] / "fixtures" / "peers" / "bods"
"""Peers' BODS test material (data-standard examples, lib-cove-bods fixtures), with their licences."""


def edges(case: Case, **where: Any) -> list[dict[str, Any]]:
    """Edges with their ends' source IDs, as dicts."""
    src, dst = aliased(OwnerEntity), aliased(OwnerEntity)
    stmt = (
        select(OwnerEdge, src.source_id.label("src"), dst.source_id.label("dst"))
        .join(src, src.id == OwnerEdge.src_id)
        .join(dst, dst.id == OwnerEdge.dst_id)
        .order_by(OwnerEdge.id)
    )
    for key, value in where.items():
        stmt = stmt.where(getattr(OwnerEdge, key) == value)
    with case.store.session() as session:
        out = []
        for edge, s, d in session.execute(stmt):
            row = {c.name: getattr(edge, c.name) for c in OwnerEdge.__table__.columns}
            out.append({**row, "src": s, "dst": d})
        return out


def entity(case: Case, source_id: str) -> OwnerEntity:
    with case.store.session() as session:
        rows = list(session.scalars(select(OwnerEntity).where(OwnerEntity.source_id == source_id)))
        assert len(rows) == 1, rows
        session.expunge(rows[0])
        return rows[0]


def resolved(case: Case, ident: str) -> EntityRow:
    """The entity an ID names, as every command resolves it."""
    with case.store.engine.connect() as conn:
        return resolve(conn, ident)
