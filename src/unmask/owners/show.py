"""`owners show`: an entity with its identifiers, sources and neighbours by edge kind (history included)."""

from __future__ import annotations

from typing import Any

from unmask.core.case import Case
from unmask.owners import query
from unmask.owners.index import Note, reading, stderr_note


def show(case: Case, ref: str, *, note: Note | None = stderr_note) -> dict[str, Any]:
    """The entity ``ref`` names (any ID the resolver takes; a closed record too), merges folded by the
    compact index."""
    with reading(case.store, case.root, note) as (conn, index):
        return query.describe(conn, query.resolve(conn, ref, index), index)
