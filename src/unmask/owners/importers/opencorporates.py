"""OpenCorporates API responses saved as JSON: ``results.company`` (with ``officers``,
``ultimate_beneficial_owners``, ``controlling_entity``), ``results.companies`` and ``results.officers``
searches, one response per file or one per line.

A company's source ID is ``<jurisdiction_code>/<company_number>`` (OpenCorporates' own path); its
registration number is also an identifier, so either can be passed to commands.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from unmask.owners.importers.kinds import table
from unmask.owners.importers.source import Item, json_records
from unmask.owners.importers.values import BadValue, parse_date
from unmask.owners.specs import EdgeSpec, NodeSpec, Problem, Record, Ref


def records(path: Path) -> Iterator[Record]:
    for item in json_records(path):
        if not isinstance(item, Item):
            yield Problem(item.line, item.message)
            continue
        doc = item.value
        results = doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(results, dict):
            yield Problem(item.line, "not an OpenCorporates response (no results object)")
            continue
        try:
            if isinstance(results.get("company"), dict):
                yield from _company(results["company"], item.line)
            for entry in results.get("companies") or []:
                yield from _company(entry.get("company") or entry, item.line)
            officers = list(results.get("officers") or [])
            if isinstance(results.get("officer"), dict):
                officers.append({"officer": results["officer"]})
            for entry in officers:
                officer = entry.get("officer") or entry
                company = officer.get("company")
                if not isinstance(company, dict):
                    yield Problem(item.line, f"officer {officer.get('name')!r} names no company", fatal=False)
                    continue
                node = _company_node(company, item.line)
                yield node
                yield from _officer(officer, Ref(node.source_id), item.line)
        except BadValue as exc:
            yield Problem(item.line, str(exc))
        except (KeyError, TypeError, AttributeError) as exc:
            yield Problem(item.line, f"malformed OpenCorporates response ({exc!r})")


def _company_node(company: dict[str, Any], line: int) -> NodeSpec:
    number = company.get("company_number")
    jurisdiction = company.get("jurisdiction_code")
    if not number or not jurisdiction:
        raise BadValue(f"company {company.get('name')!r} lacks company_number or jurisdiction_code")
    jurisdiction = str(jurisdiction).lower()
    props: dict[str, list[str]] = {"jurisdiction": [jurisdiction], "registrationNumber": [str(number)]}
    for src, dst in (
        ("incorporation_date", "incorporationDate"),
        ("dissolution_date", "dissolutionDate"),
        ("company_type", "legalForm"),
        ("current_status", "status"),
        ("registered_address_in_full", "address"),
        ("opencorporates_url", "opencorporatesUrl"),
    ):
        if company.get(src):
            props[dst] = [str(company[src])]
    previous = [p.get("company_name") for p in company.get("previous_names") or [] if p.get("company_name")]
    if previous:
        props["previousName"] = previous
    idents = [(f"registration:{jurisdiction.split('_')[0]}", str(number))]
    if company.get("opencorporates_url"):
        idents.append(("opencorporates", str(company["opencorporates_url"])))
    for entry in company.get("identifiers") or []:
        ident = entry.get("identifier") or entry
        system, uid = str(ident.get("identifier_system_code") or ""), ident.get("uid")
        if uid and system == "lei":
            idents.append(("lei", str(uid).upper()))
            props.setdefault("leiCode", []).append(str(uid).upper())
        elif uid and system:
            idents.append((system, str(uid)))
    return NodeSpec("Company", f"{jurisdiction}/{number}", company.get("name"), props, idents, line=line)


def _company(company: dict[str, Any], line: int) -> Iterator[Record]:
    node = _company_node(company, line)
    yield node
    here = Ref(node.source_id)
    for entry in company.get("officers") or []:
        yield from _officer(entry.get("officer") or entry, here, line)
    for entry in company.get("ultimate_beneficial_owners") or []:
        owner = entry.get("ultimate_beneficial_owner") or entry
        yield from _owner(
            _party(owner, line), here, direct=False, role="ultimate_beneficial_owner", line=line
        )
    for role in ("controlling_entity", "ultimate_controlling_company"):
        parent = company.get(role)
        if isinstance(parent, dict) and parent.get("company_number"):
            yield from _owner(
                _company_node(parent, line), here, direct=role == "controlling_entity", role=role, line=line
            )


def _owner(owner: NodeSpec, owned: Ref, *, direct: bool, role: str, line: int) -> Iterator[Record]:
    """An owner of the company and its ownership edge to it."""
    yield owner
    yield EdgeSpec("ownership", Ref(owner.source_id), owned, direct=direct, role=role, line=line)


def _party(party: dict[str, Any], line: int) -> NodeSpec:
    name = party.get("name")
    if not name:
        raise BadValue("an officer or owner without a name")
    source_id = f"officer/{party['id']}" if party.get("id") else str(name)
    props: dict[str, list[str]] = {}
    for src, dst in (
        ("nationality", "nationality"),
        ("occupation", "position"),
        ("date_of_birth", "birthDate"),
    ):
        if party.get(src):
            props[dst] = [str(party[src])]
    schema = "LegalEntity" if party.get("is_company") or party.get("type") == "company" else "Person"
    return NodeSpec(schema, source_id, str(name), props, (), line=line)


def _officer(officer: dict[str, Any], company: Ref, line: int) -> Iterator[Record]:
    person = _party(officer, line)
    yield person
    position = str(officer.get("position") or "officer")
    kind = next(
        (k for word, k in table("opencorporates_positions").items() if word in position.lower()),
        "directorship",
    )
    end = parse_date(officer.get("end_date"))
    yield EdgeSpec(
        kind,
        Ref(person.source_id),
        company,
        start_date=parse_date(officer.get("start_date")),
        end_date=end,
        source_id=f"officer/{officer['id']}" if officer.get("id") else None,
        role=position,
        line=line,
    )
