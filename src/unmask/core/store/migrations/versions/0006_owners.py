"""owners: entity graph (FollowTheMoney entities, edges with provenance, resolution merges)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "owner_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("entities", sa.Integer(), nullable=False),
        sa.Column("edges", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_import")),
    )
    op.create_table(
        "owner_entity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=False),
        sa.Column("schema", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("topmark", sa.String(length=60), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("replaced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_owner_entity_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["owner_import.id"], name=op.f("fk_owner_entity_import_id_owner_import")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["owner_entity.id"], name=op.f("fk_owner_entity_merged_into_owner_entity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_entity")),
    )
    with op.batch_alter_table("owner_entity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_entity_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_entity_import_id"), ["import_id"], unique=False)
        batch_op.create_index("ix_owner_entity_merged_into", ["merged_into"], unique=False)

    op.create_table(
        "owner_identifier",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["owner_entity.id"],
            name=op.f("fk_owner_identifier_entity_id_owner_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_identifier")),
    )
    with op.batch_alter_table("owner_identifier", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_identifier_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index("ix_owner_identifier_scheme_value", ["scheme", "value"], unique=False)
        batch_op.create_index("ix_owner_identifier_value", ["value"], unique=False)

    op.create_table(
        "owner_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("src_id", sa.Integer(), nullable=False),
        sa.Column("dst_id", sa.Integer(), nullable=False),
        sa.Column("share_min", sa.Float(), nullable=True),
        sa.Column("share_max", sa.Float(), nullable=True),
        sa.Column("voting_min", sa.Float(), nullable=True),
        sa.Column("voting_max", sa.Float(), nullable=True),
        sa.Column("direct", sa.Boolean(), nullable=True),
        sa.Column("component", sa.Boolean(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("replaced", sa.Boolean(), nullable=False),
        sa.Column("source_id", sa.Text(), nullable=True),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("properties", sa.Text(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_owner_edge_capture_id_capture")
        ),
        sa.ForeignKeyConstraint(
            ["dst_id"],
            ["owner_entity.id"],
            name=op.f("fk_owner_edge_dst_id_owner_entity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["owner_import.id"], name=op.f("fk_owner_edge_import_id_owner_import")
        ),
        sa.ForeignKeyConstraint(
            ["src_id"],
            ["owner_entity.id"],
            name=op.f("fk_owner_edge_src_id_owner_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_edge")),
    )
    with op.batch_alter_table("owner_edge", schema=None) as batch_op:
        batch_op.create_index("ix_owner_edge_src_id", ["src_id"], unique=False)
        batch_op.create_index("ix_owner_edge_dst_id", ["dst_id"], unique=False)
        batch_op.create_index("ix_owner_edge_kind", ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_edge_import_id"), ["import_id"], unique=False)

    op.create_table(
        "owner_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("canonical_id", sa.Integer(), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reverted_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["canonical_id"],
            ["owner_entity.id"],
            name=op.f("fk_owner_merge_canonical_id_owner_entity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"],
            ["owner_entity.id"],
            name=op.f("fk_owner_merge_merged_id_owner_entity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_owner_merge")),
    )
    with op.batch_alter_table("owner_merge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_owner_merge_canonical_id"), ["canonical_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_owner_merge_merged_id"), ["merged_id"], unique=False)


def downgrade() -> None:
    op.drop_table("owner_merge")
    op.drop_table("owner_edge")
    op.drop_table("owner_identifier")
    op.drop_table("owner_entity")
    op.drop_table("owner_import")
