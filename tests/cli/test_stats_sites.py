"""`unmask stats` shows each site's latest census run (text and `--json` key `sites`): status, phase, pages
done and waiting, workers at work, verdict; the figures' keys stay as they were (keys added, none gone)."""

from __future__ import annotations

import re

from tests.census.test_status import add_site
from tests.helpers.cli import unmask, unmask_json
from unmask.census.status import write_live
from unmask.core.case import Case

FIGURE_KEYS = {"videos", "photos", "items", "requests", "runs", "complete", "incomplete_reasons", "verdict"}
SITE_KEYS = {
    "site", "platform", "run", "status", "phase", "at_work", "pages_done", "pages_pending", "workers_active",
    "started", "finished", "complete", "incomplete_reasons", "verdict",
}  # fmt: skip


def test_stats_shows_each_sites_phase_pages_workers_and_verdict(case: Case) -> None:
    running = add_site(case, "https://a.example", {"done": 7, "pending": 2}, "running", "enumerate")
    add_site(case, "https://b.example", {"done": 3, "failed": 1}, "incomplete", "done")
    write_live(case.root, running, {"site": "a.example", "phase": "enumerate", "pending": 2, "workers": 2})
    root = str(case.root)
    figures = unmask_json("stats", "--case", root)
    assert set(figures) >= FIGURE_KEYS
    a, b = figures["sites"]
    assert set(a) == SITE_KEYS
    assert (a["site"], a["phase"], a["pages_done"], a["pages_pending"], a["workers_active"]) == (
        "a.example", "enumerate", 7, 2, 2,
    )  # fmt: skip
    assert (b["site"], b["status"], b["complete"], b["incomplete_reasons"]) == (
        "b.example", "incomplete", False, ["1 listing page failed"],
    )  # fmt: skip
    assert [
        s["site"] for s in unmask_json("stats", "--case", root, "--platform", "https://b.example")["sites"]
    ] == ["b.example"]
    text = unmask("stats", "--case", root).stdout
    assert "census runs, latest per site" in text
    assert re.search(r"a\.example\s*│\s*\d+\s*│ running\s*│ enumerate\s*│\s*7 │\s*2 │\s*2 │", text), text
    assert re.search(r"b\.example\s*│\s*\d+\s*│ incomplete\s*│ done", text), text


def test_stats_of_a_case_without_a_census_has_no_site(case: Case) -> None:
    figures = unmask_json("stats", "--case", str(case.root))
    assert figures["sites"] == [] and "census runs" not in unmask("stats", "--case", str(case.root)).stdout
