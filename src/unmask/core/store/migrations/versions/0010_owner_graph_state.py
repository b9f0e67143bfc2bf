"""owner_graph_state: the entity graph's version (the compact index compares it); a name index

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:30:00.000000
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owner_graph_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("stamp", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_graph_state")),
    )
    state = sa.table(
        "owner_graph_state", sa.column("id", sa.Integer), sa.column("version", sa.Integer), sa.column("stamp")
    )
    op.bulk_insert(state, [{"id": 1, "version": 1, "stamp": uuid.uuid4().hex}])
    # straight, not in batch mode: an index alone never needs SQLite's copy of the table
    op.create_index("ix_owner_entity_name", "owner_entity", ["name"], unique=False, postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_owner_entity_name", table_name="owner_entity")
    op.drop_table("owner_graph_state")
