"""The apps and forum pages over the newsroom case (every stage): each app with its store presence,
trackers and policy signals; the forum's figures as `forum stats` gives them, starters pseudonymized."""

from __future__ import annotations

import re

from tests.forum.load import load_forum
from tests.report.newsroom_case import APP, load_newsroom_case
from tests.report.test_html_report import XSS, load_hostile_case
from tests.web.conftest import ClientFactory
from unmask.core.case import Case
from unmask.core.privacy import PrivacyPolicy
from unmask.forum.analysis import stats


def test_the_apps_page_shows_each_app_its_stores_trackers_and_policy_signals(
    sqlite_case: Case, client_for: ClientFactory
) -> None:
    load_newsroom_case(sqlite_case)
    page = client_for(sqlite_case.root).get("/c/case/apps").text
    assert APP in page
    assert "AppEventsLogger" in page or "Facebook" in page  # a tracker of its APK
    assert re.search(r"<td>play</td><td>[A-Z]{2}</td>", page)
    assert "Privacy policies" in page and "No policy read." not in page


def test_the_forum_page_counts_as_forum_stats_and_names_no_starter(
    case: Case, client_for: ClientFactory
) -> None:
    world = load_forum(case, threads=48)
    figures = stats(case.store, PrivacyPolicy.for_case(case))
    client = client_for(case.root)
    page = client.get("/c/case/forum").text
    assert re.search(rf'<th scope="row">Threads</th><td class="num">{figures["threads"]:,}</td>', page)
    starters = {t.starter for t in world.counted() if t.starter}
    assert starters and not any(f">{name}<" in page for name in starters)
    assert "Member" in page  # starters as pseudonyms, as the report shows them
    paid = client.get("/c/case/forum?kind=paid_request").text
    listed = paid.split('<table class="threads">', 1)[1].split("</table>", 1)[0]
    assert listed.count("<tr><td>") == min(figures["kinds"]["paid_request"], 100)
    assert client.get("/c/case/forum?kind=film").status_code == 400
    assert client.get("/c/case/forum?start=-1").status_code == 400


def test_empty_apps_and_forum_pages_say_what_brings_them_and_escape_the_case(
    case: Case, client_for: ClientFactory
) -> None:
    load_hostile_case(case)
    client = client_for(case.root)
    for path in ("/c/case/apps", "/c/case/forum"):
        answer = client.get(path)
        assert answer.status_code == 200 and XSS not in answer.text
    assert "No app yet" in client.get("/c/case/apps").text
    assert "No forum crawled yet" in client.get("/c/case/forum").text
