"""Cases from the browser: the folder of cases listed, a new case made as `unmask init` makes it (the
custody log records it), its folder checked as the CLI would, the form's CSRF token required."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from markupsafe import escape
from starlette.testclient import TestClient

from tests.report.test_html_report import XSS
from tests.web.conftest import csrf_of
from unmask.core.case import Case
from unmask.web.app import create_app
from unmask.web.settings import ServeSettings


@pytest.fixture
def folder_client(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    cases = tmp_path / "cases"
    cases.mkdir()
    Case.init(cases / "first").close()
    settings = ServeSettings(cases=cases, extra_hosts=frozenset({"testserver"}))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client, cases


def test_a_case_made_from_the_browser_is_a_case_init_makes_and_is_listed(
    folder_client: tuple[TestClient, Path],
) -> None:
    client, cases = folder_client
    assert 'href="/c/first/"' in client.get("/").text
    made = client.post("/", data={"folder": "site-x", "name": f"Site {XSS}", "csrf": csrf_of(client, "/")})
    assert made.status_code == 303 and made.headers["location"] == "/c/site-x/"
    case = Case.open(cases / "site-x")
    try:
        assert case.config.name == f"Site {XSS}" and case.store.dialect == "sqlite"
    finally:
        case.close()
    log = [
        json.loads(line)
        for line in (cases / "site-x" / "evidence" / "custody.jsonl").read_text().splitlines()
    ]
    assert log[0]["action"] == "init"
    listing = client.get("/").text
    assert 'href="/c/site-x/"' in listing
    dashboard = client.get("/c/site-x/").text
    assert XSS not in dashboard and str(escape(f"Site {XSS}")) in dashboard


@pytest.mark.parametrize(
    "folder",
    ["../outside", "a/b", ".hidden", "", "first", "x" * 65, "/tmp/abs", "a\\b", "name with space"],
)
def test_a_folder_outside_the_cases_or_taken_is_refused_with_a_one_line_error(
    folder_client: tuple[TestClient, Path], folder: str
) -> None:
    client, cases = folder_client
    before = sorted(p.name for p in cases.iterdir())
    answer = client.post("/", data={"folder": folder, "csrf": csrf_of(client, "/")})
    assert answer.status_code == 400
    assert 'class="error" role="alert"' in answer.text
    assert sorted(p.name for p in cases.iterdir()) == before
    assert not (cases.parent / "outside").exists()


def test_a_new_case_needs_the_forms_token_and_a_postgresql_or_no_database(
    folder_client: tuple[TestClient, Path],
) -> None:
    client, cases = folder_client
    assert client.post("/", data={"folder": "nope"}).status_code == 400
    assert client.post("/", data={"folder": "nope", "csrf": "stale"}).status_code == 400
    token = csrf_of(client, "/")
    answer = client.post("/", data={"folder": "nope", "db": "sqlite:////tmp/elsewhere.db", "csrf": token})
    assert answer.status_code == 400
    assert not (cases / "nope").exists()


def test_a_server_of_one_case_makes_no_case(sqlite_case: Case) -> None:
    settings = ServeSettings(case=sqlite_case.root, extra_hosts=frozenset({"testserver"}))
    with TestClient(create_app(settings), follow_redirects=False) as client:
        token = csrf_of(client, "/c/case/census")
        answer = client.post("/", data={"folder": "other", "csrf": token})
        assert answer.status_code == 400
    assert not (sqlite_case.root.parent / "other").exists()


def test_a_case_on_postgresql_is_made_from_the_browser_and_opens(
    folder_client: tuple[TestClient, Path], pg_database: str
) -> None:
    client, cases = folder_client
    made = client.post("/", data={"folder": "team", "db": pg_database, "csrf": csrf_of(client, "/")})
    assert made.status_code == 303, made.text
    assert client.get("/c/team/").status_code == 200
    case = Case.open(cases / "team")
    try:
        assert case.store.dialect == "postgresql"
    finally:
        case.close()
