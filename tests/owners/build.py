"""Small graphs written straight into the owner tables (SQLAlchemy Core), for the analytics tests.

Every write moves the graph version on, as the writers of the package do, so the compact index the
queries read is rebuilt."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import insert

from unmask.core.case import Case
from unmask.owners.query import bump_graph_version
from unmask.owners.specs import address_key
from unmask.owners.tables import OwnerAddress, OwnerEdge, OwnerEntity, OwnerImport


class Builder:
    """Insert entities and edges; every call returns the new internal id."""

    def __init__(self, case: Case, path: str = "notes.csv") -> None:
        self.case = case
        with case.store.engine.begin() as conn:
            self.import_id = conn.execute(
                insert(OwnerImport).values(path=path, format="csv", status="ok").returning(OwnerImport.id)
            ).scalar_one()
        self.ids: dict[str, int] = {}
        self.line = 0

    def entity(
        self,
        source_id: str,
        name: str | None = None,
        schema: str = "Company",
        *,
        topmark: str | None = None,
        replaced: bool = False,
        **props: Any,
    ) -> int:
        properties = {k: v if isinstance(v, list) else [v] for k, v in props.items()}
        self.line += 1
        with self.case.store.engine.begin() as conn:
            eid = conn.execute(
                insert(OwnerEntity)
                .values(
                    source_id=source_id,
                    schema=schema,
                    name=name or source_id,
                    properties=json.dumps(properties),
                    topmark=topmark,
                    replaced=replaced,
                    import_id=self.import_id,
                    line=self.line,
                )
                .returning(OwnerEntity.id)
            ).scalar_one()
            for key in {address_key(str(a)) for a in properties.get("address", [])}:
                conn.execute(insert(OwnerAddress).values(entity_id=eid, key=key))  # as the graph writer does
            bump_graph_version(conn)
        self.ids[source_id] = int(eid)
        return int(eid)

    def edge(
        self,
        owner: str,
        asset: str,
        share: float | tuple[float | None, float | None] | None = None,
        *,
        kind: str = "ownership",
        start: dt.date | None = None,
        end: dt.date | None = None,
        replaced: bool = False,
        component: bool = False,
        direct: bool | None = None,
        role: str | None = None,
        source_id: str | None = None,
        voting: float | None = None,
        properties: dict[str, Any] | None = None,
    ) -> int:
        lo, hi = (share, share) if not isinstance(share, tuple) else share
        self.line += 1
        with self.case.store.engine.begin() as conn:
            eid = conn.execute(
                insert(OwnerEdge)
                .values(
                    kind=kind,
                    src_id=self.ids[owner],
                    dst_id=self.ids[asset],
                    share_min=lo,
                    share_max=hi,
                    voting_min=voting,
                    voting_max=voting,
                    direct=direct,
                    component=component,
                    start_date=start,
                    end_date=end,
                    replaced=replaced,
                    source_id=source_id or f"rel-{owner}-{asset}",
                    role=role,
                    properties=json.dumps(properties) if properties else None,
                    import_id=self.import_id,
                    line=self.line,
                )
                .returning(OwnerEdge.id)
            ).scalar_one()
            bump_graph_version(conn)
        return int(eid)

    def merge(self, merged: str, canonical: str) -> None:
        from sqlalchemy import update

        with self.case.store.engine.begin() as conn:
            conn.execute(
                update(OwnerEntity)
                .where(OwnerEntity.id == self.ids[merged])
                .values(merged_into=self.ids[canonical])
            )
            bump_graph_version(conn)
