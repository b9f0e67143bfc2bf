"""`evidence export --format wacz`: a WACZ 1.1.1 that `wacz validate` accepts, with every HTML capture."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.evidence.conftest import captures, record_pages
from tests.helpers.cli import unmask, venv_script
from tests.helpers.tsa import LocalTsa
from unmask.core.case import Case
from unmask.core.fetch.exchange import Exchange, FetchRequest
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.evidence import index
from unmask.evidence.seal import seal
from unmask.evidence.wacz import export_wacz


def wacz_validate(path: Path) -> None:
    """py-wacz's validator (the independent check) accepts the package."""
    proc = subprocess.run(
        [venv_script("wacz"), "validate", "-f", str(path)], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0 and "is valid" in proc.stdout, proc.stdout + proc.stderr


def _record_json(case: Case) -> None:
    recorder = EvidenceRecorder(case.warc_dir, case.store)
    body = b'{"items": []}'
    import datetime as dt

    recorder.record(
        Exchange(
            request=FetchRequest(url="http://shop.invalid/api/items?page=1"),
            requested_at=dt.datetime.now(dt.UTC),
            status=200,
            reason="OK",
            response_headers=[("Content-Type", "application/json")],
            raw_body=body,
        )
    )
    recorder.close()


@pytest.mark.slow
def test_the_package_validates_and_holds_every_html_capture_the_seals_and_the_log(
    case: Case, tsa: LocalTsa, tmp_path: Path
) -> None:
    record_pages(case, 3)
    _record_json(case)
    seal(case, [tsa.url])
    from unmask.evidence import custody

    custody.append(case.evidence_dir, {"command": ["unmask", "evidence", "seal"], "outcome": "ok"})
    out = tmp_path / "out" / "case.wacz"
    out.parent.mkdir()
    result = export_wacz(case, out)
    wacz_validate(out)
    with zipfile.ZipFile(out) as package:
        names = package.namelist()
        pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
        package_json = json.loads(package.read("datapackage.json"))
        cdxj = package.read("indexes/index.cdxj").decode().splitlines()
        infos = {i.filename: i for i in package.infolist()}
    assert pages[0]["format"] == "json-pages-1.0"
    html = [c for c in captures(case) if c.content_type.startswith("text/html")]
    assert {p["url"] for p in pages[1:]} == {c.url for c in html} and result.pages == 3
    assert len(cdxj) == 4 and result.captures == 4 and cdxj == sorted(cdxj)
    assert package_json["wacz_version"] == "1.1.1"
    extra = [n for n in names if n.startswith("evidence/")]
    assert "evidence/custody.jsonl" in extra and any(n.endswith(".manifest.json") for n in extra)
    assert any(n.endswith(".tsr") for n in extra) and all(n.count("/") == 1 for n in extra)
    assert all(infos[n].compress_type == zipfile.ZIP_STORED for n in names if n.startswith("archive/"))
    manifest = json.loads(next((case.evidence_dir / "seals").glob("*.manifest.json")).read_text())
    sealed = {Path(f["path"]).name: f["sha256"] for f in manifest["files"]}
    for resource in package_json["resources"]:
        if resource["path"].startswith("archive/"):
            assert resource["hash"] == f"sha256:{sealed[Path(resource['path']).name]}"


@pytest.mark.slow
def test_an_output_inside_the_case_is_refused_with_one_line(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 1)
    target = sqlite_case.root / "evidence" / "copy.wacz"
    proc = unmask(
        "evidence",
        "export",
        "--format",
        "wacz",
        "-o",
        str(target),
        "--case",
        str(sqlite_case.root),
        check=False,
    )
    assert proc.returncode == 2 and "inside the case" in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert not target.exists() and not list(sqlite_case.root.rglob("*.partial"))


def test_an_unknown_format_is_a_one_line_error(sqlite_case: Case, tmp_path: Path) -> None:
    proc = unmask(
        "evidence",
        "export",
        "--format",
        "zip",
        "-o",
        str(tmp_path / "x"),
        "--case",
        str(sqlite_case.root),
        check=False,
    )
    assert proc.returncode == 2 and "unknown format" in proc.stderr


@pytest.mark.parametrize(
    "url",
    [
        "http://www.Example.com:8080/Path/To?b=2&a=1",
        "https://shop.invalid/item/7",
        "https://www2.shop.invalid:443/",
        "http://127.0.0.1:8000/x?z=1&y=",
    ],
)
def test_index_keys_are_the_surts_pywb_computes(url: str) -> None:
    import surt

    assert index.surt(url) == surt.surt(url)


def test_the_index_is_sorted_across_runs_sorted_on_disk(
    sqlite_case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_pages(sqlite_case, 25)
    monkeypatch.setattr(index, "RUN_LINES", 4)
    import io

    out = io.BytesIO()
    assert index.write_cdxj(sqlite_case, out) == 25
    lines = out.getvalue().decode().splitlines()
    assert lines == sorted(lines) and len(set(lines)) == 25
