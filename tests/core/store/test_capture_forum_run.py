"""Migration 0016: a forum capture made before it gets the forum run whose frontier row names it."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from unmask.core.case import Case
from unmask.core.store.db import MIGRATIONS


def _to(case: Case, revision: str, up: bool) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with case.store.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.upgrade if up else command.downgrade)(cfg, revision)


def test_forum_captures_made_before_the_migration_get_their_run(case: Case) -> None:
    _to(case, "0014", up=False)
    with case.store.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO forum (id, base_url, created_at) VALUES (1, 'http://f', '2025-01-01')")
        )
        for run in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO forum_run (id, forum_id, start_url, started_at, status, sessions) "
                    "VALUES (:r, 1, 'http://f/', '2025-01-01', 'complete', 1)"
                ),
                {"r": run},
            )
        for cid, purpose in ((1, "forum"), (2, "forum"), (3, "census"), (4, "forum")):
            conn.execute(
                text(
                    "INSERT INTO capture (id, purpose, url, method, requested_at) "
                    "VALUES (:c, :p, 'u', 'GET', '2025-01-01')"
                ),
                {"c": cid, "p": purpose},
            )
        for fid, run, cid in ((1, 1, 1), (2, 2, 2), (3, 2, 3)):
            conn.execute(
                text(
                    "INSERT INTO forum_frontier "
                    "(id, run_id, url, url_key, kind, depth, barren, status, capture_id) "
                    "VALUES (:f, :r, 'u', :k, 'thread', 0, 0, 'done', :c)"
                ),
                {"f": fid, "r": run, "k": f"k{fid}", "c": cid},
            )
    _to(case, "head", up=True)
    with case.store.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, forum_run_id FROM capture ORDER BY id")).all()
    # a census capture is not a forum run's, whatever a frontier row says; one no row names stays unknown
    assert [tuple(r) for r in rows] == [(1, 1), (2, 2), (3, None), (4, None)]
