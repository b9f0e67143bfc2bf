"""The report in a real browser (Debian's headless Chromium): no console error, no network request."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.report.test_html_report import load_hostile_case
from unmask.core.case import Case
from unmask.report.html import write_report

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _require_browser() -> None:
    missing = []
    if not CHROMIUM.exists():
        missing.append(f"{CHROMIUM} (scripts/test-services.sh installs it)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install -e '.[dev]')")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.slow
def test_report_renders_offline_without_errors(sqlite_case: Case) -> None:
    _require_browser()
    from playwright.sync_api import sync_playwright

    load_hostile_case(sqlite_case)
    path = write_report(sqlite_case, sqlite_case.root / "report.html")
    url = path.resolve().as_uri()
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on(
                "console", lambda msg: errors.append(msg.text) if msg.type in ("error", "warning") else None
            )
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("request", lambda req: requests.append(req.url))
            page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
            page.goto(url, wait_until="load")
            page.wait_for_timeout(300)
            assert page.title().endswith("unmask report")
            assert page.locator("svg.chart").count() >= 5
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert [r for r in requests if r != url] == []
    assert (ARTIFACTS / "report.png").stat().st_size > 0


@pytest.mark.slow
def test_graph_view_script_runs_under_the_report_csp(sqlite_case: Case) -> None:
    """The one inline script is allowed by its hash: clicking an entity dims the unrelated ones."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    from tests.report.test_graph_view import _graph

    load_hostile_case(sqlite_case)
    _graph(sqlite_case)
    path = write_report(sqlite_case, sqlite_case.root / "report.html")
    url = path.resolve().as_uri()
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.on(
                "console", lambda msg: errors.append(msg.text) if msg.type in ("error", "warning") else None
            )
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("dialog", lambda dialog: errors.append(f"dialog: {dialog.message}"))
            page.goto(url, wait_until="load")
            nodes = page.locator("#owners .gv-node")
            assert nodes.count() == 6
            assert page.locator("#owners .gv-dim").count() == 0
            nodes.first.click()
            page.wait_for_timeout(200)
            assert page.locator("#owners .gv-dim").count() > 0  # the script ran: CSP allowed it
        finally:
            browser.close()
    assert errors == []  # no CSP violation, no script error, no alert from hostile names
