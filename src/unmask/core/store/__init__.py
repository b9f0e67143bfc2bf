"""The case store: one database (SQLite by default, PostgreSQL for teams) behind SQLAlchemy."""

from unmask.core.store.db import Store, make_engine, normalize_url

__all__ = ["Store", "make_engine", "normalize_url"]
