"""A census fills a new case's tables faster than autovacuum analyzes them: the writer refreshes the
planner's statistics itself as its tables grow, so item look-ups by id stay index look-ups (a listing page's
transaction 11 ms, not 34 ms growing with the catalogue; docs/scale.md)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from unmask.census.model import ItemKind, ItemRecord, Link, PageKind
from unmask.census.writer import CensusWriter, PageCommit, open_run, platform_for
from unmask.core.case import Case
from unmask.core.crawl.frontier import STATISTICS_FLOOR


def _reltuples(case: Case, table: str) -> float:
    with case.store.session() as s:
        query = text("SELECT reltuples FROM pg_class WHERE relname = :t")
        return float(s.execute(query, {"t": table}).scalar())


def test_the_planner_learns_the_tables_a_census_fills(case: Case) -> None:
    pid = platform_for(case.store, "http://127.0.0.1:1", "test", None)
    run, _resumed = open_run(case.store, pid, "http://127.0.0.1:1/", {})
    writer = CensusWriter(case.store, pid, run.id, case.config.crawl)
    (sitemap,) = writer.seed([Link("http://127.0.0.1:1/sitemap.xml", PageKind.SITEMAP)])
    n = STATISTICS_FLOOR + 200
    items = [
        ItemRecord(kind=ItemKind.VIDEO, url=f"http://127.0.0.1:1/video/{i}", platform_id=str(i), views=i)
        for i in range(n)
    ]
    result = writer.commit(PageCommit(sitemap, None, items=items))
    assert result.items == n
    if case.store.dialect == "postgresql":  # SQLite plans from its indexes: nothing to refresh there
        assert _reltuples(case, "item") == n
        assert _reltuples(case, "item_observation") == n


def test_a_failed_refresh_of_the_statistics_leaves_the_page_stored(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(CensusWriter, "planned_tables", ("no_such_table",))
    pid = platform_for(case.store, "http://127.0.0.1:1", "test", None)
    run, _resumed = open_run(case.store, pid, "http://127.0.0.1:1/", {})
    writer = CensusWriter(case.store, pid, run.id, case.config.crawl)
    (sitemap,) = writer.seed([Link("http://127.0.0.1:1/sitemap.xml", PageKind.SITEMAP)])
    items = [
        ItemRecord(kind=ItemKind.VIDEO, url=f"http://127.0.0.1:1/video/{i}", platform_id=str(i))
        for i in range(STATISTICS_FLOOR)
    ]
    assert writer.commit(PageCommit(sitemap, None, items=items)).items == STATISTICS_FLOOR
    assert writer.counts() == {"done": 1}
