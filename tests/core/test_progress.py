"""One progress callback feeds the terminal's bar and the web job's file: the file always ends on the
last count, is never half written, and a bad or missing file reads as no progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from unmask.core.progress import PROGRESS_FILE_ENV, Count, progress_display, read_progress


def test_the_job_file_holds_the_last_count_the_stage_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "job-1.progress"
    monkeypatch.setenv(PROGRESS_FILE_ENV, str(path))
    with progress_display("scan", show=False) as step:
        step(0, 3)
        for done, name in enumerate(("a.test", "b.test", "c.test"), start=1):
            step(done, 3, name)  # the steps in between may be skipped (at most 4 writes a second)
    assert read_progress(path) == Count("scan", 3, 3, "c.test")
    assert [p.name for p in tmp_path.iterdir()] == ["job-1.progress"]  # no half-written file left


def test_without_a_job_nothing_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PROGRESS_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with progress_display("apps", show=False) as step:
        step(1, 1, "com.example")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text", [None, "", "{", '{"label": "x"}', '{"label": "x", "done": -1, "total": 2}'])
def test_a_missing_or_bad_file_is_no_progress(tmp_path: Path, text: str | None) -> None:
    path = tmp_path / "p"
    if text is not None:
        path.write_text(text)
    assert read_progress(path) is None


def test_a_count_reads_as_steps_or_as_megabytes() -> None:
    assert Count("scan", 1200, 3400).text() == "1,200 / 3,400"
    assert Count("verify", 12_500_000, 40_000_000, unit="bytes").text() == "12.5 / 40.0 MB"
