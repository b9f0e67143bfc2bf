"""Sister sites: other domains of the case that share an address, a certificate, a favicon, a linking
ID or a nameserver set with a domain, each link with its kind and strength.

Strengths are a table. Shared templates, shared hosting, CDN front ends and stock favicons make
false links: a link is a lead to check, not a finding.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from unmask.core.store import Store
from unmask.infra.tables import InfraObservation

CAVEAT = (
    "Shared templates, themes, analytics set-ups, shared hosting, CDN front ends and stock favicons "
    "cause false links: treat each link as a lead to verify, not as proof of common ownership."
)


@dataclass(frozen=True, slots=True)
class LinkKind:
    name: str
    kinds: tuple[str, ...]
    strength: str
    """strong | medium | weak"""


LINK_KINDS: tuple[LinkKind, ...] = (
    LinkKind("linking_id", ("linking_id",), "strong"),
    LinkKind("certificate", ("cert.sha256",), "strong"),
    LinkKind("favicon", ("web.favicon_mmh3",), "medium"),
    LinkKind("ip", ("dns.a", "dns.aaaa"), "medium"),
    LinkKind("nameserver_set", ("dns.ns",), "weak"),
)
MASKED_IP_STRENGTH = "weak"
"""An address shared behind a masking service is the service's front end, shared by its customers."""
STRENGTH_ORDER = {"strong": 0, "medium": 1, "weak": 2}


@dataclass(frozen=True, slots=True)
class Link:
    domain: str
    kind: str
    value: str
    strength: str

    def as_dict(self) -> dict[str, str]:
        return {"domain": self.domain, "kind": self.kind, "value": self.value, "strength": self.strength}


def _values(store: Store, domain: str) -> dict[str, dict[str, str]]:
    """Per observation kind, the domain's values keyed by their value key."""
    kinds = [k for link in LINK_KINDS for k in link.kinds] + ["masking"]
    query = select(InfraObservation.kind, InfraObservation.value_key, InfraObservation.value).where(
        InfraObservation.domain == domain, InfraObservation.kind.in_(kinds)
    )
    found: dict[str, dict[str, str]] = defaultdict(dict)
    with store.session() as session:
        for kind, key, value in session.execute(query):
            found[kind][key] = value
    return found


def related(store: Store, domain: str) -> list[Link]:
    """Links from ``domain`` to every other domain of the case, strongest first."""
    mine = _values(store, domain)
    masked = bool(mine.get("masking"))
    links: set[Link] = set()
    with store.session() as session:
        for link in LINK_KINDS:
            if link.name == "nameserver_set":
                continue
            keyed = {key: value for k in link.kinds for key, value in mine[k].items()}
            if not keyed:
                continue
            query = select(InfraObservation.domain, InfraObservation.value).where(
                InfraObservation.kind.in_(link.kinds),
                InfraObservation.value_key.in_(list(keyed)),
                InfraObservation.domain != domain,
            )
            strength = MASKED_IP_STRENGTH if link.name == "ip" and masked else link.strength
            for other, value in session.execute(query):
                links.add(Link(other, link.name, value, strength))
        my_ns = set(mine["dns.ns"].values())
        if my_ns:
            query = select(InfraObservation.domain, InfraObservation.value).where(
                InfraObservation.kind == "dns.ns",
                InfraObservation.subject == InfraObservation.domain,
                InfraObservation.domain != domain,
                InfraObservation.domain.in_(
                    select(InfraObservation.domain).where(
                        InfraObservation.kind == "dns.ns", InfraObservation.value.in_(sorted(my_ns))
                    )
                ),
            )
            theirs: dict[str, set[str]] = defaultdict(set)
            for other, value in session.execute(query):
                theirs[other].add(value)
            for other, values in theirs.items():
                if values == my_ns:
                    links.add(Link(other, "nameserver_set", " ".join(sorted(values)), "weak"))
    return sorted(links, key=lambda x: (STRENGTH_ORDER[x.strength], x.domain, x.kind, x.value))


def related_report(store: Store, domain: str) -> dict[str, Any]:
    return {"domain": domain, "links": [link.as_dict() for link in related(store, domain)], "caveat": CAVEAT}
