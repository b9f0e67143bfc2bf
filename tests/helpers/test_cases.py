"""The `case` fixture copies a migrated template instead of migrating: each test still gets a case of its
own, at the newest revision, with nothing in it, exactly as `Case.init` makes one."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text

from tests.helpers.cases import case_from_template, load_census, record
from tests.helpers.postgres import DatabasePool, PostgresServer
from unmask.census.model import ItemKind
from unmask.core.case import Case
from unmask.core.store.db import HEAD


def shape(case: Case) -> dict[str, Any]:
    """The store's tables with their columns, indexes, keys and row counts."""
    found: dict[str, Any] = {}
    with case.store.engine.connect() as conn:
        schema = inspect(conn)
        for table in sorted(schema.get_table_names()):
            found[table] = {
                "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in schema.get_columns(table)],
                "indexes": sorted((i["name"], tuple(i["column_names"])) for i in schema.get_indexes(table)),
                "foreign keys": sorted(str(k["referred_table"]) for k in schema.get_foreign_keys(table)),
                "rows": conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar(),
            }
    return found


def contents(case: Case) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table, as text."""
    with case.store.engine.connect() as conn:
        return {
            table: sorted(tuple(map(str, row)) for row in conn.execute(text(f'SELECT * FROM "{table}"')))
            for table in inspect(conn).get_table_names()
        }


@pytest.fixture
def migrated(tmp_path: Path, db_kind: str, request: pytest.FixtureRequest) -> Iterator[Case]:
    """A case made the long way: every migration run on an empty database."""
    db = request.getfixturevalue("pg_database") if db_kind == "postgresql" else None
    made = Case.init(tmp_path / "migrated", db=db)
    try:
        yield made
    finally:
        made.close()


def test_a_case_from_the_template_is_what_migrating_makes(case: Case, migrated: Case) -> None:
    assert case.store.dialect == migrated.store.dialect
    assert case.store.revision() == HEAD
    assert shape(case) == shape(migrated)
    assert case.config.secret and case.config.secret != migrated.config.secret
    assert case.root.name == case.config.name == "case"


def test_a_case_from_the_template_is_private_like_any_case(case: Case) -> None:
    assert stat.S_IMODE(case.root.stat().st_mode) == 0o700
    assert stat.S_IMODE(case.config_path.stat().st_mode) == 0o600
    if case.sqlite_path is not None:
        assert case.sqlite_path.parent == case.root
        assert stat.S_IMODE(case.sqlite_path.stat().st_mode) == 0o600


def test_what_one_case_stores_stays_in_it(
    case: Case, tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest
) -> None:
    """Writes to one case reach neither the template nor a case made after them from it."""
    empty = shape(case)
    load_census(case, [record(ItemKind.VIDEO, n, views=n) for n in range(1, 4)])
    assert shape(case)["item"]["rows"] == 3

    postgres: PostgresServer | None = None
    db = None
    if case.store.dialect == "postgresql":
        postgres = request.getfixturevalue("postgres")
        db = postgres.create(template=request.getfixturevalue("pg_template"))
    later = case_from_template(tmp_path / "later", sqlite_template=sqlite_template, db=db)
    try:
        assert later.store.url != case.store.url
        assert shape(later) == empty
    finally:
        later.close()
        if postgres and db:
            postgres.drop(db)


def test_a_postgresql_database_used_again_is_fresh_or_dropped(
    postgres: PostgresServer, pg_template: str, tmp_path: Path
) -> None:
    """The pool behind the `case` fixture's PostgreSQL half: a database comes back empty, counting from 1,
    and one whose schema a test changed, or that was written to after its cleaning, is never used again."""
    pool = DatabasePool(postgres, pg_template)
    try:
        url = pool.take()
        first = case_from_template(tmp_path / "first", db=url)
        empty = shape(first)
        rows = contents(first)
        load_census(first, [record(ItemKind.VIDEO, n) for n in range(1, 4)])
        first.close()
        pool.give_back(url)

        assert pool.take() == url
        again = case_from_template(tmp_path / "again", db=url)
        assert shape(again) == empty
        assert contents(again) == rows  # the rows the migrations write, as a new copy has them
        load_census(again, [record(ItemKind.VIDEO, 9)])
        with again.store.engine.connect() as conn:
            assert conn.execute(text("SELECT id FROM item")).scalars().all() == [1]
        with again.store.engine.begin() as conn:
            conn.execute(text("CREATE TABLE stray (x integer)"))
        again.close()
        pool.give_back(url)
        assert url not in pool.made

        other = pool.take()
        assert other != url
        pool.give_back(other)
        late = case_from_template(tmp_path / "late", db=other)  # a write after the cleaning
        load_census(late, [record(ItemKind.VIDEO, 1)])
        late.close()
        assert pool.take() != other
        assert other not in pool.made
    finally:
        pool.close()
