"""The PostgreSQL test server (``UNMASK_TEST_PG_URL``, started by `make test`): databases of the tests'
own, made and dropped through one administrative connection."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


class PostgresServer:
    """Makes databases on the server at ``url`` (any database of it; the server's own is used to connect)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        admin = self.url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        self._admin = create_engine(admin, isolation_level="AUTOCOMMIT")

    def create(self, *, template: str | None = None, prefix: str = "unmask_t") -> str:
        """The URL of a new database: empty, or a copy of the database ``template`` (its name; nobody
        may be connected to it while it is copied)."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        copy = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        """Drop the database of ``url`` (made by :meth:`create`), whoever is still connected."""
        name = make_url(url).database
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        self._admin.dispose()
