"""The apps section: what the apps stage found about the apps a platform promotes (store presence over time
with removals, signing certificates, trackers, the privacy policy's signals with their sentences), each
fact citing its capture, in the summary as sentences; left out and named when the stage did not run."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.report.newsroom_case import APP, APP_ADDRESS, GENERATED, load_newsroom_case
from tests.report.test_html_report import load_hostile_case
from unmask.apps.show import summary
from unmask.core.case import Case
from unmask.core.store.models import App
from unmask.report.html import write_report


def _section(text: str, key: str) -> str:
    start = text.index(f'<section id="{key}">')
    return text[start : text.index("</section>", start)]


def _plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html)).replace("&#x27;", "'")


@pytest.mark.slow
def test_the_apps_section_shows_presence_signing_trackers_and_policy_signals(case: Case) -> None:
    load_newsroom_case(case)
    text = write_report(case, case.root / "r.html", generated=GENERATED).read_text(encoding="utf-8")
    section = _section(text, "apps")
    shown = _plain(section)
    app = summary(case.store, APP, case.config.apps)

    assert "Lumenfold Swap (com.lumenfold.swapstudio)" in shown
    assert "Promoted on 2 pages of the platform" in shown
    # presence per storefront: both removed after repeated absence, the developer's rename an event
    assert shown.count("Google Play") >= 2 and "Germany (DE)" in shown and "United States (US)" in shown
    assert [s["status"] for s in app["stores"]] == ["removed", "removed"]
    assert shown.count("removed") >= 2
    assert "developer Lumenfold Studio Limited → Lumenfold Technology Co. Ltd" in shown
    assert "status listed → not found" in shown
    assert section.count("<svg") == 1  # the presence timeline
    # signing and trackers, as the stage stored them
    certificate = app["versions"][0]["certificates"][0]
    assert certificate["sha256"] in section and "CN=Lumenfold Dev" in shown
    assert "Facebook Analytics, Google Firebase Analytics" in shown
    assert "CAMERA, INTERNET" in shown
    # the policy: each signal with its sentence; what it denies apart
    assert "disclosure to state authorities without consent" in shown
    assert "directly related to national security, public safety or criminal investigation" in shown
    assert "stored on servers located in mainland China" in shown
    assert "it names Lumenfold Studio Limited as the controller" in shown
    # every capture the section cites is in the evidence appendix
    cited = set(re.findall(r'href="#(cap-\d+)"', section))
    ids = {f"cap-{p['capture_id']}" for p in app["promotions"]} | {f"cap-{app['policies'][0]['capture_id']}"}
    ids |= {f"cap-{s['capture_id']}" for s in app["stores"]}
    assert ids <= cited
    appendix = _section(text, "evidence")
    assert all(f'<li id="{c}">' in appendix for c in cited)


@pytest.mark.slow
def test_the_summary_says_who_publishes_the_app_and_what_its_policy_allows(case: Case) -> None:
    load_newsroom_case(case)
    text = write_report(case, case.root / "r.html", generated=GENERATED).read_text(encoding="utf-8")
    findings = [
        _plain(li) for li in re.findall(r"<li>(.*?)</li>", _section(text, "summary")) if "#apps" in li
    ]
    assert findings[0].startswith(
        "The app Lumenfold Swap (com.lumenfold.swapstudio), promoted on 2 pages of the platform, was "
        f"published on Google Play by Lumenfold Technology Co. Ltd, {APP_ADDRESS}. "
        "Google Play no longer lists it"
    )
    assert findings[1].startswith(
        "Its privacy policy (naming Lumenfold Studio Limited as controller) provides for"
    )
    assert (
        "disclosure to state authorities without consent" in findings[1] and "mainland China" in findings[1]
    )
    assert findings[2].startswith("Its APK (version 2.1.0) is signed by")
    assert "carries 2 trackers: Facebook Analytics, Google Firebase Analytics" in findings[2]
    assert '<data value="2" data-key="app_pages">2</data>' in _section(text, "summary")

    german = write_report(case, case.root / "de.html", generated=GENERATED, lang="de").read_text("utf-8")
    assert "wurde bei Google Play von Lumenfold Technology Co. Ltd" in _plain(_section(german, "summary"))
    assert "Weitergabe an Behörden ohne Einwilligung" in _plain(_section(german, "summary"))


def test_without_the_apps_stage_the_section_is_left_out_and_named(sqlite_case: Case) -> None:
    load_hostile_case(sqlite_case)
    with sqlite_case.store.session() as s:
        assert s.scalar(select(App.id)) is None
    text = write_report(sqlite_case, sqlite_case.root / "r.html").read_text(encoding="utf-8")
    assert '<section id="apps">' not in text
    assert (
        "Apps it promotes: not included, because the apps the platform promotes (store listings, APKs, "
        "privacy policies) did not run in this case (unmask apps discover, unmask apps add SOURCE)."
    ) in _plain(_section(text, "methodology"))


def test_hostile_values_from_stores_and_policies_are_escaped(sqlite_case: Case) -> None:
    from unmask.apps.policy.read import PolicyText, analyse
    from unmask.apps.policy.read import store as store_policy
    from unmask.apps.storage import store_check, upsert_app
    from unmask.apps.stores.base import LISTED, Listing

    load_hostile_case(sqlite_case)
    payload = "<script>alert(1)</script>\"'><img src=x>"
    with sqlite_case.store.session() as s:
        app = upsert_app(s, "com.example.hostile", name=f"Swap{payload}")
        listing = Listing("play", "us", "https://play.google.com/store/apps/details?id=x", LISTED)
        listing.fill(title=f"T{payload}", developer=f"Dev{payload}", address=f"Addr{payload}")
        store_check(s, app, listing)
        s.commit()
    policy = PolicyText("policy.txt", f"Your data is stored on servers in mainland China {payload}.", False)
    store_policy(sqlite_case, "com.example.hostile", policy, analyse(policy))
    text = write_report(sqlite_case, sqlite_case.root / "r.html").read_text(encoding="utf-8")
    section = _section(text, "apps")
    assert "<script>alert" not in text and "<img" not in section
    assert "Swap&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&gt;&lt;img src=x&gt;" in section
    assert "Dev&lt;script&gt;" in section and "mainland China &lt;script&gt;" in section
