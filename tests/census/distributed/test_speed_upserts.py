"""A sitemap's thousands of items are upserted on PostgreSQL as one statement of arrays instead of row by row
(docs/scale.md): what is stored, merged over pages and runs, is the same either way."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from unmask.census import writer as census_writer
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind, PersonRef
from unmask.census.writer import CensusWriter, PageCommit, open_run, platform_for
from unmask.core.case import Case
from unmask.core.store.models import CrawlRun, Item, ItemLabel, ItemObservation, ItemPerson, Person, Uploader


def _items(page: int, n: int = 60) -> list[ItemRecord]:
    return [
        ItemRecord(
            kind=ItemKind.VIDEO if i % 3 else ItemKind.PHOTO,
            url=f"http://127.0.0.1:1/item/{i}",
            platform_id=str(i),
            title=f"Title {i}" if page == 0 else None,
            views=i * 10 + page,
            duration=float(i) if page == 1 else None,
            upload_date=dt.date(2024, 1, 1 + i % 28),
            tags=[f"tag{i % 5}", f"page{page}"],
            uploader=f"Uploader {i % 7}",
            persons=[PersonRef(f"Ana Vel {i % 9}", public_figure=bool(page) if i % 2 else None)],
        )
        for i in range(n)
    ]


def _census(case: Case, base: str) -> list[tuple[object, ...]]:
    """Store three listing pages over two runs of one platform; return what the store holds of it."""
    pid = platform_for(case.store, base, base, None)
    first = 0
    for run_no in range(2):
        run, _resumed = open_run(case.store, pid, base + "/", {})
        first = first or run.id
        writer = CensusWriter(case.store, pid, run.id, case.config.crawl, incremental=bool(run_no))
        links = [Link(f"{base}/list/{p}", PageKind.LISTING, ItemKind.VIDEO) for p in range(2)]
        for p, row in enumerate(writer.seed(links)):
            writer.commit(PageCommit(row, None, items=_items(p + run_no)))
        writer.finish("complete")
    with case.store.session() as s:
        items = s.execute(
            select(
                Item.kind,
                Item.platform_item_id,
                Item.title,
                Item.views,
                Item.views_rank,
                Item.duration_s,
                Item.upload_date,
                Uploader.name,
                Item.first_seen_run - first,
                Item.last_seen_run - first,
            )
            .outerjoin(Uploader, Uploader.id == Item.uploader_id)
            .where(Item.platform_id == pid)
            .order_by(Item.kind, Item.platform_item_id)
        ).all()
        labels = s.execute(
            select(Item.platform_item_id, ItemLabel.kind, ItemLabel.value)
            .join(Item, Item.id == ItemLabel.item_id)
            .where(Item.platform_id == pid)
            .order_by(Item.platform_item_id, ItemLabel.kind, ItemLabel.value)
        ).all()
        persons = s.execute(
            select(Item.platform_item_id, Person.name, Person.public_figure)
            .join(ItemPerson, ItemPerson.item_id == Item.id)
            .join(Person, Person.id == ItemPerson.person_id)
            .where(Item.platform_id == pid)
            .order_by(Item.platform_item_id, Person.name)
        ).all()
        views = s.execute(
            select(Item.platform_item_id, ItemObservation.views, CrawlRun.id - first)
            .join(Item, Item.id == ItemObservation.item_id)
            .join(CrawlRun, CrawlRun.id == ItemObservation.run_id)
            .where(Item.platform_id == pid)
            .order_by(Item.platform_item_id, CrawlRun.id)
        ).all()
    return [tuple(r) for r in [*items, *labels, *persons, *views]]


def test_items_upserted_from_arrays_are_stored_as_row_by_row(
    case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(census_writer, "ARRAY_ROWS", 10**9)
    by_rows = _census(case, "http://127.0.0.1:1")
    monkeypatch.setattr(census_writer, "ARRAY_ROWS", 1)
    by_arrays = _census(case, "http://127.0.0.1:2")
    assert len(by_rows) > 300
    assert by_arrays == by_rows
