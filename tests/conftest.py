"""Shared fixtures: case folders on SQLite and on the real PostgreSQL that `make test` starts."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.helpers.cli import unmask
from tests.helpers.nginx_server import Lab
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


def _admin_url() -> str:
    assert PG_URL is not None
    return make_url(PG_URL).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("UNMASK_TEST_PG_URL is not set: `make test` starts PostgreSQL and sets it")
        pytest.skip("no PostgreSQL test server (run `make test` or set UNMASK_TEST_PG_URL)")
    name = f"unmask_t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that uses the PostgreSQL test server is marked ``postgres`` (``-m "not postgres"``
    runs without it), whichever way it asks for it."""
    for item in items:
        if "pg_database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
def case(tmp_path: Path, db_kind: str, request: pytest.FixtureRequest) -> Iterator[Case]:
    """A new case, once on SQLite and once on PostgreSQL."""
    db = request.getfixturevalue("pg_database") if db_kind == "postgresql" else None
    c = Case.init(tmp_path / "case", db=db)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def sqlite_case(tmp_path: Path) -> Iterator[Case]:
    c = Case.init(tmp_path / "case")
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def new_case(tmp_path: Path) -> Path:
    """A case made by `unmask init` (SQLite), for tests that drive the CLI."""
    path = tmp_path / "case"
    unmask("init", str(path))
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
