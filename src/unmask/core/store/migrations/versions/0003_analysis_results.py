"""analysis results: one row per part of `unmask analyze`; an index covering what it reads of items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ANALYSIS_COLUMNS = ["removed_at", "kind", "upload_date", "views", "duration_s", "uploader_id", "platform_id"]


def upgrade() -> None:
    op.create_table(
        "analysis_result",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=True),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["platform.id"], name=op.f("fk_analysis_result_platform_id_platform")
        ),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_analysis_result")),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index("ix_item_analysis", ANALYSIS_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index("ix_item_analysis")
    op.drop_table("analysis_result")
