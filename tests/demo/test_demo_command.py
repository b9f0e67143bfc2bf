"""`unmask demo` end to end: crawl, figures, the invented ownership chain, where the case and report are."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.cli import unmask


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

    # a second run is a re-crawl of the same case: the notes are not imported twice
    again = json.loads(unmask("demo", "--case", str(case_dir), "--scale", "0.005", "--json").stdout)
    assert again["case"] == str(case_dir)
    repeat = json.loads(
        unmask("owners", "ultimate", "Quiet Lantern Media Ltd", "--case", str(case_dir), "--json").stdout
    )
    assert repeat["owners"] == owners["owners"]
