"""Entity resolution: which entities of the graph are the same, proposed for review, applied on
command, reversible.

Identifiers first (LEI, registration number within a jurisdiction, ISIN, domain, e-mail,
OpenCorporates URL): two entities sharing one are the same (score 1.0). Then names: organisation
names equal once normalised (case, punctuation, and legal forms in many languages stripped —
``Co., Ltd.``/``Company Limited``/``有限公司``/``股份有限公司``/``GmbH``/``ООО`` … from
``data/legal_forms.yaml``), in the same jurisdiction (score 0.8) or where one side has none (0.6).

A merge sets ``owner_entity.merged_into`` of the merged entity to the canonical one and records an
``owner_merge`` row; ``unmerge`` clears it and stamps ``reverted_at``. A reverted pair is not
proposed again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, update

from unmask.core.errors import UnmaskError
from unmask.core.store.db import Store
from unmask.core.store.models import utcnow
from unmask.owners.names import normalize_name
from unmask.owners.query import bump_graph_version, resolve
from unmask.owners.specs import STUB, loads
from unmask.owners.tables import OwnerEntity, OwnerIdentifier, OwnerMerge

STRONG_SCHEMES = ("lei", "isin", "domain", "email", "opencorporates", "ftm")
"""Identifier schemes (besides ``registration:*``) that name one entity in the world."""
PEOPLE = ("Person",)
MAX_NAME_GROUP = 20
"""A normalised name shared by more entities than this is too generic to propose."""

_ENTITY = cast(Table, OwnerEntity.__table__)
_MERGE = cast(Table, OwnerMerge.__table__)


class MergeError(UnmaskError):
    pass


# -- candidates -------------------------------------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    canonical_id: int
    merged_id: int
    reason: str
    score: float
    canonical: dict[str, Any]
    merged: dict[str, Any]
    merge_id: int | None = None

    @property
    def by_identifier(self) -> bool:
        return not self.reason.startswith("name:")

    def as_dict(self) -> dict[str, Any]:
        return {
            "canonical": self.canonical,
            "merged": self.merged,
            "reason": self.reason,
            "score": self.score,
            "applied": self.merge_id,
        }


def _strong(scheme: str) -> bool:
    return scheme in STRONG_SCHEMES or scheme.startswith("registration:")


def candidates(store: Store, *, names: bool = True) -> list[Candidate]:
    """Proposed merges among entities not merged yet, identifier-based first, then name-based."""
    with store.engine.connect() as conn:
        live = {
            r.id: r
            for r in conn.execute(
                select(
                    OwnerEntity.id,
                    OwnerEntity.source_id,
                    OwnerEntity.name,
                    OwnerEntity.schema,
                    OwnerEntity.properties,
                ).where(OwnerEntity.merged_into.is_(None))
            )
        }
        rejected = {
            (r.canonical_id, r.merged_id)
            for r in conn.execute(
                select(OwnerMerge.canonical_id, OwnerMerge.merged_id).where(
                    OwnerMerge.reverted_at.is_not(None)
                )
            )
        }
        shared = conn.execute(
            select(OwnerIdentifier.scheme, OwnerIdentifier.value)
            .group_by(OwnerIdentifier.scheme, OwnerIdentifier.value)
            .having(func.count(func.distinct(OwnerIdentifier.entity_id)) > 1)
        ).all()
        groups: dict[tuple[str, str], set[int]] = defaultdict(set)
        for chunk_start in range(0, len(shared), 200):
            chunk = [s for s in shared[chunk_start : chunk_start + 200] if _strong(s.scheme)]
            for scheme, value in chunk:
                rows = conn.execute(
                    select(OwnerIdentifier.entity_id).where(
                        OwnerIdentifier.scheme == scheme, OwnerIdentifier.value == value
                    )
                )
                groups[(scheme, value)].update(r.entity_id for r in rows if r.entity_id in live)
    out: list[Candidate] = []
    proposed: set[tuple[int, int]] = set()

    def summary(eid: int) -> dict[str, Any]:
        row = live[eid]
        return {"id": row.source_id, "key": f"#{eid}", "name": row.name, "schema": row.schema}

    def rank(eid: int) -> tuple[int, int]:
        return (1 if STUB in loads(live[eid].properties) else 0, eid)

    def propose(ids: set[int], reason: str, score: float) -> None:
        ordered = sorted(ids, key=rank)
        canon = ordered[0]
        for other in ordered[1:]:
            pair = (canon, other)
            if pair in proposed or pair in rejected:
                continue
            proposed.add(pair)
            out.append(Candidate(canon, other, reason, score, summary(canon), summary(other)))

    for (scheme, _value), ids in sorted(groups.items()):
        if len(ids) > 1:
            propose(ids, scheme.split(":")[0] if scheme.startswith("registration") else scheme, 1.0)
    if names:
        by_name: dict[str, list[int]] = defaultdict(list)
        for eid, row in live.items():
            if row.schema in PEOPLE or not row.name or STUB in loads(row.properties):
                continue
            key = normalize_name(row.name)
            if key:
                by_name[key].append(eid)
        for key, named in by_name.items():
            if not 1 < len(named) <= MAX_NAME_GROUP:
                continue
            by_juris: dict[str | None, set[int]] = defaultdict(set)
            for eid in named:
                props = loads(live[eid].properties)
                juris = (props.get("jurisdiction") or props.get("country") or [None])[0]
                by_juris[juris.split("-")[0].lower() if juris else None].add(eid)
            unknown = by_juris.pop(None, set())
            for juris_ids in by_juris.values():
                if len(juris_ids) > 1:
                    propose(juris_ids, f"name:{key}", 0.8)
            if unknown:
                known = set().union(*by_juris.values()) if by_juris else set()
                if len(by_juris) <= 1 and len(unknown | known) > 1:
                    propose(unknown | known, f"name:{key}", 0.6)
    return out


# -- applying and reverting ---------------------------------------------------------------------------------


def _merge(conn: Connection, canonical_id: int, merged_id: int, reason: str, score: float) -> int:
    if canonical_id == merged_id:
        raise MergeError("an entity cannot be merged into itself")
    seen = {canonical_id}
    cursor: int | None = canonical_id
    while cursor is not None:  # refuse a cycle of merges
        cursor = conn.execute(
            select(OwnerEntity.merged_into).where(OwnerEntity.id == cursor)
        ).scalar_one_or_none()
        if cursor == merged_id:
            raise MergeError(f"#{canonical_id} is already merged into #{merged_id}")
        if cursor in seen:
            break
        if cursor is not None:
            seen.add(cursor)
    current = conn.execute(select(OwnerEntity.merged_into).where(OwnerEntity.id == merged_id)).scalar_one()
    if current is not None:
        raise MergeError(f"#{merged_id} is already merged into #{current}; unmerge it first")
    conn.execute(update(_ENTITY).where(_ENTITY.c.id == merged_id).values(merged_into=canonical_id))
    result = conn.execute(
        insert(_MERGE).values(
            canonical_id=canonical_id, merged_id=merged_id, reason=reason, score=score, created_at=utcnow()
        )
    )
    bump_graph_version(conn)
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def apply(store: Store, proposals: list[Candidate], *, include_names: bool = False) -> list[Candidate]:
    """Apply identifier-based proposals (and name-based ones with ``include_names``)."""
    applied = []
    with store.engine.begin() as conn:
        for cand in proposals:
            if cand.by_identifier or include_names:
                state = conn.execute(
                    select(OwnerEntity.merged_into).where(OwnerEntity.id == cand.merged_id)
                ).scalar_one()
                if state is not None:
                    continue
                cand.merge_id = _merge(conn, cand.canonical_id, cand.merged_id, cand.reason, cand.score)
                applied.append(cand)
    return applied


def merge(store: Store, canonical: str, merged: str, *, reason: str = "manual") -> int:
    """Merge the entity ``merged`` into ``canonical`` (IDs as users pass them)."""
    with store.engine.begin() as conn:
        a, b = resolve(conn, canonical), resolve(conn, merged)
        return _merge(conn, a.id, b.id, reason, 1.0)


def unmerge(store: Store, merge_id: int) -> dict[str, Any]:
    with store.engine.begin() as conn:
        row = conn.execute(select(OwnerMerge).where(OwnerMerge.id == merge_id)).first()
        if row is None:
            raise MergeError(f"no merge {merge_id}")
        if row.reverted_at is not None:
            raise MergeError(f"merge {merge_id} was already reverted on {row.reverted_at:%Y-%m-%d %H:%M}")
        conn.execute(
            update(_ENTITY)
            .where(_ENTITY.c.id == row.merged_id, _ENTITY.c.merged_into == row.canonical_id)
            .values(merged_into=None)
        )
        conn.execute(update(_MERGE).where(_MERGE.c.id == merge_id).values(reverted_at=utcnow()))
        bump_graph_version(conn)
        return {"merge": merge_id, "canonical": f"#{row.canonical_id}", "merged": f"#{row.merged_id}"}


def merges(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        names = {
            r.id: r
            for r in conn.execute(
                select(OwnerEntity.id, OwnerEntity.source_id, OwnerEntity.name).where(
                    OwnerEntity.id.in_(select(OwnerMerge.canonical_id).union(select(OwnerMerge.merged_id)))
                )
            )
        }
        return [
            {
                "merge": r.id,
                "canonical": {
                    "id": names[r.canonical_id].source_id,
                    "key": f"#{r.canonical_id}",
                    "name": names[r.canonical_id].name,
                },
                "merged": {
                    "id": names[r.merged_id].source_id,
                    "key": f"#{r.merged_id}",
                    "name": names[r.merged_id].name,
                },
                "reason": r.reason,
                "score": r.score,
                "created_at": r.created_at,
                "reverted_at": r.reverted_at,
            }
            for r in conn.execute(select(OwnerMerge).order_by(OwnerMerge.id))
        ]
