"""`unmask export`: every format round-trips, pseudonyms hold everywhere, evidence points at captures."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from tests.helpers.cases import census_run, record
from unmask.census.model import ItemKind, Link, PageKind, PersonRef
from unmask.census.writer import PageCommit
from unmask.cli.export import export
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.privacy import pseudonym, record_public_figures
from unmask.core.store.models import Capture
from unmask.report.export import ExportOptions, export_case

BASE = "http://127.0.0.1:1"
SECRET_NAMES = ("bo rin", "bo-rin", "bo_rin", "bo%20rin")
TABLES = ("items", "item_sources", "persons", "uploaders", "monthly", "figures", "captures", "runs")


def _load(case: Case) -> dict[str, Any]:
    """Four items (one later removed), a public and a non-public person, two captures as evidence."""
    w = census_run(case, BASE)
    with case.store.session() as s:
        caps = [
            Capture(run_id=w.run_id, url=f"{BASE}/sitemap.xml", status=200, payload_sha256="a" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=0, warc_length=900),
            Capture(run_id=w.run_id, url=f"{BASE}/models/bo-rin", status=200, payload_sha256="b" * 64,
                    warc_file="warc/t-1.warc.gz", warc_offset=900, warc_length=700),
        ]  # fmt: skip
        s.add_all(caps)
        s.flush()
        cap_ids = [c.id for c in caps]
    ana = PersonRef("Ana Vel", url=f"{BASE}/models/ana-vel", public_figure=True)
    bo = PersonRef("Bo Rin", url=f"{BASE}/models/bo-rin")
    sitemap, person_page = w.seed(
        [Link(BASE + "/sitemap.xml", PageKind.SITEMAP), Link(BASE + "/models/bo-rin", PageKind.PERSON)]
    )
    items = [
        record(ItemKind.VIDEO, 1, title="Bo Rin in a fake", duration=600.0, views=100,
             upload_date=dt.date(2020, 1, 5), uploader="u1", persons=[ana, bo], tags=["bo rin", "x"],
             categories=["Celebs"]),
        record(ItemKind.VIDEO, 2, title="Ana Vel", views=50, upload_date=dt.date(2020, 3, 1), uploader="u2",
             persons=[ana]),
        record(ItemKind.PHOTO, 3, views=7, upload_date=dt.date(2020, 2, 2), uploader="u1", persons=[bo]),
        record(ItemKind.VIDEO, 4, views=9, upload_date=dt.date(2020, 2, 9), uploader="u2"),
    ]  # fmt: skip
    w.commit(PageCommit(sitemap, cap_ids[0], items=items))
    w.commit(PageCommit(person_page, cap_ids[1], items=[record(ItemKind.VIDEO, 1, persons=[bo])]))
    w.mark_item_gone(ItemKind.VIDEO, "4")
    record_public_figures(
        case.store, ["Ana Vel"]
    )  # the investigator's list; the platform's label is advisory
    return {"captures": cap_ids}


def _read(fmt: str, path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every table of an export as lists of dicts, read with the format's own reader."""
    if fmt == "csv":
        out = {}
        for f in path.glob("*.csv"):
            with f.open(newline="", encoding="utf-8") as fh:
                out[f.stem] = list(csv.DictReader(fh))
        return out
    if fmt == "parquet":
        return {f.stem: pq.read_table(f).to_pylist() for f in path.glob("*.parquet")}
    if fmt == "json":
        doc = json.loads(path.read_text(encoding="utf-8"))
        out = {k: v for k, v in doc.items() if isinstance(v, list)}
        out["figures"] = [doc["figures"]]
        out["metadata"] = [{"key": k, "value": v} for k, v in doc["metadata"].items()]
        return out
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    out = {n: [dict(r) for r in db.execute(f'SELECT * FROM "{n}"')] for n in names}
    db.close()
    return out


def _files(path: Path) -> list[Path]:
    return sorted(path.iterdir()) if path.is_dir() else [path]


def _all_text(tables: dict[str, list[dict[str, Any]]]) -> str:
    return json.dumps(tables, default=str).casefold()


def _target(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / ("out" if fmt in ("csv", "parquet") else f"out.{fmt}")


@pytest.mark.parametrize("fmt", ["csv", "parquet", "json", "sqlite"])
def test_each_format_round_trips_with_pseudonyms(case: Case, tmp_path: Path, fmt: str) -> None:
    ids = _load(case)
    result = export_case(case, fmt, _target(tmp_path, fmt))
    tables = _read(fmt, result.path)
    for name in TABLES:
        assert name in tables, name
        assert len(tables[name]) == result.tables[name], name
    assert result.tables["items"] == 3  # the removed video is left out
    assert result.tables["captures"] == 2 and result.tables["runs"] == 1
    assert result.tables["figures"] == 1 and result.tables["monthly"] == 3
    meta = {r["key"]: r["value"] for r in tables["metadata"]}
    assert meta["pseudonymized"] == "yes" and meta["rows.items"] in (3, "3")

    items = {str(r["platform_item_id"]): r for r in tables["items"]}
    assert set(items) == {"1", "2", "3"}
    assert set(tables["items"][0]) >= {
        "platform", "kind", "url", "title", "duration_s", "views", "upload_date", "uploader", "persons",
        "tags", "categories", "first_seen", "last_seen", "removed_at", "capture_ids", "evidence_warc",
    }  # fmt: skip
    bo = pseudonym("Bo Rin", case.config.secret)
    assert items["1"]["persons"] == " | ".join(sorted(["Ana Vel", bo]))
    assert items["1"]["title"] == f"{bo} in a fake"
    assert bo in str(items["1"]["tags"])
    assert str(items["1"]["upload_date"])[:10] == "2020-01-05"
    assert int(items["1"]["views"]) == 100 and items["1"]["uploader"] == "u1"

    # evidence: every capture id an item names is a row of the captures table
    captures = {int(r["capture_id"]): r for r in tables["captures"]}
    assert set(captures) == set(ids["captures"])
    cited = {int(c) for r in tables["items"] for c in str(r["capture_ids"]).split(" | ") if c}
    assert cited == set(captures)
    assert {int(r["capture_id"]) for r in tables["item_sources"]} <= set(captures)
    assert str(items["1"]["evidence_warc"]) == "warc/t-1.warc.gz@0 | warc/t-1.warc.gz@900"

    persons = {r["name"]: r for r in tables["persons"]}
    assert set(persons) == {"Ana Vel", bo}
    assert int(persons[bo]["videos"]) == 1 and int(persons[bo]["photos"]) == 1
    assert int(persons["Ana Vel"]["views"]) == 150
    assert int(tables["figures"][0]["videos"]) == 2

    # the real name is nowhere: not in names, titles, tags, person URLs or captured URLs
    text = _all_text(tables)
    assert not any(secret in text for secret in SECRET_NAMES)
    if fmt != "parquet":  # parquet pages are compressed; checked on the decoded values above
        raw = b"".join(f.read_bytes() for f in _files(result.path)).lower()
        assert not any(secret.encode() in raw for secret in SECRET_NAMES)


@pytest.mark.parametrize("fmt", ["sqlite", "parquet"])
def test_real_names_and_removed_items_on_request(case: Case, tmp_path: Path, fmt: str) -> None:
    _load(case)
    opts = ExportOptions(pseudonymize=False, secret=case.config.secret, include_removed=True)
    result = export_case(case, fmt, _target(tmp_path, fmt), opts)
    tables = _read(fmt, result.path)
    assert result.tables["items"] == 4
    removed = [r for r in tables["items"] if r["removed_at"]]
    assert [str(r["platform_item_id"]) for r in removed] == ["4"]
    assert "Bo Rin" in {r["name"] for r in tables["persons"]}
    assert {r["key"]: r["value"] for r in tables["metadata"]}["pseudonymized"] == "no"


def test_pseudonyms_are_the_same_across_formats(sqlite_case: Case, tmp_path: Path) -> None:
    _load(sqlite_case)
    names = []
    for fmt in ("csv", "json", "sqlite", "parquet"):
        tables = _read(fmt, export_case(sqlite_case, fmt, _target(tmp_path, fmt)).path)
        names.append(sorted(str(r["name"]) for r in tables["persons"]))
    assert all(n == names[0] for n in names)


def test_sqlite_export_is_datasette_ready(sqlite_case: Case, tmp_path: Path) -> None:
    _load(sqlite_case)
    path = export_case(sqlite_case, "sqlite", tmp_path / "e.db").path
    db = sqlite3.connect(path)
    indexes = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"idx_items_platform", "idx_items_upload_date", "idx_captures_sha256"} <= indexes
    fks = db.execute("PRAGMA foreign_key_list(item_sources)").fetchall()
    assert {(f[2], f[3]) for f in fks} == {("items", "item_id"), ("captures", "capture_id")}
    types = {r[1]: r[2] for r in db.execute("PRAGMA table_info(items)")}
    assert types["upload_date"] == "TEXT" and types["views"] == "INTEGER"
    assert db.execute("SELECT typeof(first_seen) FROM items LIMIT 1").fetchone() == ("text",)
    db.close()


def test_platform_scope_and_errors(sqlite_case: Case, tmp_path: Path) -> None:
    _load(sqlite_case)
    opts = ExportOptions(platform=BASE, secret=sqlite_case.config.secret)
    assert export_case(sqlite_case, "json", tmp_path / "a.json", opts).tables["items"] == 3
    with pytest.raises(UnmaskError, match="no such platform"):
        export_case(sqlite_case, "json", tmp_path / "b.json", ExportOptions(platform="http://nope"))
    with pytest.raises(UnmaskError, match="unknown export format"):
        export_case(sqlite_case, "xlsx", tmp_path / "c")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UnmaskError, match="folder is needed"):
        export_case(sqlite_case, "csv", tmp_path / "file")
    with pytest.raises(UnmaskError, match="cannot create"):
        export_case(sqlite_case, "sqlite", tmp_path / "file" / "sub" / "x.db")


def test_default_path_is_under_the_case(sqlite_case: Case) -> None:
    _load(sqlite_case)
    result = export_case(sqlite_case, "csv")
    assert result.path.parent == sqlite_case.root / "exports" and result.path.is_dir()
    assert (result.path / "items.csv").is_file() and (result.path / "metadata.csv").is_file()


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(export)
    return app


def test_cli_json_output(case: Case, tmp_path: Path) -> None:
    _load(case)
    out = tmp_path / "x.json"
    args = ["--case", str(case.root), "--format", "json", "-o", str(out), "--json"]
    res = CliRunner().invoke(_cli(), args)
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["format"] == "json" and data["path"] == str(out.resolve())
    assert data["tables"]["items"] == 3 and data["tables"]["persons"] == 2
    doc = json.loads(out.read_text())
    assert len(doc["items"]) == 3 and doc["figures"]["videos"] == 2

    res = CliRunner().invoke(_cli(), [*args[:-1], "--real-names", "--include-removed"])
    assert res.exit_code == 0, res.output
    assert "Bo Rin" in out.read_text()

    res = CliRunner().invoke(_cli(), ["--case", str(case.root), "--format", "xml"])
    assert res.exit_code == 2 and "unknown format 'xml'" in res.output  # a usage error, before any work
