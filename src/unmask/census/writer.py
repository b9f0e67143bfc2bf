"""Census persistence: the durable frontier and item upserts, one transaction per page.

A page's items, its follow-up links and the "done" mark of its frontier row are committed together,
so a crawl killed at any moment resumes exactly: a page is either wholly stored (and not fetched
again) or not at all (and fetched again; upserts make the second time harmless).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.schema import COLUMN_FIELDS, FIELDS_BY_NAME, ITEM_FIELDS, LABEL_FIELDS, ItemField
from unmask.core.config import CrawlSettings
from unmask.core.store import Store
from unmask.core.store.models import (
    Capture,
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


@dataclass
class PageCommit:
    """What a processed page asks the writer to store."""

    frontier: FrontierRow
    capture_id: int | None
    items: list[ItemRecord] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    next_page: str | None = None
    sorted_newest: bool = False
    status: str = "done"
    error: str | None = None


@dataclass
class CommitResult:
    new_rows: list[FrontierRow]
    items: int
    new_items: int
    stopped: str | None = None
    """Why a pagination chain was not followed further (trap guard, known items)."""
    cut_short: bool = False
    """The chain was stopped before its end while it still brought items (enumeration incomplete)."""


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


def _merged(f: ItemField, new: Any, old: Any) -> Any:
    """The stored value after an upsert, for a single-valued field merged by ``replace`` or ``first``."""
    return func.coalesce(old, new) if f.merge == "first" else func.coalesce(new, old)


class CensusWriter:
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

    # -- frontier ---------------------------------------------------------------------------------

    def _add_links(self, s: Session, links: Sequence[NewLink]) -> list[FrontierRow]:
        """Insert links not yet in this run's frontier; return the new pending rows."""
        if not links:
            return []
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
        fresh = [
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
            for k, new in by_key.items()
            if k not in existing
        ]
        s.add_all(fresh)
        s.flush()
        return [_row(f) for f in promoted] + [_row(f) for f in fresh if f.status == "pending"]

    def seed(self, links: Iterable[Link]) -> list[FrontierRow]:
        with self.store.session() as s:
            return self._add_links(
                s,
                [
                    NewLink(link, url_key(link.url) if link.kind == PageKind.LISTING else None)
                    for link in links
                ],
            )

    def pending(self) -> Iterator[FrontierRow]:
        with self.store.session() as s:
            rows = s.scalars(
                select(Frontier)
                .where(Frontier.run_id == self.run_id, Frontier.status == "pending")
                .order_by(Frontier.id)
            ).all()
        for f in rows:
            yield _row(f)

    def counts(self) -> dict[str, int]:
        with self.store.session() as s:
            rows = s.execute(
                select(Frontier.status, func.count())
                .where(Frontier.run_id == self.run_id)
                .group_by(Frontier.status)
            ).all()
        return {status: n for status, n in rows}

    def fail(self, frontier_id: int, status: str, error: str | None, capture_id: int | None) -> None:
        with self.store.session() as s:
            s.execute(
                update(Frontier)
                .where(Frontier.id == frontier_id)
                .values(
                    status=status, error=(error or "")[:2000] or None, capture_id=capture_id, done_at=utcnow()
                )
            )

    # -- pages ------------------------------------------------------------------------------------

    def commit(self, page: PageCommit) -> CommitResult:
        with self.store.session() as s:
            records = _merge(page.items)
            for r in records:
                r.platform_id = fit_key(r.platform_id)
                r.gallery_id = fit_key(r.gallery_id)
            known_before, seen_this_run = self._prior_state(s, records)
            self._upsert_items(s, records, page)
            stopped = None
            follow: list[NewLink] = []
            described = {r.url for r in records}
            for link in page.links:
                depth = page.frontier.depth + 1 if link.kind == PageKind.SITEMAP else 1
                if link.kind == PageKind.SITEMAP and depth > self.settings.max_sitemap_depth:
                    continue
                if link.kind == PageKind.ITEM:
                    # item pages wait for the fill phase, and only if no source described the item
                    if link.url not in described:
                        follow.append(NewLink(link, status="deferred"))
                    continue
                chain = url_key(link.url) if link.kind == PageKind.LISTING else None
                follow.append(NewLink(link, chain, depth))
            if page.next_page:
                stopped = self._next_page(s, page, records, known_before, follow)
            new_rows = self._add_links(s, follow)
            s.execute(
                update(Frontier)
                .where(Frontier.id == page.frontier.id)
                .values(status=page.status, error=page.error, capture_id=page.capture_id, done_at=utcnow())
            )
        new_items = sum(1 for r in records if (r.kind.value, r.platform_id) not in seen_this_run)
        cut_short = bool(stopped) and bool(records) and "trap" not in (stopped or "")
        return CommitResult(
            new_rows=new_rows, items=len(records), new_items=new_items, stopped=stopped, cut_short=cut_short
        )

    def _next_page(
        self,
        s: Session,
        page: PageCommit,
        records: list[ItemRecord],
        known_before: set[tuple[str, str]],
        follow: list[NewLink],
    ) -> str | None:
        assert page.next_page is not None
        row = page.frontier
        ids = sorted(f"{r.kind.value}:{r.platform_id}" for r in records)
        key = hashlib.sha1("\n".join(ids).encode()).hexdigest()
        barren = not records or key == row.parent_key or self._chain_had(s, row.chain, key)
        streak = row.barren + 1 if barren else 0
        if streak >= self.settings.barren_pages:
            return f"{streak} pages in a row brought nothing new (pagination trap guard)"
        if row.depth + 1 > self.settings.max_listing_pages:
            return f"pagination chain longer than {self.settings.max_listing_pages} pages"
        if (
            page.sorted_newest
            and self.settings.stop_at_known
            and self.incremental
            and records
            and all((r.kind.value, r.platform_id) in known_before for r in records)
        ):
            return "reached items known from an earlier run (newest-first listing)"
        link = Link(page.next_page, PageKind.LISTING, row.item_kind)
        follow.append(NewLink(link, row.chain, row.depth + 1, streak, key))
        return None

    def _chain_had(self, s: Session, chain: str | None, key: str) -> bool:
        """Whether an earlier page of this pagination chain showed exactly these items (a cycling trap)."""
        if chain is None:
            return False
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
        if not records:
            return set(), set()
        pids = [r.platform_id for r in records if r.platform_id]
        rows = s.execute(
            select(Item.kind, Item.platform_item_id, Item.first_seen_run, Item.last_seen_run).where(
                Item.platform_id == self.platform_id, Item.platform_item_id.in_(pids)
            )
        ).all()
        known = {(k, p) for k, p, first, _last in rows if first < self.run_id}
        seen = {(k, p) for k, p, _first, last in rows if last == self.run_id}
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
            ),
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

    def _upsert_items(self, s: Session, records: list[ItemRecord], page: PageCommit) -> None:
        records = [r for r in records if r.platform_id]
        if not records:
            return
        uploaders = self._uploader_ids(s, records)
        persons = self._person_ids(s, [p for r in records for p in r.persons])
        now = utcnow()
        page_kind = page.frontier.kind.value
        rows = []
        for r in records:
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
        s.connection().execute(self._statements()["item"], rows)
        ids = self._item_ids(s, records)
        self._links(s, records, ids, persons, page.capture_id)

    def _item_ids(self, s: Session, records: list[ItemRecord]) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        pids = [r.platform_id for r in records]
        for iid, kind, pid in s.execute(
            select(Item.id, Item.kind, Item.platform_item_id).where(
                Item.platform_id == self.platform_id, Item.platform_item_id.in_(pids)
            )
        ):
            out[(kind, pid)] = iid
        return out

    def _links(
        self,
        s: Session,
        records: list[ItemRecord],
        ids: dict[tuple[str, str], int],
        persons: dict[str, int],
        capture_id: int | None,
    ) -> None:
        labels: dict[tuple[int, str, str], dict[str, Any]] = {}
        links: dict[tuple[int, int], dict[str, Any]] = {}
        sources: dict[int, dict[str, Any]] = {}
        observations: dict[int, dict[str, Any]] = {}
        for r in records:
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
            if capture_id is not None:
                sources[iid] = {
                    "item_id": iid,
                    "capture_id": capture_id,
                    "run_id": self.run_id,
                    "fields": ",".join(r.provided()),
                }
            observations[iid] = {
                "item_id": iid,
                "run_id": self.run_id,
                **{f.column or "": getattr(r, f.name) for f in RANKED},
            }
        conn = s.connection()
        stmts = self._statements()
        for name, rows in (
            ("label", labels),
            ("item_person", links),
            ("source", sources),
            ("observation", observations),
        ):
            if rows:
                conn.execute(stmts[name], list(rows.values()))

    # -- phases and the end of a run --------------------------------------------------------------

    def incomplete_items(
        self, wanted: dict[ItemKind, frozenset[str]], chunk: int = 2000
    ) -> Iterator[list[Link]]:
        """Items seen this run, lacking a wanted field, whose page was not read this run (in chunks)."""
        for kind, fields in wanted.items():
            conds = [self._missing(FIELDS_BY_NAME[name]) for name in fields if name in FIELDS_BY_NAME]
            if not conds:
                continue
            after = 0
            while True:
                with self.store.session() as s:
                    rows = s.execute(
                        select(Item.id, Item.url)
                        .where(
                            Item.platform_id == self.platform_id,
                            Item.kind == kind.value,
                            Item.id > after,
                            Item.last_seen_run == self.run_id,
                            Item.removed_at.is_(None),
                            or_(Item.page_run.is_(None), Item.page_run != self.run_id),
                            or_(*conds),
                        )
                        .order_by(Item.id)
                        .limit(chunk)
                    ).all()
                if not rows:
                    break
                after = rows[-1][0]
                yield [Link(url, PageKind.ITEM, kind) for _iid, url in rows]

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

    def enqueue(self, links: list[Link]) -> list[FrontierRow]:
        with self.store.session() as s:
            return self._add_links(s, [NewLink(link) for link in links])

    def release_deferred(
        self, identify: Callable[[str], tuple[ItemKind, str] | None], limit: int = 2000
    ) -> list[FrontierRow]:
        """Deferred item links whose item no source described this run: make them pending and return them."""
        released: list[FrontierRow] = []
        while len(released) < limit:
            with self.store.session() as s:
                rows = s.scalars(
                    select(Frontier)
                    .where(Frontier.run_id == self.run_id, Frontier.status == "deferred")
                    .order_by(Frontier.id)
                    .limit(limit)
                ).all()
                if not rows:
                    break
                idents = {f.id: identify(f.url) for f in rows}
                pids = [ident[1] for ident in idents.values() if ident is not None]
                seen = {
                    (k, p)
                    for k, p in s.execute(
                        select(Item.kind, Item.platform_item_id).where(
                            Item.platform_id == self.platform_id,
                            Item.platform_item_id.in_(pids),
                            Item.last_seen_run == self.run_id,
                        )
                    )
                }
                for f in rows:
                    ident = idents[f.id]
                    if ident is not None and (ident[0].value, ident[1]) in seen:
                        f.status = "skipped"
                    else:
                        f.status = "pending"
                        released.append(_row(f))
        return released

    def mark_item_gone(self, kind: ItemKind | None, platform_id: str) -> None:
        with self.store.session() as s:
            cond = [Item.platform_id == self.platform_id, Item.platform_item_id == platform_id]
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

    def enumeration_complete(self, chains_cut: int = 0) -> tuple[bool, str]:
        """Whether the run saw the whole catalogue, so that items it did not see are gone.

        True when no sitemap or listing page failed, and either no listing was cut short or complete
        sitemaps were read (they enumerate what the cut listings did not reach).
        """
        with self.store.session() as s:
            sitemaps = s.scalar(
                select(func.count()).where(
                    Frontier.run_id == self.run_id,
                    Frontier.kind == PageKind.SITEMAP.value,
                    Frontier.status == "done",
                )
            )
            failed = s.scalar(
                select(func.count()).where(
                    Frontier.run_id == self.run_id,
                    Frontier.kind.in_([PageKind.SITEMAP.value, PageKind.LISTING.value]),
                    Frontier.status.in_(["failed", "refused"]),
                )
            )
        if failed:
            return False, f"{failed} sitemap or listing pages failed; removals not inferred"
        if chains_cut and not sitemaps:
            return False, "listings were cut short and the site has no sitemaps; removals not inferred"
        return True, ""

    def mark_unseen_removed(self) -> int:
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

    def finish(self, status: str, message: str | None = None) -> None:
        with self.store.session() as s:
            s.execute(
                update(CrawlRun)
                .where(CrawlRun.id == self.run_id)
                .values(
                    status=status, message=message, finished_at=utcnow() if status == "complete" else None
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
                s.scalar(select(func.count()).select_from(Capture).where(Capture.run_id == self.run_id)) or 0
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
