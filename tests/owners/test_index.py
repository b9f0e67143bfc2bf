"""The compact graph index: the same answers as the SQL walk it replaced, and never a stale one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from tests.owners.build import Builder
from tests.owners.sql_reference import sql_chain, sql_paths
from unmask.core.case import Case
from unmask.core.config import OwnersSettings
from unmask.owners import index as graph_index
from unmask.owners.flags import FlagOptions
from unmask.owners.paths import path_query, path_query_on
from unmask.owners.ultimate import answer, ultimate, ultimate_on

DAYS = (dt.date(2012, 6, 1), dt.date.today(), dt.date(2031, 1, 1))
COUNTRIES = ("gb", "vg", "ky", "us-de", "cy", "de", None)


def _random_graph(case: Case, seed: int) -> list[str]:
    """A graph with cycles, cross-holdings, self-holdings, unknown shares and ranges, ended and future
    interests, closed records, merges, BODS components, control, chain tops, offshore jurisdictions and
    mass-registration addresses (properties and Address entities). Returns the current entities' IDs."""
    rng = np.random.default_rng(seed)
    b = Builder(case)
    names = [f"C{k}" for k in range(40)] + [f"P{k}" for k in range(6)]
    for name in names:
        props = {}
        country = COUNTRIES[int(rng.integers(len(COUNTRIES)))]
        if country:
            props["jurisdiction" if rng.random() < 0.7 else "country"] = country
        if rng.random() < 0.15:
            props["address"] = "Suite 4, 12 Invented Quay, Road Town"
        topmark = {"C0": "listed", "C1": "NO_KNOWN_PERSON"}.get(name)
        schema = "Person" if name.startswith("P") else "Company"
        b.entity(name, f"{name} Invented", schema, topmark=topmark, replaced=name in ("C38", "C39"), **props)
    for k in range(3):
        b.entity(f"ADDR{k}", f"{k} Invented Street", "Address")
    current = [n for n in names if n not in ("C38", "C39")]
    for _ in range(110):
        owner = names[int(rng.integers(0, 16))] if rng.random() < 0.8 else names[40 + int(rng.integers(6))]
        asset = names[int(rng.integers(2, 40))]
        roll = rng.random()
        share: float | tuple[float | None, float | None] | None
        if roll < 0.6:
            share = float(np.round(rng.uniform(1, 45), 2))
        elif roll < 0.75:
            low = float(rng.integers(5, 30))
            share = (low, low + float(rng.integers(1, 25)))
        elif roll < 0.85:
            share = (float(rng.integers(10, 40)), None)
        else:
            share = None
        when = rng.random()
        b.edge(
            owner,
            asset,
            share,
            kind="unknown_interest" if share is None and rng.random() < 0.3 else "ownership",
            start=dt.date(2010, 1, 1) if when < 0.2 else dt.date(2030, 1, 1) if when < 0.3 else None,
            end=dt.date(2015, 1, 1) if 0.3 <= when < 0.4 else None,
            replaced=rng.random() < 0.05,
            direct=None if rng.random() < 0.5 else bool(rng.random() < 0.8),
        )
    b.edge("C5", "C5", 10)  # treasury shares
    b.edge("C6", "C7", 40)
    b.edge("C7", "C6", 30)  # a cross-holding
    # a BODS indirect statement detailed by components
    b.edge("C20", "C21", 60, component=True, direct=True, source_id="rec-c20-c21")
    b.edge("P0", "C20", None, component=True, source_id="rec-p0-c20")
    b.edge("P0", "C21", 30, direct=False, properties={"componentRecords": ["rec-p0-c20", "rec-c20-c21"]})
    b.edge("P1", "C22", 25, direct=False, end=dt.date(2015, 1, 1), properties={"componentRecords": ["rec-x"]})
    b.edge("C23", "C22", 50, component=True, source_id="rec-x")
    for _ in range(15):
        b.edge(
            names[40 + int(rng.integers(6))],
            names[int(rng.integers(0, 40))],
            kind=("directorship", "nominee", "control")[int(rng.integers(3))],
            role="director",
            voting=float(rng.integers(0, 60)) if rng.random() < 0.3 else None,
        )
    for k in range(12):
        b.edge(names[k * 3 % 40], f"ADDR{k % 3}", kind="address", role="registered address")
    b.merge("C30", "C31")  # C30's links count for C31
    b.merge("C32", "C33")
    b.merge("P5", "P4")
    return [n for n in current if n not in ("C30", "C32", "P5")]


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
def test_index_answers_as_the_sql_walk_did(case: Case, seed: int) -> None:
    """Ultimate owners and paths from the index equal those of the SQL frontier walk, on every entity
    of generated graphs (cycles, cross-holdings, unknown shares, closed records, merges), on three days."""
    current = _random_graph(case, seed)
    settings = OwnersSettings(mass_address_threshold=3)
    opts = FlagOptions.from_settings(settings)
    rng = np.random.default_rng(100 + seed)
    with graph_index.reading(case.store, case.root, None) as (conn, index):
        for day in DAYS:
            for ref in current:
                want = answer(conn, sql_chain(conn, ref, day, opts), day, opts)
                assert ultimate_on(conn, index, ref, at=day, settings=settings) == want, (ref, day)
            for _ in range(15):
                a, z = (current[int(i)] for i in rng.integers(0, len(current), 2))
                want = sql_paths(conn, a, z, day, k=20, max_hops=6)
                assert path_query_on(conn, index, a, z, k=20, max_hops=6, at=day) == want, (a, z, day)


def test_a_changed_graph_is_answered_from_a_new_index(case: Case) -> None:
    """Every write moves the graph version on; the next query rebuilds the index (with a note) and
    answers from the new graph; an unchanged graph is not rebuilt."""
    notes: list[str] = []
    b = Builder(case)
    for name in ("P", "Q", "X"):
        b.entity(name)
    b.edge("P", "X", 60)
    first = ultimate(case, "X", settings=OwnersSettings(), note=notes.append)
    assert [o["id"] for o in first["owners"]] == ["P"]
    assert len(notes) == 1 and "building the index" in notes[0]
    ultimate(case, "X", settings=OwnersSettings(), note=notes.append)
    assert len(notes) == 1  # the same version: read, not rebuilt
    b.edge("Q", "X", 40)
    second = ultimate(case, "X", settings=OwnersSettings(), note=notes.append)
    assert [(o["id"], o["percent"]) for o in second["owners"]] == [("P", 60.0), ("Q", 40.0)]
    assert len(notes) == 2 and "changed" in notes[1]
    folders = [p.name for p in graph_index.folder_of(case.root).iterdir()]
    assert len(folders) == 1 and folders[0].startswith("v")  # the older version was removed


def test_merges_and_case_findings_move_the_version_on(case: Case, tmp_path: Path) -> None:
    from unmask.owners import resolve
    from unmask.owners.importers.load import import_files

    notes = tmp_path / "notes.csv"
    notes.write_text(
        "owner,asset,percentage,source\n"
        "A Invented Ltd,T Invented Ltd,30,x\nB Invented Ltd,T Invented Ltd,20,x\n"
    )
    import_files(case.store, [notes])
    before = {o["id"] for o in ultimate(case, "T Invented Ltd", note=None)["owners"]}
    assert before == {"A Invented Ltd", "B Invented Ltd"}
    merge_id = resolve.merge(case.store, "A Invented Ltd", "B Invented Ltd")
    merged = ultimate(case, "T Invented Ltd", note=None)["owners"]
    assert [(o["id"], o["percent"]) for o in merged] == [("A Invented Ltd", 50.0)]
    resolve.unmerge(case.store, merge_id)
    assert len(ultimate(case, "T Invented Ltd", note=None)["owners"]) == 2


def test_an_unwritable_case_folder_answers_from_memory(sqlite_case: Case) -> None:
    b = Builder(sqlite_case)
    b.entity("P")
    b.entity("X")
    b.edge("P", "X", 100)
    folder = graph_index.folder_of(sqlite_case.root)
    folder.parent.mkdir(parents=True)
    folder.write_text("not a folder")  # the index cannot be written there
    notes: list[str] = []
    result = path_query(sqlite_case, "P", "X", note=notes.append)
    assert result["length"] == 1
    assert any("cannot write the graph index" in n for n in notes)


def test_index_arrays_fold_merges_and_leave_history_out(case: Case) -> None:
    b = Builder(case)
    for name in ("A", "A2", "B"):
        b.entity(name)
    b.entity("GONE", replaced=True)
    b.edge("A2", "B", 40)
    b.edge("GONE", "B", 10)
    b.edge("A", "B", 5, replaced=True)
    b.merge("A2", "A")
    index = graph_index.ensure(case.store, case.root, None)
    assert index.n == 2 and index.m == 1
    a = index.position(b.ids["A"])
    assert a is not None and index.canonical(b.ids["A2"]) == b.ids["A"]
    assert index.position(b.ids["GONE"]) is None
    assert int(index.src[0]) == a and float(index.share_min[0]) == 40.0
    assert index.members(b.ids["A"]) == [b.ids["A"], b.ids["A2"]]


def test_case_findings_seen_again_leave_the_index_as_it_is(case: Case) -> None:
    """emit-case moves the version on only when it wrote something: a second, unchanged emission keeps
    the index (no rebuild for nothing)."""
    from unmask.owners.emit import emit
    from unmask.owners.query import graph_version
    from unmask.owners.specs import EdgeSpec, NodeSpec, Ref

    records = [
        NodeSpec("Platform", "https://tube.invented.example/", "Invented Tube"),
        NodeSpec("Domain", "tube.invented.example", "tube.invented.example"),
        EdgeSpec(
            "platform",
            Ref("https://tube.invented.example/"),
            Ref("tube.invented.example"),
            role="served_from",
        ),
    ]
    emit(case.store, records)
    with case.store.engine.connect() as conn:
        first = graph_version(conn)
    assert emit(case.store, records) == (0, 0)
    with case.store.engine.connect() as conn:
        assert graph_version(conn) == first
    emit(
        case.store,
        [
            NodeSpec(
                "Domain", "tube.invented.example", "tube.invented.example", {"address": ["1 Invented Row"]}
            )
        ],
    )
    with case.store.engine.connect() as conn:
        assert graph_version(conn).version == first.version + 1  # new properties: the flags may change


def test_leftovers_of_a_build_that_died_are_removed_once_old(sqlite_case: Case) -> None:
    import os
    import time

    Builder(sqlite_case).entity("X")
    root = graph_index.folder_of(sqlite_case.root)
    root.mkdir(parents=True)
    (root / ".tmp-1-old").mkdir()
    (root / ".tmp-2-fresh").mkdir()
    (root / "v0-stale").mkdir()
    hours_ago = time.time() - 7200
    os.utime(root / ".tmp-1-old", (hours_ago, hours_ago))
    index = graph_index.ensure(sqlite_case.store, sqlite_case.root, None)
    current = f"v{index.version}-{index.stamp[:12]}"
    assert sorted(p.name for p in root.iterdir()) == [".tmp-2-fresh", current]
