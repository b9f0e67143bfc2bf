"""Output helpers: checked targets, atomic writes, the one CSV writer, text safe for terminals and pages."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.output import (
    CsvWriter,
    atomic_write,
    display_text,
    export_format,
    export_formats,
    html_text,
    output_target,
    term,
)


def test_output_target_refuses_the_cases_own_files(sqlite_case: Case) -> None:
    root = sqlite_case.root
    for target in ("case.yaml", "unmask.db", "unmask.db-wal", "evidence/warc/x.warc.gz", "logs/x.log"):
        with pytest.raises(UnmaskError, match="refused"):
            output_target(root / target, sqlite_case)
    assert output_target(root / "reports" / "r.html", sqlite_case) == (root / "reports" / "r.html").resolve()
    assert output_target(root / "exports" / "csv", sqlite_case, folder=True).is_dir()


def test_output_target_needs_the_right_kind_of_path(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(UnmaskError, match="is a folder"):
        output_target(tmp_path / "dir")
    with pytest.raises(UnmaskError, match="folder is needed"):
        output_target(tmp_path / "file", folder=True)
    with pytest.raises(UnmaskError, match="cannot create"):
        output_target(tmp_path / "file" / "x.html")


def test_atomic_write_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with atomic_write(target, private=True) as tmp:
        tmp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new" and oct(os.stat(target).st_mode & 0o777) == oct(0o600)
    with pytest.raises(ValueError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise ValueError
    assert target.read_text() == "new" and list(tmp_path.iterdir()) == [target]


def test_the_csv_writer_writes_typed_values_and_neutralises_text() -> None:
    import datetime as dt

    fh = io.StringIO()
    writer = CsvWriter(fh)
    writer.header(["a", "b", "c", "d", "e"])
    writer.row([True, None, dt.date(2020, 1, 2), "=1+1", " \uff20SUM(1)"])
    assert fh.getvalue().splitlines() == ["a,b,c,d,e", "true,,2020-01-02,'=1+1,' \uff20SUM(1)"]
    assert writer.rows == 1


def test_display_text_removes_bidi_controls_and_invisible_characters() -> None:
    assert display_text("a\u202eb\u2066c\u200bd\x1b]8;;x\x07e\ufeff") == "abcd]8;;xe"
    assert display_text("line\nbreak\ttab") == "line break tab"
    assert display_text("keep\nlines", lines=True) == "keep\nlines"
    assert display_text("Zoë Ångström 山田") == "Zoë Ångström 山田"
    assert term("[/bold] [link=http://x]y[/link]") == "\\[/bold] \\[link=http://x]y\\[/link]"
    assert html_text('<b a="1">\u202e') == "&lt;b a=&quot;1&quot;&gt;"


def test_one_table_of_export_formats() -> None:
    assert list(export_formats("census")) == ["csv", "parquet", "json", "sqlite"]
    assert list(export_formats("graph")) == ["ftm", "gexf", "cypher", "csv"]
    assert export_format("census", " CSV ").folder and not export_format("graph", "csv").folder
    with pytest.raises(UnmaskError, match="unknown export format"):
        export_format("census", "xlsx")
