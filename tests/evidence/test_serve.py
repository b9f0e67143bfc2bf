"""`evidence serve`: captures replay offline in a real browser; the server gives out nothing else."""

from __future__ import annotations

import http.client
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.evidence.conftest import CrawledCase, captures, record_pages
from tests.helpers.cli import UNMASK
from tests.report.test_report_browser import ARGS, CHROMIUM, _require_browser
from unmask.core.case import Case
from unmask.evidence.links import reference
from unmask.evidence.serve import ReplayServer


@pytest.fixture
def served(sqlite_case: Case) -> Iterator[tuple[Case, str]]:
    """`unmask evidence serve --port 0` on a case of four captured pages: (case, printed URL)."""
    record_pages(sqlite_case, 4)
    proc = subprocess.Popen(
        [*UNMASK, "evidence", "serve", "--case", str(sqlite_case.root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        yield sqlite_case, url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_a_captured_page_replays_offline_in_chromium(served: tuple[Case, str]) -> None:
    _require_browser()
    case, url = served
    target = captures(case)[2]  # "Catalogue page 2"
    link = reference(target, port=int(url.rsplit(":", 1)[1].strip("/")))
    found, requests = _replayed_text(link.replay_url, "Catalogue page 2")
    assert "Catalogue page 2" in found and "Listing line 3 of page 2." in found
    _, header = _get(url, f"/capture/{target.id}")
    assert str(target.payload_sha256).encode() in header and target.url.encode() in header
    outside = [r for r in requests if not r.startswith(url.rstrip("/"))]
    assert outside == [], f"requests left the replay server: {outside[:5]}"


def _replayed_text(url: str, wanted: str) -> tuple[str, list[str]]:
    """The text of the replayed page in Chromium, once it holds WANTED; and every URL the browser asked."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    found = ""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.context.on("request", lambda r: requests.append(r.url))
            page.goto(url)
            deadline = time.monotonic() + 45
            while time.monotonic() < deadline and not found:
                for frame in page.frames:
                    if "mp_/" not in frame.url:
                        continue
                    try:
                        text = frame.inner_text("body", timeout=1000)
                    except Exception:
                        continue
                    if wanted in text:
                        found = text
                page.wait_for_timeout(300)  # lets Playwright see new frames (time.sleep would not)
        finally:
            browser.close()
    return found, requests


@pytest.mark.slow
def test_a_page_of_a_real_crawl_replays_from_its_case(crawled_case: CrawledCase) -> None:
    _require_browser()
    case = Case.open(crawled_case.root)
    try:
        pages = [c for c in captures(case) if c.status == 200 and "/photo/" in c.url]
        target = pages[len(pages) // 2]
        with ReplayServer(case, port=0) as server:
            text, requests = _replayed_text(f"{server.url}capture/{target.id}", "Uploaded by")
    finally:
        case.close()
    assert "Uploaded by" in text and "Views" in text
    assert all(r.startswith(server.url.rstrip("/")) for r in requests)


def _get(url: str, path: str, *, host: str | None = None, method: str = "GET", headers: dict | None = None):
    port = int(url.rsplit(":", 1)[1].strip("/"))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest(method, path, skip_host=True)
    conn.putheader("Host", host or f"127.0.0.1:{port}")
    for key, value in (headers or {}).items():
        conn.putheader(key, value)
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def test_the_server_answers_only_its_host_names_and_only_its_files(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 2)
    with ReplayServer(sqlite_case, port=0) as server:
        url = server.url
        assert _get(url, "/")[0].status == 200
        assert _get(url, "/", host="evil.example:80")[0].status == 421  # DNS rebinding
        assert _get(url, "/archive/../../case.yaml")[0].status == 404
        assert _get(url, "/archive/%2e%2e/unmask.db")[0].status == 404
        assert _get(url, "/capture/999")[0].status == 404
        assert _get(url, "/", method="POST")[0].status == 405


def test_warc_files_are_served_by_byte_range_as_replayweb_page_reads_them(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 2)
    capture = captures(sqlite_case)[1]
    warc = sqlite_case.evidence_dir / str(capture.warc_file)
    start, length = int(capture.warc_offset), int(capture.warc_length)
    with ReplayServer(sqlite_case, port=0) as server:
        response, body = _get(
            server.url, f"/archive/{warc.name}", headers={"Range": f"bytes={start}-{start + length - 1}"}
        )
        assert response.status == 206
        assert (
            response.headers["Content-Range"] == f"bytes {start}-{start + length - 1}/{warc.stat().st_size}"
        )
        assert body == warc.read_bytes()[start : start + length]
        response, _ = _get(server.url, f"/archive/{warc.name}", headers={"Range": "bytes=999999-"})
        assert response.status == 416
        _, index = _get(server.url, "/archive/index.cdxj")
    lines = index.decode().splitlines()
    assert len(lines) == 2 and f'"offset": "{start}"' in lines[1] and f'"length": "{length}"' in lines[1]


def test_an_html_capture_page_escapes_what_the_platform_served(sqlite_case: Case) -> None:
    from tests.evidence.conftest import BASE

    record_pages(sqlite_case, 1)
    from sqlalchemy import update

    from unmask.core.store.models import Capture

    with sqlite_case.store.session() as session:
        session.execute(update(Capture).values(url=f"{BASE}/<script>alert(1)</script>'\"><img src=x>"))
    with ReplayServer(sqlite_case, port=0) as server:
        _, index = _get(server.url, "/")
        _, page = _get(server.url, "/capture/1")
    for body in (index, page):
        assert b"<script>alert" not in body and b"<img src=x>" not in body


def test_a_reference_identifies_a_capture_without_the_server(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 1)
    [capture] = captures(sqlite_case)
    ref = reference(capture)
    assert ref.replay_url == f"http://127.0.0.1:8642/capture/{capture.id}"
    assert ref.sha256 == capture.payload_sha256 and ref.warc_offset == capture.warc_offset
    assert ref.warc_file == f"evidence/{capture.warc_file}"
    assert str(capture.id) in ref.label and capture.url in ref.label and str(ref.sha256) in ref.label
    assert reference(capture, port=9000).replay_url.startswith("http://127.0.0.1:9000/")
