"""A forum census written straight into a case (no crawl): the demo forum's world as thread pages, with
captures, for tests of what reads the forum tables (the report's section)."""

from __future__ import annotations

import datetime as dt

from unmask.core.case import Case
from unmask.core.store.models import Capture
from unmask.demo.forum import SECTIONS, ForumWorld
from unmask.forum.model import PAGE_RANK, Link, PageKind, PageResult, SectionRecord, ThreadRecord
from unmask.forum.writer import ForumWriter, PageCommit, forum_for, open_run

BASE = "http://forum.fakes.test"
AS_OF = dt.date(2025, 2, 1)


def load_forum(case: Case, *, threads: int = 48, seed: int = 3) -> ForumWorld:
    """Store a complete forum census of ``ForumWorld(seed, threads)``: one capture per counted thread."""
    world = ForumWorld(seed=seed, threads=threads, as_of=AS_OF)
    forum_id = forum_for(case.store, BASE + "/forum")
    run, _ = open_run(case.store, forum_id, BASE + "/forum/", {})
    writer = ForumWriter(case.store, forum_id, run.id, case.config.crawl)
    writer.seed([Link(BASE + "/forum/", PageKind.INDEX)])
    counted = world.counted()
    with case.store.session() as s:
        caps = [
            Capture(url=f"{BASE}/forum/threads/t.{t.id}/", status=200, payload_sha256=f"{i:064x}",
                    purpose="forum", warc_file="warc/forum-1.warc.gz", warc_offset=1000 * i, warc_length=900,
                    requested_at=dt.datetime.combine(AS_OF, dt.time(9)))
            for i, t in enumerate(counted)
        ]  # fmt: skip
        s.add_all(caps)
        s.flush()
        cap_ids = [c.id for c in caps]
    (index,) = writer.pending(10)
    sections = [SectionRecord(str(sec.id), sec.name) for sec in SECTIONS if not sec.closed]
    writer.commit(PageCommit(index, None, PageResult(sections=sections)))
    for t, cap in zip(counted, cap_ids, strict=True):
        rec = ThreadRecord(
            platform_id=str(t.id),
            url=f"{BASE}/forum/threads/t.{t.id}/",
            rank=PAGE_RANK,
            title=t.title,
            section_key=str(t.section.id),
            section_name=t.section.name,
            labels=[t.prefix] if t.prefix else [],
            starter=t.starter,
            started=t.started.date(),
            replies=t.replies,
            views=t.views,
            first_post=t.first_post,
        )
        with case.store.session() as s:
            writer._threads(s, [rec], cap)
            writer._flush_threads(s)
    writer.settle(finished=True, start_url=BASE + "/forum/")
    return world
