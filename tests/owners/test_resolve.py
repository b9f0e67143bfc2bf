"""Entity resolution: identifiers first, then normalised names (legal forms in many languages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.owners import SHARED, edges, entity, resolved
from unmask.core.case import Case
from unmask.owners import resolve
from unmask.owners.importers.load import import_files


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Shenzhen Lanternfish Technology Co., Ltd.", "SHENZHEN LANTERNFISH TECHNOLOGY COMPANY LIMITED"),
        ("Shenzhen Lanternfish Technology Co. Ltd", "Shenzhen Lanternfish Technology Co Ltd"),
        ("深圳灯笼鱼科技有限公司", "深圳灯笼鱼科技股份有限公司"),
        ("深圳灯笼鱼科技有限责任公司", "深圳灯笼鱼科技有限公司"),
        ("株式会社ランタン", "ランタン株式会社"),
        ("Lantern Kabushiki Kaisha", "Lantern K.K."),
        ("ООО Ромашка", "Ромашка ООО"),
        ("Lanternfish GmbH & Co. KG", "Lanternfish GmbH"),
        ("Lanternfish S.r.l.", "LANTERNFISH SRL"),
        ("Lanternfish Pte. Ltd.", "Lanternfish Private Limited"),
        ("Lanternfish B.V.", "Lanternfish N.V."),
        ("Lanternfish, Inc.", "Lanternfish Corp."),
    ],
)
def test_legal_forms_are_normalised(a: str, b: str) -> None:
    assert resolve.normalize_name(a) == resolve.normalize_name(b) != ""


def test_names_that_differ_stay_apart() -> None:
    assert resolve.normalize_name("Lanternfish Holdings Ltd") != resolve.normalize_name("Lanternfish Ltd")
    assert resolve.normalize_name("Ltd") == "ltd"  # a form alone is kept


def _notes(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_identifier_merges_apply_and_revert(case: Case, tmp_path: Path) -> None:
    gleif = SHARED / "gleif"
    import_files(case.store, [gleif / "rr-data.json"])  # parents and children as LEI placeholders
    import_files(case.store, [gleif / "lei-data.json"])  # level 1 records of some of them, later
    proposals = resolve.candidates(case.store)
    by_lei = [p for p in proposals if p.reason == "lei"]
    assert by_lei and all(p.score == 1.0 for p in by_lei)
    fund = next(p for p in by_lei if p.canonical["id"] == "001GPB6A9XPE8XJICC14")
    assert (
        fund.canonical["name"] == "Fidelity Advisor Leveraged Company Stock Fund"
    )  # the described one stays
    applied = resolve.apply(case.store, proposals)
    assert {p.merge_id for p in applied} and all(p.by_identifier for p in applied)
    # the placeholder's edges now count for the canonical entity: the ID answers with it
    canonical = resolved(case, "001GPB6A9XPE8XJICC14")
    assert canonical.name == "Fidelity Advisor Leveraged Company Stock Fund"
    assert resolve.candidates(case.store) == [] or all(
        not p.by_identifier for p in resolve.candidates(case.store)
    )
    merge_id = fund.merge_id
    assert merge_id is not None
    resolve.unmerge(case.store, merge_id)
    assert resolve.merges(case.store)[0]["reverted_at"] is not None or any(
        m["reverted_at"] for m in resolve.merges(case.store)
    )
    # a reverted pair is not proposed again
    again = resolve.candidates(case.store)
    assert not any(p.merged_id == fund.merged_id and p.canonical_id == fund.canonical_id for p in again)
    assert len({e["id"] for e in edges(case)}) == 10


def test_names_across_sources_are_proposed_not_applied(case: Case, tmp_path: Path) -> None:
    first = 'owner,asset,percentage,source\nMira Quillon,"Shenzhen Lanternfish Technology Co., Ltd.",30,x\n'
    second = (
        "owner,asset,percentage,source\n"
        "Orchid Ventures LLC,SHENZHEN LANTERNFISH TECHNOLOGY COMPANY LIMITED,20,y\n"
    )
    import_files(case.store, [_notes(tmp_path, "a.csv", first)])
    import_files(case.store, [_notes(tmp_path, "b.csv", second)])
    proposals = resolve.candidates(case.store)
    [by_name] = [p for p in proposals if p.reason.startswith("name:")]
    assert by_name.reason == "name:shenzhen lanternfish technology" and by_name.score == 0.6
    assert resolve.apply(case.store, proposals) == []  # name-only merges need --include-names
    assert resolve.apply(case.store, proposals, include_names=True)[0].merge_id is not None


def test_manual_merge_and_errors(case: Case, tmp_path: Path) -> None:
    import_files(case.store, [_notes(tmp_path, "a.csv", "owner,asset,percentage,source\nA Ltd,B Ltd,30,x\n")])
    merge_id = resolve.merge(case.store, "A Ltd", "B Ltd")
    assert entity(case, "B Ltd").merged_into == entity(case, "A Ltd").id
    with pytest.raises(resolve.MergeError):
        resolve.merge(case.store, f"#{entity(case, 'B Ltd').id}", "A Ltd")
    resolve.unmerge(case.store, merge_id)
    assert entity(case, "B Ltd").merged_into is None
    with pytest.raises(resolve.MergeError, match="already reverted"):
        resolve.unmerge(case.store, merge_id)
