"""Store presence over time against recorded store answers served on loopback: a 404 in one storefront
and a listing in another, a listing whose developer changes between checks, Apple's ``resultCount: 0``,
a captcha; "removed" only after repeated absence in every storefront checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from google_play_scraper.features.app import parse_dom

from tests.apps.store_server import (
    APPLE_LISTED,
    APPLE_NONE,
    CAPTCHA,
    LISTED,
    LISTED_LATER,
    NOT_HERE,
    STORES,
    StoreServer,
)
from tests.helpers.cli import unmask, unmask_json
from unmask.apps.stores.play import parse
from unmask.core.case import Case

PACKAGE = "com.lumenpixel.mirage"


def add(case: Path, server: StoreServer, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = unmask_json(
        "apps", "add", *args, "--store-base", server.base, "--delay", "0", "--case", str(case)
    )
    return result


def show(case: Path, package: str = PACKAGE) -> dict[str, Any]:
    result: dict[str, Any] = unmask_json("apps", "show", package, "--case", str(case))
    return result


def statuses(data: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {(s["store"], s["country"]): s["status"] for s in data["stores"]}


def test_the_play_parser_reads_recorded_pages_as_google_play_scraper_does() -> None:
    page = (STORES / "play-listed.html").read_text(encoding="utf-8")
    ours = parse(page)
    theirs = parse_dom(page, PACKAGE, "https://play.example/")
    for key in ("title", "developer", "developerId", "developerEmail", "developerWebsite", "privacyPolicy"):
        assert ours[key] == theirs[key]
    assert ours["developerAddress"].endswith("Shenzhen, China")


@pytest.mark.slow
def test_a_404_in_one_storefront_is_unavailable_there_and_never_asked_without_the_country(
    new_case: Path,
) -> None:
    with StoreServer(play={"US": [LISTED], "DE": [NOT_HERE]}) as server:
        result = add(new_case, server, PACKAGE, "--country", "us", "--country", "de")
    checks = {c["country"]: c["status"] for c in result["apps"][0]["checks"]}
    assert checks == {"us": "listed", "de": "unavailable"}
    assert all(q.get("gl") in (["US"], ["DE"]) for q in server.asked), "every question names its storefront"
    data = show(new_case)
    assert statuses(data) == {("play", "de"): "unavailable", ("play", "us"): "listed"}
    us = next(s for s in data["stores"] if s["country"] == "us")
    assert us["developer"] == "Lumen Pixel Ltd"
    assert us["email"] == "support@lumenpixel.example"
    assert us["privacy_policy"] == "https://lumenpixel.example/privacy"
    assert us["seen"].endswith("Z")


@pytest.mark.slow
def test_changes_between_checks_are_events(new_case: Path) -> None:
    with StoreServer(play={"US": [LISTED, LISTED_LATER]}) as server:
        add(new_case, server, PACKAGE, "--country", "us")
        add(new_case, server, PACKAGE, "--country", "us")
    events = {e["field"]: (e["old"], e["new"]) for e in show(new_case)["events"]}
    assert events["developer"] == ("Lumen Pixel Ltd", "Lumen Pixel Holdings Ltd")
    assert events["privacy_policy"] == (
        "https://lumenpixel.example/privacy",
        "https://policy.lumenpixel.example/v2/privacy",
    )
    assert events["version"] == ("2.0.1", "2.1.0")
    assert "installs" not in events


@pytest.mark.slow
def test_removed_needs_repeated_absence_in_every_storefront_checked(new_case: Path) -> None:
    script = {"US": [LISTED, NOT_HERE], "DE": [LISTED, NOT_HERE]}
    with StoreServer(play=script) as server:
        for _ in range(2):
            add(new_case, server, PACKAGE, "--country", "us", "--country", "de")
        assert set(statuses(show(new_case)).values()) == {"unavailable"}, "one absence is not removal"
        add(new_case, server, PACKAGE, "--country", "us", "--country", "de")
    assert set(statuses(show(new_case)).values()) == {"removed"}


@pytest.mark.slow
def test_absence_in_one_storefront_only_is_never_removal(new_case: Path) -> None:
    with StoreServer(play={"US": [LISTED], "DE": [LISTED, NOT_HERE]}) as server:
        for _ in range(4):
            add(new_case, server, PACKAGE, "--country", "us", "--country", "de")
    assert statuses(show(new_case)) == {("play", "de"): "unavailable", ("play", "us"): "listed"}


@pytest.mark.slow
def test_a_captcha_is_unknown_never_removed(new_case: Path) -> None:
    with StoreServer(play={"US": [LISTED, CAPTCHA]}) as server:
        for _ in range(4):
            result = add(new_case, server, PACKAGE, "--country", "us")
    check = result["apps"][0]["checks"][0]
    assert check["status"] == "unknown" and "captcha" in check["reason"]
    front = show(new_case)["stores"][0]
    assert front["status"] == "listed", "the last check that could tell saw it"
    assert "captcha" in front["reason"]


@pytest.mark.slow
def test_apple_result_count_zero_is_unavailable_and_a_listing_gives_the_bundle_id(new_case: Path) -> None:
    with StoreServer(apple={"us": [APPLE_LISTED], "de": [APPLE_NONE]}) as server:
        result = add(
            new_case,
            server,
            "https://apps.apple.com/us/app/mirage-face-studio/id6400000001",
            "--country",
            "us",
            "--country",
            "de",
        )
    assert result["apps"][0]["package"] == "com.lumenpixel.mirage"
    data = show(new_case, "com.lumenpixel.mirage")
    assert data["platform"] == "ios"
    assert statuses(data) == {("apple", "de"): "unavailable", ("apple", "us"): "listed"}
    us = next(s for s in data["stores"] if s["country"] == "us")
    assert us["seller"] == "Lumen Pixel Technology Co., Ltd."


@pytest.mark.slow
def test_every_store_answer_is_evidence(new_case: Path) -> None:
    from unmask.core.case import Case
    from unmask.core.store.models import AppStoreCheck, Capture

    with StoreServer(play={"US": [LISTED], "DE": [NOT_HERE]}) as server:
        add(new_case, server, PACKAGE, "--country", "us", "--country", "de")
    case = Case.open(new_case)
    try:
        with case.store.session() as session:
            checks = session.query(AppStoreCheck).all()
            assert checks and all(c.capture_id is not None for c in checks)
            captures = {c.id: c for c in session.query(Capture).filter(Capture.purpose == "apps")}
            assert {captures[c.capture_id].status for c in checks} == {200, 404}
            assert all(captures[c.capture_id].warc_file for c in checks)
    finally:
        case.close()


@pytest.mark.slow
def test_bad_arguments_are_one_line_errors(new_case: Path) -> None:
    for args, text in (
        (["not a package"], "not an APK file, a package name"),
        ([PACKAGE, "--country", "usa"], "two-letter country code"),
        ([PACKAGE, "--store", "fdroid"], "unknown store 'fdroid'; choose from play, apple"),
        (["https://cdn.example/mirage.apk"], "only with --fetch-apk"),
        (["missing.apk"], "no such APK file"),
    ):
        proc = unmask("apps", "add", *args, "--case", str(new_case), check=False)
        assert proc.returncode != 0
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and text in lines[0], proc.stderr
    proc = unmask("apps", "show", "com.nowhere.app", "--case", str(new_case), check=False)
    assert proc.returncode != 0 and "no app" in proc.stderr


def test_presence_and_events_on_both_stores(case: Case) -> None:
    """The removed rule and the events, written and read on SQLite and on PostgreSQL."""
    from unmask.apps import storage
    from unmask.apps.show import summary
    from unmask.apps.stores.base import Listing

    def check(country: str, status: str, developer: str | None = None) -> None:
        listing = Listing("play", country, f"https://play.example/?gl={country}", status, developer=developer)
        with case.store.session() as session:
            app = storage.upsert_app(session, PACKAGE)
            storage.store_check(session, app, listing)

    check("us", "listed", "Lumen Pixel Ltd")
    check("de", "listed", "Lumen Pixel Ltd")
    check("us", "listed", "Lumen Pixel Holdings Ltd")
    for _ in range(2):
        check("us", "unknown")
        check("us", "unavailable")
        check("de", "unavailable")
    data = summary(case.store, PACKAGE, case.config.apps)
    assert {s["status"] for s in data["stores"]} == {"removed"}
    fields = [(e["country"], e["field"], e["old"], e["new"]) for e in data["events"]]
    assert ("us", "developer", "Lumen Pixel Ltd", "Lumen Pixel Holdings Ltd") in fields
    assert ("us", "status", "listed", "unavailable") in fields
    us = next(s for s in data["stores"] if s["country"] == "us")
    assert us["developer"] == "Lumen Pixel Holdings Ltd", "the facts the listing last showed"
