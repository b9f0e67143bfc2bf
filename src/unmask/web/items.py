"""The items table: filters, sort and keyset pagination, in SQL, so a page costs the same on page 1 and
page 20,000 of a million items.

Filters: words in the title, kind, month of upload, a depicted person and an uploader (by their keys in
the store, so that no hidden name travels in an address), a tag, present/removed/all. Sort: upload day,
views or first seen (the item's key), each way. The cursor of the next page is the last row's sort value
and key; a missing value sorts as the lowest. Names and free text go through the case's privacy policy.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select

from unmask.core.output import display_text
from unmask.core.privacy import PrivacyPolicy, Role
from unmask.core.store import Store
from unmask.core.store.models import Item, ItemLabel, ItemPerson, Person, Uploader

PAGE_SIZE = 50
KINDS = ("video", "photo", "gallery")
REMOVED = ("present", "removed", "all")
SORTS = ("upload", "views", "seen")
ORDERS = ("desc", "asc")
MAX_TEXT = 200
"""Longest search text or tag accepted."""
NO_DAY = dt.date(1, 1, 1)


class BadFilter(ValueError):
    """A filter value the table does not take (shown as a one-line error)."""


def _sort_key(sort: str) -> Any:
    if sort == "upload":
        return func.coalesce(Item.upload_date, literal(NO_DAY))
    if sort == "views":
        return func.coalesce(Item.views, literal(-1))
    return Item.id


@dataclass(frozen=True)
class ItemFilter:
    q: str = ""
    kind: str = ""
    month: str = ""
    person: int | None = None
    tag: str = ""
    uploader: int | None = None
    removed: str = "present"
    sort: str = "upload"
    order: str = "desc"
    after: str = ""

    @classmethod
    def parse(cls, params: Mapping[str, str]) -> ItemFilter:
        def choice(name: str, values: tuple[str, ...], default: str) -> str:
            value = params.get(name, "") or default
            if value not in values:
                raise BadFilter(f"{name}: choose from {', '.join(values)}")
            return value

        def key(name: str) -> int | None:
            value = params.get(name, "").strip()
            if not value:
                return None
            if not value.isdigit() or len(value) > 18:
                raise BadFilter(f"{name}: not a key")
            return int(value)

        month = params.get("month", "").strip()
        if month:
            try:
                dt.date.fromisoformat(month + "-01")
            except ValueError:
                raise BadFilter("month: expected YYYY-MM") from None
        q, tag = params.get("q", "").strip(), params.get("tag", "").strip()
        if len(q) > MAX_TEXT or len(tag) > MAX_TEXT:
            raise BadFilter(f"search text: at most {MAX_TEXT} characters")
        return cls(
            q=q,
            kind=choice("kind", ("", *KINDS), ""),
            month=month,
            person=key("person"),
            tag=tag,
            uploader=key("uploader"),
            removed=choice("removed", REMOVED, "present"),
            sort=choice("sort", SORTS, "upload"),
            order=choice("order", ORDERS, "desc"),
            after=params.get("after", "")[:100],
        )

    def params(self, **changes: Any) -> dict[str, str]:
        """The filter as query parameters (empty ones left out), with ``changes``."""
        values = {
            "q": self.q,
            "kind": self.kind,
            "month": self.month,
            "person": "" if self.person is None else str(self.person),
            "tag": self.tag,
            "uploader": "" if self.uploader is None else str(self.uploader),
            "removed": "" if self.removed == "present" else self.removed,
            "sort": "" if self.sort == "upload" else self.sort,
            "order": "" if self.order == "desc" else self.order,
            "after": self.after,
        }
        values.update({k: "" if v is None else str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}

    def conditions(self, dialect: str = "sqlite") -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        # Present items are most of the table: read through the covering index (removed_at first) only
        # when that index also gives the order or the filter; a title search or the key order reads the
        # table itself (through the index, SQLite would fetch every row at random: 10x slower). On SQLite a
        # tag or a person starts from its own index (item_label (kind, value, item_id), item_person
        # (person_id)): the items found are looked up by key and sorted, instead of every present item
        # being walked and checked against the tag's list (an expression hides removed_at from SQLite's
        # planner). PostgreSQL plans that itself (a semi-join); the expression there makes it slower.
        removed_at: Any = Item.removed_at
        by_own_index = dialect == "sqlite" and (self.tag or self.person is not None)
        if self.q or self.sort == "seen" or by_own_index:
            removed_at = func.coalesce(Item.removed_at, Item.removed_at)
        if self.removed == "present":
            conds.append(removed_at.is_(None))
        elif self.removed == "removed":
            conds.append(removed_at.is_not(None))
        if self.kind:
            conds.append(Item.kind == self.kind)
        if self.month:
            first = dt.date.fromisoformat(self.month + "-01")
            after = (first + dt.timedelta(days=32)).replace(day=1)
            conds.append(and_(Item.upload_date >= first, Item.upload_date < after))
        if self.q:
            pattern = "%" + self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            conds.append(Item.title.ilike(pattern, escape="\\"))
        if self.uploader is not None:
            conds.append(Item.uploader_id == self.uploader)
        if self.person is not None:
            conds.append(Item.id.in_(select(ItemPerson.item_id).where(ItemPerson.person_id == self.person)))
        if self.tag:
            conds.append(
                Item.id.in_(
                    select(ItemLabel.item_id).where(ItemLabel.kind == "tag", ItemLabel.value == self.tag)
                )
            )
        return conds

    def _cursor(self) -> ColumnElement[bool] | None:
        if not self.after:
            return None
        value, _, last = self.after.rpartition("~")
        if not last.isdigit():
            raise BadFilter("after: not a cursor")
        key_id = int(last)
        if self.sort == "seen":
            return Item.id < key_id if self.order == "desc" else Item.id > key_id
        sort_value: Any
        try:
            sort_value = dt.date.fromisoformat(value) if self.sort == "upload" else int(value)
        except ValueError:
            raise BadFilter("after: not a cursor") from None
        key = _sort_key(self.sort)
        if self.order == "desc":
            return or_(key < sort_value, and_(key == sort_value, Item.id < key_id))
        return or_(key > sort_value, and_(key == sort_value, Item.id > key_id))


@dataclass
class ItemRow:
    id: int
    kind: str
    title: str
    url: str
    upload_date: dt.date | None
    views: int | None
    duration_s: float | None
    uploader: str | None
    uploader_id: int | None
    removed_at: dt.datetime | None
    persons: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class ItemPage:
    rows: list[ItemRow]
    next_after: str | None


def _cursor_of(row: Any, sort: str) -> str:
    if sort == "upload":
        return f"{(row.upload_date or NO_DAY).isoformat()}~{row.id}"
    if sort == "views":
        return f"{row.views if row.views is not None else -1}~{row.id}"
    return f"~{row.id}"


def _day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def item_page(store: Store, flt: ItemFilter, policy: PrivacyPolicy, size: int = PAGE_SIZE) -> ItemPage:
    key = _sort_key(flt.sort)
    order = [key.desc(), Item.id.desc()] if flt.order == "desc" else [key.asc(), Item.id.asc()]
    if flt.sort == "seen":
        order = order[1:]
    conds = flt.conditions(store.dialect)
    cursor = flt._cursor()
    if cursor is not None:
        conds.append(cursor)
    # the page's keys first (no join: the sort reads one index or the table once), then their rows
    keys = select(Item.id).where(*conds).order_by(*order).limit(size + 1).subquery()
    stmt = (
        select(
            Item.id,
            Item.kind,
            Item.title,
            Item.url,
            Item.upload_date,
            Item.views,
            Item.duration_s,
            Item.uploader_id,
            Item.removed_at,
            Uploader.name.label("uploader"),
        )
        .join(keys, keys.c.id == Item.id)
        .outerjoin(Uploader, Uploader.id == Item.uploader_id)
        .order_by(*order)
    )
    with store.session() as s:
        found = list(s.execute(stmt))
        more = len(found) > size
        found = found[:size]
        persons: dict[int, list[tuple[int, str]]] = {}
        if found:
            for item_id, person_id, name in s.execute(
                select(ItemPerson.item_id, Person.id, Person.name)
                .join(Person, Person.id == ItemPerson.person_id)
                .where(ItemPerson.item_id.in_([r.id for r in found]))
                .order_by(Person.id)
            ):
                persons.setdefault(item_id, []).append((person_id, policy.name(name, Role.DEPICTED) or ""))
    rows = [
        ItemRow(
            id=r.id,
            kind=r.kind,
            title=display_text(policy.redact(r.title) or ""),
            url=policy.redact(r.url) or "",
            upload_date=_day(r.upload_date),
            views=r.views,
            duration_s=r.duration_s,
            uploader=policy.name(r.uploader, Role.UPLOADER),
            uploader_id=r.uploader_id,
            removed_at=r.removed_at,
            persons=persons.get(r.id, []),
        )
        for r in found
    ]
    next_after = _cursor_of(found[-1], flt.sort) if more and found else None
    return ItemPage(rows, next_after)
