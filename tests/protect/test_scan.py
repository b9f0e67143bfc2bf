"""`unmask protect scan` over a crawled loopback site: every altered form found, no near miss, the index
normalises only what changed, and the watchlist stays private."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from tests.helpers.cli import unmask, unmask_json
from tests.protect.conftest import Crawled
from tests.protect.site import EXPECTED, ITEMS, NEAR_MISSES, PROTECTED
from unmask.core.text import match_words, name_spellings

pytestmark = pytest.mark.slow  # every test reads a crawled platform (the module's crawl)


def _item_id(url: str) -> int:
    return int(url.split("/video/")[1].split("/")[0])


def test_scan_finds_every_altered_form_and_no_near_miss(crawled: Crawled) -> None:
    result = unmask_json("protect", "scan", "--case", str(crawled.case))
    found = {(_item_id(m["url"]), m["person"], m["field"]) for m in result["matches"]}
    assert found == EXPECTED
    assert not {_item_id(m["url"]) for m in result["matches"]} & NEAR_MISSES
    titles = {i.id: i.title for i in ITEMS}
    for match in result["matches"]:
        assert set(match) >= {"person", "url", "field", "text"}
        if match["field"] == "title":
            assert match["text"] == titles[_item_id(match["url"])]


def test_a_second_scan_normalises_nothing_and_reports_nothing_new(crawled: Crawled) -> None:
    unmask_json("protect", "scan", "--case", str(crawled.case))
    again = unmask_json("protect", "scan", "--case", str(crawled.case))
    assert again["index"]["normalised"] == 0 and again["index"]["rows"] == len(ITEMS)
    assert again["new"] == 0 and len(again["matches"]) == len(EXPECTED)


def test_one_person_at_a_time(crawled: Crawled) -> None:
    result = unmask_json("protect", "scan", "--person", "doerwald janet", "--case", str(crawled.case))
    assert {m["person"] for m in result["matches"]} == {"Janet Doerwald"}
    bad = unmask("protect", "scan", "--person", "Nobody Known", "--case", str(crawled.case), check=False)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1


def test_the_watchlist_is_private_and_apart_from_the_store(crawled: Crawled) -> None:
    folder = crawled.case / "protect"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    listed = unmask_json("protect", "list", "--case", str(crawled.case))
    assert {p["name"] for p in listed["persons"]} == {*PROTECTED, "Orla Quennell"}


def _private_spellings() -> set[str]:
    """Every spelling of the protected person who is on no page: it can only come from the watchlist."""
    return {s for name in ("Orla Quennell", "O. Quennell") for s in name_spellings(name)}


def test_no_trace_of_a_protected_name_outside_the_protect_folder(crawled: Crawled) -> None:
    """Store, custody log, WARCs, crawl logs: the watchlist's names are nowhere but in protect/."""
    unmask_json("protect", "scan", "--case", str(crawled.case))
    log = (crawled.case / "evidence" / "custody.jsonl").read_text(encoding="utf-8")
    assert "protected persons added" in log
    entries = [json.loads(line) for line in log.splitlines()]
    protect_lines = [e for e in entries if e["action"].startswith("protect")]
    assert protect_lines and all("[redacted]" in e["command"] for e in protect_lines if len(e["command"]) > 3)
    spellings = _private_spellings()
    for folder, _dirs, files in os.walk(crawled.case):
        if Path(folder).name == "protect":
            continue
        for name in files:
            data = (Path(folder) / name).read_bytes().decode("utf-8", errors="replace")
            words = f" {match_words(data)} "
            assert not any(f" {s} " in words for s in spellings), Path(folder) / name
            assert "quennell" not in data.casefold(), Path(folder) / name


def test_bad_input_is_one_line(crawled: Crawled, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("Good Name\n   | only an alias\n", encoding="utf-8")
    proc = unmask("protect", "add", "--list", str(bad), "--case", str(crawled.case), check=False)
    assert proc.returncode == 2 and f"{bad}:2" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    both = unmask("protect", "add", "X Y", "--list", str(bad), "--case", str(crawled.case), check=False)
    assert both.returncode == 2
    missing = unmask(
        "protect", "add", "--list", str(tmp_path / "none.txt"), "--case", str(crawled.case), check=False
    )
    assert missing.returncode == 2 and "none.txt" in missing.stderr


def test_the_ngo_report_names_matches_and_says_private_on_every_page(
    crawled: Crawled, tmp_path: Path
) -> None:
    import subprocess

    unmask_json("protect", "scan", "--case", str(crawled.case))
    html = tmp_path / "private.html"
    unmask("protect", "report", "-o", str(html), "--case", str(crawled.case))
    text = html.read_text(encoding="utf-8")
    assert "Janet Doerwald" in text and "Doerwald, Janet at the lake" in text and "PRIVATE" in text
    assert stat.S_IMODE(html.stat().st_mode) == 0o600
    pdf = tmp_path / "private.pdf"
    unmask("protect", "report", "-o", str(pdf), "--case", str(crawled.case))
    pages = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages_text = [p for p in pages.split("\f") if p.strip()]
    assert len(pages_text) >= 1 and all("PRIVATE" in p for p in pages_text)
    inside = unmask(
        "protect",
        "report",
        "-o",
        str(crawled.case / "protect" / "x.html"),
        "--case",
        str(crawled.case),
        check=False,
    )
    assert inside.returncode == 2 and "protected persons" in inside.stderr
