"""protect and watch: protect's index of normalised texts, the watch's job runs (unmask.protect, unmask.watch)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "protect_text",
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("digest", sa.BigInteger(), nullable=False),
        sa.Column("norm", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("source", "source_id", "field", name=op.f("pk_protect_text")),
    )
    op.create_table(
        "watch_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("changes", sa.Text(), nullable=False),
        sa.Column("alerts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_watch_run")),
    )
    op.create_index(op.f("ix_watch_run_job"), "watch_run", ["job"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_watch_run_job"), table_name="watch_run")
    op.drop_table("watch_run")
    op.drop_table("protect_text")
