"""Which change kinds a scan's snapshot speaks for (pure: no store, no server)."""

from __future__ import annotations

from unmask.infra.base import Failure, Observation
from unmask.infra.changes import snapshot

D = "site.test"


def obs(kind: str, value: str, subject: str = D) -> Observation:
    return Observation(kind, value, subject, "test")


def test_values_per_kind_and_scope() -> None:
    snap = snapshot(
        D,
        [
            obs("dns.a", "127.0.0.1"),
            obs("dns.aaaa", "::1"),
            obs("dns.a", "127.0.0.2", "www.site.test"),  # www's address is not the domain's
            obs("dns.cname", "site.test", "www.site.test"),
            obs("dns.cname", "elsewhere.test", "cdn.site.test"),  # a discovered hostname: not compared
            obs("net.asn_name", "INVENTED-NET", "127.0.0.1"),
            obs("net.asn_name", "OTHER-NET", "127.0.0.2"),
            obs("cert.sha256", "ab" * 32),
        ],
        [],
        ["dns", "networks", "certificate"],
    )
    assert snap["ip"] == ["127.0.0.1", "::1"]
    assert snap["cname"] == ["site.test"]
    assert snap["asn"] == ["INVENTED-NET"]
    assert snap["certificate"] == ["ab" * 32]
    assert "masking" not in snap and "title" not in snap  # those sources did not run


def test_unknown_answers_are_not_empty_sets() -> None:
    snap = snapshot(
        D,
        [obs("dns.a", "127.0.0.1")],
        [
            Failure("dns", D, "timeout (AAAA)"),
            Failure("dns", D, "SERVFAIL (CAA)"),
            Failure("certificate", D, "tls: timeout"),
        ],
        ["dns", "certificate"],
    )
    assert "ip" not in snap  # AAAA unknown: the address set is unknown
    assert snap["nameserver"] == []  # a CAA failure says nothing against NS
    assert "certificate" not in snap


def test_a_name_that_is_gone_is_an_empty_set() -> None:
    snap = snapshot(D, [], [Failure("dns", D, "NXDOMAIN")], ["dns"])
    assert snap["ip"] == [] and snap["nameserver"] == []
