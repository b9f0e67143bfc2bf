"""Effective ownership: hand-computed examples, the dense inverse as reference, bounds, tops, dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from tests.owners.build import Builder
from unmask.core.case import Case
from unmask.core.config import OwnersSettings
from unmask.owners.effective import (
    OwnershipSystem,
    dense_effective,
    effective_all,
    effective_for,
)
from unmask.owners.flags import shipped_offshore
from unmask.owners.ultimate import ultimate


def _owners(result: dict) -> dict[str, float]:
    return {o["id"]: o["percent"] for o in result["owners"]}


# -- pure arrays ---------------------------------------------------------------------------------


def test_chain_multiplies_shares() -> None:
    s = OwnershipSystem.build(3, [0, 1], [1, 2], [0.5, 0.5], [0.5, 0.5])
    tops, lo, hi = effective_all(s).owners_of(2)
    assert tops.tolist() == [0]
    assert lo.tolist() == pytest.approx([0.25])
    assert hi.tolist() == pytest.approx([0.25])


def test_cross_holding_matches_dense_inverse() -> None:
    # A=0, B=1 hold each other; P=2 and Q=3 from outside
    s = OwnershipSystem.build(4, [2, 1, 0, 3], [0, 0, 1, 1], [0.5, 0.5, 0.3, 0.7], [0.5, 0.5, 0.3, 0.7])
    held = effective_all(s)
    dense = dense_effective(s)
    for asset in (0, 1):
        tops, lo, _ = held.owners_of(asset)
        got = dict(zip(tops.tolist(), lo.tolist(), strict=True))
        assert got == pytest.approx({2: dense[2, asset], 3: dense[3, asset]})
        assert sum(got.values()) == pytest.approx(1.0)
    assert held.cyclic[[0, 1]].all()


@pytest.mark.parametrize("seed", range(8))
def test_random_graphs_with_cycles_match_dense_inverse(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    src = rng.integers(0, n, 90)
    dst = rng.integers(5, n, 90)  # 0–4 own, nobody owns them unless an edge says so
    keep = src != dst
    src, dst = src[keep], dst[keep]
    share = rng.uniform(0.01, 1.0, len(src))
    colsum = np.bincount(dst, weights=share, minlength=n)
    share = share / np.maximum(colsum[dst], 1.0) * 0.95  # owners of an asset sum to at most 95 %
    s = OwnershipSystem.build(n, src, dst, share, share)
    held = effective_all(s)
    # reference: tops keep no incoming edges, then S (I - A)^-1
    cut = ~held.is_top[dst]
    a = np.zeros((n, n))
    np.add.at(a, (src[cut], dst[cut]), share[cut])
    leontief = np.linalg.inv(np.eye(n) - a)
    for x in range(n):
        tops, lo, hi = held.owners_of(x)
        got = dict(zip(tops.tolist(), lo.tolist(), strict=True))
        want = {
            int(t): leontief[t, x] for t in np.flatnonzero(held.is_top) if t != x and leontief[t, x] > 1e-12
        }
        assert got == pytest.approx(want, abs=1e-9)
        assert np.allclose(lo, hi)
        # the same answer from the ancestors only
        sub, part = effective_for(s, [x])
        t2, lo2, _ = part.owners_of(sub.local(x))
        assert dict(zip(sub.nodes[t2].tolist(), lo2.tolist(), strict=True)) == pytest.approx(want, abs=1e-9)


def test_large_cycles_summed_as_series_match_dense(monkeypatch: pytest.MonkeyPatch) -> None:
    import unmask.owners.effective as eff

    rng = np.random.default_rng(3)
    n = 300
    src = np.r_[rng.integers(0, 60, 500), rng.integers(0, n, 60)]
    dst = np.r_[rng.integers(10, n, 500), rng.integers(10, 60, 60)]
    keep = src != dst
    src, dst = src[keep], dst[keep]
    share = rng.uniform(0.01, 0.6, len(src))
    exact = effective_all(OwnershipSystem.build(n, src, dst, share, share))
    monkeypatch.setattr(eff, "DENSE_CELLS", 0)  # every cycle through the pruned Neumann series
    series = effective_all(OwnershipSystem.build(n, src, dst, share, share), min_share=1e-14)
    assert exact.scc.max() < n - 1  # there is a cycle of several members
    for x in range(n):
        t1, lo1, _ = exact.owners_of(x)
        t2, lo2, hi2 = series.owners_of(x)
        assert dict(zip(t2.tolist(), lo2.tolist(), strict=True)) == pytest.approx(
            dict(zip(t1.tolist(), lo1.tolist(), strict=True)), abs=1e-9
        )
        assert np.allclose(lo2, hi2)


def test_ranges_and_unknown_give_bounds() -> None:
    # P=0 holds 10–30 % of X=2, Q=1 an unknown share
    s = OwnershipSystem.build(3, [0, 1], [2, 2], [0.1, np.nan], [0.3, np.nan])
    held = effective_all(s)
    tops, lo, hi = held.owners_of(2)
    got = {int(t): (a, b) for t, a, b in zip(tops, lo, hi, strict=True)}
    assert got[0] == pytest.approx((0.1, 0.3))
    assert got[1] == pytest.approx((0.0, 0.9))  # at most what P leaves
    assert not held.is_top[2]


def test_self_holding_scales_the_others() -> None:
    # X=1 holds 10 % of itself (treasury shares), P=0 the other 90 %
    s = OwnershipSystem.build(2, [0, 1], [1, 1], [0.9, 0.1], [0.9, 0.1])
    held = effective_all(s)
    tops, lo, _ = held.owners_of(1)
    assert tops.tolist() == [0]
    assert lo.tolist() == pytest.approx([1.0])
    assert held.self_holding[1]


def test_complete_mutual_holding_is_flagged_and_clipped() -> None:
    # A=0 holds all of B=1, B holds 50–100 % of A, P=2 an unknown share of A: high system singular
    s = OwnershipSystem.build(3, [0, 1, 2], [1, 0, 0], [1.0, 0.5, np.nan], [1.0, 1.0, np.nan])
    held = effective_all(s)
    tops, lo, hi = held.owners_of(1)
    assert tops.tolist() == [2]
    assert 0.0 <= lo[0] <= hi[0] <= 1.0
    assert held.unbounded[[0, 1]].all()


def test_group_owning_only_itself_is_its_own_top() -> None:
    # A=0 and B=1 hold each other, nobody else holds them; A holds X=2
    s = OwnershipSystem.build(3, [0, 1, 0], [1, 0, 2], [0.6, 0.6, 1.0], [0.6, 0.6, 1.0])
    held = effective_all(s)
    assert held.circular_top[[0, 1]].all()
    tops, lo, _ = held.owners_of(2)
    assert tops.tolist() == [0]
    assert lo.tolist() == pytest.approx([1.0])


# -- the query on a case (SQLite and PostgreSQL) ------------------------------------------------------


def test_ultimate_chain_two_paths_and_json_shape(case: Case) -> None:
    b = Builder(case)
    for name in ("P", "Q", "A", "B", "X"):
        b.entity(name, f"{name} Ltd")
    b.edge("P", "A", 50)
    b.edge("A", "X", 50)  # 25 %
    b.edge("P", "B", 100)
    b.edge("B", "X", 20)  # + 20 %
    b.edge("Q", "X", 30)
    result = ultimate(case, "X", settings=OwnersSettings())
    assert result["entity"] == "X"
    assert _owners(result) == pytest.approx({"P": 45.0, "Q": 30.0})
    first = result["owners"][0]
    assert {"id", "name", "percent"} <= set(first)
    assert isinstance(first["percent"], float)
    assert first["id"] == "P" and first["name"] == "P Ltd"
    assert first["exact"] is True
    assert first["internal_id"] == b.ids["P"]
    assert result["control"] == []


def test_ultimate_cross_holding_equals_dense(case: Case) -> None:
    b = Builder(case)
    for name in ("P", "Q", "A", "B"):
        b.entity(name)
    b.edge("P", "A", 50)
    b.edge("B", "A", 50)
    b.edge("A", "B", 30)
    b.edge("Q", "B", 70)
    result = ultimate(case, "A", settings=OwnersSettings())
    assert _owners(result) == pytest.approx({"P": 100 * 0.5 / 0.85, "Q": 100 * 0.35 / 0.85})
    kinds = {f["flag"] for f in result["flags"]}
    assert {"circular", "cross_holding"} <= kinds


def test_ultimate_self_holding_flag(case: Case) -> None:
    b = Builder(case)
    b.entity("P")
    b.entity("X")
    b.edge("P", "X", 90)
    b.edge("X", "X", 10)
    result = ultimate(case, "X", settings=OwnersSettings())
    assert _owners(result) == pytest.approx({"P": 100.0})
    flag = next(f for f in result["flags"] if f["flag"] == "self_holding")
    assert [e["id"] for e in flag["entities"]] == ["X"]


def test_unknown_share_is_ownership_and_subject_not_a_top(case: Case) -> None:
    b = Builder(case)
    b.entity("P", "Person One", "Person")
    b.entity("X")
    b.edge("P", "X", None)
    result = ultimate(case, "X", settings=OwnersSettings())
    assert result["is_top"] is False
    (owner,) = result["owners"]
    assert owner["id"] == "P"
    assert (owner["percent_low"], owner["percent_high"], owner["exact"]) == (0.0, 100.0, False)
    assert owner["percent"] == 0.0


def test_ranges_carry_low_and_high(case: Case) -> None:
    b = Builder(case)
    for name in ("P", "A", "X"):
        b.entity(name)
    b.edge("P", "A", (25, 50))
    b.edge("A", "X", 50)
    (owner,) = ultimate(case, "X", settings=OwnersSettings())["owners"]
    assert (owner["percent_low"], owner["percent_high"]) == pytest.approx((12.5, 25.0))
    assert owner["exact"] is False


def test_listed_company_is_a_chain_top(case: Case) -> None:
    b = Builder(case)
    b.entity("Z", "Fund")
    b.entity("L", "Listed Tech", topmark="listed")
    b.entity("X")
    b.edge("Z", "L", 5)
    b.edge("L", "X", 60)
    result = ultimate(case, "X", settings=OwnersSettings())
    (owner,) = result["owners"]
    assert (owner["id"], owner["percent"], owner["top"]) == ("L", 60.0, "listed")
    top = ultimate(case, "L", settings=OwnersSettings())
    assert top["is_top"] is True and top["top_reason"] == "listed" and top["owners"] == []


def test_control_is_shown_separately(case: Case) -> None:
    b = Builder(case)
    b.entity("P")
    b.entity("D", "Director", "Person")
    b.entity("N", "Nominee Services")
    b.entity("X")
    b.edge("P", "X", 100)
    b.edge("D", "X", kind="directorship", role="director")
    b.edge("N", "P", kind="nominee", role="nominee shareholder")
    result = ultimate(case, "X", settings=OwnersSettings())
    assert _owners(result) == {"P": 100.0}
    control = {(c["id"], c["kind"], c["of"]["id"]) for c in result["control"]}
    assert control == {("D", "directorship", "X"), ("N", "nominee", "P")}
    src = next(c for c in result["control"] if c["id"] == "D")["source"]
    assert src["file"] == "notes.csv" and isinstance(src["line"], int)


def test_at_date_excludes_ended_and_future_interests(case: Case) -> None:
    b = Builder(case)
    for name in ("Old", "New", "X"):
        b.entity(name)
    b.edge("Old", "X", 100, end=dt.date(2020, 6, 30))
    b.edge("New", "X", 100, start=dt.date(2020, 7, 1))
    assert _owners(ultimate(case, "X", settings=OwnersSettings())) == {"New": 100.0}
    past = ultimate(case, "X", at=dt.date(2019, 1, 1), settings=OwnersSettings())
    assert _owners(past) == {"Old": 100.0}
    assert past["at"] == "2019-01-01"


def test_replaced_and_component_records_are_not_counted_twice(case: Case) -> None:
    b = Builder(case)
    for name in ("P", "Old", "B", "X"):
        b.entity(name)
    b.edge("Old", "X", 40, replaced=True)
    # BODS 0.4: an indirect 30 % statement, detailed by components P→B (unknown) and B→X (60 %)
    b.edge("B", "X", 60, component=True, direct=True, source_id="rec-bx")
    b.edge("P", "B", None, component=True, source_id="rec-pb")
    b.edge("P", "X", 30, direct=False, properties={"componentRecords": ["B", "rec-pb", "rec-bx"]})
    result = ultimate(case, "X", settings=OwnersSettings())
    assert [(o["id"], o["percent_low"], o["percent_high"]) for o in result["owners"]] == [("P", 30.0, 30.0)]
    # the component P→B is the only record of who owns B: it counts there
    of_b = ultimate(case, "B", settings=OwnersSettings())
    assert of_b["is_top"] is False
    assert [(o["id"], o["percent_low"], o["percent_high"]) for o in of_b["owners"]] == [("P", 0.0, 100.0)]


def test_merged_entities_count_for_the_canonical_one(case: Case) -> None:
    b = Builder(case)
    b.entity("LEI-P", "P Holdings")
    b.entity("REG-P", "P HOLDINGS LIMITED")
    b.entity("X")
    b.entity("Y")
    b.edge("REG-P", "X", 40)
    b.edge("LEI-P", "X", 20)
    b.edge("Y", "X", 40)
    b.merge("REG-P", "LEI-P")
    assert _owners(ultimate(case, "X", settings=OwnersSettings())) == pytest.approx(
        {"LEI-P": 60.0, "Y": 40.0}
    )


def test_offshore_and_mass_registration_flags(case: Case) -> None:
    assert shipped_offshore()["VG"] == "British Virgin Islands"
    b = Builder(case)
    b.entity("S", "Shell One", jurisdiction="vg", address="1 Registry Lane, Road Town")
    for k in range(3):
        b.entity(f"Other{k}", address="1 registry lane road town")
    b.entity("X", jurisdiction="gb")
    b.edge("S", "X", 100)
    settings = OwnersSettings(mass_address_threshold=3)
    result = ultimate(case, "X", settings=settings)
    (owner,) = result["owners"]
    assert "offshore:VG" in owner["flags"] and "mass_address" in owner["flags"]
    assert {f["flag"] for f in result["flags"]} >= {"offshore", "mass_address"}
    extra = ultimate(case, "X", settings=OwnersSettings(offshore_jurisdictions=["GB"]))
    assert any(f["flag"] == "offshore" and f["detail"] == "GB" for f in extra["flags"])


def test_unknown_id_is_a_clear_error(case: Case) -> None:
    from unmask.core.errors import UnmaskError

    Builder(case).entity("X")
    with pytest.raises(UnmaskError, match="NOPE"):
        ultimate(case, "NOPE", settings=OwnersSettings())


def test_ultimate_flags_a_cycle_of_complete_holdings(case: Case) -> None:
    b = Builder(case)
    for name in ("P", "A", "B"):
        b.entity(name)
    b.edge("A", "B", 100)
    b.edge("B", "A", (50, 100))
    b.edge("P", "A", None)
    result = ultimate(case, "B", settings=OwnersSettings())
    (owner,) = result["owners"]
    assert owner["id"] == "P" and 0.0 <= owner["percent_low"] <= owner["percent_high"] <= 100.0
    flags = {f["flag"] for f in result["flags"]}
    assert {"unbounded_cycle", "circular", "cross_holding"} <= flags


def test_mass_address_through_a_real_import_and_capped_flag_lists(case: Case, tmp_path: Path) -> None:
    """Imported addresses land in the owner_address index; a flag lists a few entities and counts all."""
    import json as _json

    from unmask.owners.flags import FLAG_ENTITIES
    from unmask.owners.importers.load import import_files

    lines = [
        {
            "id": f"shell-{k}",
            "schema": "Company",
            "properties": {
                "name": [f"Shell {k} Ltd"],
                "address": ["Suite 1, 8 Invented Quay, Road Town"],
                "jurisdiction": ["vg"],
            },
        }
        for k in range(FLAG_ENTITIES + 5)
    ]
    lines.append({"id": "target", "schema": "Company", "properties": {"name": ["Target Ltd"]}})
    lines += [
        {
            "id": f"own-{k}",
            "schema": "Ownership",
            "properties": {"owner": [f"shell-{k}"], "asset": ["target"], "percentage": ["3"]},
        }
        for k in range(FLAG_ENTITIES + 5)
    ]
    path = tmp_path / "shells.ftm.jsonl"
    path.write_text("\n".join(_json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    import_files(case.store, [path])

    result = ultimate(case, "target", settings=OwnersSettings(mass_address_threshold=10))
    assert len(result["owners"]) == FLAG_ENTITIES + 5
    assert all("mass_address" in o["flags"] and "offshore:VG" in o["flags"] for o in result["owners"])
    by_name = {f["flag"]: f for f in result["flags"]}
    assert by_name["mass_address"]["count"] == FLAG_ENTITIES + 5
    assert len(by_name["mass_address"]["entities"]) == FLAG_ENTITIES
    assert by_name["offshore"]["detail"] == "VG" and by_name["offshore"]["count"] == FLAG_ENTITIES + 5
