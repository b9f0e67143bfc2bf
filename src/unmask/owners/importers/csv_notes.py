"""Notes taken by hand from registries: CSV ``owner, asset, percentage, source``.

Optional columns: ``owner_id``, ``asset_id`` (an ID of the case — LEI, registry number, a source ID —
or a new one), ``owner_type``/``asset_type`` (person, company, trust …), ``kind`` (ownership,
director, nominee …), ``start``, ``end``. Percentages: ``25``, ``25%``, ``10-25``, ``>50``, empty
(unknown share). An owner or asset named by ID links to the entity of the case with that ID, if any.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from unmask.owners.importers.kinds import key, table
from unmask.owners.importers.source import Malformed, csv_rows
from unmask.owners.importers.values import BadValue, parse_date, text_share
from unmask.owners.specs import EdgeSpec, NodeSpec, Problem, Record, Ref


def records(path: Path) -> Iterator[Record]:
    kinds = table("csv_kinds")
    types = table("csv_owner_types")
    for item in csv_rows(path):
        if isinstance(item, Malformed):
            yield Problem(item.line, item.message)
            continue
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in item.value.items()}
        owner, asset = row.get("owner", ""), row.get("asset", "")
        if not (owner or row.get("owner_id")) or not (asset or row.get("asset_id")):
            yield Problem(item.line, "a note needs an owner and an asset")
            continue
        try:
            share = text_share(row.get("percentage"))
            start, end = parse_date(row.get("start")), parse_date(row.get("end"))
        except BadValue as exc:
            yield Problem(item.line, str(exc))
            continue
        kind_text = row.get("kind") or "ownership"
        kind = kinds.get(key(kind_text))
        if kind is None:
            yield Problem(item.line, f"unknown kind {kind_text!r} (known: {', '.join(sorted(kinds))})")
            continue
        ends: list[Ref] = []
        for side in ("owner", "asset"):
            schema = types.get(key(row.get(f"{side}_type", "")), "LegalEntity")
            ident = row.get(f"{side}_id")
            name = row.get(side) or None
            if ident:
                ends.append(Ref(ident, stub=schema, name=name))
            else:
                assert name is not None
                yield NodeSpec(schema, name, name, {}, (), line=item.line)
                ends.append(Ref(name))
        props = {"source": row["source"]} if row.get("source") else {}
        props.update(share.flags())
        yield EdgeSpec(
            kind,
            ends[0],
            ends[1],
            share.min if kind == "ownership" else None,
            share.max if kind == "ownership" else None,
            start_date=start,
            end_date=end,
            role=kind_text,
            properties=props or None,
            line=item.line,
        )
