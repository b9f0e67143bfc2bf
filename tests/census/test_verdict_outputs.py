"""An incomplete census says so everywhere its figures appear: stats (JSON and terminal), the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cases import census_run
from tests.helpers.cli import unmask
from unmask.census.model import ItemKind, ItemRecord, Link, PageKind
from unmask.census.writer import PageCommit
from unmask.core.case import Case
from unmask.core.outcome import Reason, Verdict, latest_verdict
from unmask.report.html import write_report

BASE = "http://127.0.0.1:1"


def _run(case: Case, base: str, *, failed_listings: int) -> None:
    """A run that read a sitemap of two videos and saw `failed_listings` listing pages fail."""
    w = census_run(case, base)
    links = [Link(base + "/s.xml", PageKind.SITEMAP)]
    links += [Link(f"{base}/videos?page={n}", PageKind.LISTING) for n in range(failed_listings)]
    sitemap, *listings = w.seed(links)
    videos = [ItemRecord(ItemKind.VIDEO, f"{base}/video/{n}", platform_id=str(n), views=10) for n in (1, 2)]
    w.commit(PageCommit(sitemap, None, items=videos))
    for row in listings:
        w.commit(PageCommit(row, None, status="failed", error="HTTP 503"))
    w.settle(finished=True)


@pytest.mark.slow
def test_an_incomplete_census_says_so_in_stats_and_the_report(sqlite_case: Case, tmp_path: Path) -> None:
    _run(sqlite_case, BASE, failed_listings=212)
    data = json.loads(unmask("stats", "--case", str(sqlite_case.root), "--json").stdout)
    assert data["complete"] is False
    assert data["incomplete_reasons"] == ["212 listing pages failed"]
    sentence = "This census is incomplete: 212 listing pages failed; the figures are lower bounds."
    assert data["verdict"] == sentence
    text = unmask("stats", "--case", str(sqlite_case.root)).stdout
    assert text.lstrip().startswith(sentence)  # before the figures, not after them
    html = write_report(sqlite_case, tmp_path / "report.html").read_text(encoding="utf-8")
    assert sentence in html
    assert html.index(sentence) < html.index("<nav>")  # at the top of the report


@pytest.mark.slow
def test_a_complete_census_says_so_and_the_report_adds_nothing(sqlite_case: Case, tmp_path: Path) -> None:
    _run(sqlite_case, BASE, failed_listings=0)
    data = json.loads(unmask("stats", "--case", str(sqlite_case.root), "--json").stdout)
    assert (data["complete"], data["incomplete_reasons"]) == (True, [])
    assert data["verdict"] == "This census is complete."
    html = write_report(sqlite_case, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "class=incomplete" not in html


def test_with_several_platforms_each_reason_names_its_platform(sqlite_case: Case) -> None:
    _run(sqlite_case, BASE, failed_listings=0)
    _run(sqlite_case, "http://127.0.0.1:2", failed_listings=3)
    with sqlite_case.store.session() as s:
        verdict = latest_verdict(s)
    assert verdict.complete is False
    assert verdict.texts == ["http://127.0.0.1:2: 3 listing pages failed"]


def test_no_run_yet_is_not_a_complete_census(sqlite_case: Case) -> None:
    with sqlite_case.store.session() as s:
        verdict = latest_verdict(s)
    assert verdict.as_dict() == {"complete": False, "incomplete_reasons": ["no census has been run"]}


def test_the_sentence_says_which_way_the_figures_may_be_wrong() -> None:
    lower = Reason("failed:listing", 2, "2 listing pages failed")
    upper = Reason("unseen", 9, "9 of the 10 items present before were not seen again", "upper")
    assert Verdict(False, (upper,)).sentence().endswith("may still count items the site has removed.")
    both = Verdict(False, (lower, upper)).sentence()
    assert both.endswith("the figures may miss items and may still count items the site has removed.")
