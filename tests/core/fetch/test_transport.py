"""The fetch layer against a real loopback server: refusal, caps, failures, evidence."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from warcio.archiveiterator import ArchiveIterator

from tests.helpers.cli import venv_script
from tests.helpers.hostile import (
    JPEG,
    MP4,
    HostileServer,
    drop_connection,
    gzipped,
    redirect,
    slow,
    storm,
    truncated_body,
)
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, FetchError, FetchRequest, Scope
from unmask.core.store.models import Capture


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        srv.static("/page", "<html><body>hello</body></html>")
        srv.static("/photo", JPEG, "image/jpeg")
        srv.static("/clip", MP4, "video/mp4")
        srv.static("/blob", JPEG, "application/octet-stream")
        srv.static("/lying", MP4, "text/html; charset=utf-8")
        srv.static("/favicon.ico", b"\x00\x00\x01\x00" + b"\x00" * 300, "image/x-icon")
        srv.static("/big", b"<html>" + b"a" * (3 * 1024 * 1024) + b"</html>")
        srv.route("/gz", gzipped(b"<html>" + b"z" * 5000 + b"</html>"))
        srv.route("/drop", drop_connection)
        srv.route("/cut", truncated_body)
        srv.route("/slow", slow(3))
        srv.route("/loop/a", redirect("/loop/b"))
        srv.route("/loop/b", redirect("/loop/a"))
        srv.route("/storm", storm(2, retry_after="0"))
        srv.route("/always503", storm(100, status=503, retry_after="0"))
        srv.static("/robots.txt", "User-agent: *\nDisallow: /private\n", "text/plain")
        srv.static("/private", "secret")
        yield srv


def fetcher(case: Case, site: HostileServer, **overrides: object) -> Fetcher:
    for key, value in {"delay": 0.0, "backoff_base": 0.01, **overrides}.items():
        setattr(case.config.fetch, key, value)
    return Fetcher.for_case(case, purpose="test", scope=Scope.for_site(site.base))


def captures(case: Case) -> list[Capture]:
    with case.store.session() as s:
        return list(s.scalars(select(Capture).order_by(Capture.id)))


def warc_records(case: Case) -> list[tuple[str, str, bytes]]:
    out = []
    for path in sorted(case.warc_dir.glob("*.warc.gz")):
        with path.open("rb") as fh:
            for rec in ArchiveIterator(fh):
                out.append(
                    (
                        rec.rec_type,
                        rec.rec_headers.get_header("WARC-Target-URI") or "",
                        rec.content_stream().read(),
                    )
                )
    return out


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_page_is_recorded_with_sha256(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            resp = await f.get(server.url("/page"), obey_robots=False)
            assert resp.status == 200 and b"hello" in resp.body
            assert resp.capture_id is not None

    run(go())
    (cap,) = captures(sqlite_case)
    import hashlib

    assert cap.payload_sha256 == hashlib.sha256(b"<html><body>hello</body></html>").hexdigest()
    assert cap.warc_file and cap.warc_offset is not None
    recs = warc_records(sqlite_case)
    assert [r[0] for r in recs] == ["warcinfo", "response", "request"]
    path = sqlite_case.evidence_dir / cap.warc_file
    with path.open("rb") as fh:
        fh.seek(cap.warc_offset)
        rec = next(iter(ArchiveIterator(fh)))
        assert rec.rec_headers.get_header("WARC-Payload-Digest").startswith("sha256:")
        assert rec.content_stream().read() == b"<html><body>hello</body></html>"


def test_media_url_is_never_requested_and_its_refusal_is_recorded(
    server: HostileServer, sqlite_case: Case
) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            with pytest.raises(FetchRefused, match="media-url"):
                await f.get(server.url("/media/x.jpg"), obey_robots=False)
            assert f.transport.refusals == {"media-url": 1}

    run(go())
    assert server.hits["/media/x.jpg"] == 0
    (cap,) = captures(sqlite_case)
    assert cap.refused and cap.refused.startswith("media-url:") and cap.status is None and not cap.warc_file


@pytest.mark.parametrize(
    ("path", "code"), [("/photo", "type"), ("/clip", "type"), ("/blob", "binary"), ("/lying", "binary")]
)
def test_media_body_is_refused_and_not_stored(
    server: HostileServer, sqlite_case: Case, path: str, code: str
) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            with pytest.raises(FetchRefused, match=f"{code}: "):
                await f.get(server.url(path), obey_robots=False)
            assert f.transport.refusals == {code: 1}

    run(go())
    (cap,) = captures(sqlite_case)
    assert cap.refused and cap.payload_length == 0
    for _kind, _uri, payload in warc_records(sqlite_case):
        assert JPEG[:64] not in payload and MP4[:64] not in payload


@pytest.mark.slow
def test_favicon_within_the_cap_is_stored_and_over_it_refused(
    server: HostileServer, sqlite_case: Case
) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            resp = await f.get(server.url("/favicon.ico"), favicon=True, obey_robots=False)
            assert resp.body.startswith(b"\x00\x00\x01\x00") and not resp.truncated
        async with fetcher(sqlite_case, server, favicon_max_bytes=100) as f:
            with pytest.raises(FetchRefused, match=r"favicon: .* favicon cap"):
                await f.get(server.url("/favicon.ico"), favicon=True, obey_robots=False)

    run(go())


def test_size_cap_truncates(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server, max_response_bytes=1024 * 1024) as f:
            resp = await f.get(server.url("/big"), obey_robots=False)
            assert len(resp.body) == 1024 * 1024 and resp.truncated == "length"

    run(go())
    assert captures(sqlite_case)[0].truncated == "length"


def test_gzip_is_stored_raw_and_returned_decoded(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            resp = await f.get(server.url("/gz"), obey_robots=False)
            assert resp.body.startswith(b"<html>zzz")

    run(go())
    (cap,) = captures(sqlite_case)
    assert cap.payload_length == len(gzip.compress(b"<html>" + b"z" * 5000 + b"</html>"))


def test_dropped_connection_is_a_recorded_failure(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server, retries=1) as f:
            with pytest.raises(FetchError):
                await f.get(server.url("/drop"), obey_robots=False)

    run(go())
    caps = captures(sqlite_case)
    assert len(caps) == 2 and all(c.error and c.status is None for c in caps)


def test_body_cut_short_is_kept_and_marked(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            resp = await f.transport.exchange(FetchRequest(server.url("/cut")))
            assert resp.truncated == "disconnect" and resp.body.startswith(b"<html><body>x")

    run(go())


@pytest.mark.slow
def test_timeout(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server, read_timeout=0.5, retries=0) as f:
            with pytest.raises(FetchError, match="timeout"):
                await f.get(server.url("/slow"), obey_robots=False)

    run(go())


def test_redirect_loop_is_stopped(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            with pytest.raises(FetchRefused, match="redirect loop"):
                await f.get(server.url("/loop/a"), obey_robots=False)

    run(go())
    assert server.hits["/loop/a"] == 1 and server.hits["/loop/b"] == 1


def test_retry_after_storm_then_success(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            resp = await f.get(server.url("/storm"), obey_robots=False)
            assert resp.status == 200

    run(go())
    assert server.hits["/storm"] == 3


def test_retries_are_bounded(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server, retries=2) as f:
            resp = await f.get(server.url("/always503"), obey_robots=False)
            assert resp.status == 503

    run(go())
    assert server.hits["/always503"] == 3


def test_robots_txt_is_obeyed_by_default(server: HostileServer, sqlite_case: Case) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            with pytest.raises(FetchRefused, match="robots"):
                await f.get(server.url("/private"))
            assert (await f.get(server.url("/page"))).status == 200

    run(go())
    assert server.hits["/private"] == 0


def test_too_long_retry_after_is_not_waited_for(server: HostileServer, sqlite_case: Case) -> None:
    server.route("/later", storm(5, retry_after="86400"))

    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            resp = await f.get(server.url("/later"), obey_robots=False)
            assert resp.status == 429

    run(go())
    assert server.hits["/later"] == 1


@pytest.mark.slow
def test_warc_files_are_per_process_and_valid(
    server: HostileServer, sqlite_case: Case, tmp_path: Path
) -> None:
    async def go() -> None:
        async with fetcher(sqlite_case, server) as f:
            for _ in range(3):
                await f.get(server.url("/page"), obey_robots=False)

    run(go())
    files = list(sqlite_case.warc_dir.glob("*.warc.gz"))
    assert len(files) == 1
    import subprocess

    out = subprocess.run(
        [venv_script("warcio"), "check", "-v", str(files[0])], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "digest pass" in out.stdout


def test_refusals_are_counted_by_code_for_the_methodology(server: HostileServer, case: Case) -> None:
    from unmask.core.fetch.recorder import refusal_counts

    async def go() -> dict[str, int]:
        async with fetcher(case, server) as f:
            for path in ("/photo", "/clip", "/blob", "/lying", "/media/x.jpg", "/page"):
                with contextlib.suppress(FetchRefused):
                    await f.get(server.url(path), obey_robots=False)
            with contextlib.suppress(FetchRefused):
                await f.get("http://other.invented.test/", obey_robots=False)
            return dict(f.transport.refusals)

    in_memory = run(go())
    assert in_memory == {"type": 2, "binary": 2, "media-url": 1, "off-origin": 1}
    assert refusal_counts(case.store, purpose="test") == in_memory


def test_a_protocol_error_is_recorded_without_the_bytes_the_client_quotes(sqlite_case: Case) -> None:
    """Both clients' parsers quote the bytes they choke on; those may be a media body's."""
    from tests.helpers.raw_server import RawServer, raw_response

    marker = b"MEDIA-BYTES-" * 40
    with RawServer() as srv:
        srv.route("/x", raw_response(b"NOT-HTTP " + marker + b"\r\n\r\n" + MP4))

        async def go() -> None:
            sqlite_case.config.fetch.delay = 0.0
            async with Fetcher.for_case(sqlite_case, purpose="t", scope=Scope.for_site(srv.base)) as f:
                with pytest.raises(FetchError):
                    await f.transport.exchange(FetchRequest(srv.url("/x")))

        run(go())
    (cap,) = captures(sqlite_case)
    assert cap.error and cap.error.startswith("protocol: ")
    assert "MEDIA-BYTES" not in cap.error and len(cap.error) <= 220
