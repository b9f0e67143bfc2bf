"""The chain-step trace (``UNMASK_TRACE_DIR``, ``bench/scale_bench.py --trace``) notes the listing rows'
steps, and nothing at all unless asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from unmask.census.distributed.worker import TRACE_ENV, StepTrace
from unmask.census.model import PageKind
from unmask.census.writer import FrontierRow


def _row(i: int, kind: PageKind) -> FrontierRow:
    return FrontierRow(i, f"http://127.0.0.1/p/{i}", kind, None, None, 1, 0, None)


def test_the_step_trace_notes_listing_rows_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TRACE_ENV, raising=False)
    silent = StepTrace("w1")
    silent.note("claimed", [_row(1, PageKind.LISTING)])
    silent.close()
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setenv(TRACE_ENV, str(tmp_path))
    trace = StepTrace("w1")
    trace.note("claimed", [_row(1, PageKind.LISTING), _row(2, PageKind.ITEM), _row(3, PageKind.LISTING)])
    trace.note("stored", [_row(4, PageKind.SITEMAP)])
    trace.close()
    lines = (tmp_path / "w1.trace").read_text().splitlines()
    assert [line.split()[1:] for line in lines] == [["claimed", "1", "3"]]
