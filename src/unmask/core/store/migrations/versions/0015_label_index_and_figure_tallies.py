"""index item labels by kind and value; item writes and figure tallies (exact stats kept between reads)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 04:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

WATCHED = ("item", "item_person")
"""The tables the tallies of `unmask stats` are read from: every statement that changes one notes its
transaction in item_write."""


def upgrade() -> None:
    # the web workbench's tag filter read every label of a million items (the primary key leads with
    # item_id); item_id last makes the index covering on PostgreSQL too
    with op.batch_alter_table("item_label", schema=None) as batch_op:
        batch_op.create_index("ix_item_label_kind_value", ["kind", "value", "item_id"], unique=False)
    op.create_table(
        "item_write",
        sa.Column("txid", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("txid", name=op.f("pk_item_write")),
    )
    op.create_table(
        "figure_tally",
        sa.Column("scope", sa.String(length=700), nullable=False),
        sa.Column("writes", sa.BigInteger(), nullable=False),
        sa.Column("tallies", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_figure_tally")),
    )
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps no tallies: its stats are computed on every read
    # one row per writing transaction, in that transaction: no lock shared between writers (each
    # inserts its own key), and a reader sees the row exactly when it sees the transaction's changes
    op.execute(
        """
        CREATE FUNCTION unmask_note_item_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO item_write (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING;
            RETURN NULL;
        END
        $$
        """
    )
    for table in WATCHED:
        op.execute(
            f"CREATE TRIGGER trg_{table}_write AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION unmask_note_item_write()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS trg_{table}_write ON {table}")
        op.execute("DROP FUNCTION IF EXISTS unmask_note_item_write()")
    op.drop_table("figure_tally")
    op.drop_table("item_write")
    with op.batch_alter_table("item_label", schema=None) as batch_op:
        batch_op.drop_index("ix_item_label_kind_value")
