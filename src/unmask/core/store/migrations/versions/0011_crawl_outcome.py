"""crawl_run.reasons and crawl_limit: why a census run is incomplete, and which limits cut it short

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.Text(), nullable=True))
    op.create_table(
        "crawl_limit",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["crawl_run.id"], name=op.f("fk_crawl_limit_run_id_crawl_run")),
        sa.PrimaryKeyConstraint("run_id", "name", name=op.f("pk_crawl_limit")),
    )


def downgrade() -> None:
    op.drop_table("crawl_limit")
    with op.batch_alter_table("crawl_run", schema=None) as batch_op:
        batch_op.drop_column("reasons")
