"""Growth: items per month by kind (cumulative), and what each crawl run saw — deletions included."""

from __future__ import annotations

import datetime as dt

from tests.helpers.cases import BASE, census_run, load_census, record
from unmask.analysis.analyze import AnalysisOptions, run_analysis
from unmask.census.model import ItemKind, Link, PageKind
from unmask.census.writer import PageCommit
from unmask.core.case import Case


def test_monthly_counts_every_month_by_kind_with_cumulative(case: Case) -> None:
    load_census(
        case,
        [
            record(ItemKind.VIDEO, 1, upload_date=dt.date(2019, 1, 5)),
            record(ItemKind.VIDEO, 2, upload_date=dt.date(2019, 3, 1)),
            record(ItemKind.VIDEO, 3, upload_date=dt.date(2019, 3, 9)),
            record(ItemKind.PHOTO, 4, upload_date=dt.date(2019, 2, 2)),
            record(ItemKind.GALLERY, 5, upload_date=dt.date(2018, 12, 1)),
            record(ItemKind.VIDEO, 6),  # no upload date: not in the monthly series
        ],
    ).mark_item_gone(ItemKind.VIDEO, "3")
    monthly = run_analysis(case, AnalysisOptions(save=False))["growth"]["monthly"]
    assert [m["month"] for m in monthly] == ["2018-12", "2019-01", "2019-02", "2019-03"]
    assert [m["videos"] for m in monthly] == [0, 1, 0, 1]  # video 3 was removed
    assert [m["videos_cumulative"] for m in monthly] == [0, 1, 1, 2]
    assert [m["photos_cumulative"] for m in monthly] == [0, 0, 1, 1]
    assert [m["galleries"] for m in monthly] == [1, 0, 0, 0]


def _crawl_again(case: Case, seen: list[int]) -> None:
    """A second complete run that sees only the `seen` videos; the others are marked removed."""
    w = census_run(case)
    (row,) = w.seed([Link(BASE + "/sitemap.xml", PageKind.SITEMAP)])
    w.commit(PageCommit(row, None, items=[record(ItemKind.VIDEO, n) for n in seen]))
    w.mark_unseen_removed()
    w.finish("complete")


def test_runs_show_new_removed_and_present_items(case: Case) -> None:
    load_census(case, [record(ItemKind.VIDEO, n) for n in (1, 2, 3)]).finish("complete")
    _crawl_again(case, [2, 3, 4, 5])
    _crawl_again(case, [2, 5])
    runs = run_analysis(case, AnalysisOptions(save=False))["growth"]["runs"]
    assert [(r["new"], r["removed"], r["present_after"]) for r in runs] == [(3, 0, 3), (2, 1, 4), (0, 2, 2)]
    assert all(r["status"] == "complete" for r in runs)
