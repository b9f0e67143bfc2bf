"""index item labels by kind and value (the items with a given tag)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 04:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the web workbench's tag filter read every label of a million items (the primary key leads with
    # item_id); item_id last makes the index covering on PostgreSQL too
    with op.batch_alter_table("item_label", schema=None) as batch_op:
        batch_op.create_index("ix_item_label_kind_value", ["kind", "value", "item_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item_label", schema=None) as batch_op:
        batch_op.drop_index("ix_item_label_kind_value")
