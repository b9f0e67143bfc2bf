"""Engine creation, migrations and sessions for the case store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from unmask.core.errors import CaseError

MIGRATIONS = Path(__file__).parent / "migrations"
HEAD = "0016"
"""The newest migration. A store already there opens without loading Alembic (tests check it is the head)."""


def normalize_url(url: str, base_dir: Path | None = None) -> str:
    """Make a user-given database URL concrete: psycopg 3 driver, SQLite paths relative to the case."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CaseError(f"not a database URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        db = parsed.database
        if db and db != ":memory:" and base_dir is not None and not Path(db).is_absolute():
            parsed = parsed.set(database=str((base_dir / db).resolve()))
    elif backend != "postgresql":
        raise CaseError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://…")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def dialect_insert(engine_or_session: Engine | Session) -> Any:
    """The dialect's INSERT (with on_conflict_* support) for this store."""
    bind = engine_or_session.get_bind() if isinstance(engine_or_session, Session) else engine_or_session
    # imported here: the PostgreSQL dialect module loads every driver's dialect (asyncpg, pg8000…),
    # start-up time a command on a SQLite case has no use for
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


class Store:
    """A case's database: schema migrations and sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert(self) -> Any:
        return dialect_insert(self.engine)

    def revision(self) -> str | None:
        """The store's schema revision (None for a new, empty database)."""
        try:
            with self.engine.connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except OperationalError as exc:
            if "alembic_version" in str(exc.orig):  # SQLite: no such table
                return None
            raise CaseError(f"cannot open the database: {exc.orig}") from exc
        except ProgrammingError:  # PostgreSQL: relation does not exist
            return None

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent; a store at HEAD is left as it is)."""
        if self.revision() == HEAD:
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except OperationalError as exc:
            raise CaseError(f"cannot open the database: {exc.orig}") from exc

    def check(self) -> None:
        try:
            tables = set(inspect(self.engine).get_table_names())
        except OperationalError as exc:
            raise CaseError(f"cannot open the database: {exc.orig}") from exc
        if "item" not in tables:
            raise CaseError("the case database has no unmask schema")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
