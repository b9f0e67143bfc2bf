"""Where the apps stage's requests go: store checks only to the store, without robots.txt and without the
case's credentials; an APK or a policy URL only to its own origin (a redirect elsewhere is refused before
any connection)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.apps.store_server import STORES
from tests.helpers.cli import unmask, unmask_json
from tests.helpers.hostile import HostileServer, redirect
from unmask.core.config import load_config, save_config

PACKAGE = "com.lumenpixel.mirage"
SECRET = "Bearer case-secret-for-the-site"


def with_credentials(case: Path) -> None:
    """The case's headers and cookies for the investigated site, as an investigator sets them."""
    config = load_config(case / "case.yaml")
    config.fetch.headers = {"Authorization": SECRET}
    config.fetch.cookies = {"127.0.0.1": {"session": "case-cookie"}}
    save_config(config, case / "case.yaml")


@pytest.mark.slow
def test_store_checks_reach_the_store_only_without_robots_or_the_cases_credentials(new_case: Path) -> None:
    with_credentials(new_case)
    seen: list[dict[str, Any]] = []
    page = (STORES / "play-listed.html").read_bytes()

    def listing(h: Any) -> None:
        seen.append(dict(h.headers.items()))
        h.send_body(200, page)

    with HostileServer() as store:
        store.route("/store/apps/details", listing)
        store.static("/robots.txt", "User-agent: *\nDisallow: /\n", "text/plain")
        result = unmask_json(
            "apps", "add", PACKAGE, "--store-base", store.base, "--country", "us", "--case", str(new_case)
        )
        asked = dict(store.hits)
    assert result["apps"][0]["checks"][0]["status"] == "listed", "robots.txt is not read for one listing"
    assert "/robots.txt" not in asked
    assert seen and all("Authorization" not in h and "Cookie" not in h for h in seen)


@pytest.mark.slow
def test_an_apk_or_policy_url_redirected_elsewhere_is_refused_before_any_connection(new_case: Path) -> None:
    with HostileServer() as elsewhere, HostileServer() as site:
        elsewhere.static("/app.apk", b"PK\x03\x04" + bytes(100), "application/vnd.android.package-archive")
        elsewhere.static("/privacy", "<html><body><p>We store data in China.</p></body></html>")
        site.route("/dl/app.apk", redirect(elsewhere.url("/app.apk")))
        site.route("/privacy", redirect(elsewhere.url("/privacy")))
        result = unmask_json("apps", "add", site.url("/dl/app.apk"), "--fetch-apk", "--case", str(new_case))
        policy = unmask("policy", "analyze", site.url("/privacy"), "--case", str(new_case), check=False)
        reached = dict(elsewhere.hits)
    assert result["apps"][0]["error"].startswith("refused: off-origin")
    assert policy.returncode != 0 and "off-origin" in policy.stderr and len(policy.stderr.splitlines()) == 1
    assert reached == {}, "no connection to the other origin"
