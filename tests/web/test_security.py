"""The guard of `unmask serve`: Host header, token, cross-site writes, CSRF and the security headers."""

from __future__ import annotations

import re

from tests.web.conftest import ClientFactory
from unmask.core.case import Case
from unmask.web.security import CSP, cookie_name
from unmask.web.settings import ServeSettings

TOKEN = "t0ken-for-the-tests-only"


def test_a_page_whose_dns_name_was_rebound_here_gets_nothing(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    assert client.get("/c/case/").status_code == 200
    for host in ("evil.example", "evil.example:8700", "127.0.0.1.evil.example", ""):
        answer = client.get("/c/case/", headers={"host": host})
        assert answer.status_code == 421, host
        assert "Depicted" not in answer.text
    assert client.get("/c/case/", headers={"host": "127.0.0.1:8700"}).status_code == 200
    assert client.get("/c/case/", headers={"host": "localhost"}).status_code == 200


def test_another_host_than_loopback_always_has_a_token() -> None:
    assert ServeSettings(host="0.0.0.0").token
    assert ServeSettings(host="192.0.2.10").token
    assert ServeSettings(host="127.0.0.1").token is None
    assert "?token=" in ServeSettings(host="192.0.2.10").url()


def test_without_the_token_every_request_is_refused(sqlite_case: Case, client_for: ClientFactory) -> None:
    client = client_for(sqlite_case.root, token=TOKEN)
    for path in ("/", "/c/case/", "/c/case/items", "/static/style.css", "/c/case/jobs/1.json"):
        assert client.get(path).status_code == 403, path
    assert client.get("/c/case/", params={"token": "wrong" + TOKEN}).status_code == 403
    assert client.get("/c/case/", headers={"authorization": "Bearer nope"}).status_code == 403
    assert client.post("/c/case/census", data={"url": "http://127.0.0.1:9/"}).status_code == 403


def test_the_token_once_in_the_address_becomes_a_cookie(sqlite_case: Case, client_for: ClientFactory) -> None:
    client = client_for(sqlite_case.root, token=TOKEN)
    first = client.get("/c/case/items", params={"token": TOKEN, "kind": "video"})
    assert first.status_code == 303
    assert first.headers["location"] == "/c/case/items?kind=video"  # the token leaves the address bar
    cookie = first.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/c/case/items?kind=video").status_code == 200
    assert client.cookies.get(cookie_name(client.app.state.pages.settings)) == TOKEN
    client.cookies.clear()
    assert client.get("/c/case/", headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_every_form_carries_a_csrf_token_and_a_write_without_it_is_refused(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    page = client.get("/c/case/census").text
    tokens = re.findall(r'name="csrf" value="([^"]+)"', page)
    forms = page.count('<form method="post"')
    assert forms >= 1 and len(tokens) == forms
    refused = client.post("/c/case/census", data={"url": "http://127.0.0.1:9/"})
    assert refused.status_code == 400 and "token" in refused.text
    stale = client.post("/c/case/census", data={"url": "http://127.0.0.1:9/", "csrf": "x" * 40})
    assert stale.status_code == 400
    report = client.post("/c/case/report", data={"format": "html"})
    assert report.status_code == 400
    assert client.app.state.pages.jobs.of_case("case") == []


def test_a_write_from_another_site_is_refused_even_with_the_form_token(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    token = re.findall(r'name="csrf" value="([^"]+)"', client.get("/c/case/census").text)[0]
    for origin in ("http://evil.example", "null"):
        answer = client.post(
            "/c/case/census", data={"url": "http://127.0.0.1:9/", "csrf": token}, headers={"origin": origin}
        )
        assert answer.status_code == 403, origin
    assert client.app.state.pages.jobs.of_case("case") == []


def test_every_answer_has_a_strict_content_security_policy(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    for path in ("/c/case/", "/c/case/items", "/c/case/census", "/c/case/nothing-here", "/static/live.js"):
        answer = client.get(path)
        assert answer.headers["content-security-policy"] == CSP, path
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "same-origin"
    assert "'unsafe-inline'" not in CSP and "script-src 'self'" in CSP and "default-src 'none'" in CSP
    assert "frame-ancestors 'none'" in CSP and "form-action 'self'" in CSP
    assert client.get("/c/case/", headers={"host": "evil.example"}).headers["content-security-policy"] == CSP


def test_the_pages_load_nothing_from_another_machine(sqlite_case: Case, client_for: ClientFactory) -> None:
    client = client_for(sqlite_case.root)
    for path in ("/c/case/", "/c/case/items", "/c/case/census", "/c/case/report", "/c/case/owners"):
        page = client.get(path).text
        refs = re.findall(r'(?:src|href)="([^"]*)"', page)
        assert refs
        assert all(r.startswith(("/", "?", "data:", "#")) for r in refs), (path, refs)
