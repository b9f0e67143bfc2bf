"""Graph exports: FtM lines load back, GEXF parses with the right counts, Cypher escapes, CSV, pseudonyms.

Owners are named (role OWNER of unmask.core.privacy) unless the same person is a depicted person of the
case: Jane Invented is both here, so she is the one exported as a pseudonym."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from lxml import etree

from tests.helpers.cases import load_census, record
from tests.helpers.cli import unmask
from tests.owners.build import Builder
from unmask.census.model import ItemKind, PersonRef
from unmask.core.case import Case
from unmask.owners.export import cypher_literal, cypher_name, export_graph

HOSTILE = 'O\'Brien \\ "Holdings" <script>alert(1)</script>\nLtd'


def _case(case: Case) -> Builder:
    load_census(case, [record(ItemKind.VIDEO, 1, persons=[PersonRef("Jane Invented")])])  # also depicted
    b = Builder(case)
    b.entity("plat", "The Platform", "Platform", website="https://site.example/")
    b.entity("site.example", "site.example", "Domain")
    b.entity("HOLD", HOSTILE, jurisdiction="vg", registrationNumber="123")
    b.entity("OP", "Operator Ltd", jurisdiction="cy")
    b.entity("P1", "Jane Invented", "Person", nationality="gb", birthDate="1970")
    b.entity("PEP", "Minister Invented", "Person", topics=["role.pep"])
    b.entity("OLD", "Old Record Ltd", replaced=True)
    b.entity("dup", "Dup One")
    b.entity("dup", "Dup Two")
    b.edge("plat", "site.example", kind="platform", role="domain")
    b.edge("OP", "plat", kind="platform", role="operator")
    b.edge("HOLD", "OP", (25, 50), start=dt.date(2020, 1, 1))
    b.edge("P1", "HOLD", 100)
    b.edge("PEP", "OP", kind="directorship", role="director")
    b.edge("P1", "PEP", kind="family", role="sibling")
    b.edge("dup", "OP", 10, end=dt.date(2021, 1, 1))
    b.edge("OLD", "OP", 5)  # an edge of a replaced record: history, not exported
    return b


def test_ftm_lines_load_back_with_pseudonymised_person(case: Case, tmp_path: Path) -> None:
    from followthemoney import model

    _case(case)
    out = tmp_path / "graph.ftm.json"
    result = export_graph(case, "ftm", out)
    assert (result.nodes, result.edges, result.pseudonymized) == (8, 7, 1)
    proxies = [model.get_proxy(json.loads(line)) for line in out.read_text(encoding="utf-8").splitlines()]
    by_schema: dict[str, list] = {}
    for p in proxies:
        by_schema.setdefault(p.schema.name, []).append(p)
    assert len(by_schema["Ownership"]) == 3
    own = next(p for p in by_schema["Ownership"] if p.get("percentage") == ["25-50"])
    assert (
        own.get("owner") == ["HOLD"] and own.get("asset") == ["OP"] and own.get("startDate") == ["2020-01-01"]
    )
    assert by_schema["Directorship"][0].get("director") == ["PEP"]
    assert {p.get("role")[0] for p in by_schema["UnknownLink"]} == {"domain", "operator"}
    assert by_schema["Organization"][0].get("keywords") == ["Platform"]
    persons = {p.id: p for p in by_schema["Person"]}
    assert persons["PEP"].get("name") == ["Minister Invented"]
    (hidden_id,) = [k for k in persons if k != "PEP"]
    assert hidden_id.startswith("Person-")
    hidden = persons[hidden_id]
    assert hidden.get("name")[0].startswith("Person-") and not hidden.get("birthDate")
    text = out.read_text(encoding="utf-8")
    assert "Jane Invented" not in text and "P1" not in text
    fam = by_schema["Family"][0]
    assert fam.get("person") == [hidden_id] and fam.get("relative") == ["PEP"]
    assert sum(1 for p in proxies if p.id.startswith("dup-")) == 2
    assert "Old Record" not in text
    company = next(p for p in by_schema["Company"] if p.id == "HOLD")
    assert company.get("name") == [HOSTILE.replace("\n", " ")]  # FtM folds whitespace in names
    assert company.get("jurisdiction") == ["vg"]
    again = export_graph(case, "ftm", tmp_path / "real.json", real_names=True)
    assert again.pseudonymized == 0
    assert "Jane Invented" in (tmp_path / "real.json").read_text(encoding="utf-8")


def test_gexf_parses_with_the_right_counts(case: Case, tmp_path: Path) -> None:
    _case(case)
    out = tmp_path / "graph.gexf"
    result = export_graph(case, "gexf", out)
    tree = etree.parse(str(out))
    ns = {"g": "http://gexf.net/1.3"}
    assert tree.getroot().get("version") == "1.3"
    nodes = tree.findall(".//g:nodes/g:node", ns)
    edges = tree.findall(".//g:edges/g:edge", ns)
    assert (len(nodes), len(edges)) == (result.nodes, result.edges) == (8, 7)
    ids = {n.get("id") for n in nodes}
    assert all(e.get("source") in ids and e.get("target") in ids for e in edges)
    labels = {n.get("label") for n in nodes}
    assert HOSTILE in labels and "Jane Invented" not in labels
    share = tree.find(".//g:edge[@label='ownership']/g:attvalues/g:attvalue[@for='share_min']", ns)
    assert share is not None
    attrs = {
        a.get("id"): a.get("type") for a in tree.findall(".//g:attributes[@class='edge']/g:attribute", ns)
    }
    assert attrs["share_min"] == "double" and attrs["kind"] == "string"


def test_cypher_escapes_values() -> None:
    assert cypher_literal("O'Brien \\ x") == "'O\\'Brien \\\\ x'"
    assert cypher_literal("a\nb\u0000") == "'a\\nb\\u0000'"
    assert cypher_literal({"k": [1, 2.5, None, True]}) == "{`k`: [1, 2.5, null, true]}"
    assert cypher_literal(float("nan")) == "null"
    assert cypher_name("Bad`Label") == "`Bad``Label`"


def test_cypher_export(case: Case, tmp_path: Path) -> None:
    _case(case)
    out = tmp_path / "graph.cypher"
    result = export_graph(case, "cypher", out)
    text = out.read_text(encoding="utf-8")
    assert result.edges == 7
    assert "'O\\'Brien \\\\ \"Holdings\" <script>alert(1)</script>\\nLtd'" in text
    assert HOSTILE not in text  # never pasted raw
    assert "SET n:`Company`" in text and "[r:`OWNERSHIP`" in text and "[r:`DIRECTORSHIP`" in text
    assert "Jane Invented" not in text
    for statement in text.split(";\n"):
        # each statement's quotes balance once escapes are removed
        body = statement.replace("\\\\", "").replace("\\'", "")
        assert body.count("'") % 2 == 0


@pytest.mark.slow
def test_csv_export_and_cli(new_case: Path, tmp_path: Path) -> None:
    c = Case.open(new_case)
    try:
        b = _case(c)
        b.entity("FORMULA", '=HYPERLINK("http://x.invalid")')
        b.edge("FORMULA", "OP", 1)
    finally:
        c.close()
    out = tmp_path / "edges.csv"
    proc = unmask("owners", "export", "--format", "csv", "-o", str(out), "--case", str(new_case), "--json")
    data = json.loads(proc.stdout)
    assert data["edges"] == 8 and data["nodes"] == 9
    nodes_file = tmp_path / "edges.nodes.csv"
    assert data["files"] == [str(out), str(nodes_file)]
    edges = list(csv.DictReader(out.open(encoding="utf-8")))
    nodes = list(csv.DictReader(nodes_file.open(encoding="utf-8")))
    assert len(edges) == 8 and len(nodes) == 9
    keys = {n["key"] for n in nodes}
    assert all(e["source"] in keys and e["target"] in keys for e in edges)
    formula = next(n for n in nodes if n["source_id"] == "FORMULA")
    assert formula["name"].startswith("'=")
    assert not any("Jane Invented" in n["name"] for n in nodes)
    gexf = tmp_path / "g.gexf"
    unmask("owners", "export", "--format", "gexf", "-o", str(gexf), "--case", str(new_case))
    assert gexf.exists()
    bad = unmask("owners", "export", "--format", "dot", "-o", str(gexf), "--case", str(new_case), check=False)
    assert bad.returncode != 0 and "dot" in bad.stderr


@pytest.mark.parametrize("fmt", ["ftm", "gexf", "cypher", "csv"])
def test_empty_graph_exports(sqlite_case: Case, tmp_path: Path, fmt: str) -> None:
    result = export_graph(sqlite_case, fmt, tmp_path / f"empty.{fmt}")
    assert (result.nodes, result.edges) == (0, 0)
    assert result.path.exists()


def test_merged_entities_fold_into_the_canonical_one(case: Case, tmp_path: Path) -> None:
    b = Builder(case)
    for name in ("A", "B", "C", "X"):
        b.entity(name)
    b.edge("C", "X", 30)
    b.edge("B", "X", 20)
    b.merge("C", "B")  # C → B → A: a chain
    b.merge("B", "A")
    out = tmp_path / "e.csv"
    result = export_graph(case, "csv", out)
    assert result.nodes == 2
    edges = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted((e["source"], e["target"]) for e in edges) == [("A", "X"), ("A", "X")]
