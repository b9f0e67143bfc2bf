"""Shortest typed paths: in memory and by frontier queries, with direction and the source of every edge."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.helpers.cli import unmask
from tests.owners.build import Builder
from unmask.core.case import Case
from unmask.owners.load import load_graph
from unmask.owners.paths import Adjacency, naive_paths, path_query, paths


def _platform_case(case: Case) -> Builder:
    """platform → domain → IP; app → developer account ← company ← holding; holding → company2 → platform."""
    b = Builder(case)
    b.entity("site.example", "site.example", "Domain")
    b.entity("plat", "The Platform", "Platform")
    b.entity("198.51.100.7", "198.51.100.7", "IPAddress")
    b.entity("Holding", "Holding Ltd")
    b.entity("Sub1", "Sub One Ltd")
    b.entity("Sub2", "Sub Two Ltd")
    b.entity("Far", "Far Away Ltd")
    b.edge("plat", "site.example", kind="platform", role="domain")
    b.edge("site.example", "198.51.100.7", kind="platform", role="resolves to")
    b.edge("Sub1", "plat", kind="platform", role="operator")
    b.edge("Holding", "Sub1", 100)
    b.edge("Holding", "Sub2", 51)
    b.edge("Sub2", "plat", kind="platform", role="operator")
    b.edge("Holding", "Sub1", kind="directorship", role="corporate director")
    return b


def test_shortest_paths_in_memory(case: Case) -> None:
    b = _platform_case(case)
    g = load_graph(case.store)
    a, z = g.find("Holding"), g.find("198.51.100.7")
    found = paths(g, a, z, k=10)
    assert [p.length for p in found] == [4, 4]
    names = sorted(tuple(g.source_id[v] for v in p.nodes) for p in found)
    assert names == [
        ("Holding", "Sub1", "plat", "site.example", "198.51.100.7"),
        ("Holding", "Sub2", "plat", "site.example", "198.51.100.7"),
    ]
    # the Holding–Sub1 hop carries both the shareholding and the directorship
    sub1 = next(p for p in found if g.source_id[p.nodes[1]] == "Sub1")
    assert len(sub1.hops[0].edges) == 2
    assert paths(g, a, a)[0].nodes == (a,)
    b.entity("Alone")
    g = load_graph(case.store)
    assert paths(g, g.find("Alone"), g.find("Holding")) == []


def test_path_query_lists_kinds_directions_and_sources(case: Case) -> None:
    _platform_case(case)
    result = path_query(case, "198.51.100.7", "Holding", k=1)
    assert result["length"] == 4
    (p,) = result["paths"]
    assert p["nodes"][0]["id"] == "198.51.100.7"
    first = p["hops"][0]["edges"][0]
    assert first["kind"] == "platform" and first["direction"] == "backward"
    last = p["hops"][-1]["edges"]
    assert {e["kind"] for e in last} <= {"ownership", "directorship"}
    assert all(e["direction"] == "backward" for e in last)
    for hop in p["hops"]:
        for e in hop["edges"]:
            assert e["source"]["file"] == "notes.csv" and e["source"]["line"] >= 1
            assert e["source"]["record_id"]


def test_sql_and_memory_agree_on_a_random_graph(case: Case) -> None:
    b = Builder(case)
    rng = np.random.default_rng(7)
    for k in range(60):
        b.entity(f"E{k}")
    for _ in range(80):
        u, v = rng.integers(0, 60, 2)
        if u != v:
            b.edge(f"E{u}", f"E{v}", float(rng.integers(1, 50)))
    g = load_graph(case.store)
    adj = Adjacency.of(g)
    for _ in range(10):
        u, v = (f"E{x}" for x in rng.integers(0, 60, 2))
        mem = paths(g, g.find(u), g.find(v), k=50, adjacency=adj)
        sql = path_query(case, u, v, k=50)
        mem_nodes = sorted(tuple(g.source_id[x] for x in p.nodes) for p in mem)
        sql_nodes = sorted(tuple(n["id"] for n in p["nodes"]) for p in sql["paths"])
        assert mem_nodes == sql_nodes
        if mem:
            naive, done = naive_paths(adj, g.find(u), g.find(v), mem[0].length, limit=1000)
            assert done
            shortest = sorted({p for p in naive if len(p) == mem[0].length + 1})
            assert shortest == sorted({p.nodes for p in mem})


def test_merged_entities_are_one_node_and_history_is_left_out(case: Case) -> None:
    import datetime as dt

    b = Builder(case)
    for name in ("A", "B", "B2", "C"):
        b.entity(name)
    b.edge("A", "B", 10)
    b.edge("B2", "C", 10)
    b.edge("A", "C", 10, end=dt.date(2001, 1, 1))
    b.merge("B2", "B")
    result = path_query(case, "A", "C")
    assert [[n["id"] for n in p["nodes"]] for p in result["paths"]] == [["A", "B", "C"]]


@pytest.mark.slow
def test_cli_path_and_ultimate(new_case: Path) -> None:
    c = Case.open(new_case)
    try:
        _platform_case(c)
    finally:
        c.close()
    proc = unmask(
        "owners", "path", "Holding", "site.example", "--case", str(new_case), "--json", "--max", "1"
    )
    data = json.loads(proc.stdout)
    assert data["length"] == 3 and len(data["paths"]) == 1
    text = unmask("owners", "path", "Holding", "site.example", "--case", str(new_case)).stdout
    assert "path 1" in text and "notes.csv" in text
    owners = json.loads(unmask("owners", "ultimate", "Sub2", "--case", str(new_case), "--json").stdout)
    assert owners["entity"] == "Sub2"
    assert [(o["id"], o["percent"]) for o in owners["owners"]] == [("Holding", 51.0)]
    bad = unmask("owners", "ultimate", "nobody", "--case", str(new_case), check=False)
    assert bad.returncode != 0 and "nobody" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1
    bad_day = unmask("owners", "ultimate", "Sub2", "--at", "yesterday", "--case", str(new_case), check=False)
    assert bad_day.returncode != 0 and "--at yesterday" in bad_day.stderr
