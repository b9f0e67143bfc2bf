"""Targets: items and views per depicted person, public figures against everyone else; public-figure lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cases import load_census, record
from unmask.analysis.analyze import AnalysisOptions, run_analysis
from unmask.analysis.targets import import_public_figures
from unmask.census.model import ItemKind, PersonRef
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.privacy import pseudonym, read_public_figures, record_public_figures


def _depicting(case: Case) -> None:
    ana, bo, cy = PersonRef("Ana Vel", public_figure=True), PersonRef("Bo Rin"), PersonRef("Cy  Dun")
    load_census(
        case,
        [
            record(ItemKind.VIDEO, 1, views=100, persons=[ana, bo]),
            record(ItemKind.VIDEO, 2, views=300, persons=[bo]),
            record(ItemKind.VIDEO, 3, views=50, persons=[ana]),
            record(ItemKind.PHOTO, 4, views=7, persons=[cy]),
            record(ItemKind.VIDEO, 5, views=10),
            record(ItemKind.GALLERY, 6, persons=[cy]),  # galleries do not count
            record(ItemKind.VIDEO, 7, views=999, persons=[bo]),  # removed below
        ],
    ).mark_item_gone(ItemKind.VIDEO, "7")
    record_public_figures(case.store, ["Ana Vel"])  # Ana's platform label alone would unmask no one


def test_items_and_views_per_person_and_by_public_status(case: Case) -> None:
    _depicting(case)
    t = run_analysis(case, AnalysisOptions(secret="k", save=False))["targets"]
    p, i = t["persons"], t["items"]
    assert (p["persons"], p["public_figures"], p["non_public"]) == (3, 1, 2)
    assert (i["media"], i["with_persons"]) == (5, {"items": 4, "views": 457})
    assert i["public"] == {"items": 2, "views": 150}
    assert i["non_public"] == {"items": 3, "views": 407}
    assert i["non_public_share"] == 0.6
    assert [(x["name"], x["items"], x["videos"], x["photos"], x["views"]) for x in p["top"]] == [
        (pseudonym("Bo Rin", "k"), 2, 2, 0, 400),
        ("Ana Vel", 2, 2, 0, 150),
        (pseudonym("Cy Dun", "k"), 1, 0, 1, 7),
    ]


def test_real_names_on_request(case: Case) -> None:
    _depicting(case)
    top = run_analysis(case, AnalysisOptions(real_names=True, save=False))["targets"]["persons"]["top"]
    assert [p["name"] for p in top] == ["Bo Rin", "Ana Vel", "Cy  Dun"]


def test_public_figure_list_marks_names_and_aliases(case: Case, tmp_path: Path) -> None:
    _depicting(case)
    csv = tmp_path / "pf.csv"
    csv.write_text("name,aliases\nSomeone Else,cy dun|C. Dun\nNobody Known;,\n", encoding="utf-8")
    assert import_public_figures(case.store, csv) == 1
    t = run_analysis(case, AnalysisOptions(save=False))["targets"]["persons"]
    assert (t["public_figures"], t["non_public"]) == (2, 1)
    assert "Cy  Dun" in [p["name"] for p in t["top"]]


def test_public_figure_list_reads_aliases_with_either_separator(tmp_path: Path) -> None:
    csv = tmp_path / "pf.csv"
    csv.write_text(" Name ,ALIASES\nA  B,c|D;e\nF\n", encoding="utf-8")
    assert read_public_figures(csv) == ["A  B", "c", "D", "e", "F"]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        ("who,aliases\nA,\n", ":1", "no `name` column"),
        ("name,aliases\nA,b\n,c\n", ":3", "empty name"),
        ("name\nA\nB,extra\n", ":3", "more fields"),
    ],
)
def test_malformed_public_figure_list_names_file_and_line(
    tmp_path: Path, text: str, where: str, problem: str
) -> None:
    csv = tmp_path / "pf.csv"
    csv.write_text(text, encoding="utf-8")
    with pytest.raises(UnmaskError, match=problem) as err:
        read_public_figures(csv)
    assert str(err.value).startswith(f"{csv}{where}:")
    assert "\n" not in str(err.value)


def test_missing_public_figure_list_is_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(UnmaskError, match="cannot read") as err:
        read_public_figures(tmp_path / "absent.csv")
    assert str(tmp_path / "absent.csv") in str(err.value)
