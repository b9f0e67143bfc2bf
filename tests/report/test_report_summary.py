"""The summary is written from the data: its numbers are those of `stats --json` and `analyze --json`, in
English and German alike; every sentence links to its section and to evidence in the appendix; an
incomplete census puts a notice at the top."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.helpers.cli import unmask
from tests.report.newsroom_case import load_newsroom_case
from unmask.core.case import Case
from unmask.core.store.models import CrawlRun
from unmask.report.html import write_report


class _Data(HTMLParser):
    """``<data value data-key>`` elements of one section (by id), and its links."""

    def __init__(self, section: str) -> None:
        super().__init__()
        self.section, self.depth, self.inside = section, 0, False
        self.values: dict[str, str] = {}
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.inside = a.get("id") == self.section
        if not self.inside:
            return
        if tag == "data" and a.get("data-key"):
            self.values[str(a["data-key"])] = str(a["value"])
        if tag == "a":
            self.links.append(str(a.get("href")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.inside = False


def _section(text: str, section: str) -> _Data:
    parser = _Data(section)
    parser.feed(text)
    return parser


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "de"])
def test_summary_numbers_are_those_of_stats_and_analyze(case: Case, tmp_path: Path, lang: str) -> None:
    load_newsroom_case(case)
    stats = json.loads(unmask("stats", "--json", "--case", str(case.root)).stdout)
    analysis = json.loads(unmask("analyze", "--json", "--case", str(case.root)).stdout)
    out = tmp_path / f"report-{lang}.html"
    unmask("report", "--case", str(case.root), "-o", str(out), "--lang", lang)
    text = out.read_text(encoding="utf-8")
    summary = _section(text, "summary").values
    for key in ("videos", "photos", "views", "uploaders"):
        assert int(summary[key]) == stats[key], key
    assert float(summary["hours"]) == stats["hours"]
    targets, concentration = analysis["targets"], analysis["concentration"]
    assert float(summary["non_public_share"]) == targets["items"]["non_public_share"]
    assert int(summary["non_public_items"]) == targets["items"]["non_public"]["items"]
    assert int(summary["persons"]) == targets["persons"]["persons"]
    assert int(summary["public_figures"]) == targets["persons"]["public_figures"] == 1
    assert float(summary["top1_share"]) == concentration["views"]["top1_share"]
    assert float(summary["top10_uploader_share"]) == concentration["uploaders"]["top10_share"]
    monthly = analysis["growth"]["monthly"]
    assert int(summary["videos_cumulative"]) == monthly[-1]["videos_cumulative"] == stats["videos"]
    assert int(summary["videos_cumulative_year_before"]) == monthly[-13]["videos_cumulative"]
    assert int(summary["videos_last_12_months"]) == sum(m["videos"] for m in monthly[-12:])
    assert int(summary["best_3_months_visits"]) == 5_200_000 + 6_100_000 + 5_800_000  # October to December
    # the headline table of the first section: the same figures, dates as days
    growth = _section(text, "growth").values
    assert {k: growth[k] for k in ("videos", "photos")} == {k: str(stats[k]) for k in ("videos", "photos")}
    assert (growth["first_upload"], growth["last_upload"]) == (stats["first_upload"], stats["last_upload"])


@pytest.mark.slow
def test_every_sentence_links_its_section_and_evidence(sqlite_case: Case) -> None:
    load_newsroom_case(sqlite_case)
    text = write_report(sqlite_case, sqlite_case.root / "r.html").read_text(encoding="utf-8")
    items = re.findall(r"<li>(.*?)</li>", text[text.index('id="summary"') : text.index('id="growth"')], re.S)
    sentences = [i for i in items if "class=refs" in i]
    assert (
        len(sentences) >= 11
    )  # size, growth, archive, targets, concentration, audience, infra, 3 app, owners
    for sentence in sentences:
        refs = sentence[sentence.index("class=refs") :]
        assert re.search(
            r'href="#(growth|targets|concentration|audience|infrastructure|apps|owners|forum)"', refs
        )
    cited = set(re.findall(r'href="#((?:cap|import|scan)-\d+)"', text))
    assert {"cap-1", "import-1", "scan-2"} <= cited
    for anchor in cited:  # each cited reference is in the appendix with its SHA-256 (scans have none)
        entry = re.search(rf'<li id="{anchor}">(.*?)</li>', text, re.S)
        assert entry is not None, anchor
        assert anchor.startswith("scan") or re.search(r"<code class=hash>[0-9a-f]{64}</code>", entry.group(1))
    assert "Quiet Harbour Media Ltd operates the platform" in text
    assert "Fernlake Invented Technology Co. Ltd (<data value=" in text and ">42–52.5 %</data>" in text
    assert "Edda Marlow-Fenn (<data" in text and ">30 %</data>" in text


@pytest.mark.slow
def test_an_incomplete_census_says_so_at_the_top(sqlite_case: Case) -> None:
    load_newsroom_case(sqlite_case)
    complete = write_report(sqlite_case, sqlite_case.root / "a.html").read_text(encoding="utf-8")
    assert "class=banner" not in complete
    with sqlite_case.store.session() as s:
        s.execute(update(CrawlRun).values(status="interrupted"))
        s.commit()
    text = write_report(sqlite_case, sqlite_case.root / "b.html").read_text(encoding="utf-8")
    banner = text.index("class=banner")
    assert banner < text.index("<nav>") < text.index('id="summary"')  # at the very top
    notice = text[banner : text.index("</div>", banner)]
    assert "incomplete" in notice.lower() and "lower bounds" in notice  # the census's verdict, or ours
