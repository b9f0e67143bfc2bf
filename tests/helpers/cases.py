"""Cases with a census in them, written through the real census writer: the tests' one case builder.

    writer = load_census(case, [record(ItemKind.VIDEO, 1, views=10, persons=[PersonRef("Bo Rin")])])
    writer = census_run(case, BASE, name="plat", adapter="demo", options={"delay": 0.0})  # pages by hand

    case = case_from_template(tmp_path / "case", sqlite_template=template)  # a copy, not a migration

A record is what extraction makes of an item (kind, URL and platform ID from its number, any
``ItemRecord`` field by keyword); a run is the platform (created when new), a run opened as
`census crawl` opens it, and its writer, so stored rows are exactly what a crawl leaves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from tests.helpers.postgres import PostgresServer
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind
from unmask.census.writer import CensusWriter, PageCommit, open_run, platform_for
from unmask.core.case import Case
from unmask.core.config import CaseConfig

BASE = "http://127.0.0.1:1"
"""The invented platform's base URL (a loopback port nothing listens on: nothing is fetched)."""


def record(kind: ItemKind, n: int, *, base: str = BASE, **fields: Any) -> ItemRecord:
    """Item ``n`` of ``kind`` (URL ``BASE/<kind>/<n>``, platform ID ``n``) with ``fields`` set."""
    rec = ItemRecord(kind=kind, url=f"{base}/{kind.value}/{n}", platform_id=str(n))
    for name, value in fields.items():
        setattr(rec, name, value)
    return rec


def census_run(
    case: Case,
    base: str = BASE,
    *,
    name: str = "t",
    adapter: str | None = None,
    options: dict[str, Any] | None = None,
    **limits: int,
) -> CensusWriter:
    """A new (or the interrupted) census run of the platform at ``base``, and its writer; ``limits``
    replace crawl settings (``max_frontier=30``…)."""
    platform = platform_for(case.store, base, name, adapter)
    run, _resumed = open_run(case.store, platform, base + "/", options or {})
    settings = dataclasses.replace(case.config.crawl, **limits) if limits else case.config.crawl
    return CensusWriter(case.store, platform, run.id, settings)


def load_census(case: Case, items: Iterable[ItemRecord], base: str = BASE) -> CensusWriter:
    """A run that read one sitemap describing ``items``; its writer (to go on: removals, a verdict)."""
    writer = census_run(case, base)
    (sitemap,) = writer.seed([Link(base + "/sitemap.xml", PageKind.SITEMAP)])
    writer.commit(PageCommit(sitemap, None, items=list(items)))
    return writer


# -- new cases at the cost of a copy ---------------------------------------------------------------------
# Migrating a new store runs every revision (about 0.1 s of CPU, more of the database server's); the test
# set-up migrates one store of each kind per test process and copies it into each new case.

SQLITE_FILE = make_url(CaseConfig.database).database or "unmask.db"
"""The store file of a case on SQLite (the default database URL, relative to the case folder)."""


def migrated_sqlite(folder: Path) -> Path:
    """The store file of a new case made in ``folder``, migrated to the newest revision and its
    write-ahead log folded in: a template for :func:`case_from_template`."""
    case = Case.init(folder / "sqlite-template")
    path = case.sqlite_path
    case.close()
    assert path is not None
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def migrated_postgres(server: PostgresServer, folder: Path) -> str:
    """The name of a new PostgreSQL database migrated to the newest revision (no connection left open):
    a template for ``server.create(template=…)``."""
    url = server.create(prefix="unmask_template")
    Case.init(folder / "postgres-template", db=url).close()
    return str(make_url(url).database)


def case_from_template(root: Path, *, sqlite_template: Path | None = None, db: str | None = None) -> Case:
    """What ``Case.init(root, db=db)`` makes (its own folder, settings and secret), with a store that is
    already at the newest revision, so that nothing is migrated: ``db``, a database made from the
    PostgreSQL template, or without it the SQLite template file copied into the new folder."""
    if db is None and sqlite_template is not None:
        root.mkdir(parents=True)
        shutil.copyfile(sqlite_template, root / SQLITE_FILE)
    return Case.init(root, db=db)
