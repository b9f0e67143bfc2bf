"""history: web-archive captures of a platform's pages and what they showed

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 12:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "archive_capture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("timestamp", sa.String(length=14), nullable=True),
        sa.Column("original", sa.Text(), nullable=True),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("mimetype", sa.String(length=200), nullable=True),
        sa.Column("digest", sa.String(length=100), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_archive_capture_capture_id_capture")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_capture")),
    )
    with op.batch_alter_table("archive_capture", schema=None) as batch_op:
        batch_op.create_index("ix_archive_capture_url_timestamp", ["url", "timestamp"], unique=False)

    op.create_table(
        "archive_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("archive_capture_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=True),
        sa.Column("value_text", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["archive_capture_id"],
            ["archive_capture.id"],
            name=op.f("fk_archive_observation_archive_capture_id_archive_capture"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archive_observation")),
    )
    with op.batch_alter_table("archive_observation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_archive_observation_archive_capture_id"), ["archive_capture_id"], unique=False
        )
        batch_op.create_index("ix_archive_observation_kind_date", ["kind", "date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archive_observation", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_observation_kind_date")
        batch_op.drop_index(batch_op.f("ix_archive_observation_archive_capture_id"))
    op.drop_table("archive_observation")
    with op.batch_alter_table("archive_capture", schema=None) as batch_op:
        batch_op.drop_index("ix_archive_capture_url_timestamp")
    op.drop_table("archive_capture")
