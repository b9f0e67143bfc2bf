"""Protect's index on SQLite and PostgreSQL: filled once, refreshed for what changed, stale rows dropped."""

from __future__ import annotations

from sqlalchemy import func, select, update

from unmask.core.case import Case
from unmask.core.store.models import CrawlRun, Item, ItemLabel, Platform
from unmask.protect.scan import scan
from unmask.protect.tables import ProtectText
from unmask.protect.watchlist import ProtectedPerson, Watchlist


def _catalogue(case: Case, titles: list[str]) -> list[int]:
    with case.store.session() as s:
        platform = Platform(base_url="http://127.0.0.1:9/", name="invented")
        s.add(platform)
        s.flush()
        run = CrawlRun(platform_id=platform.id, start_url=platform.base_url)
        s.add(run)
        s.flush()
        items = [
            Item(
                platform_id=platform.id,
                kind="video",
                platform_item_id=str(n),
                url=f"http://127.0.0.1:9/v/{n}",
                title=title,
                first_seen_run=run.id,
                last_seen_run=run.id,
            )
            for n, title in enumerate(titles)
        ]
        s.add_all(items)
        s.flush()
        return [i.id for i in items]


def test_the_index_follows_the_catalogue(case: Case) -> None:
    watchlist = Watchlist(case.root)
    watchlist.add([ProtectedPerson("Janet Doerwald")])
    watchlist.save()
    ids = _catalogue(case, ["Janet Doerwald", "a plain title", "another one"])

    first = scan(case)
    assert [m.source_id for m in first.matches] == [ids[0]] and len(first.new) == 1
    assert first.stats.normalised == 6  # a title and a URL each

    with case.store.session() as s:  # the platform edits a title and adds a tag
        s.execute(update(Item).where(Item.id == ids[0]).values(title="renamed"))
        s.add(ItemLabel(item_id=ids[2], kind="label", value="doerwald-janet"))
    second = scan(case)
    assert second.stats.normalised == 2
    assert {(m.source_id, m.field) for m in second.matches} == {(ids[2], "tag")}
    assert len(second.new) == 1

    third = scan(case)
    assert third.stats.normalised == 0 and third.new == []
    with case.store.session() as s:
        assert s.scalar(select(func.count()).select_from(ProtectText)) == 7
