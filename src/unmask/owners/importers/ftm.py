"""FollowTheMoney entities as JSON lines (Aleph and OpenSanctions exports).

Schemata and properties are checked against ``followthemoney``'s model: an unknown schema is an
error of the line, an unknown property a warning. Interval schemata (Ownership, Directorship,
Representation, Membership, Family …) become edges between the entities they name; the rest become
entities with their identifiers (LEI, registration number, ISIN, e-mail, website …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from followthemoney import model

from unmask.owners.importers.kinds import table
from unmask.owners.importers.source import Item, json_records
from unmask.owners.importers.values import UNKNOWN, BadValue, parse_date, text_share
from unmask.owners.specs import EdgeSpec, NodeSpec, Problem, Record, Ref

IDENTIFIER_PROPERTIES = {
    "leiCode": "lei",
    "isinCode": "isin",
    "ticker": "ticker",
    "email": "email",
    "innCode": "inn",
    "ogrnCode": "ogrn",
    "swiftBic": "bic",
    "opencorporatesUrl": "opencorporates",
    "wikidataId": "wikidata",
}


def records(path: Path) -> Iterator[Record]:
    edges = table("ftm_edges")
    prop_edges = table("ftm_property_edges")
    seen: set[str] = set()
    for item in json_records(path):
        if not isinstance(item, Item):
            yield Problem(item.line, item.message)
            continue
        data = item.value
        if not isinstance(data, dict) or not data.get("id") or not data.get("schema"):
            yield Problem(item.line, "an FtM entity needs an id and a schema")
            continue
        schema = model.get(data["schema"])
        if schema is None:
            yield Problem(item.line, f"unknown FtM schema {data['schema']!r}")
            continue
        eid = str(data["id"])
        if eid in seen:
            yield Problem(item.line, f"duplicate entity {eid!r}: merged into the first", fatal=False)
        seen.add(eid)
        props: dict[str, list[str]] = {}
        for name, values in (data.get("properties") or {}).items():
            if schema.get(name) is None:
                yield Problem(item.line, f"{schema.name} has no property {name!r} (kept)", fatal=False)
            props[name] = [str(v) for v in (values if isinstance(values, list) else [values])]
        try:
            yield from _entity(data, eid, schema.name, props, item.line, edges, prop_edges)
        except BadValue as exc:
            yield Problem(item.line, f"{eid}: {exc}")


def _first(props: dict[str, list[str]], name: str) -> str | None:
    values = props.get(name)
    return values[0] if values else None


def _seen(data: dict[str, Any], key: str) -> dt.datetime | None:
    value = data.get(key)
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")).replace(tzinfo=None)
    except ValueError:
        return None


def _entity(
    data: dict[str, Any],
    eid: str,
    schema: str,
    props: dict[str, list[str]],
    line: int,
    edges: dict[str, list[str]],
    prop_edges: dict[str, list[str]],
) -> Iterator[Record]:
    first_seen, last_seen = _seen(data, "first_seen"), _seen(data, "last_seen")
    if schema in edges:
        kind, src_prop, dst_prop = edges[schema]
        src, dst = props.get(src_prop), props.get(dst_prop)
        if not src or not dst:
            yield Problem(line, f"{schema} {eid} lacks {src_prop if not src else dst_prop}")
            return
        share = text_share(props["percentage"][0]) if props.get("percentage") else UNKNOWN
        role = (props.get("role") or props.get("relationship") or [schema.lower()])[0]
        extra = {k: v for k, v in props.items() if k not in (src_prop, dst_prop)}
        yield EdgeSpec(
            kind,
            Ref(src[0]),
            Ref(dst[0]),
            share.min if kind == "ownership" else None,
            share.max if kind == "ownership" else None,
            start_date=parse_date(_first(props, "startDate")),
            end_date=parse_date(_first(props, "endDate")),
            source_id=eid,
            role=role,
            properties={**extra, **share.flags()} or None,
            line=line,
            first_seen=first_seen,
            last_seen=last_seen,
        )
        return
    idents: list[tuple[str, str]] = [("ftm", eid)]
    for prop, scheme in IDENTIFIER_PROPERTIES.items():
        idents.extend((scheme, v.upper() if scheme in ("lei", "isin") else v) for v in props.get(prop, []))
    juris = (props.get("jurisdiction") or props.get("country") or [""])[0].lower()
    for number in props.get("registrationNumber", []):
        idents.append((f"registration:{juris.split('-')[0]}" if juris else "registration", number))
    for site in props.get("website", []):
        host = site.split("//")[-1].split("/")[0].lower().removeprefix("www.")
        if host:
            idents.append(("domain", host))
    caption = data.get("caption") or next(
        (props[p][0] for p in ("name", "full", "title", "email") if props.get(p)), None
    )
    topmark = (
        "listed"
        if (props.get("isListed") or props.get("publicListed") or [""])[0] in ("true", "yes")
        else None
    )
    yield NodeSpec(
        schema,
        eid,
        caption,
        props,
        idents,
        topmark=topmark,
        line=line,
        first_seen=first_seen,
        last_seen=last_seen,
    )
    for prop, (kind, direction, role) in prop_edges.items():
        for other in props.get(prop, []):
            start, end = (Ref(eid), Ref(other)) if direction == "out" else (Ref(other), Ref(eid))
            yield EdgeSpec(kind, start, end, source_id=f"{eid}/{prop}", role=role, line=line)
