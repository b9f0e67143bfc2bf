"""A real `unmask serve` on loopback driven by Debian's Chromium: a census started from the browser on the
demo platform is interrupted, resumed and completes, and its figures appear; every page loads with no
console error and no request off this server; the hostile case's payloads never run. Screenshots of the
main pages go to tests/artifacts/."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import UNMASK, stats
from tests.report.test_html_report import load_hostile_case
from tests.report.test_report_browser import ARGS, ARTIFACTS, CHROMIUM, _require_browser
from unmask.core.case import Case
from unmask.demo.server import spawn

pytestmark = pytest.mark.slow  # a real browser against a real server


class Served:
    def __init__(self, root: Path, *extra: str, flag: str = "--case") -> None:
        self.proc = subprocess.Popen(
            [*UNMASK, "serve", flag, str(root), "--port", "0", *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()
        assert self.url.startswith("http://127.0.0.1:"), self.proc.stderr.read() if self.proc.stderr else ""
        self.base = self.url.split("?")[0].rstrip("/")

    def owner_url(self) -> str:
        """The owner's address, printed on stderr at start."""
        assert self.proc.stderr is not None
        for _ in range(5):
            line = self.proc.stderr.readline()
            if "owner" in line:
                return line.rsplit(" ", 1)[-1].strip()
        raise AssertionError("no owner's address printed")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


@pytest.fixture
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Watched:
    """A page whose console errors, dialogs and requests are recorded."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on(
            "console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None
        )
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.context.on("request", lambda r: self.requests.append(r.url))

    def visit(self, url: str, shot: str | None = None) -> None:
        answer = self.page.goto(url, wait_until="load")
        assert answer is not None and answer.status == 200, url
        self.page.wait_for_timeout(150)
        if shot:
            ARTIFACTS.mkdir(exist_ok=True)
            self.page.screenshot(path=str(ARTIFACTS / f"web-{shot}.png"), full_page=True)

    def wait_state(self, wanted: str, timeout_ms: int = 180_000) -> None:
        self.page.wait_for_function(
            "w => document.getElementById('job-state').textContent === w", arg=wanted, timeout=timeout_ms
        )


def test_a_census_from_the_browser_runs_is_interrupted_resumes_and_its_figures_appear(
    new_case: Path, browser: Any
) -> None:
    served = Served(new_case)
    try:
        with spawn(seed=11, scale=0.01, latency_ms=40) as demo:
            demo.wait_ready()
            w = Watched(browser)
            w.visit(served.url, "dashboard-empty")
            w.visit(f"{served.base}/c/case/census")
            w.page.fill("input[name=url]", demo.url + "/")
            w.page.fill("input[name=adapter]", "demo")
            w.page.fill("input[name=delay]", "0")
            w.page.fill("input[name=concurrency]", "1")
            w.page.click("form.stack button[type=submit]")
            w.page.wait_for_url("**/jobs/1")
            w.page.wait_for_function(
                "() => (document.getElementById('run-pages').textContent || '').includes('done')",
                timeout=120_000,
            )
            w.page.click("#interrupt button")
            w.page.wait_for_url("**/jobs/1")
            w.wait_state("interrupted", 60_000)
            w.page.click("#again button")  # the same command again resumes the run
            w.page.wait_for_url("**/jobs/2")
            w.wait_state("done")
            w.page.screenshot(path=str(ARTIFACTS / "web-job.png"), full_page=True)
        figures = stats(new_case)
        assert figures["complete"] is True and figures["videos"] > 0
        w.visit(f"{served.base}/c/case/", "dashboard")
        videos = w.page.locator("tr:has(th:text-is('Videos')) td").inner_text()
        assert videos == f"{figures['videos']:,}"
        assert "complete" in (w.page.locator(".verdict").get_attribute("class") or "")
        w.visit(f"{served.base}/c/case/items", "items")
        w.visit(f"{served.base}/c/case/items?kind=video&sort=views")
        first = w.page.locator("table.items tbody a").first.get_attribute("href")
        w.visit(f"{served.base}{first}", "item")
        assert w.page.locator("a[href^='http://127.0.0.1:']").count() >= 1  # links into the evidence replay
        for path in ("persons", "infra", "owners", "owners?q=nobody", "report", "census", "jobs/2"):
            w.visit(f"{served.base}/c/case/{path}", path.split("?")[0].replace("/", "-"))
    finally:
        served.stop()
    assert w.errors == []
    outside = [r for r in w.requests if not r.startswith(served.base + "/")]
    assert outside == [], outside[:5]


def test_hostile_payloads_never_run_in_the_browser(sqlite_case: Case, browser: Any) -> None:
    load_hostile_case(sqlite_case)
    served = Served(sqlite_case.root)
    try:
        w = Watched(browser)
        w.visit(served.url)
        w.visit(f"{served.base}/c/case/items?removed=all", "items-hostile")
        links = w.page.locator("table.items tbody td:nth-child(2) a")
        hrefs = [links.nth(k).get_attribute("href") for k in range(links.count())]
        assert len(hrefs) == 4
        for href in hrefs:
            w.visit(f"{served.base}{href}")
        w.visit(f"{served.base}/c/case/persons")
        assert w.page.locator("img").count() == 0
        for path in ("charts", "evidence", "apps", "forum", "owners/graph", "report"):
            w.visit(f"{served.base}/c/case/{path}")
            assert w.page.locator("img").count() == 0, path
        w.visit(f"{served.base}/c/case/charts")  # the hostile titles and sources drawn as chart text
        w.page.wait_for_function(
            "() => document.querySelectorAll('#charts .vega[data-drawn]').length"
            " === document.querySelectorAll('#charts .vega').length"
        )
    finally:
        served.stop()
    assert w.errors == []
    assert [r for r in w.requests if not r.startswith(served.base + "/")] == []


def test_the_token_guard_refuses_a_browser_without_the_token(sqlite_case: Case, browser: Any) -> None:
    served = Served(sqlite_case.root, "--token", "a-token-of-the-tests-1234")
    try:
        w = Watched(browser)
        refused = w.page.goto(served.base + "/c/case/")
        assert refused is not None and refused.status == 403
        w.page.context.clear_cookies()
        w.visit(served.url)  # the printed address carries the token: the dashboard
        assert "/c/case/" in w.page.url and "token" not in w.page.url
        w.visit(served.base + "/c/case/items")
    finally:
        served.stop()


def test_the_report_charts_draw_interactively_under_the_strict_policy(
    sqlite_case: Case, browser: Any
) -> None:
    """vega draws every chart with no eval and no injected style (a CSP refusal is a console error)."""
    load_hostile_case(sqlite_case)
    served = Served(sqlite_case.root)
    try:
        w = Watched(browser)
        w.visit(served.url)
        w.page.goto(f"{served.base}/c/case/charts", wait_until="load")
        charts = w.page.locator("#charts .vega")
        assert charts.count() >= 3
        w.page.wait_for_function(
            "n => document.querySelectorAll('#charts .vega[data-drawn]').length === n",
            arg=charts.count(),
            timeout=30_000,
        )
        assert w.page.locator("#charts .vega svg").count() == charts.count()
        w.page.locator("#charts .vega svg path").first.hover()
        ARTIFACTS.mkdir(exist_ok=True)
        w.page.screenshot(path=str(ARTIFACTS / "web-charts.png"), full_page=True)
    finally:
        served.stop()
    assert w.errors == []
    assert [r for r in w.requests if not r.startswith(served.base + "/")] == []


def test_the_graph_explorer_draws_expands_and_marks_paths(sqlite_case: Case, browser: Any) -> None:
    from tests.web.test_graph import build

    b = build(sqlite_case)
    served = Served(sqlite_case.root)
    try:
        w = Watched(browser)
        w.visit(served.url)
        w.visit(f"{served.base}/c/case/owners/graph?q=%23{b.ids['holdco']}")
        w.page.wait_for_function("() => document.querySelectorAll('#graph-svg g.node').length === 4")
        w.page.wait_for_selector("#graph-panel table")  # the holdco's effective ownership and links
        w.page.locator("#graph-svg g.node[aria-label^='Dee Fen']").click()
        w.page.get_by_role("button", name="Mark for paths").click()
        w.page.locator("#graph-svg g.node[aria-label^='Opco']").click()
        w.page.get_by_role("button", name="Expand neighbours").click()
        w.page.wait_for_function("() => document.querySelectorAll('#graph-svg g.node').length === 5")
        w.page.locator("#graph-svg g.node[aria-label^='Tube Site']").click()
        w.page.get_by_role("button", name="Paths from the marked entity to here").click()
        w.page.wait_for_function("() => document.querySelectorAll('#graph-svg line.marked').length === 3")
        assert "source: register.csv:" in w.page.locator("#graph-svg line title").first.text_content()
        ARTIFACTS.mkdir(exist_ok=True)
        w.page.screenshot(path=str(ARTIFACTS / "web-graph.png"), full_page=True)
    finally:
        served.stop()
    assert w.errors == []
    assert [r for r in w.requests if not r.startswith(served.base + "/")] == []
