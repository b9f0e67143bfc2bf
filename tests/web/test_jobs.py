"""Long jobs run as `unmask` subprocesses: a failure shows as a failure, with the command's one-line error."""

from __future__ import annotations

import socket

import pytest

from tests.web.conftest import ClientFactory, csrf_of, wait_job
from unmask.core.case import Case


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_a_census_of_an_unreachable_site_shows_as_a_failed_job(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    url = f"http://127.0.0.1:{_closed_port()}/"
    started = client.post(
        "/c/case/census", data={"url": url, "delay": "0", "csrf": csrf_of(client, "/c/case/census")}
    )
    assert started.status_code == 303
    job_url = started.headers["location"]
    status = wait_job(client, job_url)
    assert status["state"] == "failed" and status["returncode"] == 1
    assert url in status["message"] and "\n" not in status["message"]
    page = client.get(job_url).text
    assert 'class="state failed"' in page
    assert client.get("/c/case/").status_code == 200  # the server goes on


def test_a_bad_census_form_is_a_one_line_error_and_starts_nothing(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    token = csrf_of(client, "/c/case/census")
    for fields in (
        {"url": "file:///etc/passwd"},
        {"url": "http://127.0.0.1:9/ --ignore-robots"},
        {"url": "http://127.0.0.1:9/", "delay": "-1"},
        {"url": "http://127.0.0.1:9/", "adapter": "../x.yaml"},
        {"url": "http://127.0.0.1:9/", "concurrency": "many"},
    ):
        answer = client.post("/c/case/census", data={**fields, "csrf": token})
        assert answer.status_code == 400, fields
    assert client.app.state.pages.jobs.of_case("case") == []
