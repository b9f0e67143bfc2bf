"""`evidence verify`: everything holds on an untouched case; one changed byte anywhere is found and named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from tests.evidence.conftest import captures, openssl_verify, record_pages, rewrite_member, trust, warc_files
from tests.helpers.cli import unmask
from tests.helpers.tsa import LocalTsa
from unmask.core.case import Case
from unmask.core.store.models import Capture
from unmask.evidence import custody
from unmask.evidence.seal import seal
from unmask.evidence.verify import verify


def _seal(case: Case, tsa: LocalTsa) -> dict[str, Any]:
    """A seal and its custody line, as `unmask evidence seal` makes them (in-process: faster)."""
    result = seal(case, [tsa.url])
    custody.append(
        case.evidence_dir,
        {"time": "2026-12-01T00:00:00Z", "command": ["unmask", "evidence", "seal"], "outcome": "ok"},
    )
    return result.as_dict(case)


def _verify(case: Case) -> tuple[int, dict[str, Any]]:
    proc = unmask("evidence", "verify", "--case", str(case.root), "--json", check=False)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def _named(report: dict[str, Any], file: str) -> list[dict[str, Any]]:
    return [f for f in report["failures"] if f["file"] == file]


@pytest.fixture
def sealed(sqlite_case: Case, tsa: LocalTsa) -> dict[str, Any]:
    """A case with five captures from two recorders, two seals (the second covering the first and the
    custody log)."""
    return _sealed(sqlite_case, tsa)


def _sealed(case: Case, tsa: LocalTsa) -> dict[str, Any]:
    record_pages(case, 3)
    record_pages(case, 2, start=3)
    trust(case, tsa.root)
    first = _seal(case, tsa)
    second = _seal(case, tsa)
    return {"case": case, "first": first, "second": second}


@pytest.mark.slow
def test_an_untouched_case_verifies_and_openssl_agrees_on_every_token(case: Case, tsa: LocalTsa) -> None:
    sealed = _sealed(case, tsa)
    code, report = _verify(case)
    assert (code, report["failures"]) == (0, [])
    checked = report["checked"]
    assert checked["warc_files"] == len(warc_files(case)) and checked["captures"] == 5
    assert checked["warc_records"] == 2 + 2 * 5  # a warcinfo per recorder, a response and a request per page
    assert checked["manifests"] == 2 and checked["timestamps"] == 2 and checked["custody_entries"] == 2
    for sealed_run in (sealed["first"], sealed["second"]):
        token = case.root / sealed_run["timestamps"][0]["token"]
        assert openssl_verify(token, case.root / sealed_run["manifest"], tsa.root).returncode == 0


@pytest.mark.slow
def test_later_runs_and_log_lines_keep_earlier_seals_valid(sealed: dict[str, Any], tsa: LocalTsa) -> None:
    case: Case = sealed["case"]
    record_pages(case, 4, start=10)
    _seal(case, tsa)
    code, report = _verify(case)
    assert (code, report["failures"]) == (0, [])
    assert report["checked"]["captures"] == 9 and report["checked"]["manifests"] == 3


@pytest.mark.slow
def test_a_byte_changed_in_a_warc_payload_is_named_with_its_offset(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    target = captures(case)[-1]
    path = case.evidence_dir / str(target.warc_file)
    rewrite_member(path, int(target.warc_offset), b"Catalogue page 4", b"Catalogue page 9")
    code, report = _verify(case)
    assert code == 1
    name = f"evidence/{target.warc_file}"
    problems = {(f["offset"], f["problem"]) for f in _named(report, name)}
    assert (target.warc_offset, "response: payload digest does not match the record's bytes") in problems
    assert (target.warc_offset, "response: block digest does not match the record's bytes") in problems
    assert any(f["offset"] is None and "changed since" in f["problem"] for f in _named(report, name))
    human = unmask("evidence", "verify", "--case", str(case.root), check=False)
    assert human.returncode == 1
    assert f"{name}:{target.warc_offset}: response: payload digest does not match" in human.stdout


@pytest.mark.slow
def test_a_byte_changed_in_a_manifest_is_named(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    manifest = case.root / sealed["first"]["manifest"]
    manifest.write_bytes(
        manifest.read_bytes().replace(b'"sealed_by": "evidence seal"', b'"sealed_by": "evidence seaL"')
    )
    code, report = _verify(case)
    assert code == 1
    assert _named(report, sealed["first"]["manifest"])  # the second seal covers the first manifest
    token = _named(report, sealed["first"]["timestamps"][0]["token"])
    assert token and "over other data" in token[0]["problem"]


@pytest.mark.slow
def test_a_byte_changed_in_a_token_is_named(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    token_name = sealed["second"]["timestamps"][0]["token"]
    token = case.root / token_name
    data = bytearray(token.read_bytes())
    data[len(data) // 2] ^= 0x01
    token.write_bytes(bytes(data))
    code, report = _verify(case)
    assert code == 1 and _named(report, token_name)


@pytest.mark.slow
def test_a_byte_changed_in_the_custody_log_is_named_with_its_line_offset(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    log = case.evidence_dir / "custody.jsonl"
    data = log.read_bytes()
    log.write_bytes(data.replace(b'"outcome":"ok"', b'"outcome":"OK"', 1))
    code, report = _verify(case)
    assert code == 1
    failures = _named(report, "evidence/custody.jsonl")
    assert any(f["offset"] == 0 and "line 1" in f["problem"] for f in failures)


@pytest.mark.slow
def test_a_deleted_warc_is_named_with_the_rows_that_point_into_it(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    gone = warc_files(case)[0]
    rows = sum(1 for c in captures(case) if c.warc_file == f"warc/{gone.name}")
    gone.unlink()
    code, report = _verify(case)
    assert code == 1
    [failure] = _named(report, f"evidence/warc/{gone.name}")
    assert failure["problem"] == f"missing; {rows} capture rows point into it"


@pytest.mark.slow
def test_a_capture_row_whose_hash_was_changed_is_named(case: Case, tsa: LocalTsa) -> None:
    sealed = _sealed(case, tsa)
    target = captures(case)[1]
    with case.store.session() as session:
        session.execute(update(Capture).where(Capture.id == target.id).values(payload_sha256="0" * 64))
    code, report = _verify(case)
    assert code == 1
    [row] = _named(report, f"evidence/{target.warc_file}")
    assert row["offset"] == target.warc_offset and "payload SHA-256 in the store differs" in row["problem"]
    assert any("capture rows up to id" in f["problem"] for f in _named(report, sealed["first"]["manifest"]))


@pytest.mark.slow
def test_a_token_from_a_foreign_tsa_root_fails(sealed: dict[str, Any], tmp_path: Path) -> None:
    case: Case = sealed["case"]
    with LocalTsa(tmp_path / "foreign", name="Foreign TSA") as foreign:
        trust(case, foreign.root)
    code, report = _verify(case)
    assert code == 1
    for sealed_run in (sealed["first"], sealed["second"]):
        [failure] = _named(report, sealed_run["timestamps"][0]["token"])
        assert "does not verify against evidence.tsa_roots" in failure["problem"]


@pytest.mark.slow
def test_a_token_for_other_data_fails(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    first = case.root / sealed["first"]["timestamps"][0]["token"]
    second = case.root / sealed["second"]["timestamps"][0]["token"]
    shutil.copyfile(first, second)  # a genuine token of the same TSA, over another manifest
    code, report = _verify(case)
    assert code == 1
    [failure] = _named(report, sealed["second"]["timestamps"][0]["token"])
    assert "over other data" in failure["problem"]


@pytest.mark.slow
def test_tokens_without_a_trusted_root_are_not_taken_on_trust(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    case.config.evidence.tsa_roots = []
    case.save()
    code, report = _verify(case)
    assert code == 1 and all("evidence.tsa_roots" in f["problem"] for f in report["failures"])


@pytest.mark.slow
def test_an_unreadable_root_file_is_a_one_line_error(sealed: dict[str, Any]) -> None:
    case: Case = sealed["case"]
    case.config.evidence.tsa_roots = ["trust/missing.pem"]
    case.save()
    proc = unmask("evidence", "verify", "--case", str(case.root), check=False)
    assert proc.returncode == 2 and "missing.pem" in proc.stderr and proc.stderr.strip().count("\n") == 0


@pytest.mark.slow
def test_progress_counts_every_byte_against_a_known_total(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 5, size=200_000)
    calls: list[tuple[int, int]] = []
    result = verify(sqlite_case, progress=lambda done, total: calls.append((done, total)))
    assert result.ok
    total = sum(p.stat().st_size for p in sqlite_case.evidence_dir.rglob("*") if p.is_file())
    assert calls[-1] == (total, total) and all(t == total for _, t in calls)
