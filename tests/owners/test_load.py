"""Loading the graph into arrays: merges folded, history left out, components kept but not counted."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from tests.owners.build import Builder
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.owners.load import KIND_CODE, load_graph


def test_load_graph_folds_merges_and_drops_history(case: Case) -> None:
    b = Builder(case)
    for name in ("A", "A2", "B", "C"):
        b.entity(name)
    b.entity("GONE", replaced=True)
    b.entity("TOP", topmark="listed")
    b.edge("A2", "B", 40)  # A2 merged into A: counts for A
    b.edge("A", "C", None)  # unknown share
    b.edge("B", "C", (10, 20), component=True, source_id="rec-bc")
    b.edge("A", "C", 15, direct=False, properties={"componentRecords": ["rec-bc"]})
    b.edge("GONE", "C", 50)  # edge of a replaced entity
    b.edge("B", "C", 5, replaced=True)
    b.edge("C", "B", 30, end=dt.date(2010, 1, 1))
    b.edge("TOP", "A", kind="directorship")
    b.merge("A2", "A")
    g = load_graph(case.store)
    assert sorted(g.source_id.tolist()) == ["A", "B", "C", "TOP"]
    assert g.n_edges == 5
    a, bb, c = g.find("A"), g.find("B"), g.find("C")
    pairs = {(int(s), int(d), int(k)) for s, d, k in zip(g.src, g.dst, g.kind, strict=True)}
    assert (a, bb, KIND_CODE["ownership"]) in pairs
    assert (g.find("TOP"), a, KIND_CODE["directorship"]) in pairs
    unknown = np.flatnonzero((g.src == a) & (g.dst == c))[0]
    assert np.isnan(g.share_low[unknown]) and np.isnan(g.share_high[unknown])
    comp = np.flatnonzero(g.component)
    assert len(comp) == 1 and g.share_low[comp[0]] == pytest.approx(0.1)
    assert g.double_counted[comp[0]] and g.double_counted.sum() == 1
    system = g.ownership_system()
    assert system.src.tolist() == [a, a, a] and sorted(system.dst.tolist()) == sorted([bb, c, c])
    assert g.topmarked[g.find("TOP")] and g.topmark[g.find("TOP")] == "listed"
    assert g.index_of_internal(b.ids["A2"]) == a
    assert g.find(f"#{b.ids['A2']}") == a
    past = load_graph(case.store, dt.date(2009, 6, 1), labels=False)
    assert past.n_edges == 6 and past.source_id[0] is None
    with pytest.raises(UnmaskError, match="NOPE"):
        g.find("NOPE")


def test_duplicate_source_ids_are_ambiguous(sqlite_case: Case) -> None:
    b = Builder(sqlite_case)
    b.entity("SAME", "One")
    b.entity("SAME", "Two")
    with pytest.raises(UnmaskError, match="ambiguous"):
        load_graph(sqlite_case.store).find("SAME")


def test_empty_case_loads(case: Case) -> None:
    g = load_graph(case.store)
    assert (g.n, g.n_edges) == (0, 0)
    assert g.ownership_system().n == 0
