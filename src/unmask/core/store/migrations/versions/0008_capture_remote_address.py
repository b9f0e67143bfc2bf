"""capture.remote_address: the IP address a response came from

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 14:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.add_column(sa.Column("remote_address", sa.String(length=45), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("capture", schema=None) as batch_op:
        batch_op.drop_column("remote_address")
