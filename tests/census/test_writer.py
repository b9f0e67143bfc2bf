"""The census store on SQLite and PostgreSQL: upserts merge, pages commit whole, runs settle."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.writer import CensusWriter, PageCommit, open_run, platform_for
from unmask.core.case import Case
from unmask.core.store.models import Frontier, Item, ItemLabel, ItemObservation, ItemPerson, Person


def _writer(case: Case) -> CensusWriter:
    pid = platform_for(case.store, "http://127.0.0.1:1", "test", None)
    run, resumed = open_run(case.store, pid, "http://127.0.0.1:1/", {})
    assert not resumed
    return CensusWriter(case.store, pid, run.id, case.config.crawl, incremental=run.incremental)


def _video(n: int, **kw: object) -> ItemRecord:
    rec = ItemRecord(kind=ItemKind.VIDEO, url=f"http://127.0.0.1:1/video/{n}", platform_id=str(n))
    for k, v in kw.items():
        setattr(rec, k, v)
    return rec


def test_two_sources_merge_into_one_item(case: Case) -> None:
    w = _writer(case)
    (robots,) = w.seed([Link("http://127.0.0.1:1/robots.txt", PageKind.ROBOTS)])
    w.commit(
        PageCommit(
            robots,
            None,
            items=[_video(1, title="A", duration=60.0, tags=["x", "y"], upload_date=dt.date(2020, 1, 2))],
            links=[Link("http://127.0.0.1:1/videos", PageKind.LISTING, ItemKind.VIDEO)],
        )
    )
    (listing,) = w.pending()
    result = w.commit(
        PageCommit(
            listing,
            None,
            items=[
                _video(1, views=10, uploader="U1", persons=[PersonRef("Ana Vel", public_figure=False)]),
                _video(1, views=10, persons=[PersonRef("Bo Rin")]),  # listed twice on the page
            ],
        )
    )
    assert result.items == 1 and result.new_items == 0  # already seen this run via the sitemap
    with case.store.session() as s:
        item = s.scalars(select(Item)).one()
        assert (item.title, item.duration_s, item.views, item.upload_date) == (
            "A",
            60.0,
            10,
            dt.date(2020, 1, 2),
        )
        assert s.scalar(select(func.count()).select_from(ItemPerson)) == 2
        assert s.scalar(select(func.count()).select_from(ItemLabel)) == 2
        assert s.scalar(select(func.count()).select_from(ItemObservation)) == 1
        assert s.scalar(select(Person.public_figure).where(Person.name == "Ana Vel")) is False
        assert {f.status for f in s.scalars(select(Frontier))} == {"done"}


def test_frontier_dedupes_and_resumes(case: Case) -> None:
    w = _writer(case)
    rows = w.seed([Link("http://127.0.0.1:1/a", PageKind.PAGE), Link("http://127.0.0.1:1/a", PageKind.PAGE)])
    assert len(rows) == 1
    assert w.seed([Link("http://127.0.0.1:1/a", PageKind.PAGE)]) == []
    assert [r.url for r in w.pending()] == ["http://127.0.0.1:1/a"]
    w.fail(rows[0].id, "failed", "HTTP 500", None)
    assert list(w.pending()) == []


def test_pagination_trap_guard(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/list", PageKind.LISTING, ItemKind.VIDEO)])
    stops = []
    for page in range(2, 10):
        result = w.commit(PageCommit(row, None, items=[], next_page=f"http://127.0.0.1:1/list?page={page}"))
        if result.stopped:
            stops.append(result.stopped)
            break
        (row,) = result.new_rows
    assert stops and "trap" in stops[0]
    assert row.depth == 3  # pages 1..3 read, none brought anything


def test_repeating_page_is_barren(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/list", PageKind.LISTING, ItemKind.VIDEO)])
    for page in range(2, 10):
        result = w.commit(
            PageCommit(row, None, items=[_video(1)], next_page=f"http://127.0.0.1:1/list?p={page}")
        )
        if result.stopped:
            break
        (row,) = result.new_rows
    assert result.stopped is not None and row.depth <= 5


def test_unseen_items_are_marked_removed_after_a_complete_run(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w.commit(PageCommit(row, None, items=[_video(1), _video(2)]))
    w.finish("complete")
    pid = w.platform_id
    run2, _ = open_run(case.store, pid, "http://127.0.0.1:1/", {})
    assert run2.incremental
    w2 = CensusWriter(case.store, pid, run2.id, case.config.crawl, incremental=True)
    (row2,) = w2.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w2.commit(PageCommit(row2, None, items=[_video(2), _video(3)]))
    assert w2.enumeration_complete() == (True, "")
    assert w2.mark_unseen_removed() == 1
    with case.store.session() as s:
        removed = s.scalars(select(Item.platform_item_id).where(Item.removed_at.is_not(None))).all()
        assert removed == ["1"]


def test_incomplete_items_lists_only_missing_fields(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    full = _video(1, title="t", duration=5.0, persons=[PersonRef("P")], tags=["a"])
    w.commit(PageCommit(row, None, items=[full, _video(2, title="t", duration=5.0, tags=["a"])]))
    wanted = {ItemKind.VIDEO: frozenset({"title", "duration", "persons", "tags"})}
    chunks = list(w.incomplete_items(wanted))
    assert [link.url for chunk in chunks for link in chunk] == ["http://127.0.0.1:1/video/2"]


def test_resume_reopens_the_interrupted_run(case: Case) -> None:
    w = _writer(case)
    w.finish("interrupted")
    run, resumed = open_run(case.store, w.platform_id, "http://127.0.0.1:1/", {})
    assert resumed and run.id == w.run_id and run.sessions == 2


def test_deferred_item_links_are_released_or_promoted(case: Case) -> None:
    w = _writer(case)
    (listing,) = w.seed([Link("http://127.0.0.1:1/list", PageKind.LISTING, ItemKind.VIDEO)])
    links = [Link(f"http://127.0.0.1:1/video/{n}", PageKind.ITEM, ItemKind.VIDEO) for n in (1, 2, 3)]
    result = w.commit(PageCommit(listing, None, items=[_video(3)], links=links))
    assert result.new_rows == []  # item links wait for the fill phase; video 3 is described on the page
    promoted = w.enqueue([links[0]])
    assert [r.url for r in promoted] == [links[0].url]

    def identify(url: str) -> tuple[ItemKind, str] | None:
        return ItemKind.VIDEO, url.rsplit("/", 1)[1]

    released = w.release_deferred(identify)
    assert [r.url for r in released] == [links[1].url]  # 1 was promoted already, 3 was never deferred
    assert w.release_deferred(identify) == []


def test_pagination_cycling_between_item_sets_is_a_trap(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/list", PageKind.LISTING, ItemKind.VIDEO)])
    result = None
    for page in range(2, 40):
        items = [_video(1), _video(2)] if page % 2 else [_video(3), _video(4)]
        result = w.commit(PageCommit(row, None, items=items, next_page=f"http://127.0.0.1:1/list?p={page}"))
        if result.stopped:
            break
        (row,) = result.new_rows
    assert result is not None and result.stopped is not None and "trap" in result.stopped
    assert row.depth <= 6
