"""RDAP answers for an IP network in each regional registry's shape (RFC 9083 as RIPE, ARIN, APNIC, LACNIC
and AFRINIC serve it), with invented holders: where each nests its abuse contact, and contacts with other
e-mail addresses (technical, NOC, administrative) placed before it."""

from __future__ import annotations

from typing import Any


def _card(fn: str, *props: list[Any], kind: str = "group") -> list[Any]:
    return [
        "vcard",
        [["version", {}, "text", "4.0"], ["fn", {}, "text", fn], ["kind", {}, "text", kind], *props],
    ]


def _email(address: str, params: dict[str, Any] | None = None) -> list[Any]:
    return ["email", params or {}, "text", address]


def _network(handle: str, name: str, entities: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "rdapConformance": ["rdap_level_0", "cidr0"],
        "objectClassName": "ip network",
        "handle": handle,
        "startAddress": "127.0.0.0",
        "endAddress": "127.0.0.255",
        "ipVersion": "v4",
        "name": name,
        "entities": entities,
        **extra,
    }


def entity(handle: str, roles: list[str], card: list[Any], **extra: Any) -> dict[str, Any]:
    return {"objectClassName": "entity", "handle": handle, "roles": roles, "vcardArray": card, **extra}


RIPE = _network(
    "127.0.0.0 - 127.0.0.255",
    "INVENTED-HOSTING-NET",
    [
        entity("ORG-IH1-RIPE", ["registrant"], _card("Invented Hosting B.V.", kind="org")),
        entity(
            "IH1-RIPE",
            ["administrative", "technical"],
            _card("Invented NOC", _email("noc@invented-hosting.test")),
        ),
        entity(
            "AR1234-RIPE",
            ["abuse"],
            _card("Abuse contact", _email("abuse@invented-hosting.test", {"type": "abuse"})),
        ),
    ],
    country="NL",
    type="ASSIGNED PA",
)

ARIN = _network(
    "NET-127-0-0-0-1",
    "INVENTED-CLOUD",
    [
        entity(
            "INVCL",
            ["registrant"],
            _card(
                "Invented Cloud Inc.",
                ["adr", {"label": "1 Invented Way\nReston\nVA"}, "text", [""] * 7],
                kind="org",
            ),
            entities=[
                entity(
                    "NOC123-ARIN",
                    ["noc", "technical"],
                    _card("Network Operations", _email("noc@invented-cloud.test")),
                ),
                entity(
                    "ABUSE123-ARIN",
                    ["abuse"],
                    _card(
                        "Abuse",
                        _email("abuse@invented-cloud.test"),
                        ["tel", {"type": ["work", "voice"]}, "text", "+1-555-0100"],
                    ),
                ),
            ],
        )
    ],
    type="DIRECT ALLOCATION",
)

APNIC = _network(
    "127.0.0.0 - 127.0.0.255",
    "INVENTED-AP",
    [
        entity(
            "IA1-AP",
            ["administrative", "technical"],
            _card("Invented admin", _email("admin@invented-asia.test")),
        ),
        entity(
            "IRT-INVENTED-AU",
            ["abuse"],
            _card("IRT-INVENTED-AU", _email("abuse@invented-asia.test")),
            remarks=[{"title": "remarks", "description": ["abuse-mailbox: abuse@invented-asia.test"]}],
        ),
        entity("ORG-IA1-AP", ["registrant"], _card("Invented Asia Pty Ltd", kind="org")),
    ],
    country="AU",
)

LACNIC = _network(
    "127.0.0.0/24",
    "INVENTED-TELECOM",
    [
        entity(
            "BR-INVE-LACNIC",
            ["registrant"],
            _card("Invented Telecom Ltda", kind="org"),
            entities=[
                entity(
                    "ADM-LACNIC", ["administrative"], _card("Admin", _email("admin@invented-telecom.test"))
                ),
                entity("ABU-LACNIC", ["abuse"], _card("Abuse desk", _email("abuse@invented-telecom.test"))),
            ],
        ),
        entity("TEC-LACNIC", ["technical"], _card("Tech", _email("tech@invented-telecom.test"))),
    ],
    country="BR",
)

AFRINIC = _network(
    "127.0.0.0 - 127.0.0.255",
    "INVENTED-AFRICA",
    [
        entity(
            "ORG-IA2-AFRINIC",
            ["registrant"],
            _card("Invented Africa Ltd", kind="org"),
            entities=[
                entity("IA2-AFRINIC", ["technical"], _card("Tech", _email("tech@invented-africa.test")))
            ],
        ),
        entity(
            "IRT-INVENTED-AFRINIC",
            ["abuse"],
            _card(
                "IRT", _email("abuse@invented-africa.test", {"pref": "1"}), _email("soc@invented-africa.test")
            ),
        ),
    ],
    country="ZA",
)

SHAPES: dict[str, tuple[dict[str, Any], str, str]] = {
    "ripe": (RIPE, "abuse@invented-hosting.test", "Invented Hosting B.V."),
    "arin": (ARIN, "abuse@invented-cloud.test", "Invented Cloud Inc."),
    "apnic": (APNIC, "abuse@invented-asia.test", "Invented Asia Pty Ltd"),
    "lacnic": (LACNIC, "abuse@invented-telecom.test", "Invented Telecom Ltda"),
    "afrinic": (AFRINIC, "abuse@invented-africa.test", "Invented Africa Ltd"),
}
"""Registry → (answer, the abuse contact to find, the holder)."""
