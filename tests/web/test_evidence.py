"""The evidence browser: the custody log with its chain, the seal status, a verify job whose failed
verification shows as failed with every failure, and the replay started by the server."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from markupsafe import escape

from tests.evidence.conftest import record_pages
from tests.report.test_html_report import XSS, load_hostile_case
from tests.web.conftest import ClientFactory, csrf_of, wait_job
from unmask.core.case import Case
from unmask.evidence.custody import append
from unmask.evidence.manifest import custody_path


def test_the_custody_log_is_listed_newest_first_escaped_and_a_broken_chain_is_named(
    case: Case, client_for: ClientFactory
) -> None:
    evidence = custody_path(case).parent
    append(
        evidence,
        {
            "time": "2026-01-01T00:00:00Z",
            "command": ["unmask", "census", "crawl", XSS],
            "action": "crawl",
            "outcome": "ok",
            "changed": {"rows": {"items": 3}},
        },
    )
    append(
        evidence,
        {
            "time": "2026-01-02T00:00:00Z",
            "command": ["unmask", "evidence", "seal"],
            "action": "seal",
            "outcome": "ok",
            "changed": {"rows": {}},
        },
    )
    client = client_for(case.root)
    page = client.get("/c/case/evidence").text
    assert XSS not in page and str(escape(XSS)) in page
    assert "2 entries, chain intact" in page
    assert page.index("evidence seal") < page.index("census crawl")  # newest first
    assert "items +3" in page
    assert "Not sealed yet" in page
    path = custody_path(case)
    path.write_bytes(path.read_bytes().replace(b"census", b"censor"))
    broken = client.get("/c/case/evidence").text
    assert "chain is broken" in broken and "chain intact" not in broken


def test_a_verification_that_holds_is_done_and_one_that_fails_shows_every_failure(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    record_pages(sqlite_case, 2)  # a WARC file to hash
    client = client_for(sqlite_case.root)
    started = client.post("/c/case/evidence/verify", data={"csrf": csrf_of(client, "/c/case/evidence")})
    assert started.status_code == 303
    status = wait_job(client, started.headers["location"])
    assert status["state"] == "done" and status["verify"]["ok"] is True
    assert "All hold" in client.get(started.headers["location"]).text
    bar = status["progress"]  # the bytes hashed, from the command's own progress callback
    assert bar["label"] == "verify" and bar["unit"] == "bytes" and bar["done"] == bar["total"] > 0

    load_hostile_case(sqlite_case)  # capture rows whose WARC file is not there
    again = client.post("/c/case/evidence/verify", data={"csrf": csrf_of(client, "/c/case/evidence")})
    status = wait_job(client, again.headers["location"])
    assert status["state"] == "failed" and status["returncode"] == 1
    assert status["verify"]["ok"] is False and status["verify"]["count"] >= 1
    page = client.get(again.headers["location"]).text
    assert "Verification failed" in page and 'class="state failed"' in page
    assert "warc/t-1.warc.gz" in page
    assert XSS not in page


def test_the_replay_starts_on_loopback_and_item_pages_link_into_it(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    load_hostile_case(sqlite_case)
    (sqlite_case.root / "evidence" / "warc").mkdir(parents=True, exist_ok=True)
    client = client_for(sqlite_case.root)
    assert client.post("/c/case/evidence/replay", data={"csrf": "stale"}).status_code == 400
    answer = client.post("/c/case/evidence/replay", data={"csrf": csrf_of(client, "/c/case/evidence")})
    assert answer.status_code == 303
    page = client.get("/c/case/evidence").text
    port = int(re.findall(r'href="http://testserver:(\d+)/"', page)[0])  # the name the browser used
    assert "never run inside these pages" in page  # why the replay has a port of its own
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as reply:
        assert reply.status == 200 and b"Captures of" in reply.read()
    listing = client.get("/c/case/items?removed=all").text
    item = re.findall(r'href="(/c/case/items/\d+)"', listing)[0]
    assert f'href="http://testserver:{port}/capture/' in client.get(item).text


def test_a_replay_started_by_a_server_with_a_token_needs_the_token(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    load_hostile_case(sqlite_case)
    (sqlite_case.root / "evidence" / "warc").mkdir(parents=True, exist_ok=True)
    token = "t" * 24
    client = client_for(sqlite_case.root, token=token)
    client.headers["Authorization"] = f"Bearer {token}"
    client.post("/c/case/evidence/replay", data={"csrf": csrf_of(client, "/c/case/evidence")})
    page = client.get("/c/case/evidence").text
    port = int(re.findall(r'href="http://testserver:(\d+)/"', page)[0])
    assert "only a browser that carries this server's token" in page
    address = f"http://127.0.0.1:{port}/"
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(address, timeout=10)
    assert refused.value.code == 403
    cookie = urllib.request.Request(address, headers={"Cookie": f"unmask_token_8700={token}"})
    with urllib.request.urlopen(cookie, timeout=10) as reply:  # the cookie the server set reaches this port
        assert reply.status == 200
