"""capture.forum_run_id: the forum census run a capture belongs to (its run_id is a census run's)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forum_run_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_capture_forum_run_id"), ["forum_run_id"], unique=False)
    # captures made before: the run whose frontier row names them
    op.execute(
        "UPDATE capture SET forum_run_id = (SELECT min(f.run_id) FROM forum_frontier f "
        "WHERE f.capture_id = capture.id) WHERE purpose = 'forum' AND forum_run_id IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_capture_forum_run_id"))
        batch_op.drop_column("forum_run_id")
