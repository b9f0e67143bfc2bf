"""`unmask analyze`: every part computed and stored (replaced on recompute); distributions; the command."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.helpers.cases import load_census, record
from unmask.analysis.analyze import PARTS, AnalysisOptions, load_results, run_analysis
from unmask.census.model import ItemKind, PersonRef
from unmask.census.writer import CensusWriter
from unmask.cli.analyze import analyze
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.store.models import AnalysisResult


def _items(case: Case) -> CensusWriter:
    minutes = [0.5, 1, 4.9, 5, 15, 30, 45, 60, 61]
    videos = [
        record(ItemKind.VIDEO, i, duration=m * 60, views=10, upload_date=dt.date(2019 + i % 2, 1, 1),
             tags=["b", "a"] if i % 2 else ["a", "c"], persons=[PersonRef("Bo Rin")])
        for i, m in enumerate(minutes)
    ]  # fmt: skip
    photo = record(ItemKind.PHOTO, 100, tags=["c"], upload_date=dt.date(2021, 1, 1))
    writer = load_census(case, [*videos, photo, record(ItemKind.VIDEO, 101, duration=9999.0, tags=["z"])])
    writer.mark_item_gone(ItemKind.VIDEO, "101")
    return writer


def test_durations_and_tags(case: Case) -> None:
    _items(case)
    d = run_analysis(case, AnalysisOptions(save=False))["distributions"]
    assert [(b["bin"], b["videos"]) for b in d["durations"]["histogram"]] == [
        ("<1 min", 1), ("1–5 min", 2), ("5–10 min", 1), ("10–20 min", 1), ("20–40 min", 1),
        ("40–60 min", 1), (">60 min", 2),
    ]  # fmt: skip
    assert d["durations"]["median_s"] == 15 * 60.0
    assert d["tags"]["overall"] == [
        {"tag": "a", "items": 9},
        {"tag": "c", "items": 6},
        {"tag": "b", "items": 4},
    ]
    assert [(y["year"], [t["tag"] for t in y["tags"]]) for y in d["tags"]["by_year"]] == [
        ("2019", ["a", "c"]),
        ("2020", ["a", "b"]),
        ("2021", ["c"]),
    ]


def test_median_of_an_even_count(case: Case) -> None:
    load_census(case, [record(ItemKind.VIDEO, i, duration=float(s)) for i, s in enumerate([10, 20, 40, 30])])
    assert run_analysis(case, AnalysisOptions(save=False))["distributions"]["durations"]["median_s"] == 25.0


def test_results_are_stored_and_replaced(case: Case) -> None:
    writer = _items(case)
    first = run_analysis(case)
    assert set(PARTS) <= set(first)
    writer.mark_item_gone(ItemKind.VIDEO, "0")
    second = run_analysis(case, AnalysisOptions(platform="http://127.0.0.1:1/", real_names=True))
    with case.store.session() as s:
        assert s.scalar(select(func.count()).select_from(AnalysisResult)) == len(PARTS)
    stored = load_results(case.store)
    assert set(stored) == set(PARTS)
    assert stored["distributions"]["result"] == second["distributions"]
    assert stored["distributions"]["result"]["durations"]["histogram"][0]["videos"] == 0
    assert stored["targets"]["params"]["pseudonymized"] is False
    assert stored["targets"]["platform_id"] is not None
    assert stored["targets"]["result"]["persons"]["top"][0]["name"] == "Bo Rin"


def test_empty_case_and_unknown_platform(case: Case) -> None:
    result = run_analysis(case.store, AnalysisOptions(save=False))
    assert result["growth"] == {"monthly": [], "runs": []}
    assert result["concentration"]["views"]["gini"] == 0.0
    assert result["distributions"]["durations"]["median_s"] is None
    assert result["targets"]["items"]["non_public_share"] == 0.0
    with pytest.raises(UnmaskError, match="no such platform"):
        run_analysis(case, AnalysisOptions(platform="http://nowhere"))


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(analyze)
    return app


@pytest.mark.slow
def test_command_prints_json_and_tables(sqlite_case: Case, tmp_path: Path) -> None:
    _items(sqlite_case)
    csv = tmp_path / "pf.csv"
    csv.write_text("name\nbo rin\n", encoding="utf-8")
    root = str(sqlite_case.root)
    result = CliRunner().invoke(_app(), ["--case", root, "--json", "--public-figures", str(csv)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["targets"]["persons"]["top"][0] == {
        "name": "Bo Rin", "public_figure": True, "platform_label": False, "items": 9, "videos": 9,
        "photos": 0, "views": 90,
    }  # fmt: skip
    table = CliRunner().invoke(_app(), ["--case", root])
    assert table.exit_code == 0, table.output
    assert "concentration" in table.stdout and "Bo Rin" in table.stdout


def test_command_fails_on_a_missing_public_figure_list(sqlite_case: Case, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _app(), ["--case", str(sqlite_case.root), "--public-figures", str(tmp_path / "none.csv")]
    )
    assert result.exit_code != 0
    assert isinstance(result.exception, UnmaskError)
    assert "none.csv" in str(result.exception)
