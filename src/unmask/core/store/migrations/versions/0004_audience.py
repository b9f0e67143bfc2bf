"""audience: traffic estimates, country shares and top-site ranks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audience_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("layout", sa.String(length=20), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_import")),
        sa.UniqueConstraint("sha256", name=op.f("uq_audience_import_sha256")),
    )
    op.create_table(
        "audience_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("visits", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["audience_import.id"],
            name=op.f("fk_audience_visits_import_id_audience_import"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_visits")),
        sa.UniqueConstraint("import_id", "domain", "month", name="uq_audience_visits_import_domain_month"),
    )
    with op.batch_alter_table("audience_visits", schema=None) as batch_op:
        batch_op.create_index("ix_audience_visits_domain_month", ["domain", "month"], unique=False)

    op.create_table(
        "audience_country",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("share", sa.Float(), nullable=False),
        sa.Column("visits", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["audience_import.id"],
            name=op.f("fk_audience_country_import_id_audience_import"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audience_country")),
    )
    with op.batch_alter_table("audience_country", schema=None) as batch_op:
        batch_op.create_index("ix_audience_country_domain", ["domain", "period"], unique=False)
        batch_op.create_index(batch_op.f("ix_audience_country_import_id"), ["import_id"], unique=False)

    op.create_table(
        "site_rank",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("list_name", sa.String(length=50), nullable=False),
        sa.Column("list_date", sa.Date(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["audience_import.id"],
            name=op.f("fk_site_rank_import_id_audience_import"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_rank")),
        sa.UniqueConstraint("import_id", "domain", name="uq_site_rank_import_domain"),
    )
    with op.batch_alter_table("site_rank", schema=None) as batch_op:
        batch_op.create_index("ix_site_rank_domain", ["domain"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("site_rank", schema=None) as batch_op:
        batch_op.drop_index("ix_site_rank_domain")
    op.drop_table("site_rank")
    with op.batch_alter_table("audience_country", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audience_country_import_id"))
        batch_op.drop_index("ix_audience_country_domain")
    op.drop_table("audience_country")
    with op.batch_alter_table("audience_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_audience_visits_domain_month")
    op.drop_table("audience_visits")
    op.drop_table("audience_import")
