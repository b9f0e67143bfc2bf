"""Generated GLEIF-scale ownership data, in GLEIF golden-copy CSV shapes (shared by the owners benchmarks).

    from owners_data import generate      # from a script in bench/ (its folder is on sys.path)
    paths = generate(dirpath, entities=2_000_000, edges=2_500_000, seed=1)
    paths["entities"]       # level 1 CSV: LEI, Entity.LegalName, Entity.LegalJurisdiction …
    paths["relationships"]  # level 2 CSV: Relationship.StartNode.NodeID (child), …EndNode.NodeID (parent),
                            # IS_DIRECTLY_CONSOLIDATED_BY with a PERCENTAGE quantifier (1–60 %)

Edges join random pairs, so the graph has cycles and cross-holdings; a parent is drawn from a smaller
pool than children (holding companies own many). LEIs are ``lei(i)``; names are invented.
"""

from __future__ import annotations

import csv
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
