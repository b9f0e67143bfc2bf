"""The forum census's store on the crawl engine's run writer: its frontier rows, thread merges, removals and
the run's verdict.

Pages are committed in batches, each page whole with the frontier row it settles (``core/crawl/frontier.py``),
so a crawl killed at any moment resumes exactly: a page is either stored (and not fetched again) or not at
all (and fetched again; merges make the second time harmless).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.orm import Session

from unmask.core.config import CrawlSettings
from unmask.core.crawl.frontier import RunWriter, Settled, url_key
from unmask.core.crawl.frontier import open_run as open_engine_run
from unmask.core.outcome import Reason
from unmask.core.store import Store
from unmask.core.store.models import utcnow
from unmask.forum.kinds import classify
from unmask.forum.model import PAGE_RANK, Link, PageKind, PageResult, SectionRecord, ThreadRecord
from unmask.forum.prices import Price, find_prices, payment_rails
from unmask.forum.tables import Forum, ForumFrontier, ForumPrice, ForumRun, ForumSection, ForumThread

__all__ = [
    "CommitResult",
    "ForumWriter",
    "FrontierRow",
    "PageCommit",
    "Settled",
    "forum_for",
    "open_run",
    "url_key",
]

PRIORITY = {PageKind.INDEX: 100, PageKind.FEED: 90, PageKind.SECTION: 50, PageKind.THREAD: 0}
FIELDS = ("title", "starter", "started", "last_post", "replies", "views", "first_post")
THREAD_COLUMNS = tuple(
    ForumThread.__table__.c[name]
    for name in (
        "id", "forum_id", "platform_id", "url", *FIELDS, "section_key", "labels", "rails", "rank",
        "capture_id", "first_run", "last_run", "removed_at", "closed", "kind", "kind_rule",
    )
)  # fmt: skip
"""A thread's values as the writer merges them (every column)."""
NEW_THREAD: dict[str, Any] = {
    **dict.fromkeys(c.name for c in THREAD_COLUMNS if c.name != "id"),
    "labels": "[]",
    "rails": "[]",
    "rank": 0,
    "closed": False,
    "kind": "other",
}
"""A new thread's values before its first record is merged."""
NOUNS = {
    PageKind.INDEX.value: ("index page", "index pages"),
    PageKind.FEED.value: ("feed", "feeds"),
    PageKind.SECTION.value: ("section page", "section pages"),
    PageKind.THREAD.value: ("thread page", "thread pages"),
}
LIMITS = {
    "frontier": "{n:,} links were not followed: the run reached its limit of URLs",
    "listing_pages": "{n:,} sections were cut at their page limit",
    "requests": "the request limit (--max-requests, crawl.max_requests) stopped the crawl",
}


@dataclass(frozen=True)
class FrontierRow:
    id: int
    url: str
    kind: PageKind
    section_key: str | None
    depth: int
    barren: int

    @property
    def priority(self) -> int:
        return PRIORITY[self.kind]


@dataclass
class PageCommit:
    """What a processed page (or a request that got no page) asks the writer to store."""

    frontier: FrontierRow
    capture_id: int | None
    result: PageResult | None = None
    status: str = "done"
    """done | gone | closed | failed | refused | disallowed"""
    error: str | None = None
    gone_thread: str | None = None
    engine: str | None = None
    no_response: bool = False


@dataclass
class CommitResult:
    threads: int = 0
    new_threads: int = 0
    ended: str | None = None


@dataclass
class ThreadBatch:
    """Threads a batch of pages merged, by platform id, until they are written together."""

    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Every column's value (``id`` once stored)."""
    fresh: list[str] = field(default_factory=list)
    """New to the store, in the order met."""
    changed: set[str] = field(default_factory=set)
    priced: dict[str, list[Price]] = field(default_factory=dict)
    """Threads whose first post changed: its prices."""


def _row(values: Sequence[Any]) -> FrontierRow:
    rid, url, kind, section_key, depth, barren = values
    return FrontierRow(rid, url, PageKind(kind), section_key, depth, barren)


class ForumWriter(RunWriter[FrontierRow, PageCommit, CommitResult]):
    """The one writer of a forum census run: frontier, threads, sections, prices and the run's verdict."""

    run_table = ForumRun
    frontier_table = ForumFrontier
    row_columns = ("id", "url", "kind", "section_key", "depth", "barren")
    nouns = NOUNS

    def __init__(self, store: Store, forum_id: int, run_id: int, settings: CrawlSettings) -> None:
        super().__init__(store, run_id, settings)
        self.forum_id = forum_id
        self._sections: dict[str, str | None] = {}
        self._closed: set[str] = set()
        self._batch = ThreadBatch()
        self._load_sections()
        with store.session() as s:
            run = s.get(ForumRun, run_id)
            self.limits: dict[str, int] = json.loads(run.limits) if run is not None and run.limits else {}
        self._limits_kept = dict(self.limits)

    def _load_sections(self) -> None:
        self._sections.clear()
        self._closed.clear()
        with self.store.session() as s:
            for key, name, closed in s.execute(
                select(ForumSection.key, ForumSection.name, ForumSection.closed).where(
                    ForumSection.forum_id == self.forum_id
                )
            ):
                self._sections[key] = name
                if closed:
                    self._closed.add(key)

    def make_row(self, values: Sequence[Any]) -> FrontierRow:
        return _row(values)

    @property
    def closed_sections(self) -> int:
        return len(self._closed)

    # -- frontier -----------------------------------------------------------------------------------

    def _add_links(self, s: Session, links: Sequence[tuple[Link, int, int]]) -> int:
        """Insert links not yet in this run's frontier (link, depth, barren); returns how many."""
        rows: dict[str, dict[str, Any]] = {}
        for link, depth, barren in links:
            if len(link.url) <= self.settings.max_url_length:
                rows.setdefault(
                    url_key(link.url),
                    {
                        "url": link.url,
                        "kind": link.kind.value,
                        "section_key": link.section_key,
                        "depth": depth,
                        "barren": barren,
                    },
                )
        fresh, dropped = self.insert(s, rows)
        for name, n in dropped.items():
            self.limits[name] = self.limits.get(name, 0) + n
        return len(fresh)

    def seed(self, links: Iterable[Link]) -> None:
        with self.store.session() as s:
            self._add_links(s, [(link, 0, 0) for link in links])

    def set_engine(self, name: str) -> None:
        with self.store.session() as s:
            s.execute(update(Forum).where(Forum.id == self.forum_id).values(engine=name))

    def record_limit(self, name: str, count: int = 1) -> None:
        self.limits[name] = self.limits.get(name, 0) + count
        self._limits_kept = dict(self.limits)
        with self.store.session() as s:
            s.execute(
                update(ForumRun).where(ForumRun.id == self.run_id).values(limits=json.dumps(self.limits))
            )

    # -- commits ------------------------------------------------------------------------------------

    def store_pages(self, s: Session, pages: Sequence[PageCommit]) -> list[CommitResult]:
        """Store a batch of pages in the session's transaction (the engine marks their rows)."""
        out = [self._commit(s, c) for c in pages]
        self._flush_threads(s)
        for name in {c.engine for c in pages if c.engine is not None}:
            s.execute(update(Forum).where(Forum.id == self.forum_id).values(engine=name))
        s.execute(update(ForumRun).where(ForumRun.id == self.run_id).values(limits=json.dumps(self.limits)))
        return out

    def kept(self) -> None:
        self._limits_kept = dict(self.limits)

    def rolled_back(self) -> None:
        """The transaction was rolled back: its limits, prices and section names with it."""
        self.limits = dict(self._limits_kept)
        self._batch = ThreadBatch()
        self._load_sections()

    def _commit(self, s: Session, c: PageCommit) -> CommitResult:
        row = c.frontier
        done = CommitResult()
        if c.status == "gone" and c.gone_thread is not None:
            self._flush_threads(s)  # what earlier pages of the batch merged, before the removal
            s.execute(
                update(ForumThread)
                .where(
                    ForumThread.forum_id == self.forum_id,
                    ForumThread.platform_id == c.gone_thread,
                    ForumThread.removed_at.is_(None),
                )
                .values(removed_at=utcnow(), last_run=self.run_id, capture_id=c.capture_id)
            )
            return done
        if c.status == "closed":
            self._flush_threads(s)
            self._close(s, row, c)
            return done
        result = c.result
        if c.status != "done" or result is None:
            return done
        for section in result.sections:
            self._section(s, section, c.capture_id)
        links: list[tuple[Link, int, int]] = [(link, 0, 0) for link in result.links]
        if result.threads:
            done.threads, done.new_threads, fresh = self._threads(s, result.threads, c.capture_id)
        else:
            fresh = 0
        if result.next_page is not None and row.kind == PageKind.SECTION:
            barren = 0 if fresh else row.barren + 1
            if barren >= self.settings.barren_pages:
                done.ended = f"{barren} pages in a row added no thread new to the run"
            elif row.depth + 1 >= self.settings.max_listing_pages:
                self.limits["listing_pages"] = self.limits.get("listing_pages", 0) + 1
                done.ended = "the section's page limit"
            else:
                page = Link(result.next_page, PageKind.SECTION, row.section_key)
                links.append((page, row.depth + 1, barren))
        self._add_links(s, links)
        return done

    def _close(self, s: Session, row: FrontierRow, c: PageCommit) -> None:
        """A login-only page: its section is closed (its threads not counted), or the thread is."""
        if row.kind == PageKind.SECTION and row.section_key is not None:
            self._section(s, SectionRecord(row.section_key, None, row.url), c.capture_id, closed=True)
        elif row.kind == PageKind.THREAD and c.gone_thread is not None:
            s.execute(
                update(ForumThread)
                .where(ForumThread.forum_id == self.forum_id, ForumThread.platform_id == c.gone_thread)
                .values(closed=True, last_run=self.run_id, capture_id=c.capture_id)
            )

    def _section(
        self, s: Session, rec: SectionRecord, capture_id: int | None, *, closed: bool = False
    ) -> None:
        known = rec.key in self._sections
        if known and not closed and (rec.name is None or self._sections[rec.key] == rec.name):
            return
        values: dict[str, Any] = {"forum_id": self.forum_id, "key": rec.key[:200]}
        update_values: dict[str, Any] = {}
        if rec.name:
            values["name"] = update_values["name"] = rec.name[:500]
        if rec.url:
            values["url"] = update_values["url"] = rec.url
        if closed:
            values["closed"] = update_values["closed"] = True
            values["capture_id"] = update_values["capture_id"] = capture_id
            self._closed.add(rec.key)
        stmt = self.store.insert()(ForumSection.__table__).values(**values)
        if update_values:
            stmt = stmt.on_conflict_do_update(index_elements=["forum_id", "key"], set_=update_values)
        else:
            stmt = stmt.on_conflict_do_nothing(index_elements=["forum_id", "key"])
        s.execute(stmt)
        if rec.name or not known:
            self._sections[rec.key] = rec.name or self._sections.get(rec.key)

    def _threads(
        self, s: Session, records: list[ThreadRecord], capture_id: int | None
    ) -> tuple[int, int, int]:
        """Merge the records into the batch's threads (their stored values read once per batch; written by
        ``_flush_threads``). Returns (records, threads new to the case, threads new to the run: what judges a
        section's pagination)."""
        merged: dict[str, ThreadRecord] = {}
        for rec in records:
            pid = rec.platform_id[:200]
            have = merged.get(pid)
            if have is None or rec.rank > have.rank:
                merged[pid] = rec
        batch = self._batch
        unread = [pid for pid in merged if pid not in batch.threads]
        if unread:
            for row in s.execute(
                select(*THREAD_COLUMNS).where(
                    ForumThread.forum_id == self.forum_id, ForumThread.platform_id.in_(unread)
                )
            ).mappings():
                batch.threads[row["platform_id"]] = dict(row)
        new_to_case = new_to_run = 0
        for pid, rec in merged.items():
            if rec.section_name and rec.section_key:
                self._section(s, SectionRecord(rec.section_key, rec.section_name), capture_id)
            thread = batch.threads.get(pid)
            if thread is None:
                thread = {**NEW_THREAD, "forum_id": self.forum_id, "platform_id": pid, "url": rec.url}
                thread["first_run"] = self.run_id
                batch.threads[pid] = thread
                batch.fresh.append(pid)
                new_to_case += 1
                new_to_run += 1
            else:
                if thread["last_run"] != self.run_id:
                    new_to_run += 1
                if thread.get("id") is not None:
                    batch.changed.add(pid)
            prices = self._merge(thread, rec, capture_id)
            if prices is not None:
                batch.priced[pid] = prices
        return len(merged), new_to_case, new_to_run

    def _flush_threads(self, s: Session) -> None:
        """Write the batch's threads: one INSERT … RETURNING for the new ones, one UPDATE by key for the
        others, their first posts' prices (one DELETE, one INSERT)."""
        batch = self._batch
        if batch.fresh:
            table = cast(Table, ForumThread.__table__)
            fresh = [batch.threads[pid] for pid in batch.fresh]
            returned = s.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), fresh)
            for thread, tid in zip(fresh, returned.scalars(), strict=True):
                thread["id"] = tid
        if batch.changed:
            s.execute(update(ForumThread), [batch.threads[pid] for pid in batch.changed])
        self._store_prices(s, [(batch.threads[pid], prices) for pid, prices in batch.priced.items()])
        self._batch = ThreadBatch()

    def _merge(self, thread: dict[str, Any], rec: ThreadRecord, capture_id: int | None) -> list[Price] | None:
        """Merge a record into a thread's values; the first post's prices when it changed (else None)."""
        better = rec.rank >= (thread["rank"] or 0)
        old_post = thread["first_post"]
        for name in FIELDS:
            value = getattr(rec, name)
            if value is not None and (better or thread[name] is None):
                thread[name] = value
        if rec.section_key and (better or thread["section_key"] is None):
            thread["section_key"] = rec.section_key[:200]
        if rec.labels and (better or thread["labels"] == "[]"):
            thread["labels"] = json.dumps(rec.labels[:20], ensure_ascii=False)
        if better:
            thread["rank"] = rec.rank
            thread["capture_id"] = capture_id
        if rec.rank == PAGE_RANK:
            thread["removed_at"] = None  # its own page answered: it is there
            thread["closed"] = False
        thread["last_run"] = self.run_id
        section_name = self._sections.get(thread["section_key"] or "")
        kind = classify(section_name, json.loads(thread["labels"]), thread["title"])
        thread["kind"], thread["kind_rule"] = kind.kind, kind.rule
        if thread["first_post"] == old_post:
            return None
        prices = find_prices(thread["first_post"])
        thread["rails"] = json.dumps(payment_rails(thread["first_post"], prices))
        return prices

    def _store_prices(self, s: Session, priced: list[tuple[dict[str, Any], list[Price]]]) -> None:
        """The prices of the first posts merged in this batch: one delete, one insert."""
        if not priced:
            return
        s.execute(delete(ForumPrice).where(ForumPrice.thread_id.in_([t["id"] for t, _ in priced])))
        rows = [
            {
                "thread_id": t["id"],
                "position": i,
                "text": p.text[:500],
                "min": str(p.min),
                "max": str(p.max),
                "currency": p.currency,
                "unit": p.unit,
            }
            for t, prices in priced
            for i, p in enumerate(prices)
        ]
        if rows:
            s.execute(insert(ForumPrice), rows)

    # -- the run's verdict --------------------------------------------------------------------------

    def present(self, s: Session) -> int:
        return int(s.scalar(select(func.count()).select_from(present_threads(self.forum_id).subquery())) or 0)

    def settle(self, *, finished: bool, start_url: str) -> Settled:
        if not finished:
            return self.interrupted()
        with self.store.session() as s:
            reasons = self.frontier_reasons(s, start_url) + self._limit_reasons()
            if not reasons and not self.present(s):
                reasons.append(Reason("no_items", 0, "no thread was found"))
            removed = 0
            if not reasons:
                removed, unseen_reason = self._remove_unseen(s)
                if unseen_reason is not None:
                    reasons.append(unseen_reason)
        status = "incomplete" if reasons else "complete"
        self.finish(status, reasons)
        return Settled(status, reasons, removed)

    def finish(self, status: str, reasons: Sequence[Reason] = (), **values: Any) -> None:
        super().finish(status, reasons, limits=json.dumps(self.limits), **values)

    def _limit_reasons(self) -> list[Reason]:
        return [
            Reason(f"limit:{name}", n, LIMITS.get(name, name + " ({n:,})").format(n=n))
            for name, n in sorted(self.limits.items())
            if n
        ]

    def _remove_unseen(self, s: Session) -> tuple[int, Reason | None]:
        """After a complete run: threads present before that it no longer saw are removed (unless most of
        them are unseen: then nothing is removed from absence alone, and the run is incomplete)."""
        unseen = present_threads(self.forum_id).where(ForumThread.last_run != self.run_id)
        n = int(s.scalar(select(func.count()).select_from(unseen.subquery())) or 0)
        if not n:
            return 0, None
        total = self.present(s)
        if n / total > self.settings.max_unseen_share:
            return 0, Reason(
                "unseen",
                n,
                f"{n:,} of {total:,} threads counted before were not seen: nothing was marked removed",
                "upper",
            )
        ids = list(s.scalars(unseen.with_only_columns(ForumThread.id)))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            s.execute(update(ForumThread).where(ForumThread.id.in_(chunk)).values(removed_at=utcnow()))
        return n, None


def present_threads(forum_id: int | None = None) -> Any:
    """The threads a census counts: not removed, not login only, not in a closed section."""
    q = select(ForumThread).where(
        ForumThread.removed_at.is_(None),
        ForumThread.closed.is_(False),
        ~select(ForumSection.id)
        .where(
            ForumSection.forum_id == ForumThread.forum_id,
            ForumSection.key == ForumThread.section_key,
            ForumSection.closed.is_(True),
        )
        .exists(),
    )
    if forum_id is not None:
        q = q.where(ForumThread.forum_id == forum_id)
    return q


def forum_for(store: Store, base_url: str) -> int:
    with store.session() as s:
        existing = s.scalar(select(Forum.id).where(Forum.base_url == base_url))
        if existing is not None:
            return int(existing)
        forum = Forum(base_url=base_url)
        s.add(forum)
        s.flush()
        return int(forum.id)


def open_run(store: Store, forum_id: int, start_url: str, options: dict[str, Any]) -> tuple[ForumRun, bool]:
    """The run to work on: the unfinished one (resumed) or a new one. Returns (run, resumed)."""
    run, resumed = open_engine_run(store, ForumRun, ("forum_id", forum_id), start_url, options)
    return run, resumed
