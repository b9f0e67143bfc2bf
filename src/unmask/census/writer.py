"""Census persistence: the durable frontier and item upserts, each page whole in one transaction.

A page's items, its follow-up links and the "done" mark of its frontier row are committed together
(several pages may share a transaction), so a crawl killed at any moment resumes exactly: a page is
either wholly stored (and not fetched again) or not at all (and fetched again; upserts make the second
time harmless).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.schema import COLUMN_FIELDS, FIELDS_BY_NAME, ITEM_FIELDS, LABEL_FIELDS, ItemField
from unmask.core.config import CrawlSettings
from unmask.core.outcome import UNFINISHED, Reason, dump_reasons
from unmask.core.store import Store
from unmask.core.store.models import (
    Capture,
    CrawlLimit,
    CrawlRun,
    Frontier,
    Item,
    ItemLabel,
    ItemObservation,
    ItemPerson,
    ItemSource,
    Person,
    Platform,
    Uploader,
    utcnow,
)
from unmask.core.text import name_key

LINK_PRIORITY: dict[PageKind, int] = {
    PageKind.ROBOTS: 100,
    PageKind.SITEMAP: 90,
    PageKind.LISTING: 50,
    PageKind.PERSON: 40,
    PageKind.PAGE: 30,
    PageKind.ITEM: 0,
}


TRUNCATED = "truncated"
"""The error of a page stored although its body was cut short."""
_HTTP_STATUS = re.compile(r"HTTP \d{3}")


@dataclass(frozen=True)
class Settled:
    """How a run ended: its status, why it is not complete, and how many items it marked removed."""

    status: str
    reasons: list[Reason]
    removed: int

    @property
    def complete(self) -> bool:
        return self.status == "complete"


def _noun(kind: PageKind, n: int) -> str:
    one, many = {
        PageKind.ROBOTS: ("robots.txt", "robots.txt"),
        PageKind.SITEMAP: ("sitemap", "sitemaps"),
        PageKind.LISTING: ("listing page", "listing pages"),
        PageKind.PERSON: ("person page", "person pages"),
        PageKind.PAGE: ("page", "pages"),
        PageKind.ITEM: ("item page", "item pages"),
    }[kind]
    return one if n == 1 else many


def _short(error: str) -> str:
    return " ".join(error.split())[:200]


def url_key(url: str) -> str:
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


def fit_key(value: str | None, limit: int = 500) -> str | None:
    """An identifier that fits its column: a long one keeps its head and gains a digest of the whole."""
    if value is None or len(value) <= limit:
        return value
    return value[: limit - 41] + "#" + hashlib.sha1(value.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class FrontierRow:
    id: int
    url: str
    kind: PageKind
    item_kind: ItemKind | None
    chain: str | None
    depth: int
    barren: int
    parent_key: str | None

    @property
    def priority(self) -> int:
        return LINK_PRIORITY.get(self.kind, 0)


@dataclass(frozen=True)
class NewLink:
    """A link about to enter the frontier, with its place in a pagination chain."""

    link: Link
    chain: str | None = None
    depth: int = 1
    barren: int = 0
    parent_key: str | None = None
    status: str = "pending"


ItemKey = tuple[ItemKind | None, str]
"""(kind, platform id) of an item; kind None: whatever kind the item at that id was stored as."""


@dataclass
class PageCommit:
    """What a processed page (or a request that got no page) asks the writer to store."""

    frontier: FrontierRow
    capture_id: int | None
    items: list[ItemRecord] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    next_page: str | None = None
    item_keys: frozenset[str] = frozenset()
    """Every item the page shows (described or only linked), for judging its pagination chain."""
    sorted_newest: bool = False
    status: str = "done"
    """done | gone | failed | unparsed | refused | disallowed (the frontier row's status)."""
    error: str | None = None
    gone_item: ItemKey | None = None
    """An item whose own page answered 404/410 or says it was removed: marked removed with the page."""
    no_response: bool = False
    """The request got no HTTP response at all (connection refused, name not found, TLS, timeout)."""


@dataclass
class CommitResult:
    new_rows: list[FrontierRow]
    items: int
    new_items: int
    ended: str | None = None
    """Why a pagination chain was not followed further (its end, a limit, known items)."""
    limits: dict[str, int] = field(default_factory=dict)
    """Limits that cut this page's work short, and by how much."""


def _row(f: Frontier) -> FrontierRow:
    return FrontierRow(
        id=f.id,
        url=f.url,
        kind=PageKind(f.kind),
        item_kind=ItemKind(f.item_kind) if f.item_kind else None,
        chain=f.chain,
        depth=f.depth,
        barren=f.barren,
        parent_key=f.parent_key,
    )


class ChainMemory:
    """The items each pagination chain has shown this session, as 64-bit digests, within a memory bound.

    A chain past the bound keeps what it had; its end is then judged by repeated pages alone (which the
    frontier keeps across sessions).
    """

    def __init__(self, max_keys: int = 2_000_000) -> None:
        self.max_keys = max_keys
        self.size = 0
        self._chains: dict[str, set[int]] = {}
        self._added: list[tuple[str, int]] = []
        """What was remembered since the last :meth:`keep` (undone by :meth:`forget`)."""

    def add(self, chain: str, keys: Iterable[str]) -> bool:
        """Remember ``keys`` for ``chain``; True when one of them was new to it."""
        seen = self._chains.setdefault(chain, set())
        new = False
        for key in keys:
            digest = int.from_bytes(
                hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).digest()
            )
            if digest not in seen:
                new = True
                if self.size < self.max_keys:
                    seen.add(digest)
                    self.size += 1
                    self._added.append((chain, digest))
        return new

    def keep(self) -> None:
        """The transaction that saw the keys added since the last call was committed."""
        self._added.clear()

    def forget(self) -> None:
        """The transaction was rolled back: forget the keys it added (its pages may be stored again)."""
        for chain, digest in self._added:
            self._chains[chain].discard(digest)
            self.size -= 1
        self._added.clear()


RANKED: tuple[ItemField, ...] = tuple(f for f in COLUMN_FIELDS if f.merge == "ranked")
UPLOADER = FIELDS_BY_NAME["uploader"]


def _identity(value: object) -> object:
    """What makes two values of a list field the same: a person's name, a label's text."""
    return value.name if isinstance(value, PersonRef) else value


def _merge(records: Iterable[ItemRecord]) -> list[ItemRecord]:
    """One record per (kind, platform id): a page that lists an item twice must not conflict with itself.

    The first description's values stand; later ones fill its gaps and add to its lists.
    """
    merged: dict[tuple[str, str], ItemRecord] = {}
    for rec in records:
        key = (rec.kind.value, rec.platform_id or rec.url)
        have = merged.get(key)
        if have is None:
            merged[key] = rec
            continue
        for f in ITEM_FIELDS:
            mine = getattr(have, f.name)
            if f.many:
                known = {_identity(v) for v in mine}
                for value in getattr(rec, f.name):
                    if _identity(value) not in known:
                        known.add(_identity(value))
                        mine.append(value)
            elif mine is None:
                setattr(have, f.name, getattr(rec, f.name))
        have.from_item_page = have.from_item_page or rec.from_item_page
    return list(merged.values())


def _chunks(values: list[Any], size: int = 5000) -> Iterable[list[Any]]:
    """``values`` in slices small enough for one ``IN (…)`` of any store."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _unique_runs(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], object]) -> Iterable[list[Any]]:
    """``rows`` in order, cut where a key repeats: each run is one upsert that touches a row at most once."""
    run: list[dict[str, Any]] = []
    keys: set[object] = set()
    for row in rows:
        k = key(row)
        if k in keys:
            yield run
            run, keys = [], set()
        run.append(row)
        keys.add(k)
    if run:
        yield run


def _merged(f: ItemField, new: Any, old: Any) -> Any:
    """The stored value after an upsert, for a single-valued field merged by ``replace`` or ``first``."""
    return func.coalesce(old, new) if f.merge == "first" else func.coalesce(new, old)


LIMITS: dict[str, str] = {
    "frontier": "{n:,} links were not followed: the run reached its limit of {max:,} URLs",
    "sitemaps": "{n:,} sitemaps were not read: the run reached its limit of {max:,} sitemaps",
    "sitemap_children": "{n:,} sitemaps listed beyond {max:,} in one sitemap index were not read",
    "sitemap_depth": "{n:,} sitemaps nested deeper than {max:,} levels were not read",
    "listing_pages": "{n:,} listings were cut at {max:,} pages",
    "requests": "the request limit (--max-requests, crawl.max_requests) stopped the crawl",
}
"""Limits that make a run incomplete (``crawl_limit.name`` → reason, given how often and the bound)."""
STOPPED_AT_KNOWN = "stopped_at_known"
"""Not a limit: a newest-first listing of a re-crawl stopped at items known from an earlier run."""


class CensusWriter:
    """The one writer of a census run: frontier, items, limits, removals and the run's verdict."""

    def __init__(
        self,
        store: Store,
        platform_id: int,
        run_id: int,
        settings: CrawlSettings,
        *,
        incremental: bool = False,
    ) -> None:
        self.store = store
        self.incremental = incremental
        self.platform_id = platform_id
        self.run_id = run_id
        self.settings = settings
        self._uploaders: dict[str, int] = {}
        self._persons: dict[str, int] = {}
        self._public: dict[str, bool] = {}
        self._stmts: dict[str, Any] = {}
        self._insert = store.insert()
        self._chains = ChainMemory()
        with store.session() as s:
            counts = dict(
                s.execute(
                    select(Frontier.kind, func.count())
                    .where(Frontier.run_id == run_id)
                    .group_by(Frontier.kind)
                ).all()
            )
        self._rows = sum(counts.values())
        """Frontier rows of the run (the writer is its only writer, so the count stays exact)."""
        self._sitemaps = counts.get(PageKind.SITEMAP.value, 0)

    # -- frontier ---------------------------------------------------------------------------------

    def _add_links(self, s: Session, links: Sequence[NewLink]) -> tuple[list[FrontierRow], dict[str, int]]:
        """Insert links not yet in this run's frontier, within the run's limits.

        Returns the new (and newly wanted) pending rows, and the limits that dropped links.
        """
        limits: dict[str, int] = {}
        if not links:
            return [], limits
        by_key: dict[str, NewLink] = {}
        for new in links:
            if len(new.link.url) <= self.settings.max_url_length:
                by_key.setdefault(url_key(new.link.url), new)
        keys = list(by_key)
        existing: set[str] = set()
        promoted: list[Frontier] = []
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            for f in s.scalars(
                select(Frontier).where(Frontier.run_id == self.run_id, Frontier.url_key.in_(chunk))
            ):
                existing.add(f.url_key)
                if f.status == "deferred" and by_key[f.url_key].status == "pending":
                    f.status = "pending"  # a deferred item link is wanted now
                    promoted.append(f)
        fresh: list[Frontier] = []
        for k, new in by_key.items():
            if k in existing:
                continue
            sitemap = new.link.kind == PageKind.SITEMAP
            if sitemap and self._sitemaps >= self.settings.max_sitemaps:
                limits["sitemaps"] = limits.get("sitemaps", 0) + 1
                continue
            if self._rows >= self.settings.max_frontier:
                limits["frontier"] = limits.get("frontier", 0) + 1
                continue
            self._rows += 1
            self._sitemaps += sitemap
            fresh.append(
                Frontier(
                    run_id=self.run_id,
                    url=new.link.url,
                    url_key=k,
                    kind=new.link.kind.value,
                    item_kind=new.link.item_kind.value if new.link.item_kind else None,
                    chain=new.chain,
                    depth=new.depth,
                    barren=new.barren,
                    parent_key=new.parent_key,
                    status=new.status,
                )
            )
        s.add_all(fresh)
        s.flush()
        return [_row(f) for f in promoted] + [_row(f) for f in fresh if f.status == "pending"], limits

    def _record_limits(self, s: Session, limits: dict[str, int]) -> None:
        """Count limits that cut work short, in the page's own transaction (a resumed run keeps them)."""
        if not limits:
            return
        ins = self._insert(CrawlLimit.__table__)
        stmt = ins.on_conflict_do_update(
            index_elements=["run_id", "name"], set_={"count": CrawlLimit.count + ins.excluded.count}
        )
        s.execute(stmt, [{"run_id": self.run_id, "name": name, "count": n} for name, n in limits.items()])

    def seed(self, links: Iterable[Link]) -> list[FrontierRow]:
        with self.store.session() as s:
            rows, limits = self._add_links(
                s,
                [
                    NewLink(link, url_key(link.url) if link.kind == PageKind.LISTING else None)
                    for link in links
                ],
            )
            self._record_limits(s, limits)
            return rows

    def pending(self, limit: int | None = None, skip: Iterable[int] = ()) -> list[FrontierRow]:
        """Pending rows in frontier order, at most ``limit`` of them that are not in ``skip``."""
        skip = set(skip)
        q = (
            select(Frontier)
            .where(Frontier.run_id == self.run_id, Frontier.status == "pending")
            .order_by(Frontier.id)
        )
        if limit is not None:
            q = q.limit(limit + len(skip))
        with self.store.session() as s:
            rows = [_row(f) for f in s.scalars(q) if f.id not in skip]
        return rows[:limit] if limit is not None else rows

    def counts(self) -> dict[str, int]:
        with self.store.session() as s:
            rows = s.execute(
                select(Frontier.status, func.count())
                .where(Frontier.run_id == self.run_id)
                .group_by(Frontier.status)
            ).all()
        return {status: n for status, n in rows}

    def counts_by_phase(self) -> dict[str, tuple[int, int]]:
        """Frontier rows of each phase, (answered, waiting): ``enumerate`` (robots.txt, sitemaps, listings
        and other pages) and ``fill`` (item pages; deferred item links wait there)."""
        with self.store.session() as s:
            rows = s.execute(
                select(Frontier.kind, Frontier.status, func.count())
                .where(Frontier.run_id == self.run_id)
                .group_by(Frontier.kind, Frontier.status)
            ).all()
        out: dict[str, list[int]] = {"enumerate": [0, 0], "fill": [0, 0]}
        for kind, status, n in rows:
            phase = out["fill" if kind == PageKind.ITEM.value else "enumerate"]
            phase[1 if status in ("pending", "deferred") else 0] += int(n)
        return {phase: (done, waiting) for phase, (done, waiting) in out.items()}

    def fail(self, frontier_id: int, status: str, error: str | None, capture_id: int | None) -> None:
        """Settle a row that got no page commit (the page's own transaction failed, or no result came)."""
        with self.store.session() as s:
            s.execute(
                update(Frontier)
                .where(Frontier.id == frontier_id)
                .values(
                    status=status, error=(error or "")[:2000] or None, capture_id=capture_id, done_at=utcnow()
                )
            )

    def record_limit(self, name: str, count: int = 1) -> None:
        with self.store.session() as s:
            self._record_limits(s, {name: count})

    # -- pages ------------------------------------------------------------------------------------

    def commit(self, page: PageCommit) -> CommitResult:
        """Store one page whole: its items, its follow-up links, its removal evidence and its row's status."""
        result = self.commit_many([page])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def commit_many(self, pages: Sequence[PageCommit]) -> list[CommitResult | Exception]:
        """Store pages, each whole: together in one transaction, or, when that fails, each in its own
        (a page whose transaction fails gets its exception in the result, and nothing of it is stored).

        Grouping pages spares a transaction per page; a page is still stored whole or not at all, with
        its frontier row, so a crawl killed at any moment fetches again exactly the pages not stored.
        """
        if len(pages) > 1:
            try:
                return list(self._transaction(pages))
            except Exception:  # each page again on its own, to find the one that fails
                pass
        out: list[CommitResult | Exception] = []
        for page in pages:
            try:
                out.extend(self._transaction([page]))
            except Exception as exc:  # the page's failure is its result
                out.append(exc)
        return out

    def _transaction(self, pages: Sequence[PageCommit]) -> list[CommitResult]:
        """Commit ``pages`` in one transaction; on any error undo what the writer counted and remembered."""
        counted = (self._rows, self._sitemaps)
        try:
            with self.store.session() as s:
                results = self._commit_pages(s, pages)
        except Exception:  # the transaction was rolled back: so are the rows it counted and the ids seen
            self._rows, self._sitemaps = counted
            self._chains.forget()
            self._uploaders.clear()
            self._persons.clear()
            self._public.clear()
            raise
        self._chains.keep()
        return results

    def _commit_pages(self, s: Session, pages: Sequence[PageCommit]) -> list[CommitResult]:
        """Store ``pages`` in the session's transaction, as if one after the other: their items in one
        upsert per table, then each page's removal evidence, links and pagination, then their rows."""
        described: list[list[ItemRecord]] = []
        for page in pages:
            records = _merge(page.items)
            for r in records:
                r.platform_id = fit_key(r.platform_id)
                r.gallery_id = fit_key(r.gallery_id)
            described.append(records)
        entries = [(r, page) for page, records in zip(pages, described, strict=True) for r in records]
        known_before, seen_this_run = self._prior_state(s, [r for r, _page in entries])
        self._upsert_items(s, entries)
        results = []
        for page, records in zip(pages, described, strict=True):
            # upserts before removals give what page after page gives: a 404 seen this run stands
            if page.gone_item is not None:
                self._mark_gone(s, page.gone_item)
            follow, limits = self._follow(page, records)
            ended = None
            if page.next_page:
                ended = self._next_page(s, page, records, known_before, follow, limits)
            new_rows, dropped = self._add_links(s, follow)
            for name, n in dropped.items():
                limits[name] = limits.get(name, 0) + n
            self._record_limits(s, limits)
            keys = {(r.kind.value, r.platform_id) for r in records if r.platform_id}
            new_items = len(keys - seen_this_run)
            seen_this_run |= keys
            results.append(
                CommitResult(
                    new_rows=new_rows, items=len(records), new_items=new_items, ended=ended, limits=limits
                )
            )
        done = utcnow()
        s.execute(
            update(Frontier),
            [
                {
                    "id": page.frontier.id,
                    "status": page.status,
                    "error": (page.error or "")[:2000] or None,
                    "capture_id": page.capture_id,
                    "done_at": done,
                }
                for page in pages
            ],
        )
        return results

    def _follow(self, page: PageCommit, records: list[ItemRecord]) -> tuple[list[NewLink], dict[str, int]]:
        """The page's links as frontier rows to be: item links wait (deferred), sitemaps within bounds."""
        limits: dict[str, int] = {}
        follow: list[NewLink] = []
        described = {r.url for r in records}
        children = 0
        for link in page.links:
            if link.kind == PageKind.ITEM:
                # item pages wait for the fill phase, and only if no source described the item
                if link.url not in described:
                    follow.append(NewLink(link, status="deferred"))
                continue
            depth = 1
            if link.kind == PageKind.SITEMAP:
                depth = page.frontier.depth + 1
                if depth > self.settings.max_sitemap_depth:
                    limits["sitemap_depth"] = limits.get("sitemap_depth", 0) + 1
                    continue
                children += 1
                if children > self.settings.max_sitemap_children:
                    limits["sitemap_children"] = limits.get("sitemap_children", 0) + 1
                    continue
            chain = url_key(link.url) if link.kind == PageKind.LISTING else None
            follow.append(NewLink(link, chain, depth))
        return follow, limits

    def _next_page(
        self,
        s: Session,
        page: PageCommit,
        records: list[ItemRecord],
        known_before: set[tuple[str, str]],
        follow: list[NewLink],
        limits: dict[str, int],
    ) -> str | None:
        """Follow a listing's next page unless its chain has ended; returns why it was not followed.

        A chain ends when ``barren_pages`` pages in a row add no item new to the chain (empty pages, a
        page repeated, pages showing only items of earlier pages): that is reading it to its end. Past
        ``max_listing_pages`` it is cut (a limit).
        """
        assert page.next_page is not None
        row = page.frontier
        chain = row.chain or url_key(row.url)  # a chain may start on a page that is not a listing
        fingerprint = hashlib.sha1(
            "\n".join(sorted(page.item_keys)).encode("utf-8", "surrogatepass")
        ).hexdigest()
        new = self._chains.add(chain, page.item_keys)
        repeated = fingerprint == row.parent_key or self._chain_had(s, chain, fingerprint)
        streak = row.barren + 1 if repeated or not new else 0
        if streak >= self.settings.barren_pages:
            return f"its end: {streak} pages in a row added no new item"
        if row.depth + 1 > self.settings.max_listing_pages:
            limits["listing_pages"] = limits.get("listing_pages", 0) + 1
            return f"longer than {self.settings.max_listing_pages:,} pages (limit)"
        if (
            page.sorted_newest
            and self.settings.stop_at_known
            and self.incremental
            and records
            and all((r.kind.value, r.platform_id) in known_before for r in records)
        ):
            limits[STOPPED_AT_KNOWN] = limits.get(STOPPED_AT_KNOWN, 0) + 1
            return "items known from an earlier run (newest-first listing)"
        link = Link(page.next_page, PageKind.LISTING, row.item_kind)
        follow.append(NewLink(link, chain, row.depth + 1, streak, fingerprint))
        return None

    def _chain_had(self, s: Session, chain: str, key: str) -> bool:
        """Whether an earlier page of this pagination chain showed exactly these items (a cycling trap)."""
        found = s.scalar(
            select(Frontier.id)
            .where(Frontier.run_id == self.run_id, Frontier.chain == chain, Frontier.parent_key == key)
            .limit(1)
        )
        return found is not None

    def _prior_state(
        self, s: Session, records: list[ItemRecord]
    ) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
        """Which of these items existed before this run, and which this run has already seen."""
        known: set[tuple[str, str]] = set()
        seen: set[tuple[str, str]] = set()
        pids = list({r.platform_id for r in records if r.platform_id})
        for chunk in _chunks(pids):
            for k, p, first, last in s.execute(
                select(Item.kind, Item.platform_item_id, Item.first_seen_run, Item.last_seen_run).where(
                    Item.platform_id == self.platform_id, Item.platform_item_id.in_(chunk)
                )
            ):
                if first < self.run_id:
                    known.add((k, p))
                if last == self.run_id:
                    seen.add((k, p))
        return known, seen

    # -- upserts ----------------------------------------------------------------------------------

    def _statements(self) -> dict[str, Any]:
        """Upserts built once and run as executemany (compiled once, cached by SQLAlchemy)."""
        if self._stmts:
            return self._stmts
        ins = self._insert
        item = ins(Item.__table__)
        ex = item.excluded
        merged: dict[str, Any] = {"url": case((ex.page_run.is_not(None), ex.url), else_=Item.url)}
        for f in COLUMN_FIELDS:
            col = f.column or ""
            if f.merge == "ranked":
                # a value from a later run, or from a page at least as exact, replaces the stored one
                newer = and_(
                    ex[col].is_not(None),
                    or_(
                        Item.__table__.c[col].is_(None),
                        Item.__table__.c[f.run_column].is_(None),
                        Item.__table__.c[f.run_column] < ex[f.run_column],
                        ex[f.rank_column] >= Item.__table__.c[f.rank_column],
                    ),
                )
                for name in (col, f.rank_column, f.run_column):
                    merged[name] = case((newer, ex[name]), else_=Item.__table__.c[name])
            else:
                merged[col] = _merged(f, ex[col], Item.__table__.c[col])
        merged["uploader_id"] = _merged(UPLOADER, ex.uploader_id, Item.uploader_id)
        merged.update(
            {
                "page_run": func.coalesce(ex.page_run, Item.page_run),
                "last_seen_run": ex.last_seen_run,
                "last_seen_at": ex.last_seen_at,
                # a removal this run saw evidence of (404/410) stands; an earlier one is undone
                "removed_at": case((Item.removed_run == ex.last_seen_run, Item.removed_at), else_=None),
                "removed_run": case((Item.removed_run == ex.last_seen_run, Item.removed_run), else_=None),
            }
        )
        self._stmts = {
            "uploader": ins(Uploader.__table__).on_conflict_do_nothing(),
            "person": (p := ins(Person.__table__)).on_conflict_do_update(
                index_elements=["platform_id", "name_key"],
                set_={
                    "public_figure": func.coalesce(p.excluded.public_figure, Person.public_figure),
                    "url": func.coalesce(Person.url, p.excluded.url),
                },
            ),
            "item": item.on_conflict_do_update(
                index_elements=["platform_id", "kind", "platform_item_id"], set_=merged
            ).returning(Item.__table__.c.id, Item.__table__.c.kind, Item.__table__.c.platform_item_id),
            "label": ins(ItemLabel.__table__).on_conflict_do_nothing(),
            "item_person": ins(ItemPerson.__table__).on_conflict_do_nothing(),
            "source": ins(ItemSource.__table__).on_conflict_do_nothing(),
            "observation": (o := ins(ItemObservation.__table__)).on_conflict_do_update(
                index_elements=["item_id", "run_id"],
                set_={"views": func.coalesce(o.excluded.views, ItemObservation.views)},
            ),
        }
        return self._stmts

    def _uploader_ids(self, s: Session, records: list[ItemRecord]) -> dict[str, int]:
        wanted = {name_key(r.uploader): r for r in records if r.uploader}
        missing = [k for k in wanted if k not in self._uploaders]
        if missing:
            rows = [
                {
                    "platform_id": self.platform_id,
                    "name": (wanted[k].uploader or "")[:500],
                    "name_key": k,
                    "url": wanted[k].uploader_url,
                }
                for k in missing
            ]
            self._upsert_named(s, "uploader", Uploader, rows, self._uploaders)
        return self._uploaders

    def _upsert_named(
        self,
        s: Session,
        stmt: str,
        table: type[Uploader] | type[Person],
        rows: list[dict[str, Any]],
        ids: dict[str, int],
    ) -> None:
        """Upsert uploaders or persons by name key and remember their ids."""
        s.connection().execute(self._statements()[stmt], rows)
        keys = [row["name_key"] for row in rows]
        for rid, key in s.execute(
            select(table.id, table.name_key).where(
                table.platform_id == self.platform_id, table.name_key.in_(keys)
            )
        ):
            ids[key] = rid

    def _person_ids(self, s: Session, persons: list[PersonRef]) -> dict[str, int]:
        wanted: dict[str, PersonRef] = {}
        for p in persons:
            key = name_key(p.name)
            if key and (key not in wanted or p.public_figure is not None):
                wanted[key] = p
        upd = [
            k
            for k, p in wanted.items()
            if k not in self._persons
            or (p.public_figure is not None and self._public.get(k) != p.public_figure)
        ]
        if upd:
            rows = [
                {
                    "platform_id": self.platform_id,
                    "name": wanted[k].name[:500],
                    "name_key": k,
                    "url": wanted[k].url,
                    "public_figure": wanted[k].public_figure,
                }
                for k in upd
            ]
            self._upsert_named(s, "person", Person, rows, self._persons)
            for k in upd:
                public = wanted[k].public_figure
                if public is not None:
                    self._public[k] = public
        return self._persons

    def _upsert_items(self, s: Session, entries: list[tuple[ItemRecord, PageCommit]]) -> None:
        """Upsert the items of several pages (in page order) and their labels, persons, sources and
        observations: one statement per table, in runs where no key repeats (an upsert may touch a row
        once per statement)."""
        entries = [(r, page) for r, page in entries if r.platform_id]
        if not entries:
            return
        records = [r for r, _page in entries]
        uploaders = self._uploader_ids(s, records)
        persons = self._person_ids(s, [p for r in records for p in r.persons])
        now = utcnow()
        rows = []
        for r, page in entries:
            page_kind = page.frontier.kind.value
            row: dict[str, Any] = {
                "platform_id": self.platform_id,
                "kind": r.kind.value,
                "platform_item_id": r.platform_id,
                "url": r.url,
                "uploader_id": uploaders.get(name_key(r.uploader)) if r.uploader else None,
                "page_run": self.run_id if r.from_item_page else None,
                "first_seen_run": self.run_id,
                "last_seen_run": self.run_id,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for f in COLUMN_FIELDS:
                value = getattr(r, f.name)
                row[f.column or ""] = value
                if f.merge == "ranked":
                    row[f.rank_column] = f.rank_of(page_kind) if value is not None else 0
                    row[f.run_column] = self.run_id if value is not None else None
            rows.append(row)
        conn = s.connection()
        ids: dict[tuple[str, str], int] = {}  # the upsert returns each row's id, inserted or updated
        for run in _unique_runs(rows, lambda row: (row["kind"], row["platform_item_id"])):
            for iid, kind, pid in conn.execute(self._statements()["item"], run):
                ids[(kind, pid)] = iid
        self._links(s, entries, ids, persons)

    def _links(
        self,
        s: Session,
        entries: list[tuple[ItemRecord, PageCommit]],
        ids: dict[tuple[str, str], int],
        persons: dict[str, int],
    ) -> None:
        labels: dict[tuple[int, str, str], dict[str, Any]] = {}
        links: dict[tuple[int, int], dict[str, Any]] = {}
        sources: dict[tuple[int, int], dict[str, Any]] = {}
        observations: list[dict[str, Any]] = []
        for r, page in entries:
            iid = ids.get((r.kind.value, r.platform_id or ""))
            if iid is None:
                continue
            for f in LABEL_FIELDS:
                kind = f.label or f.name
                for value in getattr(r, f.name):
                    if value:
                        labels[(iid, kind, value[:500])] = {
                            "item_id": iid,
                            "kind": kind,
                            "value": value[:500],
                        }
            for p in r.persons:
                pid = persons.get(name_key(p.name))
                if pid is not None:
                    links[(iid, pid)] = {"item_id": iid, "person_id": pid}
            if page.capture_id is not None:
                sources[(iid, page.capture_id)] = {
                    "item_id": iid,
                    "capture_id": page.capture_id,
                    "run_id": self.run_id,
                    "fields": ",".join(r.provided()),
                }
            observations.append(
                {
                    "item_id": iid,
                    "run_id": self.run_id,
                    **{f.column or "": getattr(r, f.name) for f in RANKED},
                }
            )
        conn = s.connection()
        stmts = self._statements()
        for name, rows in (("label", labels), ("item_person", links), ("source", sources)):
            if rows:
                conn.execute(stmts[name], list(rows.values()))
        for run in _unique_runs(observations, lambda row: row["item_id"]):
            conn.execute(stmts["observation"], run)

    # -- phases and the end of a run --------------------------------------------------------------

    def queue_incomplete(
        self, wanted: dict[ItemKind, frozenset[str]], cursors: dict[ItemKind, int], limit: int = 2000
    ) -> int:
        """Make pending the item pages of items seen this run that lack a wanted field and whose page this
        run has not read; ``cursors`` (item id per kind) carry on where the last call stopped. Returns how
        many rows were added."""
        added = 0
        for kind, fields in wanted.items():
            incomplete = self._incomplete(kind, fields)
            while incomplete is not None and added < limit:
                with self.store.session() as s:
                    rows = s.execute(
                        select(Item.id, Item.url)
                        .where(*incomplete, Item.id > cursors.get(kind, 0))
                        .order_by(Item.id)
                        .limit(limit)
                    ).all()
                    if not rows:
                        break
                    cursors[kind] = rows[-1][0]
                    new, limits = self._add_links(
                        s, [NewLink(Link(url, PageKind.ITEM, kind)) for _i, url in rows]
                    )
                    self._record_limits(s, limits)
                added += len(new)
        return added

    def _incomplete(self, kind: ItemKind, fields: Iterable[str]) -> list[Any] | None:
        """The conditions "an item of ``kind`` seen this run lacks one of ``fields`` and this run has not
        read its page"; None when no field is wanted."""
        conds = [self._missing(FIELDS_BY_NAME[name]) for name in fields if name in FIELDS_BY_NAME]
        if not conds:
            return None
        return [
            Item.platform_id == self.platform_id,
            Item.kind == kind.value,
            Item.last_seen_run == self.run_id,
            Item.removed_at.is_(None),
            or_(Item.page_run.is_(None), Item.page_run != self.run_id),
            or_(*conds),
        ]

    def incomplete_count(self, wanted: dict[ItemKind, frozenset[str]]) -> int:
        """How many items ``queue_incomplete`` has yet to queue, from the start (the fill phase's size)."""
        total = 0
        with self.store.session() as s:
            for kind, fields in wanted.items():
                incomplete = self._incomplete(kind, fields)
                if incomplete is not None:
                    total += int(s.scalar(select(func.count()).select_from(Item).where(*incomplete)) or 0)
        return total

    def _missing(self, f: ItemField) -> Any:
        """The condition "this item lacks ``f``" (for a ranked field: or only its item page gives it, and
        this run has not read it there yet: such values change, so the page is read again every run)."""
        if f.store == "column":
            column = Item.__table__.c[f.column or ""]
            if f.merge != "ranked":
                return column.is_(None)
            observed = getattr(ItemObservation, f.column or "")
            return or_(
                column.is_(None),
                and_(
                    Item.__table__.c[f.rank_column] == f.best_rank,
                    ~select(ItemObservation.item_id)
                    .where(
                        ItemObservation.item_id == Item.id,
                        ItemObservation.run_id == self.run_id,
                        observed.is_not(None),
                    )
                    .exists(),
                ),
            )
        if f.store == "uploader":
            return Item.uploader_id.is_(None)
        if f.store == "persons":
            return ~select(ItemPerson.item_id).where(ItemPerson.item_id == Item.id).exists()
        return (
            ~select(ItemLabel.item_id).where(ItemLabel.item_id == Item.id, ItemLabel.kind == f.label).exists()
        )

    def release_deferred(self, key_of: Callable[[str], ItemKey], limit: int = 2000) -> int:
        """Deferred item links whose item no source described this run become pending (the others are
        skipped). Returns how many were released."""
        released = 0
        while released < limit:
            with self.store.session() as s:
                rows = s.scalars(
                    select(Frontier)
                    .where(Frontier.run_id == self.run_id, Frontier.status == "deferred")
                    .order_by(Frontier.id)
                    .limit(limit)
                ).all()
                if not rows:
                    break
                keys = {f.id: key_of(f.url) for f in rows}
                pids = list({fit_key(pid) for _kind, pid in keys.values()})
                seen: set[tuple[str | None, str]] = set()
                for k, p in s.execute(
                    select(Item.kind, Item.platform_item_id).where(
                        Item.platform_id == self.platform_id,
                        Item.platform_item_id.in_(pids),
                        Item.last_seen_run == self.run_id,
                    )
                ):
                    seen.update({(k, p), (None, p)})
                for f in rows:
                    kind, pid = keys[f.id]
                    if (kind.value if kind else None, fit_key(pid)) in seen:
                        f.status = "skipped"
                    else:
                        f.status = "pending"
                        released += 1
        return released

    def mark_item_gone(self, kind: ItemKind | None, platform_id: str) -> None:
        """Mark one item removed now, in a transaction of its own (crawls do it inside a page's commit)."""
        with self.store.session() as s:
            self._mark_gone(s, (kind, platform_id))

    def _mark_gone(self, s: Session, key: ItemKey) -> None:
        kind, platform_id = key
        cond = [Item.platform_id == self.platform_id, Item.platform_item_id == fit_key(platform_id)]
        if kind is not None:
            cond.append(Item.kind == kind.value)
        s.execute(
            update(Item)
            .where(and_(*cond), Item.removed_at.is_(None))
            .values(removed_at=utcnow(), removed_run=self.run_id)
        )

    def set_phase(self, phase: str) -> None:
        with self.store.session() as s:
            s.execute(update(CrawlRun).where(CrawlRun.id == self.run_id).values(phase=phase))

    # -- the end of a run -------------------------------------------------------------------------

    def settle(self, *, finished: bool, start_url: str | None = None) -> Settled:
        """Decide the run's verdict, infer removals only from a complete run, and record the outcome.

        ``finished``: the crawl ran out of work (not interrupted). A finished run is complete when every
        frontier row was read or answered for, no limit cut work short, items were found, and the items
        it did not see are not most of the catalogue; then (and only then) items not seen are removed.
        """
        if not finished:
            self._finish("interrupted", [UNFINISHED])
            return Settled("interrupted", [UNFINISHED], 0)
        with self.store.session() as s:
            reasons = self._frontier_reasons(s, start_url) + self._limit_reasons(s)
            if not reasons:
                reasons = self._content_reasons(s)
        removed = 0
        if not reasons and self._removals_inferable():
            removed = self._mark_unseen_removed()
        status = "incomplete" if reasons else "complete"
        self._finish(status, reasons)
        return Settled(status, reasons, removed)

    def fail_start(self, error: str) -> Settled:
        """The start URL could not be fetched at all: the run failed; nothing is inferred from it."""
        reason = Reason("start", 1, f"the start page could not be fetched ({_short(error)})")
        self._finish("failed", [reason])
        return Settled("failed", [reason], 0)

    def _frontier_reasons(self, s: Session, start_url: str | None) -> list[Reason]:
        rows = s.execute(
            select(Frontier.kind, Frontier.status, func.count())
            .where(Frontier.run_id == self.run_id)
            .group_by(Frontier.kind, Frontier.status)
        ).all()
        counts: dict[tuple[str, str], int] = {(kind, status): int(n) for kind, status, n in rows}
        reasons: list[Reason] = []
        start = None
        if start_url is not None:
            start = s.execute(
                select(Frontier.kind, Frontier.status, Frontier.error).where(
                    Frontier.run_id == self.run_id, Frontier.url_key == url_key(start_url)
                )
            ).first()
        if start is not None and start.status == "failed":
            counts[(start.kind, "failed")] -= 1
            said = f" ({start.error})" if start.error and _HTTP_STATUS.fullmatch(start.error) else ""
            reasons.append(Reason("failed:start", 1, f"the start page could not be read{said}"))
        if counts.get((PageKind.ROBOTS.value, "failed")):
            reasons.append(Reason("failed:robots", 1, "robots.txt could not be read"))
        for kind in (PageKind.SITEMAP, PageKind.LISTING, PageKind.PERSON, PageKind.PAGE, PageKind.ITEM):
            n = counts.get((kind.value, "failed"), 0)
            if n:
                reasons.append(Reason(f"failed:{kind.value}", n, f"{n:,} {_noun(kind, n)} failed"))
        n = counts.get((PageKind.SITEMAP.value, "unparsed"), 0)
        if n:
            reasons.append(
                Reason("unparsed", n, f"{n:,} {_noun(PageKind.SITEMAP, n)} could not be read whole")
            )
        n = sum(v for (_kind, status), v in counts.items() if status == "disallowed")
        if n:
            reasons.append(
                Reason(
                    "disallowed",
                    n,
                    f"{n:,} {'page was' if n == 1 else 'pages were'} not read: robots.txt disallows them",
                )
            )
        n = sum(v for (_kind, status), v in counts.items() if status in ("pending", "deferred"))
        if n:
            reasons.append(
                Reason("unfetched", n, f"{n:,} {'page was' if n == 1 else 'pages were'} never fetched")
            )
        cut = int(
            s.scalar(
                select(func.count()).where(
                    Frontier.run_id == self.run_id, Frontier.status == "done", Frontier.error == TRUNCATED
                )
            )
            or 0
        )
        if cut:
            reasons.append(
                Reason(
                    "truncated",
                    cut,
                    f"{cut:,} {'page was' if cut == 1 else 'pages were'} cut short "
                    "(the server broke off, or the size limit)",
                )
            )
        return reasons

    def _limit_reasons(self, s: Session) -> list[Reason]:
        bounds = {
            "frontier": self.settings.max_frontier,
            "sitemaps": self.settings.max_sitemaps,
            "sitemap_children": self.settings.max_sitemap_children,
            "sitemap_depth": self.settings.max_sitemap_depth,
            "listing_pages": self.settings.max_listing_pages,
            "requests": self.settings.max_requests,
        }
        reasons = []
        for name, n in s.execute(
            select(CrawlLimit.name, CrawlLimit.count)
            .where(CrawlLimit.run_id == self.run_id)
            .order_by(CrawlLimit.name)
        ):
            if name in LIMITS and n:
                text = LIMITS[name].format(n=int(n), max=bounds.get(name, 0))
                reasons.append(Reason(f"limit:{name}", int(n), text))
        return reasons

    def _content_reasons(self, s: Session) -> list[Reason]:
        """What the items say: none found at all, or most of those present before not seen again."""
        present = Item.platform_id == self.platform_id
        seen = int(
            s.scalar(select(func.count()).select_from(Item).where(present, Item.last_seen_run == self.run_id))
            or 0
        )
        if not seen:
            return [
                Reason(
                    "no_items",
                    0,
                    "no item was found on the site (an age gate, a login, or pages the crawler cannot read?)",
                )
            ]
        # present when the run started: not removed, or removed by this run's own 404/410 evidence
        before = and_(
            present,
            Item.first_seen_run < self.run_id,
            or_(Item.removed_at.is_(None), Item.removed_run == self.run_id),
        )
        known = int(s.scalar(select(func.count()).select_from(Item).where(before)) or 0)
        unseen = int(
            s.scalar(
                select(func.count())
                .select_from(Item)
                .where(before, Item.removed_at.is_(None), Item.last_seen_run < self.run_id)
            )
            or 0
        )
        if known and unseen > self.settings.max_unseen_share * known:
            return [
                Reason(
                    "unseen",
                    unseen,
                    f"{unseen:,} of the {known:,} items present before were not seen again, without a 404 "
                    "for them: none was marked removed",
                    "upper",
                )
            ]
        return []

    def _removals_inferable(self) -> bool:
        """Absence means removal only if the run read the whole catalogue: a newest-first listing stopped at
        known items reads only the new ones, unless sitemaps enumerate the rest."""
        with self.store.session() as s:
            stopped = s.scalar(
                select(CrawlLimit.count).where(
                    CrawlLimit.run_id == self.run_id, CrawlLimit.name == STOPPED_AT_KNOWN
                )
            )
            if not stopped:
                return True
            sitemaps = s.scalar(
                select(func.count()).where(
                    Frontier.run_id == self.run_id,
                    Frontier.kind == PageKind.SITEMAP.value,
                    Frontier.status == "done",
                )
            )
        return bool(sitemaps)

    def mark_unseen_removed(self) -> int:
        """Mark removed the platform's present items this run did not see (``settle`` does it only for
        a complete run); returns how many."""
        return self._mark_unseen_removed()

    def finish(self, status: str, reasons: Sequence[Reason] = ()) -> None:
        """Record the run's end as given (``settle`` decides it for a crawl)."""
        self._finish(status, reasons)

    def _mark_unseen_removed(self) -> int:
        with self.store.session() as s:
            result = s.execute(
                update(Item)
                .where(
                    Item.platform_id == self.platform_id,
                    Item.last_seen_run < self.run_id,
                    Item.removed_at.is_(None),
                )
                .values(removed_at=utcnow(), removed_run=self.run_id)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _finish(self, status: str, reasons: Sequence[Reason]) -> None:
        with self.store.session() as s:
            s.execute(
                update(CrawlRun)
                .where(CrawlRun.id == self.run_id)
                .values(
                    status=status,
                    reasons=dump_reasons(reasons) if reasons else None,
                    message="; ".join(r.text for r in reasons) or None,
                    finished_at=utcnow() if status in ("complete", "incomplete", "failed") else None,
                )
            )

    def items_present(self) -> int:
        with self.store.session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(Item)
                    .where(Item.platform_id == self.platform_id, Item.removed_at.is_(None))
                )
                or 0
            )

    def requests(self) -> int:
        with self.store.session() as s:
            return int(
                s.scalar(
                    select(func.count())
                    .select_from(Capture)
                    .where(
                        Capture.run_id == self.run_id,
                        # a request refused before it was sent has a capture row but is no request
                        or_(Capture.status.is_not(None), Capture.error.is_not(None)),
                    )
                )
                or 0
            )


def platform_for(store: Store, base_url: str, name: str, adapter: str | None) -> int:
    with store.session() as s:
        pid = s.scalar(select(Platform.id).where(Platform.base_url == base_url))
        if pid is None:
            platform = Platform(base_url=base_url, name=name, adapter=adapter)
            s.add(platform)
            s.flush()
            pid = platform.id
        elif adapter:
            s.execute(update(Platform).where(Platform.id == pid).values(adapter=adapter))
        return int(pid)


def open_run(
    store: Store, platform_id: int, start_url: str, options: dict[str, Any]
) -> tuple[CrawlRun, bool]:
    """The run to work on: the unfinished one (resumed) or a new one. Returns (run, resumed)."""
    with store.session() as s:
        last = s.scalars(
            select(CrawlRun).where(CrawlRun.platform_id == platform_id).order_by(CrawlRun.id.desc()).limit(1)
        ).first()
        if last is not None and last.status in ("running", "interrupted"):
            last.sessions += 1
            last.status = "running"
            return last, True
        had_complete = (
            s.scalar(
                select(func.count()).where(CrawlRun.platform_id == platform_id, CrawlRun.status == "complete")
            )
            or 0
        ) > 0
        run = CrawlRun(
            platform_id=platform_id,
            start_url=start_url,
            incremental=had_complete,
            options=json.dumps(options, sort_keys=True, default=str),
            started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
        )
        s.add(run)
        s.flush()
        return run, False
