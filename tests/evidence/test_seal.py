"""`evidence seal`: a manifest over every evidence file and the capture rows, timestamped by each TSA;
a TSA that fails is a recorded result, never the seal's failure."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.evidence.conftest import openssl_verify, record_pages, warc_files
from tests.helpers.cli import unmask
from tests.helpers.tsa import LocalTsa
from unmask.core.case import Case
from unmask.evidence.digests import sha256_bytes
from unmask.evidence.seal import seal, seal_after_run


def test_seal_lists_every_evidence_file_and_digests_the_capture_rows(case: Case, tsa: LocalTsa) -> None:
    record_pages(case, 3)
    record_pages(case, 2, start=3)
    result = seal(case, [tsa.url])
    content = json.loads(result.manifest.read_bytes())
    listed = {f["path"]: f for f in content["files"]}
    assert set(listed) == {f"evidence/warc/{p.name}" for p in warc_files(case)}
    for path in warc_files(case):
        entry = listed[f"evidence/warc/{path.name}"]
        assert (entry["sha256"], entry["bytes"]) == (sha256_bytes(path.read_bytes()), path.stat().st_size)
    assert content["captures"]["count"] == 5
    assert content["captures"]["max_id"] == 5
    assert content["unmask_version"]
    assert result.sha256 == sha256_bytes(result.manifest.read_bytes())


def test_the_manifest_holds_no_secret(tmp_path: Path, tsa: LocalTsa) -> None:
    case = Case.init(tmp_path / "case", db="sqlite:///unmask.db")
    case.config.fetch.proxy = "socks5h://agent:hunter2@127.0.0.1:9050"
    case.config.fetch.cookies = {"shop.invalid": {"session": "cookie-secret-value"}}
    case.config.fetch.headers = {"Authorization": "Bearer header-secret-value"}
    case.save()
    record_pages(case, 1)
    text = seal(case, []).manifest.read_text()
    for secret in (case.config.secret, "hunter2", "cookie-secret-value", "header-secret-value"):
        assert secret not in text
    assert "socks5h://127.0.0.1:9050" in text
    case.close()


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_every_token_verifies_with_openssl_against_the_tsa_root(
    sqlite_case: Case, tmp_path: Path, kind: str
) -> None:
    record_pages(sqlite_case, 2)
    with LocalTsa(tmp_path / f"tsa-{kind}", kind=kind) as tsa:
        result = seal(sqlite_case, [tsa.url])
    [stamp] = result.timestamps
    assert stamp.ok and stamp.time and stamp.nonce
    token = sqlite_case.root / str(stamp.token)
    proc = openssl_verify(token, result.manifest, tsa.root)
    assert proc.returncode == 0 and "Verification: OK" in proc.stdout, proc.stderr
    chain = (sqlite_case.root / str(stamp.chain)).read_text()
    assert chain.count("BEGIN CERTIFICATE") == 1
    record = json.loads(next(result.manifest.parent.glob("*.timestamps.json")).read_text())
    assert record["libraries"]["rfc3161-client"] and record["timestamps"][0]["nonce"] == stamp.nonce


@pytest.mark.slow
def test_each_failing_tsa_is_recorded_and_the_seal_still_written(sqlite_case: Case, tmp_path: Path) -> None:
    record_pages(sqlite_case, 2)
    sqlite_case.config.evidence.tsa_timeout = 1.0
    with (
        LocalTsa(tmp_path / "good") as good,
        LocalTsa(tmp_path / "html", mode="html") as html,
        LocalTsa(tmp_path / "slow", mode="slow", delay=3.0) as slow,
        LocalTsa(tmp_path / "other", mode="other") as other,
        LocalTsa(tmp_path / "error", mode="error") as error,
    ):
        down = "http://127.0.0.1:9/tsa"  # discard port: nothing listens
        result = seal(sqlite_case, [html.url, slow.url, other.url, error.url, down, good.url])
    by_url = {t.tsa: t for t in result.timestamps}
    assert by_url[good.url].ok
    assert "text/html" in str(by_url[html.url].error)
    assert "within 1 s" in str(by_url[slow.url].error)
    assert "another hash" in str(by_url[other.url].error)
    assert "HTTP 500" in str(by_url[error.url].error)
    assert str(by_url[down].error).startswith("connect:")
    assert result.manifest.is_file()
    assert len(list(result.manifest.parent.glob("*.tsr"))) == 1


@pytest.mark.slow
def test_seal_json_follows_the_contract(new_case: Path, tsa: LocalTsa) -> None:
    proc = unmask(
        "evidence",
        "seal",
        "--case",
        str(new_case),
        "--tsa",
        tsa.url,
        "--tsa",
        "http://127.0.0.1:9/",
        "--json",
    )
    data = json.loads(proc.stdout)
    assert set(data) >= {"manifest", "sha256", "files", "timestamps"}
    assert (new_case / data["manifest"]).is_file()
    assert isinstance(data["files"], int)
    [stamp] = data["timestamps"]
    assert set(stamp) == {"tsa", "time", "token"} and stamp["time"].endswith("Z")
    assert (new_case / stamp["token"]).is_file()
    assert [f["tsa"] for f in data["failed_timestamps"]] == ["http://127.0.0.1:9/"]


def test_seal_uses_the_tsas_of_case_yaml(sqlite_case: Case, tsa: LocalTsa) -> None:
    sqlite_case.config.evidence.tsa = [tsa.url]
    assert [t.ok for t in seal(sqlite_case).timestamps] == [True]


@pytest.mark.slow
def test_a_bad_tsa_url_is_a_one_line_error(new_case: Path) -> None:
    proc = unmask("evidence", "seal", "--case", str(new_case), "--tsa", "ftp://tsa.invalid/", check=False)
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0 and "ftp://tsa.invalid/" in proc.stderr


@pytest.mark.slow
def test_a_read_only_evidence_folder_is_a_one_line_error(new_case: Path) -> None:
    evidence = new_case / "evidence"
    script = f'mount --bind -o ro {evidence} {evidence} && exec "$@"'
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount --bind -o ro / /mnt 2>/dev/null || exit 9"], check=False
    )
    if probe.returncode == 9:
        pytest.skip("no mount namespace here to make the folder read-only for root")
    from tests.helpers.cli import UNMASK

    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", *UNMASK, "evidence", "seal", "--case", str(new_case)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines[0].startswith("unmask: error:") and "Read-only" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_seal_after_run_seals_only_when_the_case_asks(sqlite_case: Case, tsa: LocalTsa) -> None:
    record_pages(sqlite_case, 1)
    assert seal_after_run(sqlite_case, "census crawl") is None
    sqlite_case.config.evidence.seal_after_run = True
    sqlite_case.config.evidence.tsa = [tsa.url]
    result = seal_after_run(sqlite_case, "census crawl")
    assert result is not None and result.timestamps[0].ok
    assert json.loads(result.manifest.read_bytes())["sealed_by"] == "census crawl"
