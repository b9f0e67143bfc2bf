"""`unmask demo` end to end: crawl, figures, the invented ownership chain, where the case and report are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers.cli import unmask
from unmask.core.case import Case
from unmask.core.store.models import Platform


def _platform(case_dir: Path) -> str:
    case = Case.open(case_dir)
    try:
        with case.store.session() as session:
            return str(session.scalars(select(Platform.base_url)).one())
    finally:
        case.close()


@pytest.mark.slow
def test_demo_prints_where_things_are_and_the_report_shows_every_stage(tmp_path: Path) -> None:
    case_dir = tmp_path / "demo-case"
    out = unmask("demo", "--case", str(case_dir), "--scale", "0.005")
    lines = out.stdout.strip().splitlines()
    assert lines[-2] == f"case: {case_dir}" and lines[-1] == f"report: {case_dir / 'reports' / 'report.html'}"
    report = (case_dir / "reports" / "report.html").read_text(encoding="utf-8")
    assert 'id="owners"' in report and "gv-node" in report and "Quiet Lantern Media Ltd" in report
    assert "Ines Morrow-Fable" in report  # an owner from the register: named, as in `owners ultimate`

    owners = json.loads(
        unmask("owners", "ultimate", "Quiet Lantern Media Ltd", "--case", str(case_dir), "--json").stdout
    )
    shares = {o["id"]: (o["percent_low"], o["percent_high"]) for o in owners["owners"]}
    assert shares == {"Shenlake Invented Technology Co. Ltd": (42.0, 52.5), "Ines Morrow-Fable": (30.0, 30.0)}

    # the app route: the promoted app found on the stored pages, its listing checked on the demo's store,
    # its policy read, and owners path from the platform to the company behind the app through the app
    assert "The app route" in out.stdout and "com.glimmerpath.mirage" in out.stdout
    app = json.loads(
        unmask("apps", "show", "com.glimmerpath.mirage", "--case", str(case_dir), "--json").stdout
    )
    assert app["promotions"] and app["stores"][0]["status"] == "listed"
    assert app["stores"][0]["developer"] == "Glimmerpath Studio Limited"
    kinds = {s["kind"] for s in app["policies"][-1]["signals"] if not s["negated"]}
    assert {"china_law", "china_storage", "state_access", "biometric", "model_training"} <= kinds
    platform = _platform(case_dir)
    found = json.loads(
        unmask("owners", "path", platform, "Glimmerpath Studio Ltd", "--case", str(case_dir), "--json").stdout
    )
    ids = [node["id"] for node in found["paths"][0]["nodes"]]
    assert ids[0] == platform and ids[1] == "com.glimmerpath.mirage" and ids[-1] == "Glimmerpath Studio Ltd"

    # a second run is a re-crawl of the same case: the notes are not imported twice
    again = json.loads(unmask("demo", "--case", str(case_dir), "--scale", "0.005", "--json").stdout)
    assert again["case"] == str(case_dir)
    assert again["app_route"]["owners_path"][-1] == "Glimmerpath Studio Ltd"
    repeat = json.loads(
        unmask("owners", "ultimate", "Quiet Lantern Media Ltd", "--case", str(case_dir), "--json").stdout
    )
    assert repeat["owners"] == owners["owners"]
