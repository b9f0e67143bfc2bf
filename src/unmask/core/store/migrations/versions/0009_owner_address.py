"""owner_address: the index of the addresses entities give (mass-registration addresses)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 14:55:00.000000
"""

from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _key(value: str) -> str:
    norm = " ".join(value.casefold().replace(",", " ").split())
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "owner_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["owner_entity.id"],
            name=op.f("fk_owner_address_entity_id_owner_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_address")),
    )
    with op.batch_alter_table("owner_address", schema=None) as batch_op:
        batch_op.create_index("ix_owner_address_key", ["key"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_address_entity_id"), ["entity_id"], unique=False)
    # entities imported before this revision
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, properties FROM owner_entity WHERE properties LIKE '%address%'"))
    table = sa.table("owner_address", sa.column("entity_id", sa.Integer), sa.column("key", sa.String))
    batch: list[dict[str, object]] = []
    for eid, raw in rows:
        try:
            values = (json.loads(raw) or {}).get("address", [])
        except ValueError:
            continue
        for key in {_key(str(v)) for v in values if str(v).strip()}:
            batch.append({"entity_id": eid, "key": key})
    if batch:
        op.bulk_insert(table, batch)


def downgrade() -> None:
    op.drop_table("owner_address")
