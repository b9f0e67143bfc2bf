"""Bad input: all or nothing, --keep-going, file:line messages, owners above 100 %, duplicates,
a malformed line in the middle of a large file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.owners import edges
from unmask.core.case import Case
from unmask.owners.importers.load import ImportFailed, import_files
from unmask.owners.tables import OwnerEntity, OwnerImport


def _count(case: Case, model: type) -> int:
    with case.store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _ftm_lines(n: int, bad_at: int | None = None) -> list[str]:
    lines = []
    for i in range(n):
        if i == bad_at:
            lines.append('{"id": "broken", "schema": "Company", "properties": {"name": ["Unclosed')
            continue
        lines.append(
            json.dumps({"id": f"c{i}", "schema": "Company", "properties": {"name": [f"Invented {i} Ltd"]}})
        )
        if i:
            own = {"owner": [f"c{i - 1}"], "asset": [f"c{i}"], "percentage": ["51"]}
            lines.append(json.dumps({"id": f"o{i}", "schema": "Ownership", "properties": own}))
    return lines


def test_malformed_line_in_a_large_file_changes_nothing(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    lines = _ftm_lines(30_000, bad_at=15_000)
    path.write_text("\n".join(lines) + "\n")
    bad_line = next(i for i, line in enumerate(lines, 1) if '"broken"' in line)
    with pytest.raises(ImportFailed) as err:
        import_files(case.store, [path])
    assert str(err.value).startswith(f"{path}:{bad_line}: malformed JSON line")
    assert _count(case, OwnerEntity) == 0 and _count(case, OwnerImport) == 0


def test_keep_going_imports_the_rest_and_lists_what_it_skipped(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    lines = _ftm_lines(2_000, bad_at=1_000)
    path.write_text("\n".join(lines) + "\n")
    [result] = import_files(case.store, [path], keep_going=True)
    skipped = [(p.line, p.message) for p in result.skipped]
    assert any(m.startswith("malformed JSON line") for _l, m in skipped)
    # the ownership pointing at the broken company is skipped too, with its line
    assert any("'c1000'" in m for _l, m in skipped)
    assert result.entities == 1_999
    assert len(edges(case)) == 2_000 - 1 - 2


def test_json_array_cut_short(sqlite_case: Case, tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text(
        '[\n{"recordId": "a", "recordType": "person", "recordDetails": {}},\n{"recordId": "b", "rec'
    )
    with pytest.raises(ImportFailed) as err:
        import_files(sqlite_case.store, [path])
    assert f"{path}:3" in str(err.value)


def test_owners_above_100_percent_warn_but_import(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text(
        "owner,asset,percentage,source\n"
        "A Invented Ltd,Target Ltd,60,x\nB Invented Ltd,Target Ltd,40.4,x\n"  # 100.4: rounding, no warning
        "C Invented Ltd,Other Ltd,70,x\nD Invented Ltd,Other Ltd,45,x\n"
    )
    [result] = import_files(case.store, [path])
    assert [w.message for w in result.warnings] == [
        "owners of 'Other Ltd' sum to 115% (above 100%; imported as given)"
    ]
    assert result.warnings[0].line == 4
    assert len(edges(case)) == 4


def test_percentage_out_of_range_and_duplicates(case: Case, tmp_path: Path) -> None:
    path = tmp_path / "bods.json"
    records = [
        {
            "statementId": "s1",
            "recordId": "e1",
            "recordType": "entity",
            "recordDetails": {"name": "Invented Ltd"},
        },
        {"statementId": "s2", "recordId": "p1", "recordType": "person", "recordDetails": {"names": []}},
        {"statementId": "s2", "recordId": "p1", "recordType": "person", "recordDetails": {"names": []}},
        {
            "statementId": "s3",
            "recordId": "r1",
            "recordType": "relationship",
            "recordDetails": {
                "subject": "e1",
                "interestedParty": "p1",
                "interests": [{"share": {"exact": 120}}],
            },
        },
        {
            "statementId": "s4",
            "recordId": "r2",
            "recordType": "relationship",
            "recordDetails": {"subject": "e9", "interestedParty": "p1", "interests": []},
        },
    ]
    path.write_text("[\n" + ",\n".join(json.dumps(r) for r in records) + "\n]\n")
    with pytest.raises(ImportFailed) as err:
        import_files(case.store, [path])
    problems = {p.line: p.message for _f, p in err.value.problems}
    assert "above 100" in problems[5] and "'e9'" in problems[6]
    [result] = import_files(case.store, [path], keep_going=True)
    assert [p.line for p in result.skipped] == [5, 6]
    assert [(w.line, w.message) for w in result.warnings] == [(4, "duplicate statement 's2' skipped")]


def test_unreadable_and_unknown_files(sqlite_case: Case, tmp_path: Path) -> None:
    from unmask.core.errors import UnmaskError

    with pytest.raises(UnmaskError, match="no such file"):
        import_files(sqlite_case.store, [tmp_path / "missing.json"])
    odd = tmp_path / "odd.json"
    odd.write_text('{"hello": "world"}\n')
    with pytest.raises(UnmaskError, match="--format"):
        import_files(sqlite_case.store, [odd])
    again = tmp_path / "notes.csv"
    again.write_text("owner,asset,percentage,source\nA Ltd,B Ltd,5,x\n")
    import_files(sqlite_case.store, [again])
    with pytest.raises(UnmaskError, match="already imported"):
        import_files(sqlite_case.store, [again])


@pytest.mark.parametrize("fmt", ["gleif", "bods", "ftm", "opencorporates", "csv"])
def test_a_file_with_nothing_of_its_format_is_an_error_not_an_import(
    sqlite_case: Case, tmp_path: Path, fmt: str
) -> None:
    """Garbage forced through any format: one error naming the file (and the first line it could not
    read), nothing written, no import recorded — with --keep-going too."""
    from unmask.core.errors import UnmaskError

    garbage = tmp_path / "garbage.txt"
    garbage.write_text("hello world\nthis is no registry, 42\n")
    for keep_going in (False, True):
        with pytest.raises(UnmaskError, match=f"^{garbage}: no {fmt} record in this file") as err:
            import_files(sqlite_case.store, [garbage], format_name=fmt, keep_going=keep_going)
        assert "nothing imported" in str(err.value) and "\n" not in str(err.value)
    binary = tmp_path / "garbage.bin"
    binary.write_bytes(bytes(range(128, 256)) * 40)
    with pytest.raises(UnmaskError, match=f"^{binary}: not UTF-8 text"):
        import_files(sqlite_case.store, [binary], format_name=fmt)
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    with pytest.raises(UnmaskError, match=f"no {fmt} record in this file; nothing imported"):
        import_files(sqlite_case.store, [empty], format_name=fmt)
    assert _count(sqlite_case, OwnerImport) == 0 and _count(sqlite_case, OwnerEntity) == 0


def test_keep_going_that_skips_every_record_imports_nothing(sqlite_case: Case, tmp_path: Path) -> None:
    from unmask.core.errors import UnmaskError

    path = tmp_path / "dangling.jsonl"
    own = {"owner": ["nobody-1"], "asset": ["nobody-2"], "percentage": ["30"]}
    path.write_text(json.dumps({"id": "o1", "schema": "Ownership", "properties": own}) + "\n")
    with pytest.raises(UnmaskError, match=r"every record was skipped \(line 1: .*'nobody-1'"):
        import_files(sqlite_case.store, [path], keep_going=True)
    assert _count(sqlite_case, OwnerImport) == 0
