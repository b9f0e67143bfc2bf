"""apps: promoted apps, APKs, certificates, trackers, store checks, policies (unmask.apps)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:19:33.785211
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app")),
        sa.UniqueConstraint("package", name=op.f("uq_app_package")),
    )
    op.create_table(
        "app_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("sha1", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=True),
        sa.Column("not_after", sa.DateTime(), nullable=True),
        sa.Column("public_key_sha256", sa.String(length=64), nullable=True),
        sa.Column("der", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_certificate")),
        sa.UniqueConstraint("sha256", name=op.f("uq_app_certificate_sha256")),
    )
    op.create_table(
        "app_apk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("version_name", sa.String(length=200), nullable=True),
        sa.Column("version_code", sa.String(length=40), nullable=True),
        sa.Column("min_sdk", sa.Integer(), nullable=True),
        sa.Column("target_sdk", sa.Integer(), nullable=True),
        sa.Column("label", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("analysed_at", sa.DateTime(), nullable=False),
        sa.Column("permissions", sa.Text(), nullable=False),
        sa.Column("activities", sa.Text(), nullable=False),
        sa.Column("domains", sa.Text(), nullable=False),
        sa.Column("urls", sa.Text(), nullable=False),
        sa.Column("classes", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["app.id"], name=op.f("fk_app_apk_app_id_app"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["capture_id"], ["capture.id"], name=op.f("fk_app_apk_capture_id_capture")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_apk")),
        sa.UniqueConstraint("sha256", name=op.f("uq_app_apk_sha256")),
    )
    with op.batch_alter_table("app_apk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_apk_app_id"), ["app_id"], unique=False)

    op.create_table(
        "app_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("read_at", sa.DateTime(), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("truncated", sa.Boolean(), nullable=False),
        sa.Column("controller", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["app.id"], name=op.f("fk_app_policy_app_id_app"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_app_policy_capture_id_capture")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_policy")),
    )
    with op.batch_alter_table("app_policy", schema=None) as batch_op:
        batch_op.create_index("ix_app_policy_app_read", ["app_id", "read_at"], unique=False)

    op.create_table(
        "app_promotion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=True),
        sa.Column("site", sa.String(length=255), nullable=False),
        sa.Column("page_url", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["app.id"], name=op.f("fk_app_promotion_app_id_app"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_app_promotion_capture_id_capture")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_promotion")),
        sa.UniqueConstraint("key", name=op.f("uq_app_promotion_key")),
    )
    with op.batch_alter_table("app_promotion", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_promotion_app_id"), ["app_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_app_promotion_site"), ["site"], unique=False)

    op.create_table(
        "app_store_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("capture_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("developer", sa.Text(), nullable=True),
        sa.Column("developer_id", sa.Text(), nullable=True),
        sa.Column("seller", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("website", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("privacy_policy", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=200), nullable=True),
        sa.Column("installs", sa.String(length=100), nullable=True),
        sa.Column("rating_count", sa.BigInteger(), nullable=True),
        sa.Column("released", sa.String(length=60), nullable=True),
        sa.Column("updated", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["app.id"], name=op.f("fk_app_store_check_app_id_app"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["capture_id"], ["capture.id"], name=op.f("fk_app_store_check_capture_id_capture")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_store_check")),
    )
    with op.batch_alter_table("app_store_check", schema=None) as batch_op:
        batch_op.create_index(
            "ix_app_store_check_listing", ["app_id", "store", "country", "checked_at"], unique=False
        )

    op.create_table(
        "app_apk_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apk_id", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=10), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["apk_id"], ["app_apk.id"], name=op.f("fk_app_apk_certificate_apk_id_app_apk"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["app_certificate.id"],
            name=op.f("fk_app_apk_certificate_certificate_id_app_certificate"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_apk_certificate")),
        sa.UniqueConstraint("apk_id", "certificate_id", "scheme", "position", name="uq_app_apk_certificate"),
    )
    with op.batch_alter_table("app_apk_certificate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_apk_certificate_apk_id"), ["apk_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_app_apk_certificate_certificate_id"), ["certificate_id"], unique=False
        )

    op.create_table(
        "app_apk_tracker",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("apk_id", sa.Integer(), nullable=False),
        sa.Column("tracker_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("example_class", sa.Text(), nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["apk_id"], ["app_apk.id"], name=op.f("fk_app_apk_tracker_apk_id_app_apk"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_apk_tracker")),
        sa.UniqueConstraint("apk_id", "tracker_id", name="uq_app_apk_tracker"),
    )
    with op.batch_alter_table("app_apk_tracker", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_apk_tracker_apk_id"), ["apk_id"], unique=False)

    op.create_table(
        "app_policy_segment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("data_types", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["app_policy.id"],
            name=op.f("fk_app_policy_segment_policy_id_app_policy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_policy_segment")),
    )
    with op.batch_alter_table("app_policy_segment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_policy_segment_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "app_policy_signal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=False),
        sa.Column("segment", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=False),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("negated", sa.Boolean(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["app_policy.id"],
            name=op.f("fk_app_policy_signal_policy_id_app_policy"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_policy_signal")),
    )
    with op.batch_alter_table("app_policy_signal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_app_policy_signal_policy_id"), ["policy_id"], unique=False)

    op.create_table(
        "app_store_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("app_id", sa.Integer(), nullable=False),
        sa.Column("store", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("check_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["app_id"], ["app.id"], name=op.f("fk_app_store_event_app_id_app"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["check_id"],
            ["app_store_check.id"],
            name=op.f("fk_app_store_event_check_id_app_store_check"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_store_event")),
    )
    with op.batch_alter_table("app_store_event", schema=None) as batch_op:
        batch_op.create_index("ix_app_store_event_app_at", ["app_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("app_store_event", schema=None) as batch_op:
        batch_op.drop_index("ix_app_store_event_app_at")

    op.drop_table("app_store_event")
    with op.batch_alter_table("app_policy_signal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_policy_signal_policy_id"))

    op.drop_table("app_policy_signal")
    with op.batch_alter_table("app_policy_segment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_policy_segment_policy_id"))

    op.drop_table("app_policy_segment")
    with op.batch_alter_table("app_apk_tracker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_apk_tracker_apk_id"))

    op.drop_table("app_apk_tracker")
    with op.batch_alter_table("app_apk_certificate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_apk_certificate_certificate_id"))
        batch_op.drop_index(batch_op.f("ix_app_apk_certificate_apk_id"))

    op.drop_table("app_apk_certificate")
    with op.batch_alter_table("app_store_check", schema=None) as batch_op:
        batch_op.drop_index("ix_app_store_check_listing")

    op.drop_table("app_store_check")
    with op.batch_alter_table("app_promotion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_promotion_site"))
        batch_op.drop_index(batch_op.f("ix_app_promotion_app_id"))

    op.drop_table("app_promotion")
    with op.batch_alter_table("app_policy", schema=None) as batch_op:
        batch_op.drop_index("ix_app_policy_app_read")

    op.drop_table("app_policy")
    with op.batch_alter_table("app_apk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_apk_app_id"))

    op.drop_table("app_apk")
    op.drop_table("app_certificate")
    op.drop_table("app")
