"""The owner's pages (protected persons, scan results, takedown notices) exist only for the owner's
session: a server on loopback, a browser on this machine, the owner's cookie from the address printed at
start. Anyone else gets "no such page"; no protected name is in any other page, address or log."""

from __future__ import annotations

import logging
import re

import pytest
from starlette.testclient import TestClient

from tests.report.test_html_report import load_hostile_case
from tests.web.conftest import ClientFactory
from unmask.core.case import Case
from unmask.protect.notices import NoticeRecord, save_notices
from unmask.protect.scan import scan
from unmask.protect.watchlist import ProtectedPerson, Watchlist
from unmask.web.app import create_app
from unmask.web.settings import ServeSettings

PROTECTED = "Bo Rin"
"""Depicted in the hostile case's items, and on this case's watchlist."""


def protect(case: Case) -> None:
    load_hostile_case(case)
    watchlist = Watchlist(case.root)
    watchlist.add([ProtectedPerson(PROTECTED, ["B. Rin"])])
    watchlist.save()
    assert scan(case).matches
    notice = NoticeRecord(
        id="n-1", recipient_kind="platform", recipient="Tube Site", email="abuse@site.test",
        urls=["http://127.0.0.1:1/video/1"], persons=[PROTECTED], drafted_at="2026-01-01T00:00:00Z",
        package="takedown/n-1", deadline="2026-01-08T00:00:00Z",
    )  # fmt: skip
    save_notices(case.root, [notice])


def owner_of(client: TestClient) -> None:
    settings: ServeSettings = client.app.state.pages.settings  # type: ignore[attr-defined]
    answer = client.get(f"/owner?key={settings.owner_key}")
    assert answer.status_code == 303 and "HttpOnly" in answer.headers["set-cookie"]
    assert settings.owner_key not in answer.headers["location"]


def test_the_owners_session_sees_the_protected_persons_matches_and_notices(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    protect(sqlite_case)
    client = client_for(sqlite_case.root)
    assert client.get("/c/case/protect").status_code == 404
    assert "/protect" not in client.get("/c/case/").text
    assert client.get("/owner?key=wrong").status_code == 403
    owner_of(client)
    page = client.get("/c/case/protect")
    assert page.status_code == 200
    assert PROTECTED in page.text and "B. Rin" in page.text
    assert re.search(r"Bo Rin: [1-9]\d* matches", page.text)
    assert "abuse@site.test" in page.text and "drafted" in page.text
    assert 'href="/c/case/protect"' in client.get("/c/case/").text


def test_no_other_page_and_no_log_names_a_protected_person(
    sqlite_case: Case, client_for: ClientFactory, caplog: pytest.LogCaptureFixture
) -> None:
    protect(sqlite_case)
    client = client_for(sqlite_case.root, real_names=True)
    owner_of(client)
    caplog.set_level(logging.DEBUG)
    assert PROTECTED in client.get("/c/case/protect").text
    for path in ("/c/case/", "/c/case/items?removed=all", "/c/case/persons", "/c/case/evidence"):
        answer = client.get(path)
        assert answer.status_code == 200 and PROTECTED not in answer.text, path
    assert PROTECTED not in caplog.text


def test_another_machine_or_a_server_off_loopback_never_has_the_owners_pages(sqlite_case: Case) -> None:
    protect(sqlite_case)
    settings = ServeSettings(case=sqlite_case.root, extra_hosts=frozenset({"testserver"}))
    key = settings.owner_key
    with TestClient(create_app(settings), follow_redirects=False, client=("192.0.2.7", 40000)) as other:
        other.cookies.set(f"unmask_owner_{settings.port}", key)
        assert other.get("/c/case/protect").status_code == 404
    wide = ServeSettings(
        case=sqlite_case.root,
        host="0.0.0.0",
        token="a-token-of-the-tests-1234",
        extra_hosts=frozenset({"testserver"}),
    )
    assert wide.owner_url() is None
    headers = {"authorization": "Bearer a-token-of-the-tests-1234"}
    with TestClient(
        create_app(wide), follow_redirects=False, client=("127.0.0.1", 40000), headers=headers
    ) as c:
        assert c.get(f"/owner?key={wide.owner_key}").status_code == 403
        c.cookies.set(f"unmask_owner_{wide.port}", wide.owner_key)
        answer = c.get("/c/case/protect")
        assert answer.status_code == 404 and PROTECTED not in answer.text
