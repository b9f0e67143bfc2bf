"""The crawl engine's run writer (core/crawl/frontier.py), with a stage of the tests' own on core's tables."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unmask.core.case import Case
from unmask.core.crawl.frontier import RunWriter, open_run, url_key
from unmask.core.store.models import CrawlRun, Frontier, Platform

BASE = "http://127.0.0.1:1"


@dataclass(frozen=True)
class Row:
    id: int
    url: str
    kind: str
    priority: int = 0


@dataclass
class Page:
    frontier: Row
    capture_id: int | None = None
    links: list[str] = field(default_factory=list)
    status: str = "done"
    error: str | None = None
    no_response: bool = False
    poisoned: bool = False


class PlainWriter(RunWriter[Row, Page, int]):
    """A stage whose pages only link pages."""

    run_table = CrawlRun
    frontier_table = Frontier
    row_columns = ("id", "url", "kind")
    nouns = {"robots": ("robots.txt", "robots.txt"), "page": ("page", "pages")}

    def make_row(self, values: Sequence[Any]) -> Row:
        return Row(*values)

    def store_pages(self, s: Session, pages: Sequence[Page]) -> list[int]:
        out = []
        for page in pages:
            rows = {url_key(u): {"url": u, "kind": "page"} for u in page.links}
            fresh, _dropped = self.insert(s, rows)
            if page.poisoned:
                raise ValueError("a page the store refuses")
            out.append(len(fresh))
        return out


def _writer(case: Case, **limits: int) -> PlainWriter:
    with case.store.session() as s:
        platform = Platform(base_url=BASE, name="test")
        s.add(platform)
        s.flush()
        pid = platform.id
    run, resumed = open_run(case.store, CrawlRun, ("platform_id", pid), BASE + "/", {})
    assert not resumed
    return PlainWriter(case.store, run.id, dataclasses.replace(case.config.crawl, **limits))


def _seed(w: PlainWriter, *urls: str) -> list[Row]:
    with w.store.session() as s:
        rows, _ = w.insert(s, {url_key(u): {"url": u, "kind": "page"} for u in urls})
    return rows


def _statuses(w: PlainWriter) -> dict[str, str]:
    with w.store.session() as s:
        return dict(s.execute(select(Frontier.url, Frontier.status).where(Frontier.run_id == w.run_id)).all())


def test_a_page_is_stored_whole_with_its_links_or_not_at_all(case: Case) -> None:
    w = _writer(case)
    a, b, c = _seed(w, f"{BASE}/a", f"{BASE}/b", f"{BASE}/c")
    results = w.commit_many(
        [
            Page(a, links=[f"{BASE}/a1"]),
            Page(b, links=[f"{BASE}/b1"], poisoned=True),
            Page(c, links=[f"{BASE}/c1"]),
        ]
    )
    assert results[0] == 1 and isinstance(results[1], ValueError) and results[2] == 1
    statuses = _statuses(w)
    assert statuses[f"{BASE}/a"] == statuses[f"{BASE}/c"] == "done"
    assert statuses[f"{BASE}/b"] == "pending" and f"{BASE}/b1" not in statuses  # fetched again, whole
    assert statuses[f"{BASE}/a1"] == statuses[f"{BASE}/c1"] == "pending"


def test_the_frontier_never_holds_a_url_twice_and_counts_what_its_limit_drops(case: Case) -> None:
    w = _writer(case, max_frontier=3)
    assert len(_seed(w, f"{BASE}/a", f"{BASE}/a", f"{BASE}/b")) == 2
    with w.store.session() as s:
        rows = {url_key(u): {"url": u, "kind": "page"} for u in (f"{BASE}/a", f"{BASE}/c", f"{BASE}/d")}
        fresh, dropped = w.insert(s, rows)
    assert [r.url for r in fresh] == [f"{BASE}/c"] and dropped == {"frontier": 1}
    again = PlainWriter(case.store, w.run_id, w.settings)  # a resumed session knows the run's rows
    with again.store.session() as s:
        assert again.insert(s, {url_key(f"{BASE}/e"): {"url": f"{BASE}/e", "kind": "page"}})[1] == {
            "frontier": 1
        }


def test_rows_are_claimed_in_frontier_order_after_the_cursor(case: Case) -> None:
    w = _writer(case)
    rows = _seed(w, *(f"{BASE}/{n}" for n in range(10)))
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    first = w.claim(4)
    assert first == rows[:4]
    assert w.claim(4, after=first[-1].id) == rows[4:8]
    assert w.claim(3, skip={rows[0].id, rows[1].id}) == rows[2:5]
    w.commit(Page(rows[0]))
    assert rows[0] not in w.claim(10)


def test_a_request_that_got_no_result_is_settled_as_given(case: Case) -> None:
    w = _writer(case)
    (row,) = _seed(w, f"{BASE}/x")
    w.fail(row.id, "failed", "store failed: OperationalError", None)
    with w.store.session() as s:
        status, error, done_at = s.execute(select(Frontier.status, Frontier.error, Frontier.done_at)).one()
    assert (status, error) == ("failed", "store failed: OperationalError") and done_at is not None


def test_the_verdict_names_the_start_page_and_what_was_never_read(case: Case) -> None:
    w = _writer(case)
    start, other, _left = _seed(w, f"{BASE}/", f"{BASE}/o", f"{BASE}/l")
    w.commit_many([Page(start, status="failed", error="HTTP 503"), Page(other, status="failed", error="x")])
    with w.store.session() as s:
        texts = [r.text for r in w.frontier_reasons(s, f"{BASE}/")]
    assert texts == [
        "the start page could not be read (HTTP 503)",
        "1 page failed",
        "1 page was never fetched",
    ]


@pytest.mark.parametrize("status", ["running", "interrupted"])
def test_an_unfinished_run_is_resumed_and_a_finished_one_is_not(case: Case, status: str) -> None:
    w = _writer(case)
    w.finish(status)
    run, resumed = open_run(case.store, CrawlRun, ("platform_id", 1), BASE + "/", {})
    assert resumed and run.id == w.run_id and run.sessions == 2
    w.interrupted()
    assert w.finish("complete") is None
    run, resumed = open_run(case.store, CrawlRun, ("platform_id", 1), BASE + "/", {})
    assert not resumed and run.id != w.run_id
    with case.store.session() as s:
        assert s.scalar(select(func.count()).select_from(CrawlRun)) == 2
