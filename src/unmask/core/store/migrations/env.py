"""Alembic environment: runs on the connection the Store hands over."""

from __future__ import annotations

from alembic import context

from unmask.core.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only for `alembic` on the command line
    raise RuntimeError("run migrations through unmask.core.store.Store.migrate()")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
