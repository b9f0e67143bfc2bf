"""forum: forums, their census runs and frontier, sections, threads, first-post prices (unmask.forum)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forum",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("engine", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum")),
        sa.UniqueConstraint("base_url", name=op.f("uq_forum_base_url")),
    )
    op.create_table(
        "forum_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("start_url", sa.String(length=2100), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("options", sa.Text(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("limits", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["forum_id"], ["forum.id"], name=op.f("fk_forum_run_forum_id_forum")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_run")),
    )
    op.create_index(op.f("ix_forum_run_forum_id"), "forum_run", ["forum_id"], unique=False)
    op.create_table(
        "forum_frontier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("section_key", sa.String(length=200), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("barren", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_forum_frontier_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forum_run.id"], name=op.f("fk_forum_frontier_run_id_forum_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_frontier")),
        sa.UniqueConstraint("run_id", "url_key", name="uq_forum_frontier_run_url"),
    )
    op.create_index("ix_forum_frontier_run_status", "forum_frontier", ["run_id", "status"], unique=False)
    op.create_table(
        "forum_section",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_forum_section_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(["forum_id"], ["forum.id"], name=op.f("fk_forum_section_forum_id_forum")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_section")),
        sa.UniqueConstraint("forum_id", "key", name="uq_forum_section_key"),
    )
    op.create_table(
        "forum_thread",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("forum_id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.String(length=200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("section_key", sa.String(length=200), nullable=True),
        sa.Column("labels", sa.Text(), nullable=False),
        sa.Column("starter", sa.Text(), nullable=True),
        sa.Column("started", sa.Date(), nullable=True),
        sa.Column("last_post", sa.Date(), nullable=True),
        sa.Column("replies", sa.Integer(), nullable=True),
        sa.Column("views", sa.Integer(), nullable=True),
        sa.Column("first_post", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("kind_rule", sa.Text(), nullable=True),
        sa.Column("rails", sa.Text(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("first_run", sa.Integer(), nullable=True),
        sa.Column("last_run", sa.Integer(), nullable=True),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_forum_thread_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(["forum_id"], ["forum.id"], name=op.f("fk_forum_thread_forum_id_forum")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_thread")),
        sa.UniqueConstraint("forum_id", "platform_id", name="uq_forum_thread_pid"),
    )
    op.create_index("ix_forum_thread_kind", "forum_thread", ["forum_id", "kind"], unique=False)
    op.create_table(
        "forum_price",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("min", sa.String(length=64), nullable=False),
        sa.Column("max", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["forum_thread.id"],
            name=op.f("fk_forum_price_thread_id_forum_thread"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_price")),
    )
    op.create_index(op.f("ix_forum_price_thread_id"), "forum_price", ["thread_id"], unique=False)


def downgrade() -> None:
    for table in ("forum_price", "forum_thread", "forum_section", "forum_frontier", "forum_run", "forum"):
        op.drop_table(table)
