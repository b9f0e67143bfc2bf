"""Concentration: top shares and Gini of video views, views per video by year, uploader activity."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers.cases import load_census, record
from unmask.analysis.analyze import AnalysisOptions, run_analysis
from unmask.analysis.concentration import gini, median, top_share
from unmask.census.model import ItemKind
from unmask.core.case import Case


def _gini_by_definition(values: list[int]) -> float:
    n, mean = len(values), sum(values) / len(values)
    return sum(abs(a - b) for a in values for b in values) / (2 * n * n * mean)


@pytest.mark.parametrize(
    "values", [[5, 5, 5, 5], [0, 0, 0, 10], list(range(1, 101)), [3, 1, 4, 1, 5, 9, 2, 6]]
)
def test_gini_matches_its_definition(values: list[int]) -> None:
    ordered = sorted(values)
    assert gini(ordered, sum(ordered)) == round(_gini_by_definition(values), 4)


def test_edge_cases() -> None:
    assert gini([], 0) == 0.0 and gini([0, 0], 0) == 0.0
    assert top_share([], 0.01, 0) == 0.0
    assert top_share([1, 1, 8], 0.01, 10) == 0.8  # at least one item
    assert median([]) is None and median([1, 2, 3]) == 2.0 and median([1, 2, 3, 10]) == 2.5


def test_views_and_uploaders(case: Case) -> None:
    videos = [
        record(ItemKind.VIDEO, n, views=n, upload_date=dt.date(2018 + n % 2, 6, 1), uploader=f"u{min(n, 3)}")
        for n in range(1, 101)
    ]
    extra = [
        record(ItemKind.VIDEO, 101),  # no views: not in the view figures
        record(ItemKind.PHOTO, 102, views=10_000, uploader="u1"),  # photos: uploaders yes, video views no
        record(ItemKind.VIDEO, 103, views=10_000, uploader="u9"),  # removed below
    ]
    load_census(case, videos + extra).mark_item_gone(ItemKind.VIDEO, "103")
    c = run_analysis(case, AnalysisOptions(save=False))["concentration"]
    v = c["views"]
    assert (v["videos"], v["views"]) == (100, 5050)
    assert v["top1_share"] == round(100 / 5050, 4)
    assert v["top10_share"] == round(sum(range(91, 101)) / 5050, 4)
    assert v["gini"] == round(_gini_by_definition(list(range(1, 101))), 4)
    years = c["views_by_year"]
    assert [(y["year"], y["videos"], y["views"]) for y in years] == [
        ("2018", 50, 2550),
        ("2019", 50, 2500),
        (None, 1, 0),
    ]
    assert years[0]["views_per_video"] == 51.0 and years[2]["views_per_video"] is None
    u = c["uploaders"]
    # u1: videos 1 and photo 102; u2: video 2; u3: videos 3..100
    assert (u["uploaders"], u["items"], u["max"], u["median"]) == (3, 101, 98, 2.0)
    assert u["top10_share"] == 1.0
    assert [t["name"] for t in u["top"]] == ["u3", "u1", "u2"]
