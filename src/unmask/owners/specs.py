"""What modules emit into the entity graph: records, edge kinds, and the JSON of properties.

Importers and case findings produce :class:`NodeSpec`, :class:`EdgeSpec`, :class:`Mark`,
:class:`Retire` and :class:`Problem` values; :mod:`unmask.owners.writer` (bulk imports) and
:mod:`unmask.owners.emit` (idempotent case findings) write them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

Properties = dict[str, list[str]]

EDGE_KINDS: tuple[str, ...] = (
    "ownership",
    "control",
    "directorship",
    "nominee",
    "representation",
    "family",
    "address",
    "platform",
    "unknown_interest",
)
"""The kinds of link the graph stores (docs/owners.md)."""

KINDS: tuple[str, ...] = (*EDGE_KINDS, "other")
"""Edge kinds and their codes (index) in arrays; a kind the table does not know is ``other``."""
KIND_CODE = {k: i for i, k in enumerate(KINDS)}
OWNERSHIP_KINDS: tuple[str, ...] = ("ownership", "unknown_interest")
"""Kinds that hold shares; an interest without a share is ownership of unknown share (0–100 %)."""
CONTROL_KINDS: tuple[str, ...] = ("control", "directorship", "nominee", "representation")
"""Control without shares: shown next to ownership, never multiplied into it."""
STUB = "stub"
"""Property set on an entity created only because a record named it by a global identifier."""


@dataclass(slots=True, frozen=True)
class Ref:
    """How a record names another entity.

    ``scheme`` None: a source ID (of this import first, then of the case). Otherwise an identifier
    (``lei``, ``registration:gb`` …) looked up in this import, then in the case. ``stub`` names the
    schema of a placeholder entity to create when nothing answers (for global identifiers such as an
    LEI); without it an unknown reference is an error of the record.
    """

    value: str
    scheme: str | None = None
    stub: str | None = None
    name: str | None = None
    """Name of the placeholder, if one is created."""


@dataclass(slots=True)
class NodeSpec:
    """An entity as a source describes it."""

    schema: str
    source_id: str
    name: str | None = None
    properties: Properties = field(default_factory=dict)
    identifiers: Sequence[tuple[str, str]] = ()
    topmark: str | None = None
    replaced: bool = False
    line: int | None = None
    capture_id: int | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None


@dataclass(slots=True)
class EdgeSpec:
    """A typed link from ``src`` (owner, controller, director, nominee…) to ``dst`` (asset, subject)."""

    kind: str
    src: Ref | int
    dst: Ref | int
    share_min: float | None = None
    share_max: float | None = None
    voting_min: float | None = None
    voting_max: float | None = None
    direct: bool | None = None
    component: bool = False
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    replaced: bool = False
    source_id: str | None = None
    role: str | None = None
    properties: dict[str, Any] | None = None
    line: int | None = None
    capture_id: int | None = None
    first_seen: dt.datetime | None = None
    last_seen: dt.datetime | None = None
    supersedes: bool = False
    """Earlier edges of this import with the same ``source_id`` become history (a BODS record's
    newer statement replaces the older one)."""

    def row(
        self, src_id: int | None, dst_id: int | None, import_id: int | None, now: dt.datetime
    ) -> dict[str, Any]:
        """The ``owner_edge`` row this link is stored as (its id aside): the one mapping of a link's
        fields to the store, for importers and the case's own findings alike."""
        return {
            "kind": self.kind,
            "src_id": src_id,
            "dst_id": dst_id,
            "share_min": self.share_min,
            "share_max": self.share_max,
            "voting_min": self.voting_min,
            "voting_max": self.voting_max,
            "direct": self.direct,
            "component": self.component,
            "start_date": self.start_date,
            "end_date": self.end_date,
            "replaced": self.replaced,
            "source_id": self.source_id,
            "role": self.role,
            "properties": dumps(self.properties),
            "import_id": import_id,
            "line": self.line,
            "capture_id": self.capture_id,
            "first_seen": self.first_seen or now,
            "last_seen": self.last_seen or now,
        }


@dataclass(slots=True)
class Mark:
    """A statement about an entity from a record of its own: why it is a chain top (GLEIF reporting
    exception, BODS unspecified interested party, a listing)."""

    ref: Ref
    topmark: str
    note: dict[str, Any] | None = None
    line: int | None = None


@dataclass(slots=True)
class Retire:
    """Records of earlier imports (and, with ``this_import``, of this one) whose source IDs are
    listed are history now: a newer statement replaced or closed them."""

    source_ids: Sequence[str]
    this_import: bool = False


@dataclass(slots=True)
class Problem:
    """Something wrong with a record. ``fatal``: the record is not imported (the import fails unless
    ``--keep-going``); otherwise a warning, the record imported as given."""

    line: int | None
    message: str
    fatal: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "message": self.message, "fatal": self.fatal}


Record = NodeSpec | EdgeSpec | Mark | Retire | Problem


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def dumps(value: Any) -> str | None:
    """Compact JSON text of properties (None when empty)."""
    return _ENCODE(value) if value else None


def loads(value: str | None) -> Any:
    return json.loads(value) if value else {}


def merge_properties(old: Properties, new: Properties) -> Properties:
    out = {k: list(v) for k, v in old.items()}
    for key, values in new.items():
        have = out.setdefault(key, [])
        have.extend(v for v in values if v not in have)
    return out


def normalise_address(value: str) -> str:
    """An address compared as text: case-folded, commas dropped, whitespace collapsed."""
    return " ".join(value.casefold().replace(",", " ").split())


def address_key(value: str) -> str:
    """The ``owner_address`` key of an address (SHA-1 of its normalised text)."""
    return hashlib.sha1(normalise_address(value).encode("utf-8")).hexdigest()


def properties_of(raw: str | None) -> dict[str, list[Any]]:
    """An entity's stored properties (JSON) as FtM-style lists; unreadable JSON reads as none."""
    if not raw:
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v if isinstance(v, list) else [v] for k, v in data.items()}
