"""The entity graph's public API: what modules emit, how it is written, how it is read.

- :mod:`unmask.owners.specs` — the records (:class:`NodeSpec`, :class:`EdgeSpec`, :class:`Ref`,
  :class:`Mark`, :class:`Retire`, :class:`Problem`) and the edge kinds;
- :mod:`unmask.owners.writer` — :class:`GraphWriter`, the bulk writer of imports;
- :mod:`unmask.owners.emit` — :func:`emit`, the idempotent writer of case findings, and
  :func:`emit_case`;
- :mod:`unmask.owners.query` — the one query layer (what "current" means, the ID resolver, reads);
- :mod:`unmask.owners.index` — the compact index the query commands read.
"""

from __future__ import annotations

from unmask.owners.emit import emit, emit_case, platform_nodes
from unmask.owners.query import AmbiguousId, UnknownId
from unmask.owners.specs import (
    EDGE_KINDS,
    STUB,
    EdgeSpec,
    Mark,
    NodeSpec,
    Problem,
    Record,
    Ref,
    Retire,
    address_key,
)
from unmask.owners.writer import GraphWriter

__all__ = [
    "EDGE_KINDS",
    "STUB",
    "AmbiguousId",
    "EdgeSpec",
    "GraphWriter",
    "Mark",
    "NodeSpec",
    "Problem",
    "Record",
    "Ref",
    "Retire",
    "UnknownId",
    "address_key",
    "emit",
    "emit_case",
    "platform_nodes",
]
