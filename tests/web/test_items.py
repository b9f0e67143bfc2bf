"""The items table's tag and person filters (which start from their own indexes on SQLite) give exactly the
tagged or depicted items, in the asked order, page after page, on both stores."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from tests.helpers.cases import census_run, record
from unmask.census.model import ItemKind, Link, PageKind, PersonRef
from unmask.census.writer import PageCommit
from unmask.core.case import Case
from unmask.core.privacy import PrivacyPolicy
from unmask.core.store.models import Capture, Item, Person
from unmask.web.items import ItemFilter, item_page

BASE = "http://127.0.0.1:9"


def _load(case: Case) -> dict[int, dict[str, object]]:
    """30 items: every third tagged "t", every fourth depicting "P", every fifth removed; the truth by
    platform number."""
    w = census_run(case, BASE)
    with case.store.session() as s:
        cap = Capture(run_id=w.run_id, url=f"{BASE}/s.xml", status=200, payload_sha256="a" * 64)
        s.add(cap)
        s.flush()
        cap_id = cap.id
    (page,) = w.seed([Link(BASE + "/s.xml", PageKind.SITEMAP)])
    truth: dict[int, dict[str, object]] = {}
    items = []
    for n in range(1, 31):
        tagged, depicted = n % 3 == 0, n % 4 == 0
        day = dt.date(2020, 1, 1) + dt.timedelta(days=(n * 7) % 23)  # ties on the day, broken by key
        items.append(
            record(ItemKind.VIDEO, n, title=f"i{n}", upload_date=day, views=(n * 37) % 11,
                   tags=["t"] if tagged else ["u"], persons=[PersonRef("P")] if depicted else [])
        )  # fmt: skip
        truth[n] = {"tag": tagged, "person": depicted, "removed": n % 5 == 0}
    w.commit(PageCommit(page, cap_id, items=items))
    for n in range(5, 31, 5):
        w.mark_item_gone(ItemKind.VIDEO, str(n))
    return truth


def _all_pages(case: Case, params: dict[str, str]) -> list[str]:
    policy = PrivacyPolicy.for_case(case)
    seen: list[str] = []
    after = ""
    while True:
        page = item_page(case.store, ItemFilter.parse({**params, "after": after}), policy, size=2)
        seen += [r.title for r in page.rows]
        if page.next_after is None:
            return seen
        after = page.next_after


def test_tag_and_person_filters_page_through_exactly_their_items_in_order(case: Case) -> None:
    truth = _load(case)
    with case.store.session() as s:
        rows = {int(r.platform_item_id): r for r in s.scalars(select(Item))}
        person = s.scalar(select(Person.id).where(Person.name == "P"))
    for what, param in (("tag", {"tag": "t"}), ("person", {"person": str(person)})):
        for removed in ("present", "removed", "all"):
            wanted = [
                n
                for n, facts in truth.items()
                if facts[what] and (removed == "all" or facts["removed"] == (removed == "removed"))
            ]
            for sort, key in (
                ("upload", lambda n: (rows[n].upload_date, rows[n].id)),
                ("views", lambda n: (rows[n].views, rows[n].id)),
                ("seen", lambda n: (rows[n].id,)),
            ):
                for order in ("desc", "asc"):
                    expected = [f"i{n}" for n in sorted(wanted, key=key, reverse=order == "desc")]
                    params = {**param, "removed": removed, "sort": sort, "order": order}
                    assert _all_pages(case, params) == expected, params
