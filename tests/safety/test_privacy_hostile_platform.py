"""No depicted person's name, in any spelling, in any default output of a case built from a hostile platform.

The platform (tests.safety.hostile_platform) is crawled with the real CLI; then every output a user
gets by default is produced the same way: `stats --json`, `analyze --json`, the report, every census
export format, every `owners export` format, `owners ultimate`, the crawl's summary and log. Each must
hide Janet Doerwald and Zoë Ångström in every spelling, name the public figure on the investigator's
list (not the one the platform calls a "celebrity"), and name the register's owner alike everywhere.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from tests.helpers.cli import unmask
from tests.helpers.hostile import HostileServer
from tests.safety.hostile_platform import COMPANY, OWNER, PUBLIC, leaks, serve, write_inputs
from unmask.core.case import Case
from unmask.core.privacy import pseudonym

CENSUS_FORMATS = ("csv", "parquet", "json", "sqlite")
GRAPH_FORMATS = ("ftm", "gexf", "cypher", "csv")


@dataclass
class Outputs:
    case: Path
    secret: str
    texts: dict[str, str] = field(default_factory=dict)
    """Every default output, by what produced it, as text."""
    json: dict[str, Any] = field(default_factory=dict)


def _export_text(path: Path) -> str:
    """Every value of a census export, whatever its format, as text."""
    if path.is_dir():
        parts = []
        for f in sorted(path.iterdir()):
            if f.suffix == ".parquet":
                parts.append(json.dumps(pq.read_table(f).to_pylist(), default=str, ensure_ascii=False))
            else:
                parts.append(f.read_text(encoding="utf-8"))
        return "\n".join(parts)
    if path.suffix == ".db":
        db = sqlite3.connect(path)
        names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        rows = {n: db.execute(f'SELECT * FROM "{n}"').fetchall() for n in names}
        db.close()
        return json.dumps(rows, default=str, ensure_ascii=False)
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outputs]:
    folder = tmp_path_factory.mktemp("hostile-privacy")
    case = folder / "case"
    unmask("init", str(case))
    c = Case.open(case)
    out = Outputs(case, c.config.secret)
    c.close()
    with HostileServer() as server:
        serve(server)
        adapter, public, register = write_inputs(folder, server.base)
        crawl = unmask(
            "census", "crawl", server.url("/videos"), "--case", str(case), "--adapter", str(adapter),
            "--delay", "0", "--json",
        )  # fmt: skip
        out.texts["crawl --json"] = crawl.stdout + crawl.stderr
        human = unmask(
            "census", "crawl", server.url("/videos"), "--case", str(case), "--adapter", str(adapter),
            "--delay", "0", "--quiet",
        )  # fmt: skip
        out.texts["crawl (terminal)"] = human.stdout + human.stderr
    for log in sorted((case / "logs").glob("*.log")):
        out.texts[f"log {log.name}"] = log.read_text(encoding="utf-8", errors="replace")

    def run(name: str, *args: str) -> str:
        proc = unmask(*args, "--case", str(case))
        out.texts[name] = proc.stdout + proc.stderr
        return proc.stdout

    out.json["stats"] = json.loads(run("stats --json", "stats", "--json"))
    run("stats", "stats")
    out.json["analyze"] = json.loads(
        run("analyze --json", "analyze", "--json", "--public-figures", str(public))
    )
    run("analyze", "analyze")
    out.json["stats after list"] = json.loads(run("stats --json (list)", "stats", "--json"))
    run("owners emit-case", "owners", "emit-case")
    run("owners import", "owners", "import", str(register))
    report = folder / "report.html"
    run("report", "report", "-o", str(report))
    out.texts["report.html"] = report.read_text(encoding="utf-8")
    for fmt in CENSUS_FORMATS:
        target = folder / f"census-{fmt}" if fmt in ("csv", "parquet") else folder / f"census.{fmt}"
        target = target.with_suffix(".db") if fmt == "sqlite" else target
        run(f"export {fmt}", "export", "--format", fmt, "-o", str(target))
        out.texts[f"export file {fmt}"] = _export_text(target)
    for fmt in GRAPH_FORMATS:
        target = folder / f"graph.{fmt}"
        run(f"owners export {fmt}", "owners", "export", "--format", fmt, "-o", str(target))
        files = [target, target.with_name(f"graph.nodes{target.suffix}")] if fmt == "csv" else [target]
        out.texts[f"owners export file {fmt}"] = "\n".join(f.read_text(encoding="utf-8") for f in files)
    out.json["ultimate"] = json.loads(run("owners ultimate --json", "owners", "ultimate", COMPANY, "--json"))
    run("owners ultimate", "owners", "ultimate", COMPANY)
    yield out


@pytest.mark.slow
def test_no_default_output_names_a_depicted_person_in_any_spelling(outputs: Outputs) -> None:
    assert len(outputs.texts) >= 20
    leaked = {name: found for name, text in outputs.texts.items() if (found := leaks(text))}
    assert leaked == {}


@pytest.mark.slow
def test_the_crawl_found_every_spelling(outputs: Outputs) -> None:
    """The case holds the names (the outputs had something to hide)."""
    stats = outputs.json["stats"]
    assert stats["videos"] == 5 and stats["targets"] == 3
    names = {t["name"] for t in stats["top_targets"]}
    assert pseudonym("Janet Doerwald", outputs.secret) in names
    assert pseudonym("Zoë Ångström", outputs.secret) in names


@pytest.mark.slow
def test_the_platforms_celebrity_label_unmasks_no_one(outputs: Outputs) -> None:
    janet = pseudonym("Janet Doerwald", outputs.secret)
    (row,) = [t for t in outputs.json["stats"]["top_targets"] if t["name"] == janet]
    assert row["platform_label"] is True and row["public_figure"] is False


@pytest.mark.slow
def test_a_public_figure_on_the_investigators_list_is_named(outputs: Outputs) -> None:
    before = {t["name"] for t in outputs.json["stats"]["top_targets"]}
    assert PUBLIC not in before  # no list yet: a pseudonym like everyone else
    persons = outputs.json["analyze"]["targets"]["persons"]
    assert persons["public_figures"] == 1
    assert PUBLIC in {p["name"] for p in persons["top"]}
    after = {t["name"]: t for t in outputs.json["stats after list"]["top_targets"]}
    assert after[PUBLIC]["public_figure"] is True
    for name in ("report.html", "export file json", "export file csv"):
        assert PUBLIC in outputs.texts[name], name


@pytest.mark.slow
def test_an_uploader_handle_built_from_a_hidden_name_is_a_pseudonym(outputs: Outputs) -> None:
    uploaders = {u["name"] for u in outputs.json["stats"]["top_uploaders"]}
    assert pseudonym("JanetDoerwaldFan", outputs.secret, prefix="Uploader") in uploaders
    assert {"uploader2", "newsdesk"} <= uploaders


@pytest.mark.slow
def test_a_registered_owner_is_named_alike_everywhere(outputs: Outputs) -> None:
    owners = {o["name"] for o in outputs.json["ultimate"]["owners"]}
    janet = pseudonym("Janet Doerwald", outputs.secret)
    assert owners == {OWNER, janet}  # the owner named, the depicted co-owner as her one pseudonym
    for name in ["report.html", *(f"owners export file {fmt}" for fmt in ("ftm", "gexf", "cypher", "csv"))]:
        assert OWNER in outputs.texts[name], name
        assert janet in outputs.texts[name], name
    assert OWNER in outputs.texts["owners ultimate"]


@pytest.mark.slow
def test_platform_text_is_never_terminal_markup(outputs: Outputs) -> None:
    for name in ("stats", "analyze", "crawl (terminal)", "owners ultimate"):
        text = outputs.texts[name]
        assert "Traceback" not in text, name
        assert "\x1b]8;" not in text, name  # no terminal hyperlink
        assert "\u202e" not in text, name
    assert "[/bold]uploader" in outputs.texts["stats"]  # shown as written, bidi control removed
    assert "\u202e" not in outputs.texts["report.html"]


def test_the_probes_recognise_every_spelling_the_platform_used() -> None:
    """The leak check itself: each spelling the platform serves is caught."""
    spellings = [
        "Janet Doerwald", "/model/janet-doerwald?page=3", "JanetDoerwald_HD", "#JanetDoerwald",
        "janet.doerwald", "ＪａｎｅｔＤｏｅｒｗａｌｄ", "JanetDoerwaldFan", "Zoë Ångström", "ZOË ÅNGSTRÖM",
        "zo%C3%AB-%C3%A5ngstr%C3%B6m", "zoe-angstrom", "Zoe_Angstrom", "zo%25C3%25AB%2520angstrom",
    ]  # fmt: skip
    assert [s for s in spellings if not leaks(s)] == []


@pytest.mark.slow
def test_real_names_on_request_show_them(outputs: Outputs, tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    unmask("export", "--format", "json", "-o", str(target), "--real-names", "--case", str(outputs.case))
    text = target.read_text(encoding="utf-8")
    assert "Janet Doerwald" in text and "Zoë Ångström" in text and "JanetDoerwaldFan" in text


@pytest.mark.slow
def test_the_graph_export_of_a_crawled_platform_is_valid_ftm(outputs: Outputs) -> None:
    from tests.safety.test_outputs_ftm_valid import assert_valid_ftm

    proxies = assert_valid_ftm(outputs.texts["owners export file ftm"].splitlines())
    platform = next(p for p in proxies if "Platform" in p.get("keywords", quiet=True))
    assert any(p.get("subject") == [platform.id] for p in proxies if p.schema.name == "UnknownLink")
