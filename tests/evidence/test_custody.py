"""The custody log: one chained line per command that changed the case, secrets removed; a real crawl
seals itself when the case asks, and what it wrote passes every independent check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evidence.conftest import CrawledCase, openssl_verify, warcio_check
from tests.evidence.test_wacz import wacz_validate
from tests.helpers.cli import unmask, unmask_json
from unmask.evidence import custody


def _log(case: Path) -> list[dict]:
    return [json.loads(line) for line in (case / "evidence" / "custody.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_a_sealed_crawl_is_logged_chained_and_passes_every_independent_check(
    crawled_case: CrawledCase, tmp_path: Path
) -> None:
    assert crawled_case.summary["status"] == "complete"
    new_case = crawled_case.root
    lines = _log(new_case)
    assert [entry["action"] for entry in lines] == ["init", "census crawl"]
    init, run = lines
    assert init["prev"] is None and run["prev"] == custody.line_hash(
        (new_case / "evidence" / "custody.jsonl").read_bytes().splitlines()[0]
    )
    assert run["outcome"] == "ok" and run["changed"]["rows"]["capture"] == run["counts"]["capture"] > 0
    assert any(p.startswith("evidence/warc/") for p in run["changed"]["files_added"])
    manifest = new_case / run["seal"]
    assert json.loads(manifest.read_bytes())["sealed_by"] == "census crawl"
    [token] = manifest.parent.glob("*.tsr")
    assert openssl_verify(token, manifest, crawled_case.tsa_root).returncode == 0
    warcio_check(sorted((new_case / "evidence" / "warc").glob("*.warc.gz")))
    report = json.loads(unmask("evidence", "verify", "--case", str(new_case), "--json").stdout)
    assert report["ok"], report["failures"][:5]
    assert 0 < report["checked"]["captures"] <= run["counts"]["capture"]
    package = tmp_path / "crawl.wacz"
    unmask("evidence", "export", "--format", "wacz", "-o", str(package), "--case", str(new_case))
    wacz_validate(package)
    entries = unmask_json("evidence", "log", "--case", str(new_case))
    assert [e["action"] for e in entries] == ["init", "census crawl"]  # an export changes nothing in the case


@pytest.mark.slow
def test_a_command_that_fails_on_bad_input_is_not_logged(new_case: Path) -> None:
    proc = unmask("census", "crawl", "not a url", "--case", str(new_case), check=False)
    assert proc.returncode != 0
    assert [e["action"] for e in _log(new_case)] == ["init"]


@pytest.mark.slow
def test_every_changing_command_appends_one_line(new_case: Path) -> None:
    unmask("evidence", "seal", "--case", str(new_case))
    unmask("evidence", "seal", "--case", str(new_case))
    entries = unmask_json("evidence", "log", "--case", str(new_case))
    assert [e["seq"] for e in entries] == [1, 2, 3]
    assert [e["action"] for e in entries] == ["init", "evidence seal", "evidence seal"]
    assert all(e["unmask_version"] and e["time"].endswith("Z") for e in entries)
    assert entries[1]["changed"]["files_added"] and not entries[1]["changed"]["rows"]
    assert list(custody.chain_problems(new_case / "evidence" / "custody.jsonl")) == []


def test_secrets_are_removed_from_the_logged_command_line() -> None:
    argv = [
        "unmask",
        "census",
        "crawl",
        "https://shop.invalid/list?page=2&token=abc123&sort=new",
        "--db",
        "postgresql://investigator:s3cret@127.0.0.1:5432/case",
        "--token",
        "tok-value",
        "--password=pw-value",
        "--redis",
        "redis://:r3dis@127.0.0.1:6379/0",
    ]
    logged = " ".join(custody.redact_command(argv))
    for secret in ("abc123", "s3cret", "tok-value", "pw-value", "r3dis"):
        assert secret not in logged
    assert "page=2" in logged and "sort=new" in logged and "investigator:[redacted]@127.0.0.1" in logged


def test_a_line_cut_short_or_changed_breaks_the_chain(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    for n in range(3):
        custody.append(evidence, {"command": ["unmask", "x", str(n)]})
    log = evidence / "custody.jsonl"
    assert list(custody.chain_problems(log)) == []
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(lines[0] + lines[2])  # the middle line removed
    problems = list(custody.chain_problems(log))
    assert problems and problems[0][0] == 0
    log.write_bytes(b"".join(lines)[:-5])
    assert any("cut short" in p for _, p in custody.chain_problems(log))
    custody.append(evidence, {"command": ["unmask", "after"]})  # a new line starts on its own line
    assert json.loads(log.read_bytes().splitlines()[-1])["command"] == ["unmask", "after"]


def _private_hooks(notes: list[str]) -> custody.LogHooks:
    return custody.LogHooks(
        command_line=lambda argv: ["unmask", "quiet"], outcome=lambda exc: "no" if exc else "yes", notes=notes
    )


def test_hooks_write_the_command_line_outcome_and_note_they_are_given(tmp_path: Path) -> None:
    from unmask.core.case import Case

    root = tmp_path / "case"
    Case.init(root).close()
    notes: list[str] = ["left over from an earlier command"]

    @custody.logged("quiet add", hooks=_private_hooks(notes))
    def add(case: Path) -> None:
        notes.append("1 thing added")

    @custody.logged("quiet fail", hooks=_private_hooks(notes))
    def fail(case: Path, noted: bool) -> None:
        if noted:
            notes.append("half done")
        raise ValueError("a name that must not be logged")

    add(case=root)
    with pytest.raises(ValueError):
        fail(case=root, noted=False)  # failed before noting anything: no line
    with pytest.raises(ValueError):
        fail(case=root, noted=True)  # noted, then failed: a line, though nothing changed in counts
    lines = _log(root)
    assert [(e["action"], e["outcome"], e["note"]) for e in lines] == [
        ("quiet add", "yes", "1 thing added"),
        ("quiet fail", "no", "half done"),
    ]
    assert all(e["command"] == ["unmask", "quiet"] and "seal" not in e for e in lines)
    assert list(lines[0]) == [
        "seq", "time", "command", "action", "unmask_version", "outcome", "note", "changed", "counts", "prev"
    ]  # fmt: skip


def test_hooks_can_let_a_failure_to_log_pass_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from unmask.core.case import Case

    root = tmp_path / "case"
    Case.init(root).close()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(custody, "append", broken)
    strict = custody.LogHooks(notes=[], catch_log_errors=False)
    with pytest.raises(OSError, match="disk full"):
        custody.logged("strict", hooks=strict)(lambda case: None)(case=root)
    with pytest.raises(SystemExit):  # the default: a warning, and exit 1 for a command that succeeded
        custody.logged("lenient")(lambda case: None)(case=root)
