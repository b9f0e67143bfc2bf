"""Jobs started from the browser besides the census: infra scan, forum crawl, app check, history. Each runs
the `unmask` command through the one JobManager, completes with its results linked, fails as a failure,
needs the form's CSRF token and checks its inputs as the command does."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.apps.store_server import LISTED, LISTED_LATER, StoreServer
from tests.forum.zoo import XenForoZoo
from tests.helpers.dns_server import DnsServer
from tests.web.conftest import ClientFactory, csrf_of, start_job, wait_job
from unmask.core.case import Case
from unmask.demo.forum import ForumWorld

HOSTILE = '<script>alert("x")</script>\u202e'


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dns(tmp_path: Path) -> Iterator[DnsServer]:
    with DnsServer(tmp_path) as server:
        server.zone("alpha.test", ["@ A 127.0.0.70", "@ NS ns1.shared-dns.test."])
        server.broken("broken.test")
        server.start()
        yield server


def _configure(case: Case, section: str, key: str, value: object) -> None:
    """Set one value of the case's case.yaml, as an investigator would."""
    config = case.root / "case.yaml"
    data = yaml.safe_load(config.read_text())
    data.setdefault(section, {})[key] = value
    config.write_text(yaml.safe_dump(data))


@pytest.mark.slow
def test_an_infra_scan_started_from_the_page_completes_and_links_its_domains(
    sqlite_case: Case, client_for: ClientFactory, dns: DnsServer
) -> None:
    _configure(sqlite_case, "infra", "resolver", dns.resolver)
    client = client_for(sqlite_case.root)
    page = client.get("/c/case/infra").text
    assert 'name="active"' in page and "--active" in page  # offered, explained, not ticked
    assert 'name="active" value="1" checked' not in page
    job_url = start_job(client, "/c/case/infra", domains="alpha.test\nx.broken.test", dns_only="1")
    job = client.app.state.pages.jobs.get(int(job_url.rsplit("/", 1)[1]))
    assert "--dns-only" in job.argv and "--active" not in job.argv
    status = wait_job(client, job_url)
    assert status["state"] == "done", status
    assert status["links"] == ["/c/case/infra/alpha.test", "/c/case/infra/x.broken.test"]
    progress = status["progress"]  # the command's own done/total, written for the job's bar
    assert (progress["label"], progress["done"], progress["total"]) == ("scan", 2, 2)
    assert 'id="job-bar" max="2" value="2"' in client.get(job_url).text
    assert 'href="/c/case/infra/alpha.test"' in client.get(job_url).text
    assert "127.0.0.70" in client.get("/c/case/infra/alpha.test").text
    assert "alpha.test" in client.get("/c/case/infra").text
    broken = client.get("/c/case/infra/x.broken.test").text  # its failed look-ups, from the store
    assert "SERVFAIL" in broken and "No look-up failed." not in broken


def test_active_origin_discovery_runs_only_when_ticked(sqlite_case: Case, client_for: ClientFactory) -> None:
    client = client_for(sqlite_case.root)
    token = csrf_of(client, "/c/case/infra")
    refused = client.post(
        "/c/case/infra", data={"domains": "a.test", "dns_only": "1", "active": "1", "csrf": token}
    )
    assert refused.status_code == 400  # DNS only and active contradict each other: nothing starts
    assert client.app.state.pages.jobs.of_case("case") == []


@pytest.fixture
def forum() -> Iterator[XenForoZoo]:
    """A XenForo forum of 60 threads on loopback (the forum zoo's)."""
    site = XenForoZoo(ForumWorld(seed=5, threads=60))
    with site.serving():
        yield site


@pytest.mark.slow
def test_a_forum_crawl_started_from_the_page_completes_and_shows_its_threads(
    sqlite_case: Case, client_for: ClientFactory, forum: XenForoZoo
) -> None:
    site, world = forum, forum.world
    client = client_for(sqlite_case.root)
    status = wait_job(client, start_job(client, "/c/case/forum", url=site.start, delay="0"))
    assert status["state"] == "done", status
    assert status["run"]["items"] > 0 and status["links"] == ["/c/case/forum"]
    page = client.get("/c/case/forum").text
    assert f"{world.truth()['threads']:,}" in page
    assert site.start in page  # the form offers the same address again (to resume or re-crawl)


@pytest.mark.slow
def test_a_forum_crawl_interrupted_from_the_page_resumes_with_the_same_command(
    sqlite_case: Case, client_for: ClientFactory, forum: XenForoZoo
) -> None:
    site, world = forum, forum.world
    client = client_for(sqlite_case.root)
    token = csrf_of(client, "/c/case/forum")
    started = client.post("/c/case/forum", data={"url": site.start, "delay": "0.25", "csrf": token})
    job_url = started.headers["location"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # some pages stored, not all
        status = client.get(f"{job_url}.json").json()
        if status.get("run", {}).get("pages", {}).get("done", 0) >= 3 or status["state"] != "running":
            break
        time.sleep(0.2)
    assert status["state"] == "running", status
    assert client.post(f"{job_url}/interrupt", data={"csrf": token}).status_code == 303
    stopped = wait_job(client, job_url)
    assert stopped["state"] == "interrupted", stopped
    again = client.post(f"{job_url}/again", data={"csrf": token})
    assert again.status_code == 303
    resumed = wait_job(client, again.headers["location"])
    assert resumed["state"] == "done", resumed
    assert resumed["run"]["id"] == stopped["run"]["id"]  # the same run, resumed
    assert f"{world.truth()['threads']:,}" in client.get("/c/case/forum").text


@pytest.mark.slow
def test_a_forum_crawl_of_an_unreachable_forum_shows_as_a_failed_job(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    job_url = start_job(client, "/c/case/forum", url=f"http://127.0.0.1:{_closed_port()}/forum/", delay="0")
    status = wait_job(client, job_url)
    assert status["state"] == "failed" and status["returncode"] not in (0, None)
    assert status["message"] and "\n" not in status["message"]
    assert 'class="state failed"' in client.get(job_url).text


@pytest.mark.slow
def test_a_history_against_an_unreachable_archive_completes_with_its_failures_shown(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    _configure(sqlite_case, "history", "archive", f"http://127.0.0.1:{_closed_port()}")
    client = client_for(sqlite_case.root)
    page = client.get("/c/case/history").text
    assert "127.0.0.1" in page  # the case's archive is named
    job_url = start_job(client, "/c/case/history", url="http://site.test/" + HOSTILE)
    job = client.app.state.pages.jobs.get(int(job_url.rsplit("/", 1)[1]))
    assert "--cdx" not in job.argv  # the case's own archive settings
    status = wait_job(client, job_url)
    # an archive that does not answer is a result of the run (the contract's exit 0), shown as its answer
    assert status["state"] == "done", status
    shown = client.get(job_url).text
    assert 'id="job-answer"' in shown
    assert "<script>alert" not in shown and "\u202e" not in shown


@pytest.mark.slow
def test_an_app_check_started_from_the_page_observes_each_app_again(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    package = "com.lumenpixel.mirage"
    _configure(sqlite_case, "fetch", "delay", 0.0)
    with StoreServer(play={"US": [LISTED, LISTED_LATER]}) as server:
        _configure(sqlite_case, "apps", "play_base", server.base)
        first = subprocess.run(
            [sys.executable, "-m", "unmask", "apps", "add", package, "--case", str(sqlite_case.root)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert first.returncode == 0, first.stderr
        client = client_for(sqlite_case.root)
        status = wait_job(client, start_job(client, "/c/case/apps/check", "/c/case/apps"))
    assert status["state"] == "done", status
    assert status["links"] == ["/c/case/apps"]
    assert {k: status["progress"][k] for k in ("label", "done", "total")} == {
        "label": "apps",
        "done": 1,
        "total": 1,
    }
    page = client.get("/c/case/apps").text
    assert "2.0.1" in page and "2.1.0" in page  # the second observation's change, from the page's check


def test_every_new_form_needs_its_csrf_token(sqlite_case: Case, client_for: ClientFactory) -> None:
    client = client_for(sqlite_case.root)
    for path, fields in (
        ("/c/case/infra", {"domains": "a.test"}),
        ("/c/case/forum", {"url": "http://127.0.0.1:9/"}),
        ("/c/case/history", {"url": "http://127.0.0.1:9/"}),
        ("/c/case/apps/check", {}),
    ):
        assert client.post(path, data=fields).status_code == 400, path
        assert client.post(path, data={**fields, "csrf": "stale"}).status_code == 400, path
    assert client.app.state.pages.jobs.of_case("case") == []


def test_bad_inputs_are_one_line_errors_and_start_nothing(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    client = client_for(sqlite_case.root)
    token = csrf_of(client, "/c/case/infra")
    for path, fields in (
        ("/c/case/infra", {"domains": ""}),
        ("/c/case/infra", {"domains": "a..test"}),
        ("/c/case/infra", {"domains": "x" * 300 + ".test"}),
        ("/c/case/forum", {"url": "file:///etc/passwd"}),
        ("/c/case/forum", {"url": "http://127.0.0.1:9/ --ignore-robots"}),
        ("/c/case/forum", {"url": "http://127.0.0.1:9/", "delay": "-1"}),
        ("/c/case/forum", {"url": "http://127.0.0.1:9/", "adapter": "../x.yaml"}),
        ("/c/case/history", {"url": "javascript:alert(1)"}),
        ("/c/case/history", {"url": "http://127.0.0.1:9/", "from": "2020", "to": "2019"}),
        ("/c/case/history", {"url": "http://127.0.0.1:9/", "limit": "0"}),
        ("/c/case/apps/check", {}),  # no app in the case
    ):
        answer = client.post(path, data={**fields, "csrf": token})
        assert answer.status_code == 400, (path, fields)
        assert 'class="error"' in answer.text or "error" in answer.text
    assert client.app.state.pages.jobs.of_case("case") == []


def test_hostile_strings_in_forms_and_jobs_are_escaped(sqlite_case: Case, client_for: ClientFactory) -> None:
    client = client_for(sqlite_case.root)
    token = csrf_of(client, "/c/case/infra")
    answer = client.post("/c/case/infra", data={"domains": HOSTILE, "csrf": token})
    assert answer.status_code == 400
    assert "<script>alert" not in answer.text and "\u202e" not in answer.text
    spaced = client.post("/c/case/history", data={"url": "http://127.0.0.1:9/ " + HOSTILE, "csrf": token})
    assert spaced.status_code == 400 and "<script>alert" not in spaced.text
    for path in ("/c/case/infra", "/c/case/forum", "/c/case/history", "/c/case/apps"):
        assert "<script>alert" not in client.get(path).text
