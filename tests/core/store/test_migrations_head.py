"""The store's HEAD constant (which lets a current store open without loading Alembic) is Alembic's head."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from unmask.core.case import Case
from unmask.core.store.db import HEAD, MIGRATIONS


def test_head_is_the_newest_migration() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD


def test_a_case_is_at_head_and_reopens(case: Case) -> None:
    assert case.store.revision() == HEAD
    again = Case.open(case.root)
    try:
        assert again.store.revision() == HEAD
    finally:
        again.close()


def test_migrations_build_exactly_the_models(case: Case) -> None:
    """The tables every stage declares (core, infra, owners) are what the migrations create."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import unmask.forum.tables
    import unmask.infra.tables
    import unmask.owners.tables
    import unmask.protect.tables
    import unmask.watch.tables  # noqa: F401  (the stages' tables join the shared metadata)
    from unmask.core.store.models import Base

    with case.store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
