"""Census persistence: the census's frontier rows and item upserts on the crawl engine's run writer.

A page's items, its follow-up links and the "done" mark of its frontier row are committed together
(several pages may share a transaction; ``core/crawl/frontier.py``), so a crawl killed at any moment resumes
exactly: a page is either wholly stored (and not fetched again) or not at all (and fetched again; upserts
make the second time harmless).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, and_, bindparam, case, cast, func, or_, select, update
from sqlalchemy.orm import Session

from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.schema import COLUMN_FIELDS, FIELDS_BY_NAME, ITEM_FIELDS, LABEL_FIELDS, ItemField
from unmask.core.config import CrawlSettings
from unmask.core.crawl.frontier import RunWriter, Settled, plural, url_key
from unmask.core.crawl.frontier import open_run as open_engine_run
from unmask.core.outcome import Reason
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
NOUNS: dict[str, tuple[str, str]] = {
    PageKind.ROBOTS.value: ("robots.txt", "robots.txt"),
    PageKind.SITEMAP.value: ("sitemap", "sitemaps"),
    PageKind.LISTING.value: ("listing page", "listing pages"),
    PageKind.PERSON.value: ("person page", "person pages"),
    PageKind.PAGE.value: ("page", "pages"),
    PageKind.ITEM.value: ("item page", "item pages"),
}
"""Each page kind's noun, in the order the run's reasons list them."""
ROW_COLUMNS = ("id", "url", "kind", "item_kind", "chain", "depth", "barren", "parent_key")


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


def _row(values: Sequence[Any]) -> FrontierRow:
    rid, url, kind, item_kind, chain, depth, barren, parent_key = values
    return FrontierRow(
        id=rid,
        url=url,
        kind=PageKind(kind),
        item_kind=ItemKind(item_kind) if item_kind else None,
        chain=chain,
        depth=depth,
        barren=barren,
        parent_key=parent_key,
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


def _item_merge(ex: Any) -> dict[str, Any]:
    """How an item upsert merges the new row (``ex``, the statement's ``excluded``) into the stored one."""
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
    return merged


UPSERTED: dict[str, type[Any]] = {
    "uploader": Uploader,
    "person": Person,
    "item": Item,
    "label": ItemLabel,
    "item_person": ItemPerson,
    "source": ItemSource,
    "observation": ItemObservation,
}
"""The tables a census page upserts into, by statement name."""
ARRAY_ROWS = 50
"""Rows from which an upsert on PostgreSQL sends an array per column rather than rows (``_execute``)."""


class CensusWriter(RunWriter[FrontierRow, "PageCommit", CommitResult]):
    """The one writer of a census run: frontier, items, limits, removals and the run's verdict."""

    run_table = CrawlRun
    frontier_table = Frontier
    row_columns = ROW_COLUMNS
    nouns = NOUNS
    waiting_statuses = ("pending", "deferred")
    planned_tables = (
        "item",
        "item_label",
        "item_person",
        "item_source",
        "item_observation",
        "uploader",
        "person",
        "frontier",
    )

    def __init__(
        self,
        store: Store,
        platform_id: int,
        run_id: int,
        settings: CrawlSettings,
        *,
        incremental: bool = False,
        chains: ChainMemory | None = None,
    ) -> None:
        """``chains``: where pagination chains remember the items they showed (default: this process's
        memory; the distributed census shares it through Redis)."""
        super().__init__(store, run_id, settings)
        self.incremental = incremental
        self.platform_id = platform_id
        self._uploaders: dict[str, int] = {}
        self._persons: dict[str, int] = {}
        self._public: dict[str, bool] = {}
        self._stmts: dict[str, Any] = {}
        self._array_stmts: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._chains = chains if chains is not None else ChainMemory()
        self._stored = 0
        """Items and frontier rows the transaction under way stored (``grew`` once it is committed)."""

    def make_row(self, values: Sequence[Any]) -> FrontierRow:
        return _row(values)

    # -- frontier ---------------------------------------------------------------------------------

    def over_limit(self, values: Mapping[str, Any]) -> str | None:
        sitemap = values["kind"] == PageKind.SITEMAP.value
        if sitemap and self.rows_by_kind.get(PageKind.SITEMAP.value, 0) >= self.settings.max_sitemaps:
            return "sitemaps"
        return None

    def _add_links(self, s: Session, links: Sequence[NewLink]) -> tuple[list[FrontierRow], dict[str, int]]:
        """Insert links not yet in this run's frontier, within the run's limits.

        Returns the new (and newly wanted) pending rows, and the limits that dropped links.
        """
        if not links:
            return [], {}
        by_key: dict[str, dict[str, Any]] = {}
        for new in links:
            if len(new.link.url) <= self.settings.max_url_length:
                by_key.setdefault(
                    url_key(new.link.url),
                    {
                        "url": new.link.url,
                        "kind": new.link.kind.value,
                        "item_kind": new.link.item_kind.value if new.link.item_kind else None,
                        "chain": new.chain,
                        "depth": new.depth,
                        "barren": new.barren,
                        "parent_key": new.parent_key,
                        "status": new.status,
                    },
                )
        existing = self.existing(s, list(by_key))
        promoted: list[FrontierRow] = []
        wanted = [
            rid
            for key, (rid, status) in existing.items()
            if status == "deferred" and by_key[key]["status"] == "pending"
        ]
        if wanted:  # deferred item links wanted now
            s.execute(update(Frontier).where(Frontier.id.in_(wanted)).values(status="pending"))
            cols = [Frontier.__table__.c[name] for name in ROW_COLUMNS]
            promoted = [
                _row(r) for r in s.execute(select(*cols).where(Frontier.id.in_(wanted)).order_by(Frontier.id))
            ]
        fresh, limits = self.insert(s, by_key, existing)
        return promoted + fresh, limits

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

    def counts_by_phase(self) -> dict[str, tuple[int, int]]:
        """Frontier rows of each phase, (answered, waiting): ``enumerate`` (robots.txt, sitemaps, listings
        and other pages) and ``fill`` (item pages; deferred item links wait there)."""
        with self.store.session() as s:
            counts = self.kind_status_counts(s)
        out: dict[str, list[int]] = {"enumerate": [0, 0], "fill": [0, 0]}
        for (kind, status), n in counts.items():
            phase = out["fill" if kind == PageKind.ITEM.value else "enumerate"]
            phase[1 if status in self.waiting_statuses else 0] += n
        return {phase: (done, waiting) for phase, (done, waiting) in out.items()}

    def record_limit(self, name: str, count: int = 1) -> None:
        with self.store.session() as s:
            self._record_limits(s, {name: count})

    # -- pages ------------------------------------------------------------------------------------

    def rolled_back(self) -> None:
        """The transaction was rolled back: so are the ids it cached and the chain keys it saw."""
        self._chains.forget()
        self._stored = 0
        self._uploaders.clear()
        self._persons.clear()
        self._public.clear()

    def kept(self) -> None:
        self._chains.keep()
        self.grew(self._stored)
        self._stored = 0

    def store_pages(self, s: Session, pages: Sequence[PageCommit]) -> list[CommitResult]:
        """Store ``pages`` in the session's transaction, as if one after the other: their items in one
        upsert per table, then each page's removal evidence, links and pagination (the engine then marks
        their rows)."""
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
        self._stored = len(entries)
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
            self._stored += len(new_rows)
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
        if not self._stmts:
            self._stmts = {name: self._upsert(name, self._insert(table)) for name, table in UPSERTED.items()}
        return self._stmts

    def _upsert(self, name: str, base: Any) -> Any:
        """The upsert ``name`` (a key of ``UPSERTED``) on the INSERT construct ``base`` (row by row or
        from arrays: ``_execute``)."""
        ex = base.excluded
        if name == "item":
            return base.on_conflict_do_update(
                index_elements=["platform_id", "kind", "platform_item_id"], set_=_item_merge(ex)
            ).returning(Item.__table__.c.id, Item.__table__.c.kind, Item.__table__.c.platform_item_id)
        if name == "person":
            return base.on_conflict_do_update(
                index_elements=["platform_id", "name_key"],
                set_={
                    "public_figure": func.coalesce(ex.public_figure, Person.public_figure),
                    "url": func.coalesce(Person.url, ex.url),
                },
            )
        if name == "observation":
            return base.on_conflict_do_update(
                index_elements=["item_id", "run_id"],
                set_={"views": func.coalesce(ex.views, ItemObservation.views)},
            )
        return base.on_conflict_do_nothing()

    def _execute(self, s: Session, name: str, rows: list[dict[str, Any]]) -> Any:
        """Run upsert ``name`` for ``rows`` (each with the same columns). On PostgreSQL, many rows are one
        statement with an array per column (``INSERT … SELECT unnest(…)``): the row-by-row form (a VALUES
        clause of thousands of parameters, or a statement a row) cost a sitemap's thousands of items
        seconds of the worker's time, mostly in building and parsing the statement."""
        conn = s.connection()
        if self.store.dialect != "postgresql" or len(rows) < ARRAY_ROWS:
            return conn.execute(self._statements()[name], rows)
        columns = tuple(rows[0])
        stmt = self._array_stmts.get((name, columns))
        if stmt is None:
            table = UPSERTED[name].__table__
            arrays = [
                func.unnest(cast(bindparam(f"a_{c}", type_=ARRAY(table.c[c].type)), ARRAY(table.c[c].type)))
                for c in columns
            ]
            base = self._insert(table).from_select(list(columns), select(*arrays))
            stmt = self._array_stmts[(name, columns)] = self._upsert(name, base)
        return conn.execute(stmt, {f"a_{c}": [row[c] for row in rows] for c in columns})

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
        self._execute(s, stmt, rows)
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
        ids: dict[tuple[str, str], int] = {}  # the upsert returns each row's id, inserted or updated
        for run in _unique_runs(rows, lambda row: (row["kind"], row["platform_item_id"])):
            for iid, kind, pid in self._execute(s, "item", run):
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
        now = utcnow()
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
                    "seen_at": now,
                    **{f.column or "": getattr(r, f.name) for f in RANKED},
                }
            )
        for name, rows in (("label", labels), ("item_person", links), ("source", sources)):
            if rows:
                self._execute(s, name, list(rows.values()))
        for run in _unique_runs(observations, lambda row: row["item_id"]):
            self._execute(s, "observation", run)

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
                    total += count_rows(s, Item, *incomplete)
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
            return self.interrupted()
        with self.store.session() as s:
            reasons = self.frontier_reasons(s, start_url) + self._limit_reasons(s)
            if not reasons:
                reasons = self._content_reasons(s)
        removed = 0
        if not reasons and self._removals_inferable():
            removed = self._mark_unseen_removed()
        status = "incomplete" if reasons else "complete"
        self.finish(status, reasons)
        return Settled(status, reasons, removed)

    def unreadable_reasons(self, counts: Mapping[tuple[str, str], int]) -> list[Reason]:
        n = counts.get((PageKind.SITEMAP.value, "unparsed"), 0)
        if not n:
            return []
        return [Reason("unparsed", n, f"{plural(n, *NOUNS[PageKind.SITEMAP.value])} could not be read whole")]

    def cut_reasons(self, s: Session) -> list[Reason]:
        cut = count_rows(
            s,
            Frontier,
            Frontier.run_id == self.run_id,
            Frontier.status == "done",
            Frontier.error == TRUNCATED,
        )
        if not cut:
            return []
        were = "page was" if cut == 1 else "pages were"
        return [
            Reason("truncated", cut, f"{cut:,} {were} cut short (the server broke off, or the size limit)")
        ]

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
        seen = count_rows(s, Item, present, Item.last_seen_run == self.run_id)
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
        known = count_rows(s, Item, before)
        unseen = count_rows(s, Item, before, Item.removed_at.is_(None), Item.last_seen_run < self.run_id)
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
            sitemaps = count_rows(
                s,
                Frontier,
                Frontier.run_id == self.run_id,
                Frontier.kind == PageKind.SITEMAP.value,
                Frontier.status == "done",
            )
        return bool(sitemaps)

    def mark_unseen_removed(self) -> int:
        """Mark removed the platform's present items this run did not see (``settle`` does it only for
        a complete run); returns how many."""
        return self._mark_unseen_removed()

    def finish(self, status: str, reasons: Sequence[Reason] = (), **values: Any) -> None:
        """Record the run's end as given (``settle`` decides it for a crawl), with its reasons in words."""
        super().finish(status, reasons, message="; ".join(r.text for r in reasons) or None, **values)

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

    def items_present(self) -> int:
        with self.store.session() as s:
            return count_rows(s, Item, Item.platform_id == self.platform_id, Item.removed_at.is_(None))

    def requests(self) -> int:
        with self.store.session() as s:
            return count_rows(
                s,
                Capture,
                Capture.run_id == self.run_id,
                # a request refused before it was sent has a capture row but is no request
                or_(Capture.status.is_not(None), Capture.error.is_not(None)),
            )


def count_rows(s: Session, table: type[Any], *where: Any) -> int:
    """How many rows of ``table`` meet all of ``where``."""
    return int(s.scalar(select(func.count()).select_from(table).where(*where)) or 0)


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
    """The run to work on: the unfinished one (resumed) or a new one (incremental when a complete run of
    the platform came before). Returns (run, resumed)."""
    with store.session() as s:
        had_complete = bool(
            count_rows(s, CrawlRun, CrawlRun.platform_id == platform_id, CrawlRun.status == "complete")
        )
    run, resumed = open_engine_run(
        store, CrawlRun, ("platform_id", platform_id), start_url, options, incremental=had_complete
    )
    return run, resumed
