"""infra: infrastructure observations over time (DNS, networks, masking, certificates, linking IDs)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 13:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "infra_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("domains", sa.Text(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_scan")),
    )
    op.create_table(
        "infra_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("value_key", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("origin", sa.String(length=40), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("first_scan_id", sa.Integer(), nullable=True),
        sa.Column("last_scan_id", sa.Integer(), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_scan_id"], ["infra_scan.id"], name=op.f("fk_infra_observation_first_scan_id_infra_scan")
        ),
        sa.ForeignKeyConstraint(
            ["last_scan_id"], ["infra_scan.id"], name=op.f("fk_infra_observation_last_scan_id_infra_scan")
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_infra_observation_capture_id_capture")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_observation")),
        sa.UniqueConstraint("domain", "subject", "kind", "value_key", name="uq_infra_observation_fact"),
    )
    op.create_index("ix_infra_observation_kind_value", "infra_observation", ["kind", "value_key"])
    op.create_index("ix_infra_observation_domain_kind", "infra_observation", ["domain", "kind"])

    op.create_table(
        "infra_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["infra_scan.id"], name=op.f("fk_infra_failure_scan_id_infra_scan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_failure")),
    )
    op.create_index("ix_infra_failure_domain_scan", "infra_failure", ["domain", "scan_id"])

    op.create_table(
        "infra_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("time", sa.DateTime(), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["infra_scan.id"], name=op.f("fk_infra_snapshot_scan_id_infra_scan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_infra_snapshot")),
        sa.UniqueConstraint("domain", "kind", "scan_id", name="uq_infra_snapshot_domain_kind_scan"),
    )
    op.create_index("ix_infra_snapshot_scan", "infra_snapshot", ["scan_id"])


def downgrade() -> None:
    op.drop_index("ix_infra_snapshot_scan", table_name="infra_snapshot")
    op.drop_table("infra_snapshot")
    op.drop_index("ix_infra_failure_domain_scan", table_name="infra_failure")
    op.drop_table("infra_failure")
    op.drop_index("ix_infra_observation_domain_kind", table_name="infra_observation")
    op.drop_index("ix_infra_observation_kind_value", table_name="infra_observation")
    op.drop_table("infra_observation")
    op.drop_table("infra_scan")
