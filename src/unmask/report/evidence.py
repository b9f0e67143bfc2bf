"""The evidence a report cites: stable references to captures and imports, the compact appendix per
source kind, and the full list of captures as a separate file.

A :class:`Reference` identifies one source without the case at hand: a capture by id, URL, time and
SHA-256 of its payload (its WARC record, and the URL that replays it while ``unmask evidence serve``
runs), an import by file name, time and SHA-256. Figures link to references, never to display labels.
A capture becomes a reference in one place, the evidence stage's ``unmask.evidence.links.reference``
(:func:`capture_reference` only passes its URL through the privacy policy: ``/model/janet-doerwald``
names a person).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unmask.core.case import Case
from unmask.core.output import in_case, output_target, write_csv
from unmask.core.privacy import PrivacyPolicy
from unmask.core.store.models import Capture, Frontier, ItemSource
from unmask.evidence.links import CaptureLike, reference
from unmask.evidence.manifest import TIMESTAMPS_SUFFIX, seals_dir

KIND_ORDER = ("robots", "sitemap", "listing", "item", "person", "page")
"""Frontier kinds, in the order the report lists them and ranks evidence (sitemaps and listings first)."""
FULL_LIST_COLUMNS = (
    "capture_id", "kind", "url", "requested_at", "status", "sha256", "warc_file", "warc_offset", "items",
    "fields", "replay_url",
)  # fmt: skip


@dataclass(frozen=True)
class Reference:
    """A stable reference to one source of a figure."""

    kind: str
    """``capture`` (a census capture), ``import`` (an imported file), ``scan`` (an infrastructure scan)."""
    id: int
    what: str
    """The capture's URL (through the privacy policy), the import's file name, the scan's domains."""
    time: str
    """When it was fetched, imported or scanned (ISO 8601, UTC)."""
    sha256: str | None = None
    """SHA-256 of the payload as received, or of the imported file."""
    warc_file: str | None = None
    """The WARC file, relative to the case folder (``evidence/warc/…``)."""
    warc_offset: int | None = None
    replay_url: str | None = None
    """Opens the capture in ReplayWeb.page while ``unmask evidence serve`` runs (on 127.0.0.1)."""

    @property
    def anchor(self) -> str:
        return f"{'cap' if self.kind == 'capture' else self.kind}-{self.id}"


def _iso(when: dt.datetime | None) -> str:
    if when is None:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds") + "Z"


def capture_reference(capture: CaptureLike, policy: PrivacyPolicy, *, port: int) -> Reference:
    """A capture as a reference: the evidence stage's reference (``unmask.evidence.links``), its URL
    through the privacy policy. ``port`` is the replay server's (``evidence.serve_port``)."""
    ref = reference(capture, port=port)
    return Reference(
        "capture",
        int(ref.capture_id),
        policy.redact(ref.url) or "",
        ref.time,
        ref.sha256,
        ref.warc_file,
        ref.warc_offset,
        ref.replay_url,
    )


def import_reference(
    import_id: int, file_name: str, when: dt.datetime | None, sha256: str | None
) -> Reference:
    return Reference("import", int(import_id), Path(file_name).name, _iso(when), sha256)


def kind_rank(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


@dataclass(frozen=True)
class KindSummary:
    kind: str
    captures: int
    archived: int
    items: int
    """Item fields these captures provided (item × capture pairs)."""
    first: str
    last: str


@dataclass(frozen=True)
class Seal:
    """The latest `unmask evidence seal` of the case: its manifest, hash, timestamps and what it covers."""

    manifest: str
    """The manifest's file name (in ``evidence/seals/``)."""
    sha256: str
    timestamps: list[dict[str, Any]]
    """Each TSA that granted a timestamp (``tsa``, ``time``, ``token``, …)."""
    failed: list[dict[str, Any]]
    """Each TSA asked that gave no token (``tsa``, ``error``)."""
    created: str | None
    """When the manifest was written (ISO 8601, UTC)."""
    files: int | None
    """Evidence files the manifest lists (None: the manifest could not be read)."""
    captures: int | None
    """Capture rows it covers (ids up to ``max_id``)."""
    max_id: int | None
    since: int
    """Captures recorded after it (not covered until the next seal)."""
    seals: int
    """Seals the case holds in all."""

    def covers(self, capture_id: int) -> bool:
        return self.max_id is not None and capture_id <= self.max_id


@dataclass(frozen=True)
class Provided:
    """What each capture gave to items: read once, for the index and for the full list."""

    fields: dict[int, dict[str, int]]
    """Per capture, how many items got each field from it."""
    items: dict[int, int]
    """Per capture, how many items it gave fields to."""


@dataclass(frozen=True)
class EvidenceIndex:
    kinds: list[KindSummary]
    by_field: dict[str, Reference]
    """Per item field, the capture that gave it to the most items (sitemaps and listings first on a tie)."""
    any_items: Reference | None
    """The capture that listed the most items (the evidence for counts)."""
    total: int
    """Captures that provided item fields."""
    seal: Seal | None
    provided: Provided
    replay_port: int
    """The port `unmask evidence serve` replays the captures on (``evidence.serve_port``)."""


def provided(case: Case) -> Provided:
    """Per capture that provided item fields: how many items got each field from it, and how many
    items it provided fields to (one grouped read of the item sources)."""
    with case.store.session() as s:
        rows = s.execute(
            select(ItemSource.capture_id, ItemSource.fields, func.count()).group_by(
                ItemSource.capture_id, ItemSource.fields
            )
        ).all()
    out: dict[int, dict[str, int]] = {}
    items: dict[int, int] = {}
    for cid, names, n in rows:
        items[int(cid)] = items.get(int(cid), 0) + int(n)
        counts = out.setdefault(int(cid), {})
        for name in str(names or "").split(","):
            if name:
                counts[name] = counts.get(name, 0) + int(n)
    return Provided(out, items)


def _kinds(s: Any) -> dict[int, str]:
    """The frontier kind (sitemap, listing, …) of each capture that read a frontier URL."""
    q = (
        select(Frontier.capture_id, func.max(Frontier.kind))
        .where(Frontier.capture_id.is_not(None))
        .group_by(Frontier.capture_id)
    )
    return {int(c): str(k) for c, k in s.execute(q)}


CAPTURE_COLUMNS = (
    Capture.id,
    Capture.url,
    Capture.requested_at,
    Capture.payload_sha256,
    Capture.warc_file,
    Capture.warc_offset,
)
"""What a capture reference reads from a capture row."""


def capture_references(
    case: Case, ids: Iterable[int | None], policy: PrivacyPolicy, *, session: Session | None = None
) -> dict[int, Reference]:
    """References to the captures ``ids`` (None and unknown ids left out), by capture id."""
    wanted = sorted({int(i) for i in ids if i is not None})
    if not wanted:
        return {}
    port = case.config.evidence.serve_port
    q = select(*CAPTURE_COLUMNS).where(Capture.id.in_(wanted))
    with case.store.session() if session is None else nullcontext(session) as s:
        return {int(r.id): capture_reference(r, policy, port=port) for r in s.execute(q)}


def evidence_index(case: Case, *, policy: PrivacyPolicy) -> EvidenceIndex:
    """Captures that provided item fields, summarised per kind, and the best capture for each field."""
    given = provided(case)
    with case.store.session() as s:
        kind_of = _kinds(s)
        rank = {cid: kind_rank(kind_of.get(cid, "page")) for cid in given.items}
        summary: dict[str, list[Any]] = {}
        q = select(Capture.id, Capture.requested_at, Capture.warc_file).execution_options(yield_per=10_000)
        for cid, at, warc in s.execute(q):
            if int(cid) not in given.items:
                continue
            row = summary.setdefault(kind_of.get(int(cid), "page"), [0, 0, 0, at, at])
            row[0] += 1
            row[1] += 1 if warc else 0
            row[2] += given.items[int(cid)]
            row[3], row[4] = min(row[3], at), max(row[4], at)
        best: dict[str, tuple[tuple[int, int, int], int]] = {}
        for cid, counts in given.fields.items():
            for name, n in counts.items():
                key = (n, -rank[cid], -cid)
                if name not in best or key > best[name][0]:
                    best[name] = (key, cid)
        most = max(given.items, key=lambda c: (given.items[c], -rank[c], -c), default=None)
        refs = capture_references(case, [cid for _, cid in best.values()] + [most], policy, session=s)
    kinds = [
        KindSummary(k, v[0], v[1], v[2], _iso(v[3]), _iso(v[4]))
        for k, v in sorted(summary.items(), key=lambda kv: kind_rank(kv[0]))
    ]
    return EvidenceIndex(
        kinds=kinds,
        by_field={name: refs[cid] for name, (_, cid) in sorted(best.items())},
        any_items=refs.get(most) if most is not None else None,
        total=len(given.items),
        seal=latest_seal(case),
        provided=given,
        replay_port=case.config.evidence.serve_port,
    )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def latest_seal(case: Case) -> Seal | None:
    """The newest seal in evidence/seals/ (written by `unmask evidence seal`): its record of timestamps,
    what its manifest covers, and how many captures came after it."""
    folder = seals_dir(case)
    records = sorted(folder.glob(f"*{TIMESTAMPS_SUFFIX}")) if folder.is_dir() else []
    for path in reversed(records):
        record = _read_json(path)
        if record is None or not isinstance(record.get("manifest"), str) or "sha256" not in record:
            continue
        stamps = [t for t in record.get("timestamps") or [] if isinstance(t, dict)]
        manifest = _read_json(folder / Path(record["manifest"]).name) or {}
        covered = manifest.get("captures")
        rows: dict[str, Any] = covered if isinstance(covered, dict) else {}
        files = manifest.get("files")
        max_id = rows.get("max_id") if isinstance(rows.get("max_id"), int) else None
        since = 0
        if max_id is not None:
            with case.store.session() as s:
                since = s.scalar(select(func.count()).select_from(Capture).where(Capture.id > max_id)) or 0
        return Seal(
            manifest=str(record["manifest"]),
            sha256=str(record["sha256"]),
            timestamps=[t for t in stamps if t.get("ok")],
            failed=[t for t in stamps if not t.get("ok")],
            created=str(manifest["created"]) if manifest.get("created") else None,
            files=len(files) if isinstance(files, list) else None,
            captures=rows.get("count") if isinstance(rows.get("count"), int) else None,
            max_id=max_id,
            since=int(since),
            seals=len(records),
        )
    return None


def full_list(
    case: Case, *, policy: PrivacyPolicy, given: Provided | None = None
) -> Iterator[tuple[Any, ...]]:
    """Every capture that provided item fields, with what it provided (the separate evidence file)."""
    given = given or provided(case)
    fields, items = given.fields, given.items
    with case.store.session() as s:
        kind_of = _kinds(s)
        port = case.config.evidence.serve_port
        q = select(*CAPTURE_COLUMNS, Capture.status).order_by(Capture.id)
        for r in s.execute(q).yield_per(2000):
            counts = fields.get(int(r.id))
            if counts is None:
                continue
            ref = capture_reference(r, policy, port=port)
            yield (
                ref.id,
                kind_of.get(int(r.id), "page"),
                ref.what,
                ref.time,
                r.status,
                ref.sha256,
                ref.warc_file,
                ref.warc_offset,
                items[int(r.id)],
                " ".join(f"{k}:{v}" for k, v in sorted(counts.items())),
                ref.replay_url,
            )


def full_list_path(report: Path) -> Path:
    """Where the full evidence list of the report ``report`` goes: beside it, ``NAME.evidence.csv``."""
    return report.with_name(report.stem + ".evidence.csv")


def write_full_list(
    case: Case, report: Path, *, policy: PrivacyPolicy, given: Provided | None = None
) -> Path:
    path = output_target(full_list_path(report), case)
    rows = full_list(case, policy=policy, given=given)
    write_csv(path, FULL_LIST_COLUMNS, rows, private=in_case(path, case))
    return path
