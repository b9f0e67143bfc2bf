"""The PostgreSQL test server (``UNMASK_TEST_PG_URL``, started by `make test`): databases of the tests'
own, made and dropped through one administrative connection, and a pool of fresh case databases."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


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

    @contextmanager
    def database(self) -> Iterator[str]:
        """The URL of a new, empty database, dropped afterwards."""
        url = self.create()
        try:
            yield url
        finally:
            self.drop(url)

    def end_connections(self, url: str) -> None:
        """End every connection to the database of ``url``."""
        with self._admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                {"name": make_url(url).database},
            )

    def close(self) -> None:
        self._admin.dispose()


def engine_of(url: str) -> Engine:
    """An engine on the database of ``url`` (psycopg 3) that keeps no connection open after use."""
    return create_engine(make_url(url).set(drivername="postgresql+psycopg"), poolclass=NullPool)


SHAPE = """
SELECT md5(coalesce(string_agg(part, ',' ORDER BY part), '')) FROM (
  SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' '
         || is_nullable || ' ' || coalesce(column_default, '') AS part
    FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 'index ' || indexdef FROM pg_indexes
    WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' '
         || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
  UNION ALL SELECT 'schema ' || nspname FROM pg_namespace
  UNION ALL SELECT 'sequence ' || schemaname || '.' || sequencename FROM pg_sequences
  UNION ALL SELECT 'trigger ' || event_object_table || ' ' || trigger_name FROM information_schema.triggers
  UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace
  UNION ALL SELECT 'view ' || table_schema || '.' || table_name FROM information_schema.views
    WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
  UNION ALL SELECT 'revision ' || version_num FROM alembic_version
) AS parts
"""
"""A digest of a database's schema (tables, columns, indexes, keys, sequences, schemas, triggers, functions,
views) and its Alembic revision: two databases with the same digest have the same structure."""

TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
"""The tables a test may fill (every one but Alembic's)."""

SEQUENCES = "SELECT schemaname || '.' || sequencename, start_value, last_value FROM pg_sequences"
"""Every sequence with where it starts and the last value it handed out (NULL: none yet)."""


class DatabasePool:
    """Databases made from ``template`` on ``server``, set back to the template after each test and used
    again: a new PostgreSQL database costs a copy of the whole catalogue (about 10 MB), setting one back a
    TRUNCATE.

    Setting back, with every other connection to the database ended and triggers off: every table but
    ``alembic_version`` emptied, the rows the migrations put in the template written again as they are
    there, every sequence where the template's is. The database comes back into the pool only when its
    schema digest (:data:`SHAPE`) is then the template's; anything else (a test that changed the schema, a
    reset that failed) drops it. A database whose sequences moved while it waited (a write after the
    reset) is dropped when taken. The next test then gets a new copy."""

    def __init__(self, server: PostgresServer, template: str) -> None:
        self.server = server
        self.template = template
        self.made: list[str] = []
        self._free: list[str] = []
        engine = engine_of(server.url.set(database=template).render_as_string(hide_password=False))
        try:
            with engine.connect() as conn:
                self._shape = conn.execute(text(SHAPE)).scalar()
                self._sequences = _sequences(conn)
                self._rows: dict[str, list[dict[str, Any]]] = {}
                for table in conn.execute(text(TABLES)).scalars().all():
                    rows = [dict(row) for row in conn.execute(text(f'SELECT * FROM "{table}"')).mappings()]
                    if rows:
                        self._rows[table] = rows
        finally:
            engine.dispose()

    def take(self) -> str:
        """The URL of a database as the template is, for one test."""
        while self._free:
            url = self._free.pop()
            if self._untouched(url):
                return url
            self._drop(url)
        url = self.server.create(template=self.template)
        self.made.append(url)
        return url

    def give_back(self, url: str) -> None:
        """Set the database of ``url`` back for the next test, or drop it when that fails."""
        try:
            fresh = self._reset(url)
        except Exception:  # a database the test left unusable: a new copy serves the next one
            fresh = False
        if fresh:
            self._free.append(url)
        else:
            self._drop(url)

    @contextmanager
    def lent(self) -> Iterator[str]:
        """A database taken for a while (:meth:`take`), given back afterwards (:meth:`give_back`)."""
        url = self.take()
        try:
            yield url
        finally:
            self.give_back(url)

    def close(self) -> None:
        for url in self.made:
            self.server.drop(url)
        self.made.clear()
        self._free.clear()

    def _drop(self, url: str) -> None:
        self.made.remove(url)
        self.server.drop(url)

    def _reset(self, url: str) -> bool:
        self.server.end_connections(url)
        engine = engine_of(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("SET LOCAL session_replication_role = replica"))  # no trigger fires
                tables = ", ".join(f'"{table}"' for table in conn.execute(text(TABLES)).scalars())
                if tables:
                    conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
                for table, rows in self._rows.items():
                    columns = list(rows[0])
                    names = ", ".join(f'"{column}"' for column in columns)
                    values = ", ".join(f":{column}" for column in columns)
                    conn.execute(text(f'INSERT INTO "{table}" ({names}) VALUES ({values})'), rows)
                for name, (start, last) in self._sequences.items():
                    conn.execute(
                        text("SELECT setval(CAST(:name AS regclass), :value, :called)"),
                        {"name": name, "value": start if last is None else last, "called": last is not None},
                    )
            with engine.connect() as conn:
                return bool(
                    conn.execute(text(SHAPE)).scalar() == self._shape and _sequences(conn) == self._sequences
                )
        finally:
            engine.dispose()

    def _untouched(self, url: str) -> bool:
        engine = engine_of(url)
        try:
            with engine.connect() as conn:
                return _sequences(conn) == self._sequences
        finally:
            engine.dispose()


def _sequences(conn: Connection) -> dict[str, tuple[int, int | None]]:
    return {name: (start, last) for name, start, last in conn.execute(text(SEQUENCES))}
