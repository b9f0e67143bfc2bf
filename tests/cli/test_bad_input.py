"""Bad input: one clear line on stderr, a non-zero exit, nothing stored changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


@pytest.mark.slow
def test_crawl_needs_an_http_url(new_case: Path) -> None:
    err = _one_line_error(
        unmask("census", "crawl", "ftp://example.invalid/", "--case", str(new_case), check=False)
    )
    assert "not an http(s) URL" in err


@pytest.mark.slow
@pytest.mark.parametrize("value", ["0", "-3", "many"])
def test_crawl_rejects_a_bad_concurrency(new_case: Path, value: str) -> None:
    proc = unmask(
        "census", "crawl", "http://127.0.0.1:9/", "--case", str(new_case), "--concurrency", value, check=False
    )
    _one_line_error(proc)


@pytest.mark.slow
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


@pytest.mark.slow
def test_unreadable_case_config(tmp_path: Path) -> None:
    unmask("init", str(tmp_path / "c"))
    (tmp_path / "c" / "case.yaml").write_text("fetch: {delay: [\n")
    err = _one_line_error(unmask("stats", "--case", str(tmp_path / "c"), check=False))
    assert "case.yaml" in err


@pytest.mark.slow
def test_stats_on_an_empty_case_is_zero_not_an_error(new_case: Path) -> None:
    proc = unmask("stats", "--case", str(new_case), "--json")
    data = json.loads(proc.stdout)
    assert data["videos"] == 0 and data["monthly"] == [] and data["first_upload"] is None
    assert proc.stderr.strip() == ""


@pytest.mark.slow
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


def _choices(where: str) -> list[str]:
    """The values of a table of choices, `module:NAME` (format tables hold objects with a name)."""
    import importlib

    module, _, name = where.partition(":")
    return [getattr(v, "name", v) for v in getattr(importlib.import_module(module), name)]


CHOICE_OPTIONS = [
    (["export", "--format", "xls"], "unmask.report.export:FORMATS"),
    (["owners", "import", "FILE", "--format", "xml"], "unmask.owners.importers:FORMATS"),
    (["owners", "export", "--format", "gml", "-o", "g.gml"], "unmask.owners.export:FORMATS"),
    (["infra", "import-pdns", "FILE", "--format", "xml"], "unmask.infra.passive_dns:FORMATS"),
    (["audience", "import", "FILE", "--format", "daily"], "unmask.analysis.audience:LAYOUTS"),
    (["demo", "--scale", "0.001", "--flavour", "fancy"], "unmask.demo.render:FLAVOURS"),
    (["demo", "serve", "--scale", "0.001", "--flavour", "fancy"], "unmask.demo.render:FLAVOURS"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("args", "table"), CHOICE_OPTIONS, ids=[" ".join(a[:2]) for a, _ in CHOICE_OPTIONS])
def test_a_value_not_among_the_choices_is_one_usage_line_listing_them(
    new_case: Path, tmp_path: Path, args: list[str], table: str
) -> None:
    """Every option with a fixed set of values checks it before the command starts (exit 2, one line
    naming the option and every choice, from the table that defines them)."""
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n")
    argv = [str(data) if a == "FILE" else a for a in args]
    case = [] if args[:2] == ["demo", "serve"] else ["--case", str(new_case)]  # serve works on no case
    proc = unmask(*argv, *case, check=False, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    option = next(a for a in args if a in ("--format", "--flavour"))
    bad = args[args.index(option) + 1]
    assert line.startswith(f"unmask: error: {option}: unknown ")
    assert f"{bad!r}" in line and ", ".join(_choices(table)) in line
    assert f"see `unmask {args[0]}" in line


def test_choices_ignore_case_and_spaces(new_case: Path, tmp_path: Path) -> None:
    out = tmp_path / "x.json"
    proc = unmask("export", "--format", " JSON ", "-o", str(out), "--case", str(new_case), "--json")
    assert json.loads(proc.stdout)["format"] == "json" and out.is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["stats", "--bogus"], "No such option: --bogus (see `unmask stats --help`)"),
        (["census", "crawl"], "Missing argument 'URL' (see `unmask census crawl --help`)"),
        (["stats", "--top", "many"], "--top: Input should be a valid integer"),
        (["owners", "unmerge", "first"], "MERGE_ID: Input should be a valid integer"),
        (["frobnicate"], "No such command 'frobnicate'"),
    ],
)
def test_usage_errors_are_one_line(args: list[str], message: str) -> None:
    proc = unmask(*args, check=False)
    assert proc.returncode == 2
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("unmask: error: ") and message in line


NOTHING = [
    ("audience-empty", ["audience", "import", "FILE", "--domain", "site.example"], ""),
    ("audience-header-only", ["audience", "import", "FILE", "--domain", "site.example"], "month,visits\n"),
    ("audience-other-domains", ["audience", "import", "FILE", "--domain", "site.example"],
     "domain,month,visits\nother.example,2024-10,100\n"),
    ("pdns-empty-list", ["infra", "import-pdns", "FILE"], "[]\n"),
    ("pdns-no-records", ["infra", "import-pdns", "FILE", "--format", "json"], '{"records": []}\n'),
    ("pdns-header-only", ["infra", "import-pdns", "FILE", "--format", "csv"], "rrname,rrtype,rdata\n"),
    ("pdns-all-skipped", ["infra", "import-pdns", "FILE", "--format", "csv", "--keep-going"],
     "rrname,rrtype,rdata\nnot a name,A,192.0.2.1\n"),
    ("owners-gleif-garbage", ["owners", "import", "FILE", "--format", "gleif"], "hello,world\n1,2\n"),
    ("owners-bods-garbage", ["owners", "import", "FILE", "--format", "bods"], '{"hello": "world"}\n'),
    ("owners-ftm-garbage", ["owners", "import", "FILE", "--format", "ftm"], '{"hello": "world"}\n'),
]  # fmt: skip


VALID: dict[str, tuple[str, list[str], Callable[[dict[str, Any]], int]]] = {
    "audience": ("month,visits\n2024-10,100\n", ["--domain", "site.example"], lambda r: r["import_id"]),
    "infra": ("rrname,rrtype,rdata\nsite.example,A,192.0.2.1\n", [], lambda r: r["scan_id"]),
    "owners": ("owner,asset,percentage\nA Ltd,B Ltd,30\n", [], lambda r: r["imports"][0]["import_id"]),
}
"""A file each importing command understands, and where its answer says which import it was."""


@pytest.mark.slow
@pytest.mark.parametrize(("name", "args", "content"), NOTHING, ids=[n for n, _, _ in NOTHING])
def test_an_import_that_understands_nothing_is_an_error(
    new_case: Path, tmp_path: Path, name: str, args: list[str], content: str
) -> None:
    """`audience import`, `infra import-pdns` and `owners import` of a file with nothing they understand:
    one line naming the file, exit 2, and no import recorded (the next good file is import 1)."""
    bad = tmp_path / f"{name}.txt"
    bad.write_text(content)
    argv = [str(bad) if a == "FILE" else a for a in args]
    proc = unmask(*argv, "--case", str(new_case), "--json", check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"unmask: error: {bad}") and "nothing" in line, line

    text, extra, import_id = VALID[args[0]]
    good = tmp_path / "good.csv"
    good.write_text(text)
    result = json.loads(unmask(*args[:2], str(good), *extra, "--case", str(new_case), "--json").stdout)
    assert import_id(result) == 1
