"""The report's marketplace section: the forum census's figures, each linked to evidence, starters hidden."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.forum.zoo import ZOO
from tests.helpers.cli import unmask, unmask_json
from unmask.demo.forum import ForumWorld


@pytest.mark.slow
def test_the_report_shows_the_forum_figures_with_evidence_and_no_starter(tmp_path: Path) -> None:
    world = ForumWorld(seed=21, threads=60)
    site = ZOO["xenforo"](world)
    case = tmp_path / "case"
    unmask("init", str(case))
    with site.serving():
        unmask_json("forum", "crawl", site.start, "--case", str(case), "--delay", "0")
    report = tmp_path / "report.html"
    unmask("report", "--case", str(case), "-o", str(report))
    html = report.read_text(encoding="utf-8")
    section = html[html.index('id="forum"') :]
    figures = unmask_json("forum", "stats", "--case", str(case))
    shown = re.search(r'<data value="(\d+)" data-key="forum_threads">', section)
    assert shown is not None and int(shown.group(1)) == figures["threads"] == len(world.counted())
    paid = re.search(r'<data value="(\d+)" data-key="forum_paid_requests">', section)
    assert paid is not None and int(paid.group(1)) == figures["kinds"]["paid_request"]
    assert section.count('href="#cap-') >= 2  # the headline and each paid request link to their captures
    for t in world.threads:
        assert t.starter not in html
    assert "Verified Creators Lounge" in section  # named as closed, not counted
