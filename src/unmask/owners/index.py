"""The compact graph index: the current graph as CSR arrays in memory-mapped NumPy files beside the store.

``owners import``, ``emit-case``, merges — anything that changes the graph — move the store's graph
version on (:func:`unmask.owners.query.bump_graph_version`); the commands that changed it end by
building the index for the new version, and a query that finds the index missing or stale builds it
first, with a note on stderr. The index lives in the case folder (``index/owners/v<version>-<stamp>/``),
so a PostgreSQL case shared by a team has one index per machine that queries it, each keyed by the
store's version.

What is in it (n current entities, m edges; all numbers, no names):

- entities: the internal ids of the current canonical entities (ascending; an entity's *position*
  is its index here), their chain-top mark, the country codes of their jurisdictions (CSR over a code
  table) and, per entity, how many entities of the case give one of its addresses (at most);
- every internal id (merged and closed records included): its canonical entity and that entity's
  position (-1 when it is history), so that an ID resolved in SQL maps to a position;
- edges whose record and both ends are current, ends folded to their canonical entity, sorted by
  asset (``in_ptr``: CSR by ``dst``), with id, kind code, share bounds in percent (NaN: not given),
  component and direct flags, start and end as day numbers; ``out_ptr``/``out_edge`` list the same
  edges by owner;
- which BODS component edges an indirect statement carries (``carried``, ``carry_ptr``, ``carrier``):
  on a day when a carrier counts, the component is not counted a second time.

Dates stay in the index, so any ``--at`` day is answered from the same files.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection

from unmask.core.store.db import Store
from unmask.owners import query
from unmask.owners.csr import row_ptr, rows_of
from unmask.owners.specs import KIND_CODE, OWNERSHIP_KINDS

FORMAT = 1
"""Bumped when the files change shape: an index of another format is rebuilt."""
FOLDER = Path("index") / "owners"
META = "meta.json"

IntArray = npt.NDArray[np.int64]
Note = Callable[[str], None]


def stderr_note(message: str) -> None:
    print(f"unmask: {message}", file=sys.stderr, flush=True)


@dataclass(kw_only=True)
class GraphIndex(query.EdgeFacts):
    """The arrays of the index (memory-mapped when opened from disk); the edges' facts in the order of
    ``edge_id``."""

    entity_id: IntArray
    topmarked: npt.NDArray[np.bool_]
    juris_ptr: IntArray
    juris_code: npt.NDArray[np.int32]
    address_count: npt.NDArray[np.int64]
    all_id: IntArray
    all_canon: IntArray
    all_pos: IntArray
    in_ptr: IntArray
    edge_id: IntArray
    src: npt.NDArray[np.int32]
    dst: npt.NDArray[np.int32]
    out_ptr: IntArray
    out_edge: IntArray
    carried: IntArray
    carry_ptr: IntArray
    carrier: IntArray
    codes: tuple[str, ...] = ()
    """Country codes of ``juris_code``."""
    version: int = 0
    stamp: str = ""

    @property
    def n(self) -> int:
        return len(self.entity_id)

    @property
    def m(self) -> int:
        return len(self.edge_id)

    # -- ids ------------------------------------------------------------------------------------------

    def position(self, internal_id: int) -> int | None:
        """The position of a current canonical entity (None for history or an unknown id)."""
        k = int(np.searchsorted(self.entity_id, internal_id))
        if k < self.n and int(self.entity_id[k]) == internal_id:
            return k
        return None

    def canonical(self, internal_id: int) -> int:
        k = int(np.searchsorted(self.all_id, internal_id))
        if k < len(self.all_id) and int(self.all_id[k]) == internal_id:
            return int(self.all_canon[k])
        return internal_id

    def members(self, internal_id: int) -> list[int]:
        """The entity and every entity merged into it (merge chains followed; history included)."""
        merged = np.asarray(self.all_id[(self.all_canon == internal_id) & (self.all_id != internal_id)])
        return [internal_id, *merged.tolist()]

    # -- edges of a set of entities, on one day -----------------------------------------------------------

    def current(self, edges: IntArray, day: int, kinds: tuple[str, ...] | None = None) -> IntArray:
        """The edges (positions) among ``edges`` that count on ``day`` (and are of ``kinds``)."""
        ok = (self.start[edges] <= day) & (self.end[edges] >= day)
        if kinds is not None:
            ok &= np.isin(self.kind[edges], [KIND_CODE[k] for k in kinds])
        return edges[ok]

    def into(self, nodes: IntArray, day: int, kinds: tuple[str, ...] | None = None) -> IntArray:
        """Edges (positions) into ``nodes`` that count on ``day``."""
        return self.current(rows_of(self.in_ptr, nodes), day, kinds)

    def out_of(self, nodes: IntArray, day: int, kinds: tuple[str, ...] | None = None) -> IntArray:
        """Edges (positions) leaving ``nodes`` that count on ``day``."""
        idx = self.out_edge[rows_of(self.out_ptr, nodes)]
        return self.current(np.asarray(idx, dtype=np.int64), day, kinds)

    def carried_on(self, edges: IntArray, day: int) -> npt.NDArray[np.bool_]:
        """Per edge: a component that an indirect statement counting on ``day`` carries."""
        out = np.zeros(len(edges), dtype=bool)
        if not len(self.carried) or not len(edges):
            return out
        k = np.searchsorted(self.carried, edges)
        k = np.clip(k, 0, len(self.carried) - 1)
        has = self.carried[k] == edges
        for j in np.flatnonzero(has).tolist():
            c = int(k[j])
            who = np.asarray(self.carrier[self.carry_ptr[c] : self.carry_ptr[c + 1]], dtype=np.int64)
            out[j] = bool(len(self.current(who, day)))
        return out

    def ancestors(self, x: int, day: int) -> tuple[IntArray, IntArray]:
        """Entities an ownership path leads from to ``x`` on ``day`` (``x`` included; owners of a marked
        chain top are not followed), and the ownership edges walked (positions)."""
        seen = np.zeros(self.n, dtype=bool)
        seen[x] = True
        frontier = np.array([x], dtype=np.int64)
        walked: list[IntArray] = []
        while len(frontier):
            frontier = frontier[~self.topmarked[frontier]]
            idx = self.into(frontier, day, OWNERSHIP_KINDS)
            walked.append(idx)
            nxt = np.unique(self.src[idx])
            frontier = nxt[~seen[nxt]].astype(np.int64)
            seen[frontier] = True
        return np.flatnonzero(seen), np.sort(np.concatenate(walked)) if walked else np.empty(0, np.int64)

    def jurisdictions(self, positions: IntArray) -> tuple[IntArray, IntArray]:
        """The jurisdiction codes of some entities, as CSR (``ptr`` per entity, indices into ``codes``)."""
        positions = np.asarray(positions, dtype=np.int64)
        counts = self.juris_ptr[positions + 1] - self.juris_ptr[positions]
        ptr = np.zeros(len(positions) + 1, dtype=np.int64)
        np.cumsum(counts, out=ptr[1:])
        return ptr, np.asarray(self.juris_code[rows_of(self.juris_ptr, positions)], dtype=np.int64)


# -- building ----------------------------------------------------------------------------------------------


def _canonical(ids: IntArray, merged_into: IntArray) -> IntArray:
    """The canonical internal id of every entity (merges followed to the end, cycles broken)."""
    if not len(ids):
        return ids.copy()
    pos = np.clip(np.searchsorted(ids, merged_into), 0, len(ids) - 1)
    valid = (merged_into >= 0) & (ids[pos] == merged_into)
    target = np.where(valid, pos, np.arange(len(ids)))
    for _ in range(64):  # pointer jumping: log2 of the longest merge chain
        nxt = target[target]
        if np.array_equal(nxt, target):
            break
        target = nxt
    return ids[target]


@cache
def _jurisdictions_of(values: tuple[str | None, ...]) -> tuple[str, ...]:
    """Country codes from the JSON of an entity's ``jurisdiction``, ``country``, ``mainCountry``."""
    from unmask.owners.flags import jurisdictions

    props = {}
    for key, raw in zip(query.JURISDICTION_KEYS, values, strict=True):
        if raw is not None:
            value = json.loads(raw)
            props[key] = value if isinstance(value, list) else [value]
    return tuple(jurisdictions(props))


def snapshot(conn: Connection, *, flags: bool = True) -> GraphIndex:
    """Read the graph from the store into index arrays (in memory). ``flags=False`` skips the
    jurisdictions and address counts (the ownership arrays alone)."""
    ent = query.entity_arrays(conn)
    canon = _canonical(ent.id, ent.merged_into)
    keep = (canon == ent.id) & ~ent.replaced
    entity_id = ent.id[keep]
    n = len(entity_id)
    pos = np.clip(np.searchsorted(entity_id, canon), 0, max(n - 1, 0))
    mapped = ~ent.replaced & (n > 0)
    if n:
        mapped &= entity_id[pos] == canon
    all_pos = np.where(mapped, pos, -1).astype(np.int64)

    e = query.edge_arrays(conn)
    lookup = np.clip(np.searchsorted(ent.id, np.r_[e.src, e.dst]), 0, max(len(ent.id) - 1, 0))
    found = ent.id[lookup] == np.r_[e.src, e.dst] if len(ent.id) else np.zeros(0, dtype=bool)
    ends = np.where(found, all_pos[lookup], -1)
    s, d = ends[: len(e.id)], ends[len(e.id) :]
    ok = (s >= 0) & (d >= 0)
    order = np.flatnonzero(ok)
    order = order[np.argsort(d[order], kind="stable")]  # by asset, then by id
    src, dst = s[order], d[order]
    edge_id = e.id[order]
    out_edge = np.argsort(src, kind="stable").astype(np.int64)

    # BODS components an indirect statement carries (positions)
    canon_of = dict(zip(ent.id[canon != ent.id].tolist(), canon[canon != ent.id].tolist(), strict=True))
    pairs = query.carriers(conn, lambda i: canon_of.get(i, i))
    by_id = np.argsort(edge_id)
    carried_list: list[int] = []
    carrier_list: list[list[int]] = []
    for comp, carrier in pairs:
        pc, pk = _edge_position(edge_id, by_id, comp), _edge_position(edge_id, by_id, carrier)
        if pc is None or pk is None:
            continue
        if carried_list and carried_list[-1] == pc:
            carrier_list[-1].append(pk)
        else:
            carried_list.append(pc)
            carrier_list.append([pk])
    pair_order = np.argsort(np.asarray(carried_list, dtype=np.int64), kind="stable")
    carried = np.asarray(carried_list, dtype=np.int64)[pair_order]
    carrier_sets = [carrier_list[k] for k in pair_order.tolist()]
    carry_ptr = np.zeros(len(carried) + 1, dtype=np.int64)
    np.cumsum([len(c) for c in carrier_sets], out=carry_ptr[1:])

    juris_ptr = np.zeros(n + 1, dtype=np.int64)
    juris_code = np.empty(0, dtype=np.int32)
    codes: tuple[str, ...] = ()
    address_count = np.zeros(n, dtype=np.int64)
    if flags and n:
        juris_ptr, juris_code, codes = _jurisdiction_arrays(conn, entity_id)
        with_address, counts = query.address_counts(conn)
        at = np.clip(np.searchsorted(entity_id, with_address), 0, n - 1)
        hit = entity_id[at] == with_address
        address_count[at[hit]] = counts[hit]

    return GraphIndex(
        entity_id=entity_id,
        topmarked=ent.topmarked[keep],
        juris_ptr=juris_ptr,
        juris_code=juris_code,
        address_count=address_count,
        all_id=ent.id,
        all_canon=canon,
        all_pos=all_pos,
        in_ptr=row_ptr(dst, n),
        edge_id=edge_id,
        src=src.astype(np.int32),
        dst=dst.astype(np.int32),
        **{f.name: getattr(e, f.name)[order] for f in fields(query.EdgeFacts)},
        out_ptr=row_ptr(src, n),
        out_edge=out_edge,
        carried=carried,
        carry_ptr=carry_ptr,
        carrier=np.asarray([p for c in carrier_sets for p in c], dtype=np.int64),
        codes=codes,
    )


def _edge_position(edge_id: IntArray, by_id: IntArray, wanted: int) -> int | None:
    k = int(np.searchsorted(edge_id, wanted, sorter=by_id))
    if k < len(by_id) and int(edge_id[by_id[k]]) == wanted:
        return int(by_id[k])
    return None


def _jurisdiction_arrays(
    conn: Connection, entity_id: IntArray
) -> tuple[IntArray, npt.NDArray[np.int32], tuple[str, ...]]:
    n = len(entity_id)
    code_of: dict[str, int] = {}
    owners: list[int] = []
    values: list[int] = []
    for rows in query.jurisdiction_rows(conn):
        for row in rows:
            for c in _jurisdictions_of(row[1:]):
                owners.append(row[0])
                values.append(code_of.setdefault(c, len(code_of)))
    ids = np.asarray(owners, dtype=np.int64)
    at = np.clip(np.searchsorted(entity_id, ids), 0, max(n - 1, 0))
    hit = entity_id[at] == ids if n else np.zeros(len(ids), dtype=bool)
    at, vals = at[hit], np.asarray(values, dtype=np.int32)[hit]
    order = np.argsort(at, kind="stable")  # entity by entity, codes in the order the entity gives them
    return row_ptr(at, n), vals[order], tuple(code_of)


# -- on disk -----------------------------------------------------------------------------------------------

_ARRAYS = tuple(f.name for f in fields(GraphIndex) if f.name not in ("codes", "version", "stamp"))


def folder_of(case_root: Path) -> Path:
    return case_root / FOLDER


def _name(version: query.GraphVersion) -> str:
    return f"v{version.version}-{version.stamp[:12]}"


def write(index: GraphIndex, dest: Path) -> None:
    """Write the arrays and, last, ``meta.json`` (a folder without it is not an index)."""
    dest.mkdir(parents=True)
    for name in _ARRAYS:
        np.save(dest / f"{name}.npy", np.ascontiguousarray(getattr(index, name)), allow_pickle=False)
    meta = {
        "format": FORMAT,
        "version": index.version,
        "stamp": index.stamp,
        "entities": index.n,
        "edges": index.m,
        "codes": list(index.codes),
        "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    (dest / META).write_text(json.dumps(meta, indent=1), encoding="utf-8")


def read(path: Path) -> GraphIndex | None:
    """The index in ``path``, memory-mapped (None when it is missing, incomplete or of another format)."""
    try:
        meta = json.loads((path / META).read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            return None
        # plain arrays over the maps (a numpy memmap object per slice costs more than the slice)
        arrays = {
            name: np.asarray(np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False))
            for name in _ARRAYS
        }
    except (OSError, ValueError):
        return None
    return GraphIndex(
        **arrays, codes=tuple(meta.get("codes", ())), version=int(meta["version"]), stamp=str(meta["stamp"])
    )


def build(store: Store, root: Path, note: Note | None = stderr_note) -> GraphIndex:
    """Build the index of the store's current graph version in ``root`` (old versions removed)."""
    for _attempt in range(5):
        with store.engine.connect() as conn:
            before = query.graph_version(conn)
            index = snapshot(conn)
            after = query.graph_version(conn)
        if before == after:  # no write came in between: the arrays are of that version
            break
    index.version, index.stamp = after.version, after.stamp
    final = root / _name(after)
    tmp = root / f".tmp-{os.getpid()}-{time.monotonic_ns()}"
    try:
        write(index, tmp)
        with contextlib.suppress(OSError):  # another process built the same version first
            tmp.rename(final)
    except OSError as exc:  # a case folder that cannot be written: answer from memory this time
        if note is not None:
            note(f"cannot write the graph index in {root} ({exc.strerror}); it is kept in memory only")
        return index
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _remove_others(root, keep=final.name)
    return read(final) or index


def _remove_others(root: Path, keep: str) -> None:
    """Older versions go (a process still reading one keeps its open maps); so do the leftovers of
    builds that died, once they are an hour old."""
    now = time.time()
    for child in root.iterdir():
        if child.name == keep:
            continue
        with contextlib.suppress(OSError):
            if child.name.startswith(".tmp-") and now - child.stat().st_mtime < 3600:
                continue  # perhaps another process building right now
            shutil.rmtree(child, ignore_errors=True)


def ensure(store: Store, case_root: Path, note: Note | None = stderr_note) -> GraphIndex:
    """The index of the store's current graph version, built first when it is missing or stale."""
    root = folder_of(case_root)
    with store.engine.connect() as conn:
        version = query.graph_version(conn)
        empty = not query.has_entities(conn)
    found = read(root / _name(version))
    if found is not None and found.stamp == version.stamp:
        return found
    if note is not None and not empty:
        stale = root.is_dir() and any(p.name.startswith("v") for p in root.iterdir())
        note(
            "the entity graph changed: building its index again…"
            if stale
            else "building the index of the entity graph…"
        )
    return build(store, root, note)


def locate(conn: Connection, index: GraphIndex, ref: str) -> int:
    """The index position of the current entity that ``ref`` names (any ID the resolver takes)."""
    entity = query.resolve_current(conn, ref, index)
    x = index.position(entity.id)
    if x is None:  # resolved in the store but not in the index: the store moved on since it was read
        raise query.UnknownId("not in the graph index yet; run the command again", where=ref)
    return x


@contextlib.contextmanager
def reading(
    store: Store, case_root: Path, note: Note | None = stderr_note
) -> Iterator[tuple[Connection, GraphIndex]]:
    """A connection to the store and the current index (built first when missing or stale)."""
    index = ensure(store, case_root, note)
    with store.engine.connect() as conn:
        yield conn, index
