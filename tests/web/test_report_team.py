"""The report made from the browser, downloadable as HTML and as PDF; two servers (two people) on one
PostgreSQL case at once, each seeing what the other's work stored; no API documentation page that would
load its assets from a CDN."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.test_html_report import load_hostile_case
from tests.web.conftest import ClientFactory, start_job, wait_job
from unmask.core.case import Case
from unmask.core.privacy import pseudonym
from unmask.core.store.models import Item, utcnow


@pytest.mark.slow
def test_the_report_is_made_and_downloaded_as_html_and_as_pdf(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    load_hostile_case(sqlite_case)
    client = client_for(sqlite_case.root)
    for fmt in ("html", "pdf"):
        status = wait_job(client, start_job(client, "/c/case/report", format=fmt), timeout=300)
        assert status["state"] == "done", status
    assert (
        "file.html" in client.get("/c/case/report").text and "file.pdf" in client.get("/c/case/report").text
    )
    shown = client.get("/c/case/report/file.html")
    assert shown.status_code == 200 and shown.headers["content-type"].startswith("text/html")
    assert "script-src 'sha256-" in shown.headers["content-security-policy"]  # the report's own policy
    assert "Bo Rin" not in shown.text and pseudonym("Bo Rin", sqlite_case.config.secret) in shown.text
    saved = client.get("/c/case/report/file.html?download=1")
    assert saved.headers["content-disposition"].startswith("attachment")
    pdf = client.get("/c/case/report/file.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("attachment") and pdf.content.startswith(b"%PDF")


@pytest.mark.postgres
def test_two_servers_on_one_postgresql_case_see_each_others_work(
    tmp_path: Path, pg_database: str, client_for: ClientFactory
) -> None:
    case = Case.init(tmp_path / "team", db=pg_database)
    try:
        load_hostile_case(case)
        first, second = client_for(case.root), client_for(case.root)
        assert first.app is not second.app  # two servers, one store
        count = first.get("/c/team/items?removed=all").text.count('href="/c/team/items/')
        assert count == second.get("/c/team/items?removed=all").text.count('href="/c/team/items/') == 4
        figures = first.get("/c/team/").text
        with case.store.session() as s:  # a census in a terminal (or a third person) adds an item
            item = s.query(Item).first()
            assert item is not None
            s.add(
                Item(
                    platform_id=item.platform_id,
                    kind="video",
                    platform_item_id="team-new",
                    url="https://example.test/v/team-new",
                    title="Added by another session",
                    first_seen_run=item.first_seen_run,
                    last_seen_run=item.last_seen_run,
                    first_seen_at=utcnow(),
                    last_seen_at=utcnow(),
                )
            )
        for client in (first, second):
            assert "Added by another session" in client.get("/c/team/items").text
        assert second.get("/c/team/").text != figures  # the figures follow the store, on every server
    finally:
        case.close()


def test_there_is_no_api_documentation_page(sqlite_case: Case, client_for: ClientFactory) -> None:
    client = client_for(sqlite_case.root)
    for path in ("/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"):
        assert client.get(path).status_code == 404, path
