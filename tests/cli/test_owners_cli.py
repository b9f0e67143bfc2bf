"""`unmask owners import/show/resolve/merge/unmerge/merges/emit-case` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import unmask, unmask_json

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
DATA = Path(__file__).resolve().parents[1] / "owners" / "data"


@pytest.mark.slow
def test_import_show_resolve(new_case: Path) -> None:
    case = str(new_case)
    rr, lei = SHARED / "gleif" / "rr-data.json", SHARED / "gleif" / "lei-data.json"
    result = unmask_json("owners", "import", str(rr), "--case", case)
    [imported] = result["imports"]
    assert imported["format"] == "gleif" and imported["edges"] == 10
    unmask("owners", "import", str(lei), "--case", case)
    shown = unmask_json("owners", "show", "010CMKZ3VON21WF2ZD45", "--case", case)
    assert shown["id"] == "010CMKZ3VON21WF2ZD45" and shown["key"].startswith("#")
    parents = {n["id"]: n for n in shown["neighbours"]["ownership"]}
    assert parents["ZZG38T0MDR3QY1ETUA76"]["direction"] == "in"
    assert parents["ZZG38T0MDR3QY1ETUA76"]["source"]["file"] == str(rr)
    assert parents["3C7474T6CDKPR9K6YT90"]["direct"] is False

    proposals = unmask_json("owners", "resolve", "--case", case)["candidates"]
    assert proposals and all(p["applied"] is None for p in proposals)
    applied = unmask_json("owners", "resolve", "--apply", "--case", case)["candidates"]
    assert any(p["applied"] for p in applied if p["reason"] == "lei")
    merges = unmask_json("owners", "merges", "--case", case)["merges"]
    first = merges[0]["merge"]
    reverted = unmask_json("owners", "unmerge", str(first), "--case", case)
    assert reverted["merge"] == first

    # unmerged, the LEI names two entities again (the placeholder and the level 1 record)
    ambiguous = unmask("owners", "show", merges[0]["canonical"]["id"], "--case", case, check=False)
    assert ambiguous.returncode != 0 and "#" in ambiguous.stderr
    human = unmask("owners", "show", "ZZG38T0MDR3QY1ETUA76", "--case", case).stdout
    assert "IS_DIRECTLY_CONSOLIDATED_BY" in human and "010CMKZ3VON21WF2ZD45" in human


@pytest.mark.slow
def test_bad_input_names_file_and_line(new_case: Path, tmp_path: Path) -> None:
    case = str(new_case)
    bad = tmp_path / "notes.csv"
    bad.write_text(
        "owner,asset,percentage,source\nA Invented Ltd,B Invented Ltd,30,x\nC Ltd,B Invented Ltd,-3,y\n"
    )
    proc = unmask("owners", "import", str(bad), "--case", case, "--json", check=False)
    assert proc.returncode != 0 and proc.stdout == ""
    assert f"{bad}:3" in proc.stderr and "below 0" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    kept = unmask_json("owners", "import", str(bad), "--case", case, "--keep-going")
    assert [s["line"] for s in kept["imports"][0]["skipped"]] == [3]
    missing = unmask("owners", "show", "nobody", "--case", case, check=False)
    assert missing.returncode != 0 and "nobody" in missing.stderr


@pytest.mark.slow
def test_emit_case_and_forced_format(new_case: Path) -> None:
    case = str(new_case)
    assert unmask_json("owners", "emit-case", "--case", case) == {"entities": 0, "edges": 0}
    forced = unmask_json("owners", "import", str(DATA / "notes.csv"), "--format", "csv", "--case", case)
    assert forced["imports"][0]["edges"] == 5
    wrong = unmask(
        "owners", "import", str(DATA / "notes.csv"), "--format", "xml", "--case", case, check=False
    )
    assert wrong.returncode != 0 and "unknown format" in wrong.stderr
    json.loads(unmask("owners", "show", "Mira Quillon", "--case", case, "--json").stdout)


@pytest.mark.slow
def test_import_builds_the_index_the_queries_read(new_case: Path) -> None:
    """`owners import` ends by building the graph index; queries then read it without a note;
    `ultimate` takes an LEI with its scheme, as `show` does."""
    case = str(new_case)
    rr, lei = SHARED / "gleif" / "rr-data.json", SHARED / "gleif" / "lei-data.json"
    imported = unmask("owners", "import", str(rr), "--case", case, "--json")
    assert "building the index" in imported.stderr
    again = unmask("owners", "import", str(lei), "--case", case, "--json")
    assert "changed" in again.stderr  # the import moved the graph on: the index was built again
    assert [p.name[:1] for p in (new_case / "index" / "owners").iterdir()] == ["v"]
    answer = unmask("owners", "ultimate", "lei:010CMKZ3VON21WF2ZD45", "--case", case, "--json")
    assert answer.stderr == "" and json.loads(answer.stdout)["entity"] == "010CMKZ3VON21WF2ZD45"
    shown = unmask_json("owners", "show", "lei:010CMKZ3VON21WF2ZD45", "--case", case)
    assert shown["id"] == "010CMKZ3VON21WF2ZD45"
    merged = unmask("owners", "resolve", "--apply", "--case", case, "--json")
    assert "changed" in merged.stderr  # the merges moved the graph on: the index was built again
    assert unmask("owners", "path", "010CMKZ3VON21WF2ZD45", "#1", "--case", case, "--json").stderr == ""


@pytest.mark.slow
def test_a_garbage_file_is_an_error_and_no_import(new_case: Path, tmp_path: Path) -> None:
    case = str(new_case)
    garbage = tmp_path / "garbage.csv"
    garbage.write_text("hello,world\n1,2\n")
    proc = unmask("owners", "import", str(garbage), "--format", "gleif", "--case", case, check=False)
    assert proc.returncode != 0 and proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"unmask: error: {garbage}: no gleif record in this file (line 2: not a GLEIF record (no LEI, "
        "Relationship or ExceptionCategory)); nothing imported"
    ]
    first = unmask_json("owners", "import", str(DATA / "notes.csv"), "--case", case)
    assert first["imports"][0]["import_id"] == 1  # the garbage was not recorded as an import
