"""The forum census's writer on the crawl engine, on SQLite and PostgreSQL: pages stored as a batch."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from unmask.core.case import Case
from unmask.forum.model import FEED_RANK, PAGE_RANK, Link, PageKind, PageResult, SectionRecord, ThreadRecord
from unmask.forum.tables import ForumPrice, ForumThread
from unmask.forum.writer import ForumWriter, PageCommit, forum_for, open_run

BASE = "http://127.0.0.1:1"


def _writer(case: Case) -> ForumWriter:
    forum_id = forum_for(case.store, BASE + "/forum")
    run, _ = open_run(case.store, forum_id, BASE + "/forum/", {})
    writer = ForumWriter(case.store, forum_id, run.id, case.config.crawl)
    links = [
        Link(f"{BASE}/forum/{p}", PageKind.FEED if p == "feed" else PageKind.THREAD)
        for p in ("feed", "t1", "t2")
    ]
    writer.seed(links)
    return writer


def _thread(pid: str, rank: int, **fields: object) -> ThreadRecord:
    rec = ThreadRecord(platform_id=pid, url=f"{BASE}/forum/t{pid}", rank=rank, section_key="9")
    for name, value in fields.items():
        setattr(rec, name, value)
    return rec


def test_threads_merged_in_one_batch_keep_the_best_source_and_the_last_prices(case: Case) -> None:
    w = _writer(case)
    feed, t1, t2 = w.pending(10)
    listed = [
        _thread("1", FEED_RANK, title="[REQ] old title", first_post="will pay $50"),
        _thread("2", FEED_RANK, title="gone soon", first_post="0.002 BTC"),
    ]
    section = SectionRecord("9", "Paid Requests")
    results = w.commit_many(
        [
            PageCommit(feed, None, PageResult(threads=listed, sections=[section])),
            PageCommit(t1, None, PageResult(threads=[_thread("1", PAGE_RANK, title="[PAID] title",
                                                             started=dt.date(2025, 1, 2),
                                                             first_post="budget $80-120 per video")])),
            PageCommit(t2, None, status="gone", error="HTTP 404", gone_thread="2"),
        ]
    )  # fmt: skip
    assert [(r.threads, r.new_threads) for r in results if not isinstance(r, Exception)] == [
        (2, 2),
        (1, 0),
        (0, 0),
    ]
    with case.store.session() as s:
        threads = {t.platform_id: t for t in s.scalars(select(ForumThread))}
        prices = s.execute(
            select(ForumPrice.thread_id, ForumPrice.min, ForumPrice.max, ForumPrice.unit)
        ).all()
    one, two = threads["1"], threads["2"]
    assert (one.title, one.rank, one.started, one.kind) == (
        "[PAID] title",
        PAGE_RANK,
        dt.date(2025, 1, 2),
        "paid_request",
    )
    assert two.removed_at is not None  # the removal stands over the merge earlier in the batch
    assert sorted((tid, lo, hi) for tid, lo, hi, _unit in prices) == [
        (one.id, "80", "120"),
        (two.id, "0.002", "0.002"),
    ]
    assert w.counts() == {"done": 2, "gone": 1}
