"""Generated ownership data for the owners benchmarks (bench/ is on sys.path when they run).

    from owners_data import generate, generate_registry
    paths = generate(dirpath, entities=2_000_000, edges=2_500_000, seed=1)
    paths["entities"]       # level 1 CSV: LEI, Entity.LegalName, Entity.LegalJurisdiction …
    paths["relationships"]  # level 2 CSV: Relationship.StartNode.NodeID (child), …EndNode.NodeID (parent),
                            # IS_DIRECTLY_CONSOLIDATED_BY with a PERCENTAGE quantifier (1–60 %)
    path = generate_registry(dirpath, persons=20_000, companies=200_000, edges=435_000, seed=1)
                            # one FtM JSON lines file: Person, Company, Ownership (+ Directorship)

GLEIF shape: edges join random pairs, so the graph has cycles and cross-holdings; a parent is drawn
from a smaller pool than children (holding companies own many). LEIs are ``lei(i)``; names are invented.

Registry shape (GLEIF-like, with people): companies own companies the same way (parents from the first
quarter, so one large strongly connected group of holding companies), persons own companies; shares
1–60 %, a twentieth given as a range and a twentieth unknown, a fiftieth ended years ago; jurisdictions
include offshore ones and addresses come from a small pool (mass-registration addresses); a director
per forty companies. Every name is invented.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

L1_COLUMNS = [
    "LEI",
    "Entity.LegalName",
    "Entity.LegalAddress.Country",
    "Entity.LegalJurisdiction",
    "Entity.EntityCategory",
    "Entity.LegalForm.EntityLegalFormCode",
    "Entity.EntityStatus",
    "Registration.RegistrationStatus",
]
L2_COLUMNS = [
    "Relationship.StartNode.NodeID",
    "Relationship.StartNode.NodeIDType",
    "Relationship.EndNode.NodeID",
    "Relationship.EndNode.NodeIDType",
    "Relationship.RelationshipType",
    "Relationship.RelationshipStatus",
    "Relationship.Period.1.startDate",
    "Relationship.Period.1.periodType",
    "Relationship.Quantifiers.1.MeasurementMethod",
    "Relationship.Quantifiers.1.QuantifierAmount",
    "Relationship.Quantifiers.1.QuantifierUnits",
    "Registration.RegistrationStatus",
]
COUNTRIES = ["US", "GB", "DE", "CN", "KY", "VG", "NL", "LU", "HK", "SG", "CY", "FR"]
WORDS = ["Nordic", "Pacific", "Lotus", "Granite", "Harbor", "Silver", "Zenith", "Orchid", "Atlas", "Cobalt"]
FORMS = ["Ltd", "GmbH", "S.A.", "B.V.", "Inc.", "Co., Ltd.", "LLC", "PLC", "Pte. Ltd.", "AG"]


def lei(i: int) -> str:
    return f"BNCH00{i:014d}"


def generate(dirpath: Path, entities: int, edges: int, seed: int = 1) -> dict[str, Path]:
    rng = random.Random(seed)
    dirpath.mkdir(parents=True, exist_ok=True)
    l1, l2 = dirpath / "lei2-golden-copy.csv", dirpath / "rr-golden-copy.csv"
    with l1.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(L1_COLUMNS)
        for i in range(entities):
            country = COUNTRIES[i % len(COUNTRIES)]
            name = f"{WORDS[i % 10]} {WORDS[(i // 10) % 10]} Holdings {i} {FORMS[(i // 100) % 10]}"
            out.writerow([lei(i), name, country, country, "GENERAL", "8888", "ACTIVE", "ISSUED"])
    parents = max(1, entities // 4)
    with l2.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(L2_COLUMNS)
        for _ in range(edges):
            child = rng.randrange(entities)
            parent = rng.randrange(parents)
            if parent == child:
                parent = (parent + 1) % entities
            out.writerow(
                [
                    lei(child),
                    "LEI",
                    lei(parent),
                    "LEI",
                    "IS_DIRECTLY_CONSOLIDATED_BY",
                    "ACTIVE",
                    "2020-01-01T00:00:00Z",
                    "RELATIONSHIP_PERIOD",
                    "ACCOUNTING_CONSOLIDATION",
                    f"{rng.uniform(1, 60):.2f}",
                    "PERCENTAGE",
                    "PUBLISHED",
                ]
            )
    return {"entities": l1, "relationships": l2}


CITIES = ["Road Town", "George Town", "Limassol", "Valletta", "Victoria", "Douglas", "Hamilton", "Vaduz"]


def person_id(i: int) -> str:
    return f"person-{i:06d}"


def company_id(i: int) -> str:
    return f"company-{i:07d}"


def generate_registry(
    dirpath: Path, persons: int = 20_000, companies: int = 200_000, edges: int = 435_000, seed: int = 1
) -> Path:
    """One FtM JSON lines file with persons, companies and their ownership (see the module docstring)."""
    rng = random.Random(seed)
    dirpath.mkdir(parents=True, exist_ok=True)
    path = dirpath / "registry.ftm.jsonl"
    parents = max(1, companies // 4)
    by_person = edges // 12  # a twelfth of the holdings are persons'
    with path.open("w", encoding="utf-8") as fh:

        def write(entity: dict[str, object]) -> None:
            fh.write(json.dumps(entity, separators=(",", ":")) + "\n")

        for i in range(persons):
            write({"id": person_id(i), "schema": "Person", "properties": {"name": [f"Invented Person {i}"]}})
        for i in range(companies):
            country = COUNTRIES[i % len(COUNTRIES)]
            props = {
                "name": [f"{WORDS[i % 10]} {WORDS[(i // 10) % 10]} Holdings {i} {FORMS[(i // 100) % 10]}"],
                "jurisdiction": [country.lower()],
                "registrationNumber": [f"R{i:08d}"],
                "address": [f"{1 + i % 500} Invented Street, {CITIES[i % len(CITIES)]}"],
            }
            write({"id": company_id(i), "schema": "Company", "properties": props})
        for k in range(edges):
            child = rng.randrange(companies)
            if k < by_person:
                owner = person_id(rng.randrange(persons))
            else:
                parent = rng.randrange(parents)
                if parent == child:
                    parent = (parent + 1) % companies
                owner = company_id(parent)
            roll = rng.random()
            share = (
                f"{rng.uniform(1, 60):.2f}"
                if roll < 0.9
                else f"{rng.randint(5, 25)}-{rng.randint(26, 50)}"
                if roll < 0.95
                else None
            )
            own: dict[str, list[str]] = {"owner": [owner], "asset": [company_id(child)]}
            if share is not None:
                own["percentage"] = [share]
            if rng.random() < 0.02:
                own["startDate"], own["endDate"] = ["2005-01-01"], ["2012-06-30"]
            write({"id": f"own-{k:07d}", "schema": "Ownership", "properties": own})
        for k in range(companies // 40):
            role = {"director": [person_id(rng.randrange(persons))], "organization": [company_id(k * 40)]}
            write({"id": f"dir-{k:06d}", "schema": "Directorship", "properties": role})
    return path
