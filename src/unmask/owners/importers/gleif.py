"""GLEIF: level 1 (who is who), level 2 relationships (who owns whom) and reporting exceptions.

Read from JSON (arrays or JSON lines of records as in GLEIF's API and bodspipelines; golden-copy JSON
with ``{"$": value}`` wrappers) and from golden-copy CSV, whose dotted column names
(``Entity.LegalName``, ``Relationship.StartNode.NodeID`` …) are unflattened into the same records.

Level 2: StartNode is the child, EndNode the parent, so the edge runs parent → child. Consolidation
relationships are ownership of unknown share unless a percentage quantifier is given;
IS_ULTIMATELY_CONSOLIDATED_BY is indirect (``direct`` False). Fund management and sub-funds are
control. Nodes are referenced by LEI: an LEI no record of the import or case describes becomes a
placeholder entity (it is a global identifier), filled in when its level 1 record comes.
Reporting exceptions (NO_KNOWN_PERSON, NATURAL_PERSONS, NON_CONSOLIDATING …) mark chain tops.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from unmask.owners.importers.kinds import key, table
from unmask.owners.importers.source import Item, Malformed, head, json_records, open_text, plain
from unmask.owners.importers.values import BadValue, parse_date
from unmask.owners.specs import EdgeSpec, Mark, NodeSpec, Problem, Record, Ref


def records(path: Path) -> Iterator[Record]:
    is_json = head(path, 512).lstrip().startswith(("[", "{"))
    stream: Iterator[Item | Malformed] = json_records(path) if is_json else _csv_records(path)
    history = table("gleif_history")
    for item in stream:
        if isinstance(item, Malformed):
            yield Problem(item.line, item.message)
            continue
        rec = plain(item.value) if is_json else item.value
        if not isinstance(rec, dict):
            yield Problem(item.line, "a GLEIF record must be an object")
            continue
        if "attributes" in rec and isinstance(rec["attributes"], dict):
            rec = _from_api(rec["attributes"])
        try:
            if "Relationship" in rec:
                yield from _relationship(rec, item.line, history)
            elif "ExceptionCategory" in rec or "ExceptionReason" in rec:
                yield from _exception(rec, item.line)
            elif "LEI" in rec:
                yield from _entity(rec, item.line, history)
            else:
                yield Problem(item.line, "not a GLEIF record (no LEI, Relationship or ExceptionCategory)")
        except BadValue as exc:
            yield Problem(item.line, str(exc))
        except (KeyError, TypeError, AttributeError) as exc:
            yield Problem(item.line, f"malformed GLEIF record ({exc!r})")


def unflatten(row: dict[str, str]) -> dict[str, Any]:
    """``{"Entity.LegalAddress.City": "X"}`` → ``{"Entity": {"LegalAddress": {"City": "X"}}}``;
    empty cells are left out."""
    columns = list(row)
    return _build([row[c] or "" for c in columns], _plan(tuple(columns)))


@functools.lru_cache(maxsize=16)
def _plan(header: tuple[str, ...]) -> tuple[tuple[int, tuple[str, ...]], ...]:
    return tuple((i, tuple(column.split("."))) for i, column in enumerate(header))


def _build(values: list[str], plan: tuple[tuple[int, tuple[str, ...]], ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    size = len(values)
    for index, parts in plan:
        if index >= size:
            break
        value = values[index]
        if not value:
            continue
        node = out
        for part in parts[:-1]:
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            elif not isinstance(nxt, dict):  # a value with attributes (LegalName + LegalName.xmllang)
                nxt = node[part] = {"$": nxt}
            node = nxt
        leaf = parts[-1]
        if isinstance(node.get(leaf), dict):
            node[leaf]["$"] = value
        else:
            node[leaf] = value
    return out


def _csv_records(path: Path) -> Iterator[Item | Malformed]:
    """Golden-copy CSV rows, unflattened into records."""
    with open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader, None)
            if header is None:
                return
            plan = _plan(tuple(header))
            width = len(header)
            for values in reader:
                if not values:
                    continue
                if len(values) > width:
                    yield Malformed(reader.line_num, "more fields than the header has")
                    continue
                yield Item(reader.line_num, _build(values, plan))
        except csv.Error as exc:
            yield Malformed(reader.line_num, f"malformed CSV ({exc})")


def _text(value: Any) -> str | None:
    """A value that may carry attributes (``{"$": text, "xmllang": …}``)."""
    if isinstance(value, dict):
        value = value.get("$")
    return str(value) if value not in (None, "") else None


def _many(value: Any) -> list[Any]:
    """A repeated element: a JSON list, or the numbered columns of a CSV (``…Period.1.…``)."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        numbered = [k for k in value if k.isdigit()]
        if numbered:
            return [value[k] for k in sorted(numbered, key=int)]
        for inner in value.values():  # {"RelationshipPeriod": [...]} golden-copy JSON nesting
            if isinstance(inner, list):
                return inner
        return [value]
    return [value]


def _from_api(attrs: dict[str, Any]) -> dict[str, Any]:
    """GLEIF API ``attributes`` (camelCase) → the record shape of the files."""
    entity = attrs.get("entity") or {}
    legal = entity.get("legalName") or {}
    address = entity.get("legalAddress") or {}
    return {
        "LEI": attrs.get("lei"),
        "Entity": {
            "LegalName": legal.get("name") if isinstance(legal, dict) else legal,
            "LegalJurisdiction": entity.get("jurisdiction"),
            "EntityCategory": entity.get("category"),
            "EntityStatus": entity.get("status"),
            "LegalAddress": {
                "FirstAddressLine": " ".join(address.get("addressLines") or []),
                "City": address.get("city"),
                "Country": address.get("country"),
                "PostalCode": address.get("postalCode"),
            },
        },
        "Registration": {"RegistrationStatus": (attrs.get("registration") or {}).get("status")},
    }


def _address(addr: dict[str, Any] | None) -> str | None:
    if not addr:
        return None
    parts = [
        addr.get("FirstAddressLine"),
        addr.get("AdditionalAddressLine"),
        addr.get("City"),
        addr.get("Region"),
        addr.get("PostalCode"),
        addr.get("Country"),
    ]
    text = ", ".join(str(p) for p in parts if p and not isinstance(p, dict | list))
    return text or None


def _entity(rec: dict[str, Any], line: int, history: dict[str, list[str]]) -> Iterator[Record]:
    lei = str(rec["LEI"]).strip().upper()
    if len(lei) != 20 or not lei.isalnum():
        yield Problem(line, f"LEI {lei!r} is not 20 letters and digits")
        return
    ent = rec.get("Entity") or {}
    reg = rec.get("Registration") or {}
    props: dict[str, list[str]] = {"leiCode": [lei]}
    jurisdiction = ent.get("LegalJurisdiction")
    if jurisdiction:
        props["jurisdiction"] = [str(jurisdiction).lower()]
    country = (ent.get("LegalAddress") or {}).get("Country")
    if country:
        props["country"] = [str(country).lower()]
    for addr in (ent.get("LegalAddress"), ent.get("HeadquartersAddress")):
        if text := _address(addr):
            props.setdefault("address", [])
            if text not in props["address"]:
                props["address"].append(text)
    others = []
    raw = ent.get("OtherEntityNames")
    if isinstance(raw, dict) and "OtherEntityName" in raw:  # golden copy: OtherEntityName.1, .2 …
        raw = raw["OtherEntityName"]
    for other in _many(raw):
        inner = isinstance(other, dict) and "OtherEntityName" in other
        name = _text(other["OtherEntityName"] if inner else other)
        if name:
            others.append(name)
    if others:
        props["previousName"] = others
    form = ent.get("LegalForm") or {}
    if form.get("EntityLegalFormCode"):
        props["legalForm"] = [str(form["EntityLegalFormCode"])]
    if ent.get("EntityStatus"):
        props["status"] = [str(ent["EntityStatus"])]
    if ent.get("EntityCreationDate"):
        props["incorporationDate"] = [str(ent["EntityCreationDate"])[:10]]
    idents: list[tuple[str, str]] = [("lei", lei)]
    authority = ent.get("RegistrationAuthority") or {}
    number = authority.get("RegistrationAuthorityEntityID")
    if number:
        props["registrationNumber"] = [str(number)]
        if jurisdiction:
            idents.append((f"registration:{str(jurisdiction).split('-')[0].lower()}", str(number)))
    schema = table("gleif_categories").get(key(str(ent.get("EntityCategory") or "")), "Company")
    replaced = (
        ent.get("EntityStatus") in history["entity"]
        or reg.get("RegistrationStatus") in history["registration"]
    )
    yield NodeSpec(schema, lei, _text(ent.get("LegalName")), props, idents, replaced=replaced, line=line)


def _lei_ref(node: dict[str, Any] | None, which: str) -> Ref:
    if not node or not node.get("NodeID"):
        raise BadValue(f"relationship without {which}.NodeID")
    scheme = str(node.get("NodeIDType") or "LEI").lower()
    return Ref(str(node["NodeID"]).strip().upper(), scheme, stub="LegalEntity")


def _relationship(rec: dict[str, Any], line: int, history: dict[str, list[str]]) -> Iterator[Record]:
    rel = rec["Relationship"]
    reg = rec.get("Registration") or {}
    child = _lei_ref(rel.get("StartNode"), "StartNode")
    parent = _lei_ref(rel.get("EndNode"), "EndNode")
    rtype = str(rel.get("RelationshipType") or "")
    kind = table("gleif_relationships").get(key(rtype))
    if kind is None:
        yield Problem(line, f"unknown RelationshipType {rtype!r}")
        return
    start = end = None
    periods = _many(rel.get("RelationshipPeriods") or rel.get("Period") or rel.get("Periods"))
    for period in periods:
        ptype = period.get("PeriodType") or period.get("periodType")
        if ptype == "RELATIONSHIP_PERIOD":
            start = parse_date(period.get("StartDate") or period.get("startDate"))
            end = parse_date(period.get("EndDate") or period.get("endDate"))
    share = None
    quantifiers = _many(rel.get("RelationshipQuantifiers") or rel.get("Quantifiers"))
    for quant in quantifiers:
        if str(quant.get("QuantifierUnits") or "").upper() == "PERCENTAGE" and quant.get("QuantifierAmount"):
            try:
                share = float(quant["QuantifierAmount"])
            except ValueError:
                raise BadValue(f"quantifier {quant['QuantifierAmount']!r} is not a number") from None
            if not 0 <= share <= 100:
                raise BadValue(f"percentage {share:g}% is outside 0–100")
    status = rel.get("RelationshipStatus")
    replaced = (
        status in history["relationship"]
        or reg.get("RegistrationStatus") in history["relationship_registration"]
    )
    props: dict[str, Any] = {}
    qualifiers = [
        q.get("QualifierCategory") for q in _many(rel.get("RelationshipQualifiers")) if isinstance(q, dict)
    ]
    if any(qualifiers):
        props["qualifiers"] = [q for q in qualifiers if q]
    if status:
        props["status"] = status
    yield EdgeSpec(
        kind,
        parent,
        child,
        share,
        share,
        direct="ULTIMATELY" not in rtype,
        start_date=start,
        end_date=end,
        replaced=replaced,
        source_id=f"{child.value}/{rtype}/{parent.value}",
        role=rtype,
        properties=props or None,
        line=line,
    )


def _exception(rec: dict[str, Any], line: int) -> Iterator[Record]:
    lei = str(rec.get("LEI") or "").strip().upper()
    if not lei:
        yield Problem(line, "reporting exception without LEI")
        return
    reason = str(rec.get("ExceptionReason") or "UNKNOWN")
    note = {
        "category": rec.get("ExceptionCategory"),
        "reason": reason,
        "reference": rec.get("ExceptionReference"),
        "date": rec.get("ContentDate"),
    }
    yield Mark(Ref(lei, "lei", stub="LegalEntity"), reason, {k: v for k, v in note.items() if v}, line)
