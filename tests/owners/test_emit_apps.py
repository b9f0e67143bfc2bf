"""The app route in the entity graph: apps, store accounts, certificates and the companies behind them,
read from the apps tables, emitted idempotently, so `owners path` walks from a platform through its app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.helpers.cli import unmask_json
from tests.owners import edges, entity
from unmask.core.case import Case
from unmask.core.store.models import (
    App,
    AppApk,
    AppApkCertificate,
    AppCertificate,
    AppPolicy,
    AppPromotion,
    AppStoreCheck,
    Capture,
    Platform,
)
from unmask.owners.emit_apps import emit_apps
from unmask.owners.graph import GraphWriter, emit_case

BASE = "https://tube.invented.example/"
STUDIO = "com.glimmerpath.studio"
LITE = "com.glimmerpath.lite"
AGENT_ADDRESS = "1 Invented Agent Square, Road Town"
APP_ADDRESS = "Room 1708, 9 Invented Lane, Nanshan, Shenzhen, China"


def seed_apps(case: Case) -> int:
    """A platform promoting an app; its Play listing (developer, e-mail, address), a second app signed
    by the same certificate, and a policy naming its controller. Every name invented."""
    seen = dt.datetime(2026, 11, 2, 9, 0)
    with case.store.session() as s:
        s.add(Platform(base_url=BASE, name="Invented Tube"))
        page = Capture(url=BASE, purpose="census", status=200)
        listing = Capture(
            url="https://play.invented.example/store/apps/details?id=x", purpose="apps", status=200
        )
        s.add_all([page, listing])
        s.flush()
        studio = App(package=STUDIO, name="Glimmer Studio", platform="android")
        lite = App(package=LITE, name="Glimmer Lite", platform="android")
        s.add_all([studio, lite])
        s.flush()
        for link in ("https://play.google.com/store/apps/details?id=" + STUDIO, "intent://x#Intent;end"):
            s.add(
                AppPromotion(
                    app_id=studio.id,
                    site="tube.invented.example",
                    page_url=BASE,
                    link=link,
                    kind="play",
                    key=link[-40:],
                    capture_id=page.id,
                    seen_at=seen,
                )
            )
        s.add(
            AppStoreCheck(
                app_id=studio.id,
                store="play",
                country="us",
                status="listed",
                url="x",
                checked_at=seen,
                capture_id=listing.id,
                developer="Glimmerpath Studio Limited",
                developer_id="Glimmerpath+Studio",
                email="Support@Glimmerpath.example",
                address=APP_ADDRESS,
            )
        )
        s.add(AppStoreCheck(app_id=lite.id, store="play", country="de", status="unavailable", url="x"))
        cert = AppCertificate(
            sha256="ab" * 32, sha1="cd" * 20, subject="CN=Glimmer", issuer="CN=Glimmer", serial="1", der=""
        )
        s.add(cert)
        s.flush()
        for n, app in enumerate((studio, lite)):
            apk = AppApk(app_id=app.id, sha256=f"{n}" * 64, size=1, source="x.apk")
            s.add(apk)
            s.flush()
            for scheme in ("v1", "v2"):
                s.add(AppApkCertificate(apk_id=apk.id, certificate_id=cert.id, scheme=scheme))
        s.add(
            AppPolicy(
                app_id=studio.id,
                source="https://glimmerpath.example/privacy",
                sha256="0" * 64,
                language="en",
                text="…",
                controller="Glimmerpath Holdings Co., Ltd.",
            )
        )
        return int(page.id)


def seed_companies(case: Case) -> None:
    with case.store.engine.begin() as conn:
        writer = GraphWriter(conn)
        writer.entity("Company", "CN/9144", "GLIMMERPATH STUDIO LTD")  # the developer, by its name
        writer.entity("Company", "CN/9145", "Glimmerpath Holdings Company Limited")  # the policy's controller
        writer.entity(
            "Company", "HK/1", "Invented Mail Services Ltd", {}, [("email", "support@glimmerpath.example")]
        )
        writer.entity("Company", "HK/2", "Lanternway Trading Ltd", {"address": [APP_ADDRESS]})
        for n in range(7):  # a registered agent's address: too shared to link anyone
            writer.entity("Company", f"VG/{n}", f"Invented Shell {n} Ltd", {"address": [AGENT_ADDRESS]})
        writer.entity("Person", "P/1", "Glimmerpath Studio")  # a person is never the company
        writer.finish()


def test_apps_accounts_certificates_and_companies_enter_the_graph(case: Case) -> None:
    capture_id = seed_apps(case)
    seed_companies(case)
    emit_case(case.store)
    new_entities, new_edges = emit_apps(case.store)
    assert entity(case, STUDIO).schema == "App" and entity(case, STUDIO).name == "Glimmer Studio"
    account = entity(case, "play:Glimmerpath+Studio")
    assert account.schema == "Account" and account.name == "Glimmerpath Studio Limited"
    assert entity(case, "cert:" + "ab" * 32).schema == "Certificate"
    links = {(e["src"], e["dst"], e["role"]) for e in edges(case, kind="platform")}
    assert (BASE, STUDIO, "promotes") in links
    assert ("play:Glimmerpath+Studio", STUDIO, "publishes") in links
    assert ("cert:" + "ab" * 32, STUDIO, "signs") in links and ("cert:" + "ab" * 32, LITE, "signs") in links
    assert (STUDIO, "CN/9145", "policy_controller") in links
    operated = {e["dst"]: e["properties"] for e in edges(case, role="operated_by")}
    assert set(operated) == {"CN/9144", "HK/1", "HK/2"}, "name, e-mail and address; never the shared one"
    assert (
        '"name"' in operated["CN/9144"] and '"email"' in operated["HK/1"] and '"address"' in operated["HK/2"]
    )
    (promotes,) = edges(case, role="promotes")
    assert promotes["capture_id"] == capture_id, "one edge per site and app, with the page's capture"
    assert (new_entities, new_edges) == (4, 8)  # 2 apps, account, certificate; 8 links
    assert emit_apps(case.store) == (0, 0), "emitting again adds nothing"


@pytest.mark.slow
def test_owners_path_walks_from_the_platform_through_the_app_and_show_finds_the_package(
    new_case: Path,
) -> None:
    case = Case.open(new_case)
    try:
        seed_apps(case)
        seed_companies(case)
    finally:
        case.close()
    unmask_json("owners", "emit-case", "--case", str(new_case))
    found = unmask_json("owners", "path", BASE, "CN/9144", "--case", str(new_case))
    assert found["length"] == 3
    assert [n["id"] for n in found["paths"][0]["nodes"]] == [
        BASE,
        STUDIO,
        "play:Glimmerpath+Studio",
        "CN/9144",
    ]
    shown = unmask_json("owners", "show", STUDIO, "--case", str(new_case))
    assert shown["id"] == STUDIO and shown["schema"] == "App"
