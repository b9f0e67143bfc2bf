"""Protect's incremental index: each source row's fields normalised once (protect_text), read back in
batches with the raw values they came from.

A batch reads the rows of an id range and their stored index entries; a field whose raw values still
have the stored digest keeps its stored normalised text, any other (a new item, a changed title, a tag
added) is normalised and written. So a second scan normalises nothing that did not change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.engine import Connection, Engine

from unmask.protect.matcher import normalise_values
from unmask.protect.sources import Row, SourceReader, source_specs
from unmask.protect.tables import ProtectText

BATCH = 5000
"""Source rows read, refreshed and matched at a time."""


def digest(values: list[str]) -> int:
    raw = "\x00".join(values).encode("utf-8", errors="surrogatepass")
    return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big") >> 1


@dataclass
class Batch:
    source: str
    rows: list[Row]
    texts: list[str]
    """Normalised texts, one per (row, field) of ``keys``."""
    keys: list[tuple[int, str]]
    """(index of the row in ``rows``, field name) of each text."""


@dataclass
class IndexStats:
    rows: int = 0
    texts: int = 0
    normalised: int = 0
    """Texts normalised in this scan (new or changed since the last)."""
    sources: list[str] = field(default_factory=list)


def batches(engine: Engine, stats: IndexStats, *, size: int = BATCH) -> Iterator[Batch]:
    """Every source's rows in batches, the index brought up to date on the way."""
    for spec in source_specs():
        with engine.connect() as conn:
            reader = SourceReader(conn, spec)
            if not reader.present:
                continue
            stats.sources.append(spec.name)
            after = 0
            while ids := reader.ids(after, size):
                after = ids[-1]
                rows = list(reader.rows(ids[0], ids[-1]))
                batch = _refresh(conn, spec.name, rows, ids[0], ids[-1], stats)
                conn.commit()
                yield batch


def _refresh(conn: Connection, source: str, rows: list[Row], low: int, high: int, stats: IndexStats) -> Batch:
    t = ProtectText.__table__
    assert isinstance(t, Table)
    stored: dict[tuple[int, str], tuple[int, str]] = {
        (int(i), str(f)): (int(d), str(n))
        for i, f, d, n in conn.execute(
            select(t.c.source_id, t.c.field, t.c.digest, t.c.norm).where(
                t.c.source == source, t.c.source_id.between(low, high)
            )
        )
    }
    batch = Batch(source, rows, [], [])
    stored_fields: dict[int, set[str]] = {}
    for i, f in stored:
        stored_fields.setdefault(i, set()).add(f)
    stale = set(stored_fields)
    fresh: list[dict[str, object]] = []
    for index, row in enumerate(rows):
        entries: list[dict[str, object]] = []
        changed = stored_fields.get(row.id) != set(row.values)
        for name, values in row.values.items():
            mark = digest(values)
            known = stored.get((row.id, name))
            if known is not None and known[0] == mark:
                norm = known[1]
            else:
                norm = normalise_values(values)
                stats.normalised += 1
                changed = True
            entries.append(
                {"source": source, "source_id": row.id, "field": name, "digest": mark, "norm": norm}
            )
            batch.texts.append(norm)
            batch.keys.append((index, name))
        if changed:
            fresh += entries
        else:
            stale.discard(row.id)
    stats.rows += len(rows)
    stats.texts += len(batch.texts)
    if stale:
        conn.execute(delete(t).where(t.c.source == source, t.c.source_id.in_(sorted(stale))))
    if fresh:
        conn.execute(insert(t), fresh)
    return batch
