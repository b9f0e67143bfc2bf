"""Beneficial Ownership Data Standard: 0.4 records and the older 0.2/0.3 statements.

0.4: ``recordType`` entity/person/relationship, ``recordId`` (the source ID: statements updating a
record share it; the newest is current, the older ones history; ``recordStatus: closed`` is history;
each ``statementId`` is kept as an identifier, scheme ``bods-statement``), ``recordDetails.subject``/
``interestedParty`` name records or say why they are unspecified (an unspecified subject is a node of
its own, ``<recordId>/subject``; an unspecified interested party marks the subject as a chain top),
``interests[].share`` keeps exact, minimum, maximum and exclusive bounds as given (a range that an
exclusive bound leaves empty is malformed). 0.2/0.3: ``statementType``, ``statementID`` (the source ID),
``subject.describedByEntityStatement``, ``interestedParty.describedBy…Statement``/``unspecified``,
``replacesStatements``.

Component records (``isComponent``) detail an indirect interest: their edges are flagged ``component``
so that effective ownership does not count them a second time.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from unmask.owners.importers.kinds import key, table
from unmask.owners.importers.source import Item, json_records
from unmask.owners.importers.values import UNKNOWN, BadValue, Share, bods_share, parse_date
from unmask.owners.specs import EdgeSpec, Mark, NodeSpec, Problem, Record, Ref, Retire


def records(path: Path) -> Iterator[Record]:
    seen_statements: dict[str, bytes] = {}  # statementId → digest of the statement
    record_types: dict[str, str] = {}  # recordId → recordType of its first statement
    for item in json_records(path):
        if not isinstance(item, Item):
            yield Problem(item.line, item.message)
            continue
        rec = item.value
        if not isinstance(rec, dict):
            yield Problem(item.line, "a BODS statement must be a JSON object")
            continue
        statement_id = rec.get("statementId") or rec.get("statementID")
        if statement_id:
            digest = hashlib.blake2b(json.dumps(rec, sort_keys=True).encode(), digest_size=16).digest()
            earlier = seen_statements.get(str(statement_id))
            if earlier == digest:
                yield Problem(item.line, f"duplicate statement {statement_id!r} skipped", fatal=False)
                continue
            if earlier is not None:
                yield Problem(
                    item.line, f"statement ID {statement_id!r} was given to another statement before"
                )
                continue
            seen_statements[str(statement_id)] = digest
        try:
            if "recordType" in rec:
                first = record_types.setdefault(str(rec.get("recordId")), str(rec["recordType"]))
                if first != rec["recordType"]:
                    rtype = rec["recordType"]
                    raise BadValue(
                        f"record {rec.get('recordId')!r} is a {first} record; this statement says {rtype}"
                    )
                yield from _record_04(rec, item.line)
            elif "statementType" in rec:
                yield from _statement_03(rec, item.line)
            else:
                yield Problem(item.line, "not a BODS statement (no recordType or statementType)")
        except BadValue as exc:
            yield Problem(item.line, f"statement {statement_id or '?'}: {exc}")
        except (KeyError, TypeError, AttributeError) as exc:
            yield Problem(item.line, f"statement {statement_id or '?'}: malformed ({exc!r})")


# -- shared pieces ----------------------------------------------------------------------------------


def _identifiers(idents: list[dict[str, Any]] | None, jurisdiction: str | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for ident in idents or []:
        value = str(ident.get("id") or "").strip()
        if not value:
            continue
        scheme = str(ident.get("scheme") or "")
        if scheme.upper() in ("XI-LEI", "LEI"):
            out.append(("lei", value.upper()))
        elif scheme:
            out.append((f"registration:{scheme.split('-')[0].lower()}", value))
        elif jurisdiction:
            out.append((f"registration:{jurisdiction.split('-')[0].lower()}", value))
        else:
            out.append(("registration", value))
    return out


def _listing(listing: dict[str, Any] | None) -> tuple[bool, list[tuple[str, str]]]:
    if not listing:
        return False, []
    idents: list[tuple[str, str]] = []
    for entry in listing.get("securitiesListings") or []:
        security = entry.get("security") or {}
        if security.get("id"):
            idents.append((str(security.get("idScheme") or "security").lower(), str(security["id"])))
        if security.get("ticker"):
            idents.append(("ticker", str(security["ticker"])))
    return bool(listing.get("hasPublicListing")), idents


def _addresses(addresses: list[dict[str, Any]] | None) -> list[str]:
    out = []
    for addr in addresses or []:
        parts = [addr.get("address"), addr.get("postCode")]
        country = addr.get("country")
        if isinstance(country, dict):
            parts.append(country.get("name") or country.get("code"))
        elif country:
            parts.append(country)
        text = ", ".join(str(p) for p in parts if p)
        if text:
            out.append(text)
    return out


def _entity(
    source_id: str, details: dict[str, Any], line: int, replaced: bool, jurisdiction: dict[str, Any] | None
) -> NodeSpec:
    etype = details.get("entityType")
    type_name = etype.get("type") if isinstance(etype, dict) else etype
    tkey = key(str(type_name or "unknownentity"))
    schema = table("bods_entity_types").get(tkey, "LegalEntity")
    jcode = (jurisdiction or {}).get("code")
    listed, listing_ids = _listing(details.get("publicListing"))
    props: dict[str, list[str]] = {}
    if jcode:
        props["jurisdiction"] = [str(jcode).lower()]
    for src, dst in (("foundingDate", "incorporationDate"), ("dissolutionDate", "dissolutionDate")):
        if details.get(src):
            props[dst] = [str(details[src])]
    if addresses := _addresses(details.get("addresses")):
        props["address"] = addresses
    if isinstance(etype, dict) and etype.get("subtype"):
        props["legalForm"] = [str(etype["subtype"])]
    if listed:
        props["publicListed"] = ["true"]
    idents = _identifiers(details.get("identifiers"), jcode) + listing_ids
    for scheme, value in idents:
        if scheme == "lei":
            props.setdefault("leiCode", []).append(value)
        elif scheme.startswith("registration"):
            props.setdefault("registrationNumber", []).append(value)
        elif scheme == "isin":
            props.setdefault("isinCode", []).append(value)
        elif scheme == "ticker":
            props.setdefault("ticker", []).append(value)
    props = {k: list(dict.fromkeys(v)) for k, v in props.items()}
    topmark = "listed" if listed else table("bods_entity_topmarks").get(tkey)
    return NodeSpec(
        schema,
        source_id,
        details.get("name"),
        props,
        idents,
        topmark=topmark,
        replaced=replaced,
        line=line,
    )


def _person(source_id: str, details: dict[str, Any], line: int, replaced: bool) -> NodeSpec:
    names = details.get("names") or []
    legal = [n for n in names if n.get("type") == "legal"] or names
    name = None
    if legal:
        first = legal[0]
        name = first.get("fullName") or " ".join(
            str(first[k]) for k in ("givenName", "familyName") if first.get(k)
        )
    props: dict[str, list[str]] = {}
    others = [n.get("fullName") for n in names if n.get("fullName") and n.get("fullName") != name]
    if others:
        props["alias"] = others
    if details.get("birthDate"):
        props["birthDate"] = [str(details["birthDate"])]
    nats = [str(n.get("code") or n.get("name")).lower() for n in details.get("nationalities") or []]
    if nats:
        props["nationality"] = nats
    if addresses := _addresses(details.get("addresses")):
        props["address"] = addresses
    pep = details.get("politicalExposure") or {}
    if (
        pep.get("status") == "isPep"
        or details.get("hasPepStatus") is True
        or details.get("pepStatus") == "isPep"
    ):
        props["topics"] = ["role.pep"]
    if details.get("personType") and details["personType"] != "knownPerson":
        props["personType"] = [str(details["personType"])]
    return NodeSpec("Person", source_id, name, props, [], replaced=replaced, line=line)


def _interest_edges(
    subject: str,
    party: str,
    interests: list[dict[str, Any]],
    *,
    source_id: str,
    statement_id: str | None,
    component: bool,
    replaced: bool,
    supersedes: bool,
    line: int,
    components: list[str] | None,
) -> Iterator[EdgeSpec]:
    kinds = table("bods_interests")
    first = True
    if not isinstance(interests, list) or not all(isinstance(i, dict) for i in interests):
        raise BadValue("interests must be a list of objects")
    for interest in interests or [{}]:
        if interest.get("share") is not None and not isinstance(interest["share"], dict):
            raise BadValue("an interest's share must be an object (exact, minimum, maximum …)")
        itype = interest.get("type")
        kind = kinds.get(key(itype), "control") if itype else "ownership"
        share: Share = bods_share(interest.get("share")) if interest.get("share") else UNKNOWN
        level = interest.get("directOrIndirect") or interest.get("interestLevel")
        props: dict[str, Any] = {"statementId": statement_id, **share.flags()}
        if interest.get("beneficialOwnershipOrControl") is not None:
            props["beneficialOwnershipOrControl"] = interest["beneficialOwnershipOrControl"]
        if components:
            props["componentRecords"] = components
        if interest.get("details"):
            props["details"] = interest["details"]
        voting = share if key(str(itype or "")) == "votingrights" else UNKNOWN
        yield EdgeSpec(
            kind,
            Ref(party),
            Ref(subject),
            share.min,
            share.max,
            voting_min=voting.min,
            voting_max=voting.max,
            direct={"direct": True, "indirect": False}.get(str(level)),
            component=component,
            start_date=parse_date(interest.get("startDate")),
            end_date=parse_date(interest.get("endDate")),
            replaced=replaced,
            source_id=source_id,
            role=str(itype) if itype else "unspecified",
            properties=props,
            line=line,
            supersedes=supersedes and first,
        )
        first = False


def _flag(value: Any, name: str) -> bool:
    """A BODS boolean (``"true"``/``"false"`` written as text read as such; anything else is malformed)."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if str(value).strip().lower() in ("true", "false"):
        return str(value).strip().lower() == "true"
    raise BadValue(f"{name} {value!r} is not true or false")


def _record_ids(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadValue(f"{name} must be a list of record IDs")
    return value


def _unspecified(subject: str, party: dict[str, Any], line: int) -> Mark:
    reason = str(party.get("reason") or "unknown")
    return Mark(Ref(subject), reason, {"reason": reason, "description": party.get("description")}, line)


def _unspecified_subject(record_id: str, subject: dict[str, Any], line: int, replaced: bool) -> NodeSpec:
    """The node standing for a relationship's subject that the record does not name."""
    reason = str(subject.get("reason") or "unknown")
    props = {"unspecifiedReason": [reason]}
    if subject.get("description"):
        props["description"] = [str(subject["description"])]
    return NodeSpec(
        "LegalEntity",
        f"{record_id}/subject",
        f"unspecified subject ({reason})",
        props,
        replaced=replaced,
        line=line,
    )


# -- 0.4 ------------------------------------------------------------------------------------------------


def _record_04(rec: dict[str, Any], line: int) -> Iterator[Record]:
    rtype = rec["recordType"]
    record_id = str(rec["recordId"])
    details = rec.get("recordDetails") or {}
    status = rec.get("recordStatus")
    replaced = status == "closed"
    if status in ("updated", "closed"):
        yield Retire([record_id])
    statement = [("bods-statement", str(rec["statementId"]))] if rec.get("statementId") else []
    if rtype == "entity":
        node = _entity(record_id, details, line, replaced, details.get("jurisdiction"))
        node.identifiers = [*node.identifiers, *statement]
        yield node
    elif rtype == "person":
        node = _person(record_id, details, line, replaced)
        node.identifiers = statement
        yield node
    elif rtype == "relationship":
        subject = details.get("subject")
        party = details.get("interestedParty")
        if isinstance(subject, dict):  # an unspecified subject (exempt from disclosure, unknown …)
            node = _unspecified_subject(record_id, subject, line, replaced)
            yield node
            subject = node.source_id
        if not isinstance(subject, str) or not subject:
            yield Problem(line, f"relationship {record_id} has no subject record")
            return
        if isinstance(party, dict):
            yield _unspecified(subject, party, line)
            return
        if not isinstance(party, str) or not party:
            yield Problem(line, f"relationship {record_id} has no interested party")
            return
        yield from _interest_edges(
            subject,
            party,
            details.get("interests") or [],
            source_id=record_id,
            statement_id=rec.get("statementId"),
            component=_flag(details.get("isComponent"), "isComponent"),
            replaced=replaced,
            supersedes=True,
            line=line,
            components=_record_ids(details.get("componentRecords"), "componentRecords"),
        )
    else:
        yield Problem(line, f"unknown recordType {rtype!r}")


# -- 0.2 / 0.3 ------------------------------------------------------------------------------------------


def _statement_03(rec: dict[str, Any], line: int) -> Iterator[Record]:
    stype = rec["statementType"]
    statement_id = str(rec.get("statementID") or rec.get("statementId") or "")
    if not statement_id:
        yield Problem(line, "statement without statementID")
        return
    if rec.get("replacesStatements"):
        yield Retire([str(s) for s in rec["replacesStatements"]], this_import=True)
    if stype == "entityStatement":
        juris = rec.get("incorporatedInJurisdiction") or rec.get("jurisdiction")
        yield _entity(statement_id, rec, line, False, juris)
    elif stype == "personStatement":
        yield _person(statement_id, rec, line, False)
    elif stype == "ownershipOrControlStatement":
        subject = (rec.get("subject") or {}).get("describedByEntityStatement")
        party = rec.get("interestedParty") or {}
        if not subject:
            yield Problem(line, f"statement {statement_id} has no subject.describedByEntityStatement")
            return
        if "unspecified" in party:
            yield _unspecified(subject, party["unspecified"] or {}, line)
            return
        target = party.get("describedByPersonStatement") or party.get("describedByEntityStatement")
        if not target:
            yield Problem(line, f"statement {statement_id} has no interested party")
            return
        yield from _interest_edges(
            subject,
            target,
            rec.get("interests") or [],
            source_id=statement_id,
            statement_id=statement_id,
            component=_flag(rec.get("isComponent"), "isComponent"),
            replaced=False,
            supersedes=False,
            line=line,
            components=_record_ids(rec.get("componentStatementIDs"), "componentStatementIDs"),
        )
    else:
        yield Problem(line, f"unknown statementType {stype!r}")
