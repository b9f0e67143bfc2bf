"""`owners ultimate`: the ultimate owners of one entity with effective shares, flags and control.

The chain is read from the compact index (:mod:`unmask.owners.index`): the entity's ancestors over
ownership edges counting on the day asked, by array traversal (owners of a marked chain top are not
followed), the ownership edges among them (BODS components that a counting indirect statement carries
left out), the control edges into them, and their flags. One sparse solve over that system gives the
column of ``(I − A)⁻¹`` (:func:`unmask.owners.effective.effective_column`). Only the entities the answer
names are then read from the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Connection

from unmask.core.case import Case
from unmask.owners import query
from unmask.owners.effective import EXACT_TOL, OwnershipSystem, effective_column
from unmask.owners.flags import FLAG_ENTITIES, FlagOptions
from unmask.owners.index import GraphIndex, Note, locate, reading, stderr_note
from unmask.owners.specs import CONTROL_KINDS

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Chain:
    """An entity's ownership chain for one day, as the answer needs it (local index ``k`` is entity
    ``order[k]``; ``order[0]`` is the entity asked about, the others ascend)."""

    order: IntArray
    """Internal ids."""
    system: OwnershipSystem
    """Ownership that counts among them, edges in id order."""
    codes: tuple[str, ...]
    """Country codes of ``juris_code``."""
    juris_ptr: IntArray
    juris_code: IntArray
    """Per local index ``k``: ``juris_code[juris_ptr[k]:juris_ptr[k + 1]]`` are its jurisdictions
    (``jurisdiction`` first, then ``country``), as indices into ``codes``."""
    mass_address: npt.NDArray[np.bool_]
    """Per local index: gives an address that at least the threshold of entities give."""
    control: list[tuple[int, int, int]]
    """(edge id, controller, subject) of control edges into the chain, internal ids, by edge id."""


def chain_from_index(index: GraphIndex, x: int, day: dt.date, opts: FlagOptions) -> Chain:
    """The chain of the entity at position ``x``, by array traversal of the index."""
    at = query.day_of(day)
    nodes, walked = index.ancestors(x, at)
    walked = walked[~index.carried_on(walked, at)]
    walked = walked[np.argsort(index.edge_id[walked], kind="stable")]
    others = nodes[nodes != x]
    order = np.r_[x, others]

    def to_local(positions: npt.NDArray[Any]) -> IntArray:
        p = np.asarray(positions, dtype=np.int64)
        return np.where(p == x, 0, np.searchsorted(others, p) + 1)

    src, dst = to_local(index.src[walked]), to_local(index.dst[walked])
    system = OwnershipSystem.build(
        len(order),
        src,
        dst,
        np.asarray(index.share_min[walked]) / 100.0,
        np.asarray(index.share_max[walked]) / 100.0,
        index.topmarked[order],
    )
    # mass-registration addresses: given as a property, or an Address entity linked to many
    mass = np.asarray(index.address_count[order]) >= opts.mass_address_threshold
    addr = index.out_of(order, at, ("address",))
    if len(addr):
        places = np.unique(index.dst[addr]).astype(np.int64)
        links = index.into(places, at, ("address",))
        pairs = np.unique(index.dst[links].astype(np.int64) * index.n + index.src[links])
        counts = np.bincount(np.searchsorted(places, pairs // index.n), minlength=len(places))
        massed_places = places[counts >= opts.mass_address_threshold]
        mass[to_local(index.src[addr][np.isin(index.dst[addr], massed_places)])] = True
    control = index.into(order, at, CONTROL_KINDS)
    control = control[np.argsort(index.edge_id[control], kind="stable")]
    ids = index.entity_id
    juris_ptr, juris_code = index.jurisdictions(order)
    return Chain(
        order=np.asarray(ids[order], dtype=np.int64),
        system=system,
        codes=index.codes,
        juris_ptr=juris_ptr,
        juris_code=juris_code,
        mass_address=mass,
        control=[
            (int(e), int(ids[s]), int(ids[d]))
            for e, s, d in zip(index.edge_id[control], index.src[control], index.dst[control], strict=True)
        ],
    )


def cross_holdings(order: IntArray, system: OwnershipSystem) -> list[tuple[int, int]]:
    """Pairs of entities (internal ids, smaller first, ascending) that hold each other."""
    a, b = order[system.src], order[system.dst]
    keep = a != b
    a, b = a[keep], b[keep]
    width = int(order.max()) + 1 if len(order) else 1
    held = np.unique(a * width + b)
    mutual = np.isin(b * width + a, held)
    lo, hi = np.minimum(a[mutual], b[mutual]), np.maximum(a[mutual], b[mutual])
    pairs = np.unique(lo * width + hi)
    return list(zip((pairs // width).tolist(), (pairs % width).tolist(), strict=True))


def _pct(value: float) -> float:
    return round(value * 100.0, 6)


def answer(conn: Connection, chain: Chain, day: dt.date, opts: FlagOptions) -> dict[str, Any]:
    """The JSON answer of `owners ultimate` for a chain (the contract's shape)."""
    held = effective_column(chain.system, 0)
    order = chain.order.tolist()
    offshore_code = np.array([c in opts.offshore for c in chain.codes], dtype=bool)
    code_owner = np.repeat(np.arange(len(order)), np.diff(chain.juris_ptr))  # local entity of each code
    flagged = offshore_code[chain.juris_code] if len(chain.juris_code) else np.zeros(0, dtype=bool)

    def entity_flags(k: int) -> list[str]:
        a, b = int(chain.juris_ptr[k]), int(chain.juris_ptr[k + 1])
        codes = [f"offshore:{chain.codes[c]}" for c in chain.juris_code[a:b].tolist() if offshore_code[c]]
        return codes + (["mass_address"] if chain.mass_address[k] else [])

    owners: list[tuple[int, float, float, list[str], bool]] = []
    for t, a, b in zip(held.tops.tolist(), held.low.tolist(), held.high.tolist(), strict=True):
        circular = bool(held.circular_top[t])
        owners.append((order[t], a, b, [*entity_flags(t), *(["circular"] if circular else [])], circular))

    chain_order = chain.order
    chain_flags: list[tuple[str, IntArray, str | None]] = []
    selfs = chain_order[held.self_holding]
    if len(selfs):
        chain_flags.append(("self_holding", selfs, None))
    cyc = np.flatnonzero(np.bincount(held.scc)[held.scc] > 1)  # members of cycles, in chain order
    if len(cyc):
        by_label = cyc[np.argsort(held.scc[cyc], kind="stable")]
        starts = np.flatnonzero(np.r_[True, np.diff(held.scc[by_label]) != 0])
        groups = np.split(by_label, starts[1:])
        groups.sort(key=lambda g: int(g[0]))  # as they first appear in the chain …
        groups.sort(key=len, reverse=True)  # … largest first
        chain_flags.extend(("circular", chain_order[g], None) for g in groups)
    closed = chain_order[held.circular_top]
    if len(closed):
        chain_flags.append(("circular", closed, "held only by each other"))
    for a, b in cross_holdings(chain.order, chain.system)[:FLAG_ENTITIES]:
        chain_flags.append(("cross_holding", np.array([a, b]), None))
    if held.unbounded:
        chain_flags.append(("unbounded_cycle", chain_order[held.cyclic], None))
    for c in sorted(np.unique(chain.juris_code[flagged]).tolist(), key=lambda c: chain.codes[c]):
        members = chain_order[np.unique(code_owner[flagged & (chain.juris_code == c)])]
        chain_flags.append(("offshore", members, chain.codes[c]))
    if chain.mass_address.any():
        chain_flags.append(("mass_address", chain_order[chain.mass_address], None))

    # the entities the answer names, read from the store
    x = order[0]
    named = {x, *(o[0] for o in owners), *(c[1] for c in chain.control), *(c[2] for c in chain.control)}
    for _flag, members, _detail in chain_flags:
        named.update(members[:FLAG_ENTITIES].tolist())
    ents = query.entities(conn, named, properties=False)
    rows = query.edges(conn, [c[0] for c in chain.control])
    files = query.import_paths(conn, (r.import_id for r in rows.values()))
    urls = query.capture_urls(conn, (r.capture_id for r in rows.values()))

    def flag_json(name: str, members: IntArray, detail: str | None) -> dict[str, Any]:
        entry: dict[str, Any] = {"flag": name}
        if detail is not None:
            entry["detail"] = detail
        entry["count"] = len(members)
        entry["entities"] = [ents[i].brief() for i in members[:FLAG_ENTITIES].tolist()]
        return entry

    is_top = bool(held.is_top[0])
    return {
        "entity": ents[x].source_id,
        "name": ents[x].name,
        "internal_id": x,
        "at": day.isoformat(),
        "owners": [
            {
                "id": ents[i].source_id,
                "name": ents[i].name,
                "percent": _pct(a),
                "percent_low": _pct(a),
                "percent_high": _pct(b),
                "exact": abs(b - a) <= EXACT_TOL,
                "internal_id": i,
                "schema": ents[i].schema,
                "top": ents[i].topmark or ("circular" if circular else "no_known_owner"),
                "flags": flags,
            }
            for i, a, b, flags, circular in owners
        ],
        "is_top": is_top,
        "top_reason": (ents[x].topmark or ("circular" if held.circular_top[0] else "no_known_owner"))
        if is_top
        else None,
        "control": [
            {
                **ents[s].brief(),
                "kind": rows[e].kind,
                "role": rows[e].role,
                "of": ents[d].brief(),
                "voting_min": rows[e].voting_min,
                "voting_max": rows[e].voting_max,
                "source": query.edge_source(rows[e], files, urls),
            }
            for e, s, d in chain.control
        ],
        "flags": [flag_json(*f) for f in chain_flags],
        "chain_size": len(order),
    }


def ultimate_on(
    conn: Connection, index: GraphIndex, ref: str, *, at: dt.date | None = None, settings: Any = None
) -> dict[str, Any]:
    """Ultimate owners of the entity ``ref`` names (any ID the resolver takes), for day ``at``."""
    day = at or dt.date.today()
    opts = FlagOptions.from_settings(settings)
    x = locate(conn, index, ref)
    return answer(conn, chain_from_index(index, x, day, opts), day, opts)


def ultimate(
    case: Case, ref: str, *, at: dt.date | None = None, settings: Any = None, note: Note | None = stderr_note
) -> dict[str, Any]:
    """`owners ultimate` on a case (settings default to the case's ``owners`` settings)."""
    with reading(case.store, case.root, note) as (conn, index):
        return ultimate_on(conn, index, ref, at=at, settings=settings or case.config.owners)
