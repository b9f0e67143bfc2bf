"""A forum-only case (no census persons): thread titles name depicted persons the case does not know, and no
public output shows them unless they are on the public-figure list or --real-names is given (issue 17)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.forum.zoo import ZOO
from tests.helpers.cli import unmask, unmask_json
from unmask.core.text import fold
from unmask.demo.forum import ForumWorld


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", fold(text))) + " "


def _named(text: str, name: str) -> bool:
    return _words(name) in _words(text)


@pytest.fixture(scope="module")
def forum_case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ForumWorld, Path, Path]]:
    world = ForumWorld(seed=31, threads=70)
    site = ZOO["xenforo"](world)
    root = tmp_path_factory.mktemp("forum-privacy")
    case = root / "case"
    unmask("init", str(case))
    with site.serving():
        unmask_json("forum", "crawl", site.start, "--case", str(case), "--delay", "0")
    figures = root / "public.csv"
    with figures.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name"])
        writer.writerows([p] for p in world.public)
    yield world, case, figures


def _private(world: ForumWorld) -> list[str]:
    return [p for p in world.persons if p not in world.public]


def test_forum_threads_and_stats_name_no_depicted_person_the_case_does_not_know(
    forum_case: tuple[ForumWorld, Path, Path],
) -> None:
    world, case, _figures = forum_case
    listed = unmask("forum", "threads", "--case", str(case), "--json").stdout
    table = unmask("forum", "threads", "--case", str(case)).stdout
    stats = unmask("forum", "stats", "--case", str(case), "--json").stdout
    named = [t for t in world.threads if t.person and t.counted]
    assert named, "the world's requests name persons"
    for person in world.persons:  # no public-figure list given: nobody is public
        for text in (listed, table, stats):
            assert not _named(text, person), person
    threads = unmask_json("forum", "threads", "--case", str(case))
    withheld = [t for t in threads if "[name?]" in t["title"]]
    assert withheld and all(t["withheld"] for t in withheld)  # the rule is shown with the text


def test_the_report_names_no_depicted_person_of_a_forum_only_case(
    forum_case: tuple[ForumWorld, Path, Path], tmp_path: Path
) -> None:
    world, case, _figures = forum_case
    report = tmp_path / "report.html"
    unmask("report", "--case", str(case), "-o", str(report))
    html = report.read_text(encoding="utf-8")
    for person in world.persons:
        assert not _named(html, person), person
    assert "[name?]" in html[html.index('id="forum"') :]


def test_public_figures_are_named_and_the_others_still_withheld(
    forum_case: tuple[ForumWorld, Path, Path],
) -> None:
    world, case, figures = forum_case
    listed = unmask(
        "forum", "threads", "--case", str(case), "--json", "--public-figures", str(figures)
    ).stdout
    assert any(_named(listed, p) for p in world.public)
    for person in _private(world):
        assert not _named(listed, person), person


def test_real_names_show_the_titles_as_the_forum_wrote_them(
    forum_case: tuple[ForumWorld, Path, Path],
) -> None:
    world, case, _figures = forum_case
    threads = unmask_json("forum", "threads", "--case", str(case), "--real-names")
    titles = {t["id"]: t["title"] for t in threads}
    for t in world.threads:
        if str(t.id) in titles:
            assert titles[str(t.id)] == t.title
