"""The layering rule of docs/architecture.md, checked over every module of src/unmask.

core          imports nothing of unmask but core (and the package's version)
data stages   (census, analysis, infra, owners, evidence, apps, forum, protect) import core only:
              never another stage, never a layer above
above         (report, watch, takedown, web, demo, cli) may read any stage and core
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "unmask"
CORE = "core"
DATA_STAGES = frozenset({"census", "analysis", "infra", "owners", "evidence", "apps", "forum", "protect"})
ABOVE = frozenset({"report", "watch", "takedown", "web", "demo", "cli"})


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py") if rel.parts else ""


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return [(line, name) for line, name in out if name.startswith("unmask.")]


def _violations() -> list[str]:
    bad: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        own = _package_of(path)
        if own not in DATA_STAGES and own != CORE:
            continue
        for line, name in _imports(path):
            target = name.split(".")[1]
            if target in ("__version__", own, CORE):
                continue
            where = f"{path.relative_to(SRC.parent)}:{line}"
            if own == CORE:
                bad.append(f"{where}: core imports {name}")
            elif target in DATA_STAGES:
                bad.append(f"{where}: stage {own} imports stage {target} ({name})")
            elif target in ABOVE:
                bad.append(f"{where}: stage {own} imports the layer above ({name})")
    return bad


def test_every_top_level_package_has_a_layer() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    unknown = packages - DATA_STAGES - ABOVE - {CORE}
    assert not unknown, f"packages without a layer in this test and docs/architecture.md: {unknown}"


def test_no_data_stage_imports_another_and_core_imports_no_stage() -> None:
    assert _violations() == []


@pytest.mark.parametrize(
    "source,expected",
    [
        ("from unmask.census.model import ItemKind\n", ["stage analysis imports stage census"]),
        ("import unmask.report.html\n", ["stage analysis imports the layer above"]),
        ("from unmask.core.text import parse_count\n", []),
    ],
)
def test_the_check_itself_sees_a_forbidden_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: list[str]
) -> None:
    fake = tmp_path / "unmask"
    (fake / "analysis").mkdir(parents=True)
    (fake / "analysis" / "x.py").write_text(source)
    monkeypatch.setattr(__import__(__name__, fromlist=["SRC"]), "SRC", fake)
    found = _violations()
    assert len(found) == len(expected)
    for text, want in zip(found, expected, strict=True):
        assert want in text
