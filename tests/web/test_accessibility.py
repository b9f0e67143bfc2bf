"""Every page of the workbench passes axe-core (the copy in axe-playwright-python's wheel, injected by
Playwright; nothing is fetched) with no serious or critical violation, over a case with every stage."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.report.newsroom_case import load_newsroom_case
from tests.report.test_report_browser import ARTIFACTS
from tests.web.test_browser import Served, Watched, browser  # noqa: F401  (the fixture)
from unmask.core.case import Case
from unmask.protect.scan import scan
from unmask.protect.watchlist import ProtectedPerson, Watchlist

pytestmark = pytest.mark.slow  # end-to-end: crawls, child processes or a browser

SERIOUS = ("serious", "critical")
SHOTS = ("apps", "forum", "evidence", "protect")
"""Pages of this case kept as screenshots in tests/artifacts/ (the others come from test_browser)."""


def violations(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v.get("impact") in SERIOUS
    ]


def test_every_page_has_no_serious_accessibility_violation(sqlite_case: Case, browser: Any) -> None:  # noqa: F811
    load_newsroom_case(sqlite_case)
    watchlist = Watchlist(sqlite_case.root)
    watchlist.add([ProtectedPerson("Tova Linden")])  # depicted in the newsroom case's items
    watchlist.save()
    scan(sqlite_case)
    served = Served(sqlite_case.root)
    cases = Served(sqlite_case.root.parent, flag="--cases")
    problems: dict[str, list[str]] = {}
    try:
        w = Watched(browser)
        w.visit(served.owner_url())  # the owner's session: the protect page too
        w.visit(f"{served.base}/c/case/items")
        item = w.page.locator("table.items tbody a").first.get_attribute("href")
        w.visit(f"{served.base}/c/case/owners?q=fakes.test")
        entity = w.page.locator("main p a").first.get_attribute("href")
        paths = [
            "/c/case/", "/c/case/items", "/c/case/items?kind=video&sort=views", item, "/c/case/persons",
            "/c/case/charts", "/c/case/census", "/c/case/crawl", "/c/case/history", "/c/case/infra",
            "/c/case/infra/fakes.test", "/c/case/owners",
            "/c/case/owners?q=fakes.test", entity, "/c/case/owners/graph?q=fakes.test", "/c/case/apps",
            "/c/case/forum", "/c/case/evidence", "/c/case/report", "/c/case/protect", "/c/case/nothing",
        ]  # fmt: skip
        for path in paths:
            assert path is not None
            answer = w.page.goto(served.base + path, wait_until="load")
            assert answer is not None and answer.status == (404 if path.endswith("/nothing") else 200), path
            if path.endswith("/charts"):
                w.page.wait_for_function(
                    "() => document.querySelectorAll('#charts .vega[data-drawn]').length"
                    " === document.querySelectorAll('#charts .vega').length"
                )
            if "/graph" in path:
                w.page.wait_for_selector("#graph-panel table")
            if path.endswith("/protect"):
                assert "Tova Linden" in w.page.content()
            problems[path] = violations(w.page)
            if path.split("?")[0].rsplit("/", 1)[-1] in SHOTS:
                ARTIFACTS.mkdir(exist_ok=True)
                name = path.split("?")[0].rsplit("/", 1)[-1]
                w.page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"), full_page=True)
            if path.endswith("/nothing"):  # the error page: its 404 is the one console error expected
                w.errors = [e for e in w.errors if "404 (Not Found)" not in e]
        w.visit(cases.url)
        problems["/ (cases)"] = violations(w.page)
    finally:
        served.stop()
        cases.stop()
    assert {p: v for p, v in problems.items() if v} == {}
    assert served.proc.stderr is not None
    assert "Tova Linden" not in served.proc.stderr.read()  # the owner's page was served; no log names her
    assert w.errors == []
    assert [r for r in w.requests if not re.match(r"http://127\.0\.0\.1:\d+/", r)] == []


def test_the_axe_script_ships_in_the_wheel() -> None:
    import axe_playwright_python

    assert (Path(axe_playwright_python.__file__).parent / "axe.min.js").stat().st_size > 100_000
