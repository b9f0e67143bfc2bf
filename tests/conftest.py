"""Shared fixtures: case folders on SQLite and on the real PostgreSQL that `make test` starts."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.cases import case_from_template, migrated_postgres, migrated_sqlite
from tests.helpers.cli import unmask_here
from tests.helpers.nginx_server import Lab
from tests.helpers.postgres import DatabasePool, PostgresServer
from unmask.core.case import Case

PG_URL = os.environ.get("UNMASK_TEST_PG_URL")
SEED_VARIABLE = "UNMASK_TEST_SEED"


@pytest.fixture
def seeded(request: pytest.FixtureRequest) -> random.Random:
    """The random choices of one test (where to kill a crawl…): a new seed each run, or the one in
    UNMASK_TEST_SEED; a failing test prints the seed that reproduces it."""
    given = os.environ.get(SEED_VARIABLE)
    seed = int(given) if given else random.SystemRandom().randrange(2**32)
    request.node.user_properties.append(("seed", seed))
    return random.Random(seed)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    report: pytest.TestReport = yield
    if report.failed:
        for name, value in item.user_properties:
            if name == "seed":
                report.sections.append(
                    ("seed", f"{SEED_VARIABLE}={value} repeats this test's random choices")
                )
    return report


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The PostgreSQL test server (one administrative connection per test process)."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("UNMASK_TEST_PG_URL is not set: `make test` starts PostgreSQL and sets it")
        pytest.skip("no PostgreSQL test server (run `make test` or set UNMASK_TEST_PG_URL)")
    server = PostgresServer(PG_URL)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def pg_database(postgres: PostgresServer) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    with postgres.database() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A case store migrated once per test process, copied into each new SQLite case."""
    return migrated_sqlite(tmp_path_factory.mktemp("templates"))


@pytest.fixture(scope="session")
def pg_template(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The name of a PostgreSQL database migrated once per test process, copied for each new case."""
    name = migrated_postgres(postgres, tmp_path_factory.mktemp("templates"))
    try:
        yield name
    finally:
        postgres.drop(postgres.url.set(database=name).render_as_string(hide_password=False))


@pytest.fixture(scope="session")
def pg_case_pool(postgres: PostgresServer, pg_template: str) -> Iterator[DatabasePool]:
    """The PostgreSQL databases of this process's cases: copies of the template, set back between tests."""
    pool = DatabasePool(postgres, pg_template)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def pg_case_database(pg_case_pool: DatabasePool) -> Iterator[str]:
    """A PostgreSQL database as a new case's is (newest revision, nothing stored), for one test's case
    (from the pool: set back to the template and checked after the test, or dropped)."""
    with pg_case_pool.lent() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the PostgreSQL test server is marked ``postgres`` (``-m "not postgres"``
    runs without it), whichever way it asks for it."""
    for item in items:
        if {"pg_database", "pg_case_database"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def case(tmp_path: Path, db_kind: str, request: pytest.FixtureRequest) -> Iterator[Case]:
    """A new case, once on SQLite and once on PostgreSQL (its store copied from a migrated template)."""
    if db_kind == "postgresql":
        c = case_from_template(tmp_path / "case", db=request.getfixturevalue("pg_case_database"))
    else:
        c = case_from_template(tmp_path / "case", sqlite_template=request.getfixturevalue("sqlite_template"))
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def sqlite_case(tmp_path: Path, sqlite_template: Path) -> Iterator[Case]:
    """A new case on SQLite (its store copied from a migrated template)."""
    c = case_from_template(tmp_path / "case", sqlite_template=sqlite_template)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def new_case(tmp_path: Path) -> Path:
    """A case made by `unmask init` (SQLite), for tests that drive the CLI (the command run in this
    process: its start-up is not what these tests are about)."""
    path = tmp_path / "case"
    unmask_here("init", str(path))
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The nginx lab of tests.helpers.nginx_server (masked front, origin, decoy, sister sites, several
    certificates) on loopback, one per test module that asks for it."""
    from tests.helpers.nginx_server import standard_lab

    lab = standard_lab(tmp_path_factory.mktemp("nginx"))
    try:
        yield lab
    finally:
        lab.web.stop()
