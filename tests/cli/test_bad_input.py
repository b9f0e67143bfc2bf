"""Bad input: one clear line on stderr, a non-zero exit, nothing stored changed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.cli import unmask


def _one_line_error(proc: object) -> str:
    stderr = proc.stderr.strip()  # type: ignore[attr-defined]
    assert proc.returncode != 0  # type: ignore[attr-defined]
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) <= 3, stderr  # click's usage errors add a usage line and a hint
    return stderr


def test_no_case_here(tmp_path: Path) -> None:
    err = _one_line_error(unmask("stats", "--case", str(tmp_path), check=False))
    assert "no case here" in err and str(tmp_path) in err


def test_init_with_a_bad_database_url(tmp_path: Path) -> None:
    err = _one_line_error(unmask("init", str(tmp_path / "c"), "--db", "oracle://x/y", check=False))
    assert "unsupported database" in err


def test_crawl_needs_an_http_url(new_case: Path) -> None:
    err = _one_line_error(
        unmask("census", "crawl", "ftp://example.invalid/", "--case", str(new_case), check=False)
    )
    assert "not an http(s) URL" in err


@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_crawl_rejects_a_bad_concurrency(new_case: Path, value: str) -> None:
    proc = unmask(
        "census", "crawl", "http://127.0.0.1:9/", "--case", str(new_case), "--concurrency", value, check=False
    )
    _one_line_error(proc)


def test_missing_adapter_file(new_case: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    err = _one_line_error(
        unmask(
            "census",
            "crawl",
            "http://127.0.0.1:9/",
            "--case",
            str(new_case),
            "--adapter",
            str(missing),
            check=False,
        )
    )
    assert "nope" in err


def test_malformed_adapter_file_names_file_and_line(new_case: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nitems: {video: '(unclosed'}\n")
    err = _one_line_error(
        unmask(
            "census",
            "crawl",
            "http://127.0.0.1:9/",
            "--case",
            str(new_case),
            "--adapter",
            str(bad),
            check=False,
        )
    )
    assert "bad.yaml" in err


def test_unreadable_case_config(tmp_path: Path) -> None:
    unmask("init", str(tmp_path / "c"))
    (tmp_path / "c" / "case.yaml").write_text("fetch: {delay: [\n")
    err = _one_line_error(unmask("stats", "--case", str(tmp_path / "c"), check=False))
    assert "case.yaml" in err


def test_stats_on_an_empty_case_is_zero_not_an_error(new_case: Path) -> None:
    proc = unmask("stats", "--case", str(new_case), "--json")
    data = json.loads(proc.stdout)
    assert data["videos"] == 0 and data["monthly"] == [] and data["first_upload"] is None
    assert proc.stderr.strip() == ""


def test_a_start_url_that_cannot_be_fetched_fails_with_one_line(new_case: Path) -> None:
    """Contract: nothing listening at the start URL is the command failing (exit 1), never "complete"."""
    args = ("census", "crawl", "http://127.0.0.1:9/", "--case", str(new_case), "--delay", "0", "--json")
    proc = unmask(*args, check=False)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout == ""
    lines = [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("census ")]
    assert len(lines) == 1 and "http://127.0.0.1:9/" in lines[0] and "connect" in lines[0], proc.stderr
    figures = json.loads(unmask("stats", "--case", str(new_case), "--json").stdout)
    assert figures["complete"] is False and figures["removed"] == 0
    assert figures["incomplete_reasons"][0].startswith("the start page could not be fetched")
