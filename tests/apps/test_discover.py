"""`unmask apps discover`: the apps a platform promotes, read from the pages the case stored."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.helpers.cli import unmask_json
from tests.helpers.json_server import JsonServer, Reply
from unmask.core.case import Case
from unmask.core.fetch import Fetcher, Scope

HOME = """<!doctype html><html><head>
<meta name="apple-itunes-app" content="app-id=6400000001, app-argument=mirage://home">
<meta property="al:android:package" content="com.lumenpixel.mirage">
</head><body>
<div class="banner"><a href="https://play.google.com/store/apps/details?id=com.lumenpixel.mirage&amp;gl=US">
<img alt="Get it on Google Play" src="/badge.svg">Download our app Mirage Face Studio</a></div>
<a href="/dl/mirage-2.1.apk">Direct download (APK)</a>
<a href="intent://studio#Intent;scheme=mirage;package=com.lumenpixel.mirage;end">Open in the app</a>
<a href="mirage://studio/new">Open studio</a>
<a href="https://apkpure.com/mirage-face-studio/com.lumenpixel.mirage">Mirror</a>
<a href="/about">About</a> <a href="https://example.com/">Partner</a>
</body></html>"""


def record(case: Case, url: str) -> None:
    case.config.fetch.delay = 0

    async def run() -> None:
        scope = Scope.for_site(url)
        async with Fetcher.for_case(case, purpose="census", scope=scope) as fetcher:
            await fetcher.get(url)

    asyncio.run(run())


@pytest.mark.slow
def test_promotions_on_stored_pages_are_found_with_their_capture(new_case: Path) -> None:
    with JsonServer({"/": Reply(200, HOME, content_type="text/html; charset=utf-8")}) as server:
        case = Case.open(new_case)
        try:
            record(case, server.url("/"))
        finally:
            case.close()
        site = f"127.0.0.1:{server.port}"
    result = unmask_json("apps", "discover", "--case", str(new_case))
    kinds = {(row["kind"], row["app"]) for row in result["apps"]}
    assert kinds == {
        ("apple", "apple:6400000001"),
        ("play", "com.lumenpixel.mirage"),
        ("apk", None),
        ("intent", "com.lumenpixel.mirage"),
        ("deeplink", None),
        ("mirror", "com.lumenpixel.mirage"),
    }
    assert all(row["capture_id"] for row in result["apps"])
    apk = next(row for row in result["apps"] if row["kind"] == "apk")
    assert apk["link"].endswith("/dl/mirage-2.1.apk")
    data = unmask_json("apps", "show", "com.lumenpixel.mirage", "--case", str(new_case))
    assert data["name"] == "Download our app Mirage Face Studio"
    assert {p["site"] for p in data["promotions"]} == {site}
    again = unmask_json("apps", "discover", "--case", str(new_case))
    assert again["promotions"] == 0, "a page's link is one promotion, however often it is read"


def test_only_links_that_can_promote_an_app_are_made_absolute_and_classified() -> None:
    import datetime as dt

    from unmask.apps.discover import Page, links_of

    body = b"""<html><body><a href="/video/1/x">a video</a> <a href="dl/app.apk?v=2">APK</a>
    <a href="//play.google.com/store/apps/details?id=com.lumenpixel.mirage">Get it on Google Play</a>
    <a href="/tag/apk">a tag</a></body></html>"""
    page = Page(1, "https://tube.invented.example/videos", dt.datetime(2026, 1, 1), body)
    found = {(f.link.kind, f.href) for f in links_of(page)}
    assert found == {
        ("apk", "https://tube.invented.example/dl/app.apk?v=2"),
        ("play", "https://play.google.com/store/apps/details?id=com.lumenpixel.mirage"),
    }
