"""No `-o` destroys the case; bad targets are one-line errors; writes are atomic; the case is private.

Every command that writes a file (`report`, `export` in each format, `owners export` in each format) is
pointed at the case's own store, settings, evidence and logs, at folders, at unwritable places: each
must refuse in one line (no traceback), change nothing and leave no temporary file.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
from pathlib import Path

import pytest

from tests.helpers.cases import load_census, record
from tests.helpers.cli import UNMASK
from tests.helpers.hostile import HostileServer
from tests.owners.build import Builder
from tests.safety.hostile_platform import serve, write_inputs
from unmask.census.model import ItemKind, PersonRef
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.output import atomic_write

WRITERS = [
    ("report",),
    ("export", "--format", "json"),
    ("export", "--format", "sqlite"),
    ("export", "--format", "csv"),
    ("export", "--format", "parquet"),
    ("owners", "export", "--format", "ftm"),
    ("owners", "export", "--format", "gexf"),
    ("owners", "export", "--format", "cypher"),
    ("owners", "export", "--format", "csv"),
]
FILE_WRITERS = [w for w in WRITERS if w[-1] not in ("csv", "parquet") or w[0] == "owners"]
PROTECTED = ["case.yaml", "unmask.db", "unmask.db-wal", "evidence", "evidence/warc/new.warc.gz", "logs",
             "logs/crawl-run-1.log", ".crawl.lock"]  # fmt: skip


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*UNMASK, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def _fingerprint(root: Path) -> dict[str, str]:
    """Every file of the case and its SHA-256 (folders as such)."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
    return out


def _temporaries(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("*") if p.name.endswith(".tmp")]


def _one_line_error(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("unmask: error:"), proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def full_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A case with a census, a log, a lock-free store and an entity graph."""
    root = tmp_path_factory.mktemp("never-destroy") / "case"
    subprocess.run([*UNMASK, "init", str(root)], check=True, capture_output=True)
    case = Case.open(root)
    try:
        load_census(case, [record(ItemKind.VIDEO, 1, title="t", views=3, persons=[PersonRef("Bo Rin")])])
        b = Builder(case)
        b.entity("OP", "Operator Ltd")
        b.entity("P1", "Gideon Farrowmere", "Person")
        b.edge("P1", "OP", 100)
    finally:
        case.close()
    (root / "logs").mkdir(exist_ok=True)
    (root / "logs" / "crawl-run-1.log").write_text("a log\n")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("writer", WRITERS, ids=" ".join)
def test_no_output_overwrites_the_cases_own_files(full_case: Path, writer: tuple[str, ...]) -> None:
    before = _fingerprint(full_case)
    targets = PROTECTED if writer in (("report",), ("export", "--format", "sqlite")) else PROTECTED[:3]
    for target in targets:
        line = _one_line_error(_run([*writer, "--case", str(full_case), "-o", str(full_case / target)]))
        assert "refused" in line and "case" in line
    assert _fingerprint(full_case) == before
    assert _temporaries(full_case) == []


@pytest.mark.slow
@pytest.mark.parametrize("writer", [("report",), ("export", "--format", "sqlite")], ids=" ".join)
def test_a_relative_path_inside_the_case_is_refused_too(full_case: Path, writer: tuple[str, ...]) -> None:
    before = _fingerprint(full_case)
    for name in ("unmask.db", "case.yaml", "./evidence/../case.yaml"):
        _one_line_error(_run([*writer, "-o", name], cwd=full_case))
    assert _fingerprint(full_case) == before


@pytest.mark.slow
def test_a_symlink_to_the_settings_is_refused(full_case: Path, tmp_path: Path) -> None:
    link = tmp_path / "innocent.html"
    link.symlink_to(full_case / "case.yaml")
    before = _fingerprint(full_case)
    _one_line_error(_run(["report", "--case", str(full_case), "-o", str(link)]))
    assert _fingerprint(full_case) == before


@pytest.mark.slow
@pytest.mark.parametrize("writer", FILE_WRITERS, ids=" ".join)
def test_an_existing_folder_is_a_one_line_error(
    full_case: Path, tmp_path: Path, writer: tuple[str, ...]
) -> None:
    folder = tmp_path / "already-here"
    folder.mkdir()
    line = _one_line_error(_run([*writer, "--case", str(full_case), "-o", str(folder)]))
    assert "folder" in line
    assert list(folder.iterdir()) == [] and _temporaries(tmp_path) == []


@pytest.mark.slow
@pytest.mark.parametrize("writer", [w for w in WRITERS if w not in FILE_WRITERS], ids=" ".join)
def test_a_file_where_a_folder_is_needed_is_a_one_line_error(
    full_case: Path, tmp_path: Path, writer: tuple[str, ...]
) -> None:
    existing = tmp_path / "a-file"
    existing.write_text("keep me")
    _one_line_error(_run([*writer, "--case", str(full_case), "-o", str(existing)]))
    assert existing.read_text() == "keep me"


@pytest.mark.slow
@pytest.mark.parametrize("writer", WRITERS, ids=" ".join)
def test_an_unwritable_path_is_a_one_line_error(
    full_case: Path, tmp_path: Path, writer: tuple[str, ...]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    for target in (blocker / "sub" / "out.x", Path("/proc/unmask-out/out.x"), Path("/proc/out.x")):
        _one_line_error(_run([*writer, "--case", str(full_case), "-o", str(target)]))
    assert _temporaries(tmp_path) == []


def test_a_failed_write_leaves_no_temporary_file_and_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_an_export_that_fails_half_way_leaves_nothing_behind(
    full_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from unmask.report import export as census_export

    def broken(self: object) -> object:
        yield from ()
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(census_export._Source, "captures", broken)
    case = Case.open(full_case)
    try:
        for fmt, target in (
            ("json", tmp_path / "x.json"),
            ("csv", tmp_path / "csv"),
            ("sqlite", tmp_path / "x.db"),
        ):
            with pytest.raises(UnmaskError, match="No space left"):
                census_export.export_case(case, fmt, target)
            assert not target.is_file()
    finally:
        case.close()
    assert _temporaries(tmp_path) == []


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.slow
def test_the_case_folder_is_0700_and_its_files_0600(tmp_path: Path) -> None:
    root = tmp_path / "case"
    subprocess.run([*UNMASK, "init", str(root)], check=True, capture_output=True)
    with HostileServer() as server:
        serve(server)
        adapter, _, _ = write_inputs(tmp_path, server.base)
        crawl = [
            *UNMASK,
            "census",
            "crawl",
            server.url("/videos"),
            "--case",
            str(root),
            "--adapter",
            str(adapter),
        ]
        subprocess.run([*crawl, "--delay", "0", "--quiet"], check=True, capture_output=True, timeout=300)
    subprocess.run(
        [*UNMASK, "export", "--format", "csv", "--case", str(root)], check=True, capture_output=True
    )
    subprocess.run(
        [*UNMASK, "report", "-o", str(root / "reports" / "r.html"), "--case", str(root)], check=True
    )
    folders = [root, *(p for p in root.rglob("*") if p.is_dir())]
    files = [p for p in root.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"case.yaml", "unmask.db", "items.csv", "r.html"}
    assert any(p.suffix == ".gz" for p in files) and any(p.suffix == ".log" for p in files)
    assert {str(p.relative_to(root)): oct(_mode(p)) for p in folders if _mode(p) != 0o700} == {}
    assert {str(p.relative_to(root)): oct(_mode(p)) for p in files if _mode(p) != 0o600} == {}


@pytest.mark.slow
def test_an_existing_case_is_tightened_when_opened(tmp_path: Path) -> None:
    root = tmp_path / "case"
    subprocess.run([*UNMASK, "init", str(root)], check=True, capture_output=True)
    os.chmod(root, 0o755)
    os.chmod(root / "case.yaml", 0o644)
    subprocess.run([*UNMASK, "stats", "--case", str(root)], check=True, capture_output=True)
    assert (_mode(root), _mode(root / "case.yaml"), _mode(root / "unmask.db")) == (0o700, 0o600, 0o600)
