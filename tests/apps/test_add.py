"""`unmask apps add` with APKs (files, and URLs with --fetch-apk through the fetch layer's binary
allowance) and `unmask apps show`'s JSON as the contract gives it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.apps import hostile_apks
from tests.helpers.cli import unmask, unmask_json
from tests.helpers.json_server import JsonServer, Reply
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, Scope
from unmask.core.store.models import Capture

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apks"
APK_TYPE = "application/vnd.android.package-archive"


def add(case: Path, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = unmask_json("apps", "add", *args, "--case", str(case))
    return result


@pytest.mark.slow
def test_show_has_the_contract_shape(new_case: Path) -> None:
    add(new_case, str(FIXTURES / "rotated-v1v2v3-lineage.apk"))
    data = unmask_json("apps", "show", "android.appsecurity.cts.tinyapp", "--case", str(new_case))
    assert data["package"] == "android.appsecurity.cts.tinyapp"
    assert isinstance(data["stores"], list)
    (version,) = data["versions"]
    assert version["version"] == "1.0"
    assert {c["scheme"] for c in version["certificates"]} == {"v1", "v2", "v3"}
    assert all(len(c["sha256"]) == 64 for c in version["certificates"])
    assert isinstance(version["trackers"], list) and isinstance(version["permissions"], list)
    assert isinstance(version["domains"], list)
    assert len(version["lineage"]) == 2


@pytest.mark.slow
def test_two_apps_signed_by_one_certificate_are_linked(new_case: Path) -> None:
    add(new_case, str(FIXTURES / "debug-tc.apk"), str(FIXTURES / "debug-tcdiff.apk"))
    tc = unmask_json("apps", "show", "org.t0t0.androguard.TC", "--case", str(new_case))
    assert tc["versions"][0]["same_signer"] == ["org.t0t0.androguard.TCDiff"]
    other = unmask_json("apps", "show", "org.t0t0.androguard.TCDiff", "--case", str(new_case))
    assert other["versions"][0]["same_signer"] == ["org.t0t0.androguard.TC"]


@pytest.mark.slow
def test_trackers_reach_show_by_their_exodus_names(new_case: Path) -> None:
    add(new_case, str(FIXTURES / "exodus-blooddonation.apk"))
    data = unmask_json("apps", "show", "fr.mobdev.blooddonation", "--case", str(new_case))
    assert data["versions"][0]["trackers"] == ["Google AdMob"]
    assert "a.tile.openstreetmap.org" in data["versions"][0]["domains"]


@pytest.mark.slow
def test_adding_the_same_apk_twice_keeps_one_version(new_case: Path) -> None:
    first = add(new_case, str(FIXTURES / "com.politedroid_4.apk"))
    again = add(new_case, str(FIXTURES / "com.politedroid_4.apk"))
    assert first["apps"][0]["apk"]["new"] and not again["apps"][0]["apk"]["new"]
    data = unmask_json("apps", "show", "com.politedroid", "--case", str(new_case))
    assert len(data["versions"]) == 1 and len(data["versions"][0]["apks"]) == 1


@pytest.mark.parametrize(
    ("make", "text"),
    [
        (hostile_apks.truncated, "not a readable APK"),
        (hostile_apks.html_page, "not an APK: an HTML page"),
    ],
)
@pytest.mark.slow
def test_a_bad_apk_file_is_a_one_line_error(new_case: Path, tmp_path: Path, make: Any, text: str) -> None:
    bad = tmp_path / "bad.apk"
    bad.write_bytes(make())
    proc = unmask("apps", "add", str(bad), "--case", str(new_case), check=False)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0] and text in lines[0]


@pytest.mark.slow
def test_fetch_apk_downloads_through_the_fetch_layer_into_the_evidence(new_case: Path) -> None:
    apk = (FIXTURES / "com.politedroid_4.apk").read_bytes()
    routes = {"/dl/polite.apk": Reply(200, apk, content_type=APK_TYPE)}
    with JsonServer(routes) as server:
        url = server.url("/dl/polite.apk")
        result = add(new_case, url, "--fetch-apk")
    assert result["apps"][0]["package"] == "com.politedroid"
    case = Case.open(new_case)
    try:
        with case.store.session() as session:
            capture = session.query(Capture).filter(Capture.url == url).one()
        assert capture.payload_length == len(apk) and capture.refused is None
        assert capture.warc_file
    finally:
        case.close()


@pytest.mark.slow
def test_html_served_as_an_apk_is_refused_and_recorded(new_case: Path) -> None:
    routes = {"/dl/fake.apk": Reply(200, hostile_apks.html_page(), content_type=APK_TYPE)}
    with JsonServer(routes) as server:
        result = add(new_case, server.url("/dl/fake.apk"), "--fetch-apk")
    assert result["apps"][0]["package"] is None
    assert "allowance: not an apk" in result["apps"][0]["error"]
    case = Case.open(new_case)
    try:
        with case.store.session() as session:
            capture = session.query(Capture).filter(Capture.url.like("%fake.apk")).one()
        assert capture.refused and capture.payload_length == 0
    finally:
        case.close()


def test_the_binary_allowance_is_explicit_per_request_and_capped(sqlite_case: Case) -> None:
    """Without the allowance an APK is read like any body; with it, a body over the cap, of another
    type or without the magic is refused whole (never cut)."""
    from unmask.apps.add import apk_allowance

    apk = (FIXTURES / "com.politedroid_4.apk").read_bytes()
    routes = {
        "/a.apk": Reply(200, apk, content_type=APK_TYPE),
        "/movie.apk": Reply(
            200, b"\x00\x00\x00\x18ftypmp42" + bytes(4000), content_type="application/octet-stream"
        ),
        "/page.apk": Reply(200, "<html>x</html>", content_type="text/html"),
    }
    sqlite_case.config.fetch.delay = 0
    settings = sqlite_case.config.apps

    async def run(server: JsonServer) -> None:
        scope = Scope.for_sources([server.url("/")])
        async with Fetcher.for_case(sqlite_case, purpose="apps", scope=scope) as fetcher:
            ok = await fetcher.get(server.url("/a.apk"), binary=apk_allowance(settings))
            assert ok.body == apk
            for path in ("/movie.apk", "/page.apk"):
                with pytest.raises(FetchRefused):
                    await fetcher.get(server.url(path), binary=apk_allowance(settings))
            settings.max_apk_bytes = len(apk) - 1
            with pytest.raises(FetchRefused, match="over the cap"):
                await fetcher.get(server.url("/a.apk"), binary=apk_allowance(settings))

    with JsonServer(routes) as server:
        asyncio.run(run(server))
