"""Protected persons never appear in a public output: report, exports, stats, crawl logs — in any
spelling or word order (the privacy policy hides them, even with --real-names)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli import unmask
from tests.protect.conftest import Crawled
from tests.protect.site import PROTECTED
from unmask.core.text import match_words, name_spellings


def _leaks(text: str) -> set[str]:
    words = f" {match_words(text)} "
    return {
        name
        for name, aliases in PROTECTED.items()
        for spelling in {s for n in (name, *aliases) for s in name_spellings(n)}
        if f" {spelling} " in words
    }


def test_public_outputs_never_name_a_protected_person(crawled: Crawled, tmp_path: Path) -> None:
    case = str(crawled.case)
    report = tmp_path / "report.html"
    unmask("report", "--case", case, "-o", str(report), "--real-names")
    assert _leaks(report.read_text(encoding="utf-8")) == set()
    unmask("export", "--format", "csv", "-o", str(tmp_path / "csv"), "--case", case, "--real-names")
    for path in (tmp_path / "csv").iterdir():
        assert _leaks(path.read_text(encoding="utf-8")) == set(), path
    stats = unmask("stats", "--case", case, "--json", "--real-names").stdout
    assert _leaks(stats) == set()
    for log in (crawled.case / "logs").glob("*"):
        assert _leaks(log.read_text(encoding="utf-8", errors="replace")) == set(), log
