"""The census store on SQLite and PostgreSQL: upserts merge, pages commit whole, runs settle."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import func, select

from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.writer import CensusWriter, PageCommit, open_run, platform_for
from unmask.core.case import Case
from unmask.core.store.models import Frontier, Item, ItemLabel, ItemObservation, ItemPerson, Person


def _writer(case: Case, **limits: int) -> CensusWriter:
    pid = platform_for(case.store, "http://127.0.0.1:1", "test", None)
    run, resumed = open_run(case.store, pid, "http://127.0.0.1:1/", {})
    assert not resumed
    settings = dataclasses.replace(case.config.crawl, **limits)
    return CensusWriter(case.store, pid, run.id, settings, incremental=run.incremental)


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


@pytest.mark.slow
def test_frontier_dedupes_and_resumes(case: Case) -> None:
    w = _writer(case)
    rows = w.seed([Link("http://127.0.0.1:1/a", PageKind.PAGE), Link("http://127.0.0.1:1/a", PageKind.PAGE)])
    assert len(rows) == 1
    assert w.seed([Link("http://127.0.0.1:1/a", PageKind.PAGE)]) == []
    assert [r.url for r in w.pending()] == ["http://127.0.0.1:1/a"]
    w.fail(rows[0].id, "failed", "HTTP 500", None)
    assert list(w.pending()) == []


def _chain(w: CensusWriter, pages: list[list[ItemRecord]], links: list[list[str]] | None = None) -> list[str]:
    """Commit a pagination chain page by page while it is followed; the `ended` of each page."""
    (row,) = w.seed([Link("http://127.0.0.1:1/list", PageKind.LISTING, ItemKind.VIDEO)])
    ended = []
    for n, records in enumerate(pages):
        hrefs = (links or [[]] * len(pages))[n]
        page_links = [Link(f"http://127.0.0.1:1/video/{h}", PageKind.ITEM, ItemKind.VIDEO) for h in hrefs]
        keys = frozenset(r.platform_id or "" for r in records) | frozenset(f"/video/{h}" for h in hrefs)
        result = w.commit(
            PageCommit(
                row,
                None,
                items=records,
                links=page_links,
                next_page=f"http://127.0.0.1:1/list?page={n + 2}",
                item_keys=keys,
            )
        )
        ended.append(result.ended or "")
        if result.ended:
            break
        (row,) = [r for r in result.new_rows if r.kind == PageKind.LISTING]
    return ended


def test_a_chain_of_empty_pages_ends_without_a_limit(case: Case) -> None:
    w = _writer(case)
    ended = _chain(w, [[] for _ in range(10)])
    assert len(ended) == case.config.crawl.barren_pages and "its end" in ended[-1]
    assert w.settle(finished=True).reasons[0].what == "no_items"  # a chain's end is no reason


def test_a_repeated_page_ends_its_chain(case: Case) -> None:
    w = _writer(case)
    ended = _chain(w, [[_video(1), _video(2)], [_video(3)], [_video(3)], [_video(3)], [_video(3)]])
    assert len(ended) == 2 + case.config.crawl.barren_pages and "its end" in ended[-1]


def test_pages_cycling_between_item_sets_end_their_chain(case: Case) -> None:
    w = _writer(case)
    pages = [[_video(1), _video(2)] if n % 2 else [_video(3), _video(4)] for n in range(40)]
    ended = _chain(w, pages)
    assert "its end" in ended[-1] and len(ended) <= 2 + case.config.crawl.barren_pages


def test_pages_that_only_link_new_items_are_not_barren(case: Case) -> None:
    """Cards with a link, a thumbnail and a title and no metadata still bring items: new item links."""
    w = _writer(case)
    links = [[f"{10 * n + k}/clip" for k in range(3)] for n in range(8)] + [["70/clip"]] * 5
    ended = _chain(w, [[] for _ in links], links)
    assert len(ended) == 8 + case.config.crawl.barren_pages and "its end" in ended[-1]
    with case.store.session() as s:
        deferred = s.scalar(select(func.count()).where(Frontier.status == "deferred"))
    assert deferred == 8 * 3


def test_a_listing_longer_than_its_limit_is_cut_and_the_run_says_so(case: Case) -> None:
    w = _writer(case, max_listing_pages=4)
    ended = _chain(w, [[_video(n)] for n in range(10)])
    assert len(ended) == 4 and "limit" in ended[-1]
    settled = w.settle(finished=True)
    assert settled.status == "incomplete"
    assert [r.text for r in settled.reasons] == ["1 listings were cut at 4 pages"]


def test_frontier_and_sitemap_limits_cut_work_and_are_reasons(case: Case) -> None:
    w = _writer(case, max_frontier=30, max_sitemaps=12, max_sitemap_children=10)
    (index,) = w.seed([Link("http://127.0.0.1:1/index.xml", PageKind.SITEMAP)])
    children = [Link(f"http://127.0.0.1:1/s{n}.xml", PageKind.SITEMAP) for n in range(25)]
    result = w.commit(PageCommit(index, None, links=children))
    assert len(result.new_rows) == 10
    assert result.limits == {"sitemap_children": 15}
    rows = result.new_rows
    more = [Link(f"http://127.0.0.1:1/t{n}.xml", PageKind.SITEMAP) for n in range(5)]
    result = w.commit(PageCommit(rows[0], None, links=more))
    assert len(result.new_rows) == 1 and result.limits == {"sitemaps": 4}  # 12 sitemaps in the run
    items = [Link(f"http://127.0.0.1:1/video/{n}", PageKind.ITEM, ItemKind.VIDEO) for n in range(40)]
    result = w.commit(PageCommit(rows[1], None, links=items))
    assert result.limits == {"frontier": 22}  # 12 sitemaps + 18 item links = 30 rows
    for row in w.pending():
        w.commit(PageCommit(row, None, items=[_video(1)]))
    texts = [r.text for r in w.settle(finished=True).reasons]
    assert texts == [
        "18 pages were never fetched",  # the item links, deferred to a fill phase that never came
        "22 links were not followed: the run reached its limit of 30 URLs",
        "15 sitemaps listed beyond 10 in one sitemap index were not read",
        "4 sitemaps were not read: the run reached its limit of 12 sitemaps",
    ]


def test_unseen_items_are_marked_removed_after_a_complete_run(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w.commit(PageCommit(row, None, items=[_video(1), _video(2)]))
    assert w.settle(finished=True).status == "complete"
    w2 = _next_run(case, w)
    (row2,) = w2.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w2.commit(PageCommit(row2, None, items=[_video(2), _video(3)]))
    settled = w2.settle(finished=True)
    assert (settled.status, settled.removed) == ("complete", 1)
    assert _removed(case) == ["1"]


def test_most_items_vanishing_at_once_is_incomplete_not_a_mass_removal(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w.commit(PageCommit(row, None, items=[_video(n) for n in range(10)]))
    assert w.settle(finished=True).complete
    w2 = _next_run(case, w)
    (row2,) = w2.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w2.commit(PageCommit(row2, None, items=[_video(0), _video(1)]))
    settled = w2.settle(finished=True)
    assert settled.status == "incomplete" and settled.removed == 0
    (reason,) = settled.reasons
    assert reason.what == "unseen" and reason.bound == "upper"
    assert reason.text.startswith("8 of the 10 items present before were not seen again")
    assert _removed(case) == []


@pytest.mark.slow
def test_a_failed_listing_makes_the_run_incomplete_and_removes_nothing(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w.commit(PageCommit(row, None, items=[_video(1), _video(2)]))
    w.settle(finished=True)
    w2 = _next_run(case, w)
    sitemap, listing = w2.seed(
        [Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP), Link("http://127.0.0.1:1/l", PageKind.LISTING)]
    )
    w2.commit(PageCommit(sitemap, None, items=[_video(2)]))
    w2.commit(PageCommit(listing, None, status="failed", error="HTTP 503"))
    settled = w2.settle(finished=True, start_url="http://127.0.0.1:1/l")
    assert settled.status == "incomplete" and settled.removed == 0
    assert [r.text for r in settled.reasons] == ["the start page could not be read (HTTP 503)"]
    assert _removed(case) == []


def test_a_404_item_page_removes_its_item_whatever_its_kind(case: Case) -> None:
    """A photo known only from an image sitemap (its URL names no kind) is removed when its page is 404."""
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/images.xml", PageKind.SITEMAP)])
    photos = [
        ItemRecord(kind=ItemKind.PHOTO, url=f"http://127.0.0.1:1/p/{n}.html", platform_id=f"/p/{n}.html")
        for n in range(3)
    ]
    links = [Link(p.url, PageKind.ITEM, None) for p in photos]
    w.commit(PageCommit(row, None, items=photos, links=links))
    page = w.seed([Link(photos[1].url, PageKind.ITEM)])[0]
    w.commit(PageCommit(page, None, status="gone", error="HTTP 410", gone_item=(None, "/p/1.html")))
    # a later page of the same run describing the photo again does not bring it back
    (again,) = w.seed([Link("http://127.0.0.1:1/images2.xml", PageKind.SITEMAP)])
    w.commit(PageCommit(again, None, items=[photos[1]]))
    assert _removed(case) == ["/p/1.html"]


def test_incomplete_items_get_their_page_queued(case: Case) -> None:
    w = _writer(case)
    (row,) = w.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    full = _video(1, title="t", duration=5.0, persons=[PersonRef("P")], tags=["a"])
    w.commit(PageCommit(row, None, items=[full, _video(2, title="t", duration=5.0, tags=["a"])]))
    wanted = {ItemKind.VIDEO: frozenset({"title", "duration", "persons", "tags"})}
    cursors: dict[ItemKind, int] = {}
    assert w.queue_incomplete(wanted, cursors) == 1
    assert [r.url for r in w.pending()] == ["http://127.0.0.1:1/video/2"]
    assert w.queue_incomplete(wanted, cursors) == 0


def test_resume_reopens_the_interrupted_run(case: Case) -> None:
    w = _writer(case)
    assert w.settle(finished=False).status == "interrupted"
    run, resumed = open_run(case.store, w.platform_id, "http://127.0.0.1:1/", {})
    assert resumed and run.id == w.run_id and run.sessions == 2


def test_deferred_item_links_are_released_or_skipped(case: Case) -> None:
    w = _writer(case)
    (listing,) = w.seed([Link("http://127.0.0.1:1/list", PageKind.LISTING, ItemKind.VIDEO)])
    links = [Link(f"http://127.0.0.1:1/video/{n}", PageKind.ITEM, ItemKind.VIDEO) for n in (1, 2, 3)]
    result = w.commit(PageCommit(listing, None, items=[_video(3)], links=links))
    assert result.new_rows == []  # item links wait for the fill phase; video 3 is described on the page
    (sitemap,) = w.seed([Link("http://127.0.0.1:1/s.xml", PageKind.SITEMAP)])
    w.commit(PageCommit(sitemap, None, items=[_video(1)]))  # another source describes video 1

    def key_of(url: str) -> tuple[ItemKind | None, str]:
        return ItemKind.VIDEO, url.rsplit("/", 1)[1]

    assert w.release_deferred(key_of) == 1
    assert [r.url for r in w.pending()] == [links[1].url]
    assert w.release_deferred(key_of) == 0


def _next_run(case: Case, w: CensusWriter) -> CensusWriter:
    run, resumed = open_run(case.store, w.platform_id, "http://127.0.0.1:1/", {})
    assert not resumed and run.incremental
    return CensusWriter(case.store, w.platform_id, run.id, case.config.crawl, incremental=True)


def _removed(case: Case) -> list[str]:
    with case.store.session() as s:
        return list(s.scalars(select(Item.platform_item_id).where(Item.removed_at.is_not(None))))
