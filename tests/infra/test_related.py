"""Sister sites from stored observations: kinds, strengths, the masked-address downgrade, the caveat."""

from __future__ import annotations

import datetime as dt

from unmask.core.case import Case
from unmask.infra.base import Observation
from unmask.infra.related import CAVEAT, related, related_report
from unmask.infra.storage import DomainResult, open_scan, store_results

SHARED_CERT = "ab" * 32


def store(case: Case, domain: str, *facts: tuple[str, str, str]) -> None:
    scan_id = open_scan(case.store, [domain], {"kind": "test"})
    observations = [Observation(kind, value, subject, "test") for kind, subject, value in facts]
    store_results(
        case.store,
        scan_id,
        [DomainResult(domain, domain, observations, [], ["dns"], dt.datetime(2026, 1, 1))],
    )


def test_links_by_kind_and_strength(case: Case) -> None:
    store(
        case,
        "main.test",
        ("dns.a", "main.test", "127.0.0.80"),
        ("dns.ns", "main.test", "ns1.shared.test"),
        ("dns.ns", "main.test", "ns2.shared.test"),
        ("linking_id", "main.test", "G-INVENTED1"),
        ("cert.sha256", "main.test", SHARED_CERT),
        ("web.favicon_mmh3", "main.test", "-123456789"),
    )
    store(case, "ids.test", ("linking_id", "ids.test", "G-INVENTED1"), ("dns.a", "ids.test", "127.0.0.81"))
    store(case, "cert.test", ("cert.sha256", "www.cert.test", SHARED_CERT))
    store(case, "icon.test", ("web.favicon_mmh3", "icon.test", "-123456789"))
    store(case, "neighbour.test", ("dns.a", "neighbour.test", "127.0.0.80"))
    store(
        case,
        "samens.test",
        ("dns.ns", "samens.test", "ns1.shared.test"),
        ("dns.ns", "samens.test", "ns2.shared.test"),
    )
    store(case, "halfns.test", ("dns.ns", "halfns.test", "ns1.shared.test"))
    store(
        case,
        "stranger.test",
        ("dns.a", "stranger.test", "127.0.0.99"),
        ("linking_id", "stranger.test", "G-OTHER"),
    )

    links = [(link.domain, link.kind, link.strength) for link in related(case.store, "main.test")]
    assert links == [
        ("cert.test", "certificate", "strong"),
        ("ids.test", "linking_id", "strong"),
        ("icon.test", "favicon", "medium"),
        ("neighbour.test", "ip", "medium"),
        ("samens.test", "nameserver_set", "weak"),
    ]
    report = related_report(case.store, "main.test")
    assert report["caveat"] == CAVEAT
    assert {
        "domain": "ids.test",
        "kind": "linking_id",
        "value": "G-INVENTED1",
        "strength": "strong",
    } in report["links"]
    assert related(case.store, "nothing.test") == []


def test_shared_address_behind_a_masking_service_is_weak(case: Case) -> None:
    store(
        case,
        "masked.test",
        ("dns.a", "masked.test", "104.16.132.229"),
        ("masking", "masked.test", "Cloudflare"),
    )
    store(case, "other.test", ("dns.a", "other.test", "104.16.132.229"))
    assert [(link.domain, link.kind, link.strength) for link in related(case.store, "masked.test")] == [
        ("other.test", "ip", "weak")
    ]
