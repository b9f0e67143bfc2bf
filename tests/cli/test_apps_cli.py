"""`unmask apps` and `unmask policy` on the shared parts: every command that changes the case is in the
custody log (and no command that only reads), and what stores said reaches the terminal as plain text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import unmask
from unmask.core.case import Case
from unmask.core.store.models import App, AppStoreCheck

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
APK = FIXTURES / "apks" / "rotated-v1v2v3-lineage.apk"
PACKAGE = "android.appsecurity.cts.tinyapp"
POLICY = FIXTURES / "policies" / "heldout" / "orchid-en.txt"
HOSTILE = "[bold]Lumen[/bold] \x1b[2J\x1b]8;;http://evil.invalid\x07Pixel\u202eLtd"


def actions(case: Path) -> list[str]:
    log = case / "evidence" / "custody.jsonl"
    return [json.loads(line)["action"] for line in log.read_text(encoding="utf-8").splitlines()]


@pytest.mark.slow
def test_commands_that_change_the_case_are_logged_and_reading_ones_are_not(
    new_case: Path, tmp_path: Path
) -> None:
    case = str(new_case)
    unmask("apps", "add", str(APK), "--case", case)
    unmask("apps", "show", PACKAGE, "--case", case)
    unmask("apps", "trackers", "--case", case)
    unmask("policy", "analyze", str(POLICY), "--case", case)
    assert actions(new_case) == ["init", "apps add"]
    tracker_list = tmp_path / "exodus.json"
    tracker_list.write_text(
        json.dumps({"trackers": {"1": {"name": "Invented SDK", "code_signature": "com.invented.sdk"}}}),
        encoding="utf-8",
    )
    unmask("apps", "trackers", str(tracker_list), "--case", case)
    unmask("policy", "analyze", str(POLICY), "--app", PACKAGE, "--case", case)
    unmask("apps", "discover", "--case", case)
    assert actions(new_case) == ["init", "apps add", "apps trackers", "policy analyze", "apps discover"]
    entry = json.loads((new_case / "evidence" / "custody.jsonl").read_text(encoding="utf-8").splitlines()[1])
    assert entry["changed"]["rows"]["app"] == 1 and entry["outcome"] == "ok"
    assert (new_case / "apps" / "exodus_trackers.json").stat().st_mode & 0o077 == 0, "inside the case: 0600"


@pytest.mark.slow
def test_what_a_store_said_is_shown_as_written_never_run(new_case: Path) -> None:
    case = Case.open(new_case)
    try:
        with case.store.session() as session:
            app = App(package="com.lumenpixel.mirage", name=HOSTILE)
            session.add(app)
            session.flush()
            session.add(
                AppStoreCheck(
                    app_id=app.id, store="play", country="us", status="listed", url="x", developer=HOSTILE
                )
            )
    finally:
        case.close()
    out = unmask("apps", "show", "com.lumenpixel.mirage", "--case", str(new_case)).stdout
    assert "[bold]Lumen[/bold]" in out, "markup in a listing is text"
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert len(out.strip().splitlines()) == 2, "one line per fact"
