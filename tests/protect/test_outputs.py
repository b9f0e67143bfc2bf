"""Protected persons never appear in a public output: report, exports, stats, crawl logs — in any
spelling or word order (the privacy policy hides them, even with --real-names)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.cli import unmask
from tests.protect.conftest import Crawled
from tests.protect.site import protected_names_in

pytestmark = pytest.mark.slow  # reads a crawled platform and every output


def test_public_outputs_never_name_a_protected_person(crawled: Crawled, tmp_path: Path) -> None:
    case = str(crawled.case)
    report = tmp_path / "report.html"
    unmask("report", "--case", case, "-o", str(report), "--real-names")
    assert protected_names_in(report.read_text(encoding="utf-8")) == set()
    unmask("export", "--format", "csv", "-o", str(tmp_path / "csv"), "--case", case, "--real-names")
    for path in (tmp_path / "csv").iterdir():
        assert protected_names_in(path.read_text(encoding="utf-8")) == set(), path
    stats = unmask("stats", "--case", case, "--json", "--real-names").stdout
    assert protected_names_in(stats) == set()
    for log in (crawled.case / "logs").glob("*"):
        assert protected_names_in(log.read_text(encoding="utf-8", errors="replace")) == set(), log
