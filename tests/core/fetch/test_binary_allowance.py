"""The one binary a request may keep (an APK the investigator asked for): named in policy.yaml, never
media, explicit per request, capped, kept whole as evidence or refused whole."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.helpers.hostile import MP4, HostileServer, cut_off, dribbled
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, Scope, binary_allowance
from unmask.core.fetch.policy import BinaryAllowance, BodyRule, Refusal, judge_headers
from unmask.core.store.models import Capture

APK_TYPE = "application/vnd.android.package-archive"
APK = b"PK\x03\x04" + bytes(range(256)) * 800
"""Binary from its fifth byte on: the text policy refuses it, only the allowance keeps it."""


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as srv:
        srv.route("/app.apk", dribbled(APK, APK_TYPE))
        srv.static("/unlabelled.apk", APK, "application/octet-stream")
        srv.static("/coded.apk", gzip.compress(APK), APK_TYPE, Content_Encoding="gzip")
        srv.route("/cut.apk", cut_off(APK, 50_000, APK_TYPE))
        srv.static("/movie.apk", MP4, "application/octet-stream")
        srv.static("/page.apk", "<html>download page</html>")
        srv.static("/gone.apk", "<html>not found</html>", status=404)
        yield srv


def fetch(case: Case, server: HostileServer, path: str, cap: int | None = 1 << 20) -> bytes:
    case.config.fetch.delay = 0.0
    case.config.fetch.retries = 0

    async def go() -> bytes:
        scope = Scope.for_sources([server.base])
        async with Fetcher.for_case(case, purpose="test", scope=scope) as fetcher:
            allowance = binary_allowance("apk", cap) if cap is not None else None
            response = await fetcher.get(server.url(path), binary=allowance, obey_robots=False)
            return response.body

    return asyncio.run(go())


def capture_of(case: Case, path: str) -> Capture:
    with case.store.session() as session:
        return session.scalars(select(Capture).where(Capture.url.endswith(path))).one()


def test_an_allowance_comes_from_the_policy_table_and_can_never_be_media() -> None:
    apk = binary_allowance("apk", 1000)
    assert apk.magic == (b"PK\x03\x04",) and APK_TYPE in apk.content_types
    with pytest.raises(ValueError, match="media"):
        BinaryAllowance("photo", frozenset({"image/jpeg"}), (b"\xff\xd8\xff",), 1000)
    with pytest.raises(ValueError, match="media"):
        BinaryAllowance("clip", frozenset({"video/mp4"}), (b"\x00\x00\x00\x18ftyp",), 1000)


def test_headers_are_judged_as_the_binary_only_when_the_request_names_it() -> None:
    headers = [("Content-Type", APK_TYPE), ("Content-Length", "5000")]
    refused = judge_headers(200, headers)
    assert isinstance(refused, Refusal) and refused.code == "type"
    rule = judge_headers(200, headers, binary=binary_allowance("apk", 10_000))
    assert isinstance(rule, BodyRule) and rule.binary is not None
    over = judge_headers(200, headers, binary=binary_allowance("apk", 4_999))
    assert isinstance(over, Refusal) and over.code == "allowance"
    error_page = judge_headers(404, [("Content-Type", "text/html")], binary=binary_allowance("apk", 10))
    assert isinstance(error_page, BodyRule) and error_page.binary is None, "an error page is read as text"


def test_an_allowed_apk_is_kept_whole_as_evidence(server: HostileServer, sqlite_case: Case) -> None:
    assert fetch(sqlite_case, server, "/app.apk") == APK
    capture = capture_of(sqlite_case, "/app.apk")
    assert capture.payload_length == len(APK) and not capture.refused and not capture.truncated
    assert fetch(sqlite_case, server, "/unlabelled.apk") == APK
    assert fetch(sqlite_case, server, "/coded.apk") == APK, "a content coding is removed, bounded"


def test_without_the_allowance_the_same_apk_is_refused_like_any_binary(
    server: HostileServer, sqlite_case: Case
) -> None:
    with pytest.raises(FetchRefused, match="type"):
        fetch(sqlite_case, server, "/app.apk", cap=None)
    with pytest.raises(FetchRefused, match="binary"):
        fetch(sqlite_case, server, "/unlabelled.apk", cap=None)


@pytest.mark.parametrize(
    ("path", "cap", "reason"),
    [
        ("/app.apk", len(APK) - 1, "allowance: apk of"),  # Content-Length over the cap: body never read
        ("/coded.apk", len(APK) - 1, "allowance: more than the apk cap"),  # decoded size over the cap
        ("/cut.apk", 1 << 20, "allowance: the apk broke off"),
        ("/movie.apk", 1 << 20, "allowance: not an apk: looks like mp4"),
        ("/page.apk", 1 << 20, "type: text/html is not an allowed apk"),
    ],
)
def test_an_apk_over_the_cap_cut_short_or_not_an_apk_is_refused_whole(
    server: HostileServer, sqlite_case: Case, path: str, cap: int, reason: str
) -> None:
    with pytest.raises(FetchRefused, match=reason):
        fetch(sqlite_case, server, path, cap)
    capture = capture_of(sqlite_case, path)
    assert capture.refused and capture.refused.startswith(reason.split(" of")[0])
    assert capture.payload_length == 0, "no byte of a refused binary is kept"


def test_an_error_page_at_an_apk_url_is_kept_as_text(server: HostileServer, sqlite_case: Case) -> None:
    assert fetch(sqlite_case, server, "/gone.apk") == b"<html>not found</html>"
