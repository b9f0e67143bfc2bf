"""`unmask stats` figures: what counts, on SQLite and PostgreSQL (see the CLI contract)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from tests.helpers.cases import load_census, record
from unmask.analysis.figures import FigureOptions, compute_figures
from unmask.census.model import ItemKind, PersonRef
from unmask.core.case import Case
from unmask.core.privacy import pseudonym, record_public_figures
from unmask.core.store.models import FigureTally, ItemPerson


def test_figures_follow_the_contract(case: Case) -> None:
    ana, bo, cy = PersonRef("Ana Vel", public_figure=True), PersonRef("Bo Rin"), PersonRef("Cy Dun")
    items = [
        record(ItemKind.VIDEO, 1, duration=1800.0, views=100, upload_date=dt.date(2019, 1, 5), uploader="u1",
             persons=[ana, bo]),
        record(ItemKind.VIDEO, 2, duration=1800.0, views=300, upload_date=dt.date(2019, 3, 1), uploader="u2",
             persons=[bo]),
        record(ItemKind.VIDEO, 3, duration=3600.0, views=50, upload_date=dt.date(2019, 3, 9), uploader="u1",
             persons=[ana]),
        record(ItemKind.PHOTO, 4, views=7, upload_date=dt.date(2019, 2, 2), uploader="u3", persons=[cy]),
        record(ItemKind.GALLERY, 5, photo_count=3, upload_date=dt.date(2017, 1, 1), uploader="u9"),
    ]  # fmt: skip
    load_census(case, items)
    record_public_figures(case.store, ["Ana Vel"])  # the investigator's list, not the platform's label
    fig = compute_figures(case.store, FigureOptions(secret="s3cret"))
    assert (fig["videos"], fig["photos"], fig["galleries"]) == (3, 1, 1)
    assert fig["hours"] == 2.0 and fig["views"] == 450
    assert fig["uploaders"] == 3  # u1, u2 (videos) and u3 (photo); u9 only uploads a gallery
    assert fig["targets"] == 3
    assert (fig["first_upload"], fig["last_upload"]) == ("2019-01-05", "2019-03-09")
    assert [m["month"] for m in fig["monthly"]] == ["2019-01", "2019-02", "2019-03"]
    assert [m["videos_cumulative"] for m in fig["monthly"]] == [1, 1, 3]
    assert fig["monthly"][1]["photos"] == 1
    # two videos each; ties broken by views (Bo: 400, Ana: 150); Bo is not a public figure
    assert [(t["name"], t["videos"], t["views"]) for t in fig["top_targets"]] == [
        (pseudonym("Bo Rin", "s3cret"), 2, 400),
        ("Ana Vel", 2, 150),
    ]
    assert [u["name"] for u in fig["top_uploaders"]] == ["u1", "u2"]
    assert fig["requests_per_item"] == 0.0


def test_the_platforms_celebrity_label_does_not_unmask_anyone(case: Case) -> None:
    labelled = PersonRef("Ana Vel", public_figure=True)
    load_census(case, [record(ItemKind.VIDEO, 1, views=10, persons=[labelled])])
    (top,) = compute_figures(case.store, FigureOptions(secret="k"))["top_targets"]
    assert top == {
        "name": pseudonym("Ana Vel", "k"),
        "videos": 1,
        "views": 10,
        "public_figure": False,
        "platform_label": True,
    }


def test_an_uploader_handle_built_from_a_hidden_name_is_a_pseudonym(case: Case) -> None:
    person = PersonRef("Janet Doerwald")
    load_census(case, [record(ItemKind.VIDEO, 1, views=10, persons=[person], uploader="JanetDoerwaldFan")])
    (top,) = compute_figures(case.store, FigureOptions(secret="k"))["top_uploaders"]
    assert top["name"] == pseudonym("JanetDoerwaldFan", "k", prefix="Uploader")
    shown = compute_figures(case.store, FigureOptions(pseudonymize=False))["top_uploaders"]
    assert shown[0]["name"] == "JanetDoerwaldFan"


def test_real_names_on_request_and_removed_items_do_not_count(case: Case) -> None:
    w = load_census(
        case,
        [
            record(ItemKind.VIDEO, 1, views=10, persons=[PersonRef("Bo Rin")]),
            record(ItemKind.VIDEO, 2, views=5),
        ],
    )
    w.mark_item_gone(ItemKind.VIDEO, "2")
    fig = compute_figures(case.store, FigureOptions(pseudonymize=False))
    assert fig["videos"] == 1 and fig["views"] == 10 and fig["removed"] == 1
    assert fig["top_targets"][0]["name"] == "Bo Rin"


def test_pseudonyms_are_stable_and_case_specific() -> None:
    assert pseudonym("Bo  Rin", "a") == pseudonym("bo rin", "a")
    assert pseudonym("Bo Rin", "a") != pseudonym("Bo Rin", "b")
    assert pseudonym("Bo Rin", "a").startswith("Person-")


def test_top_lists_cut_at_top_after_ties_and_counts_reach_past_the_cut(case: Case) -> None:
    """The count and the top list come from one grouped read: the count still covers every person and
    uploader (photos only, past the cut), the list holds videos only, ties broken by views then by key."""
    people = [PersonRef(n) for n in ("Al Pim", "Bea Qu", "Cid Ro", "Dee Sol")]
    items = [
        record(ItemKind.VIDEO, 1, views=5, uploader="u1", persons=[people[0]]),
        record(ItemKind.VIDEO, 2, views=5, uploader="u2", persons=[people[1]]),
        record(ItemKind.VIDEO, 3, views=9, uploader="u3", persons=[people[2]]),
        record(ItemKind.VIDEO, 4, views=1, uploader="u3", persons=[people[2]]),
        record(ItemKind.PHOTO, 5, views=99, uploader="u4", persons=[people[3]]),
    ]
    load_census(case, items)
    fig = compute_figures(case.store, FigureOptions(pseudonymize=False, top=2))
    assert (fig["targets"], fig["uploaders"]) == (4, 4)
    assert [(t["name"], t["videos"], t["views"]) for t in fig["top_targets"]] == [
        ("Cid Ro", 2, 10),
        ("Al Pim", 1, 5),  # a tie with Bea Qu on videos and views: the first stored wins
    ]
    assert [(u["name"], u["videos"]) for u in fig["top_uploaders"]] == [("u3", 2), ("u1", 1)]
    wide = compute_figures(case.store, FigureOptions(pseudonymize=False, top=10))
    assert "Dee Sol" not in [t["name"] for t in wide["top_targets"]]  # photos only: counted, not ranked
    assert [u["name"] for u in wide["top_uploaders"]] == ["u3", "u1", "u2"]


def _fresh(case: Case) -> dict:
    """The figures counted anew (what is kept set aside)."""
    with case.store.session() as s:
        s.execute(delete(FigureTally))
    return compute_figures(case.store, FigureOptions(pseudonymize=False))


def test_kept_tallies_follow_every_change_to_items_and_their_persons(case: Case) -> None:
    """On PostgreSQL the tallies are kept between reads; any change to an item or its persons (a new
    item, a new person on an item, an item marked removed, a deleted link) is seen by the next read,
    which matches figures counted anew."""
    w = load_census(case, [record(ItemKind.VIDEO, 1, views=10, persons=[PersonRef("Al Pim")], uploader="u1")])

    def read() -> dict:
        return compute_figures(case.store, FigureOptions(pseudonymize=False))

    first = read()
    with case.store.session() as s:
        kept = s.scalar(select(func.count()).select_from(FigureTally))
    assert kept == (1 if case.store.dialect == "postgresql" else 0)
    assert read() == first  # read again, from what was kept
    another = "https://another.test"
    load_census(
        case, [record(ItemKind.VIDEO, 2, base=another, views=5, persons=[PersonRef("Bea Qu")])], another
    )
    assert read()["videos"] == 2 and read()["targets"] == 2
    assert read() == _fresh(case)
    w.mark_item_gone(ItemKind.VIDEO, "1")
    assert (read()["videos"], read()["removed"], read()["targets"]) == (1, 1, 1)
    assert read() == _fresh(case)
    with case.store.session() as s:
        s.execute(delete(ItemPerson))
    assert read()["targets"] == 0 and read()["top_targets"] == []
    assert read() == _fresh(case)


@pytest.mark.postgres
def test_a_change_committed_while_figures_are_counted_is_not_kept_as_later_state(
    tmp_path: Path, pg_database: str
) -> None:
    """A transaction that writes items before the read and commits after it: the read does not see it,
    and what it kept is not taken for the items once the transaction has committed."""
    from unmask.core.store.models import Item

    case = Case.init(tmp_path / "case", db=pg_database)
    try:
        load_census(case, [record(ItemKind.VIDEO, 1, views=10)])
        with case.store.engine.connect() as other:
            other.execute(update(Item).values(views=99))  # not committed yet
            during = compute_figures(case.store, FigureOptions(pseudonymize=False))
            other.commit()
        after = compute_figures(case.store, FigureOptions(pseudonymize=False))
        assert (during["views"], after["views"]) == (10, 99)
        assert after == _fresh(case)
    finally:
        case.close()
