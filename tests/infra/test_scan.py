"""End-to-end scans against a real Knot DNS on loopback, zones rewritten between scans.

Public-range addresses (Cloudflare, DDoS-Guard) are only ever DNS answers here: those scans are
``--dns-only``, so no packet goes to them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy import func, select

from tests.helpers.dns_server import Blackhole, DnsServer
from unmask.core.case import Case
from unmask.infra.base import Failure, Observation, ScanContext, ScanOptions, Source
from unmask.infra.changes import changes, changes_in_scan
from unmask.infra.scan import Scanner, scan, scan_async, scan_domain
from unmask.infra.tables import InfraFailure, InfraObservation, InfraScan, InfraSnapshot
from unmask.infra.timeline import spans

HUGE_TXT = " ".join(f'"{chr(97 + i % 26) * 250}"' for i in range(30))


@pytest.fixture
def dns(tmp_path: Path) -> Iterator[DnsServer]:
    with DnsServer(tmp_path) as server:
        yield server


def dns_only(server: DnsServer | Blackhole) -> ScanOptions:
    return ScanOptions(dns_only=True, resolver=server.resolver)


def facts(case: Case, domain: str) -> dict[tuple[str, str, str], InfraObservation]:
    with case.store.session() as s:
        rows = s.scalars(select(InfraObservation).where(InfraObservation.domain == domain)).all()
    return {(r.kind, r.subject, r.value): r for r in rows}


def test_ip_hop_ns_change_and_move_behind_masking(case: Case, dns: DnsServer) -> None:
    dns.zone(
        "hop.test", ["@ A 127.0.0.20", "@ NS ns1.hop.test.", "@ MX 10 mail.hop.test.", "www CNAME hop.test."]
    )
    dns.start()
    first = scan(case, ["hop.test"], dns_only(dns))
    assert first.status == "complete"
    assert changes(case.store, "hop.test") == []  # one scan: nothing to compare

    # the operators hop to another address and move their DNS
    dns.zone(
        "hop.test",
        ["@ A 127.0.0.21", "@ NS ns1.other-dns.test.", "@ MX 10 mail.hop.test.", "www CNAME hop.test."],
    )
    dns.reload()
    second = scan(case, ["hop.test"], dns_only(dns))

    # … then go behind Cloudflare and DDoS-Guard (real published ranges, DNS answers only)
    dns.zone(
        "hop.test",
        ["@ A 104.16.132.229", "@ A 185.178.208.10", "@ NS ns1.other-dns.test.", "@ MX 10 mail.hop.test."],
    )
    dns.reload()
    third = scan(case, ["hop.test"], dns_only(dns))

    found = [c.as_dict() for c in changes(case.store, "hop.test")]
    assert all(set(c) == {"time", "domain", "kind", "old", "new"} for c in found)
    by_kind = [(c["kind"], c["old"], c["new"]) for c in found]
    assert by_kind == [
        ("ip", ["127.0.0.20"], ["127.0.0.21"]),
        ("nameserver", ["ns1.hop.test"], ["ns1.other-dns.test"]),
        ("asn", [], ["CLOUDFLARENET", "Ddos-guard Ltd"]),
        ("cname", ["hop.test"], []),
        ("country", [], ["RU", "US"]),
        ("ip", ["127.0.0.21"], ["104.16.132.229", "185.178.208.10"]),
        ("masking", [], ["Cloudflare", "DDoS-Guard"]),
    ]
    assert found[0]["time"] <= found[2]["time"]
    # stable across re-runs of the query, and each scan's own changes
    assert [c.as_dict() for c in changes(case.store, "hop.test")] == found
    assert [c.kind for c in changes_in_scan(case.store, second.scan_id)] == ["ip", "nameserver"]
    assert [c.kind for c in changes_in_scan(case.store, third.scan_id)] == [
        "asn",
        "cname",
        "country",
        "ip",
        "masking",
    ]
    assert changes_in_scan(case.store, first.scan_id) == []

    # nothing stored is lost: the first address keeps its span, the masking evidence its detail
    stored = facts(case, "hop.test")
    old = stored[("dns.a", "hop.test", "127.0.0.20")]
    assert (old.first_scan_id, old.last_scan_id) == (first.scan_id, first.scan_id)
    mx = stored[("dns.mx", "hop.test", "10 mail.hop.test")]
    assert (mx.first_scan_id, mx.last_scan_id) == (first.scan_id, third.scan_id)
    assert mx.first_seen < mx.last_seen
    cloudflare = json.loads(stored[("masking", "hop.test", "Cloudflare")].detail or "{}")
    assert {"type": "range", "subject": "104.16.132.229", "matched": "104.16.0.0/13"} in cloudflare[
        "evidence"
    ]
    assert stored[("net.scope", "127.0.0.20", "loopback")]
    timeline = [(s.kind, s.value) for s in spans(case.store, "hop.test") if s.subject == "hop.test"]
    assert ("dns.a", "127.0.0.20") in timeline and ("dns.ns", "ns1.other-dns.test") in timeline


def test_bad_domains_are_per_domain_results(case: Case, dns: DnsServer) -> None:
    dns.zone("good.test", ["@ A 127.0.0.30", f"@ TXT {HUGE_TXT}", '@ TXT "v=spf1 -all"'])
    dns.zone("xn--mnchen-3ya.test", ["@ A 127.0.0.31"])
    dns.broken("broken.test")
    dns.start()
    result = scan(
        case,
        ["good.test", "gone.good.test", "x.broken.test", "refused.example", "München.test"],
        dns_only(dns),
    )
    assert result.status == "complete"
    by_domain = {d.domain: d for d in result.domains}
    assert list(by_domain) == [
        "good.test",
        "gone.good.test",
        "x.broken.test",
        "refused.example",
        "xn--mnchen-3ya.test",
    ]
    errors = {d: sorted({f.error for f in r.failures}) for d, r in by_domain.items()}
    assert errors["gone.good.test"] == ["NXDOMAIN"]
    assert errors["x.broken.test"] == ["SERVFAIL"]
    assert errors["refused.example"] == ["REFUSED"]
    assert errors["good.test"] == [] and errors["xn--mnchen-3ya.test"] == []
    txt = [o for o in by_domain["good.test"].observations if o.kind == "dns.txt"]
    huge = next(o for o in txt if o.value.startswith("aaa"))
    assert len(huge.value) == 2048 and huge.detail and huge.detail["truncated"] == 30 * 250 - 2048
    idn = {(o.kind, o.value) for o in by_domain["xn--mnchen-3ya.test"].observations}
    assert ("dns.unicode", "münchen.test") in idn and ("dns.a", "127.0.0.31") in idn

    with case.store.session() as s:
        stored = {(f.domain, f.error) for f in s.scalars(select(InfraFailure))}
        assert ("x.broken.test", "SERVFAIL") in stored and ("gone.good.test", "NXDOMAIN") in stored
        status = s.scalar(select(InfraScan.status).where(InfraScan.id == result.scan_id))
    assert status == "complete"

    # a domain that disappears (NXDOMAIN) is a change: its addresses went away
    dns.remove("xn--mnchen-3ya.test")
    dns.zone("test", ["munchen-placeholder A 127.0.0.99"])  # the parent zone answers NXDOMAIN for the IDN now
    dns.reload()
    scan(case, ["münchen.test"], dns_only(dns))
    (gone,) = [c for c in changes(case.store, "xn--mnchen-3ya.test") if c.kind == "ip"]
    assert (gone.old, gone.new) == (["127.0.0.31"], [])


@pytest.mark.slow
def test_timeouts_are_results_and_never_fake_a_change(case: Case, dns: DnsServer) -> None:
    dns.zone("steady.test", ["@ A 127.0.0.40"])
    dns.start()
    scan(case, ["steady.test"], dns_only(dns))
    hole = Blackhole()
    case.config.infra.dns_timeout = 0.4
    try:
        result = scan(case, ["steady.test"], dns_only(hole))
    finally:
        hole.close()
    (domain,) = result.domains
    assert {f.error for f in domain.failures} == {"timeout"}
    assert changes(case.store, "steady.test") == []  # "timed out" is not "no records"
    case.config.infra.dns_timeout = 5.0
    dns.zone("steady.test", ["@ A 127.0.0.41"])
    dns.reload()
    scan(case, ["steady.test"], dns_only(dns))
    assert [(c.kind, c.old, c.new) for c in changes(case.store, "steady.test")] == [
        ("ip", ["127.0.0.40"], ["127.0.0.41"])
    ]


class Stuck(Source):
    """A source that never finishes for one domain (to interrupt a scan in the middle)."""

    name = "stuck"
    after = ("dns",)

    stuck: ClassVar[set[str]] = set()
    finished: ClassVar[set[str]] = set()
    """Domains it hangs on; domains whose observation the scan has taken (it asked for the next one)."""

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        if ctx.domain.startswith("slow"):
            Stuck.stuck.add(ctx.domain)
            await asyncio.sleep(3600)
        yield Observation("test.done", "yes", ctx.domain, self.name)
        Stuck.finished.add(ctx.domain)


@pytest.mark.slow
def test_interrupted_scan_keeps_what_it_finished(
    case: Case, dns: DnsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    dns.zone("fast.test", ["@ A 127.0.0.50", "a A 127.0.0.51", "b A 127.0.0.52"])
    dns.zone("slow.test", ["@ A 127.0.0.53"])
    dns.start()
    from unmask.infra import registry

    monkeypatch.setattr(
        registry, "SOURCES", (*registry.SOURCES[:2], "tests.infra.test_scan:Stuck"), raising=True
    )
    monkeypatch.setattr(
        "unmask.infra.scan.sources",
        lambda options, settings: registry.sources(options, settings, registry.SOURCES),
    )

    Stuck.stuck.clear()
    Stuck.finished.clear()
    fast = {"fast.test", "a.fast.test", "b.fast.test"}

    reported: set[str] = set()

    async def interrupted() -> None:
        task = asyncio.ensure_future(
            scan_async(
                case,
                ["fast.test", "a.fast.test", "slow.test", "b.fast.test"],
                dns_only(dns),
                progress=lambda done, total, info="": reported.add(info) if info else None,
            )
        )
        while not task.done() and not (Stuck.stuck and reported >= fast):
            await asyncio.sleep(0.01)  # until the scan took the fast domains' results and the slow one hangs
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    with case.store.session() as s:
        status = s.scalar(select(InfraScan.status))
        done = set(s.scalars(select(InfraObservation.domain).where(InfraObservation.kind == "test.done")))
        snapshots = s.scalar(select(func.count()).select_from(InfraSnapshot))
    assert status == "interrupted"
    assert done == {"fast.test", "a.fast.test", "b.fast.test"}
    assert snapshots and snapshots > 0


def test_sources_share_one_resolver_answer(case: Case, dns: DnsServer) -> None:
    dns.zone("cache.test", ["@ A 127.0.0.60"])
    dns.start()
    scanner = Scanner(case, dns_only(dns), None)
    calls: list[tuple[str, str]] = []
    real = scanner.resolver.query

    async def counting(name: str, rdtype: str):  # type: ignore[no-untyped-def]
        calls.append((name, rdtype))
        return await real(name, rdtype)

    scanner.resolver.query = counting  # type: ignore[method-assign]
    from unmask.infra.registry import sources

    chain, _ = sources(ScanOptions(dns_only=True))
    result = asyncio.run(scan_domain(scanner, "cache.test", "cache.test", chain))
    assert ("dns.a", "127.0.0.60") in {(o.kind, o.value) for o in result.observations}
    assert len(calls) == len(set(calls))


def test_full_scan_connects_to_the_addresses_the_resolver_gave(
    case: Case, dns: DnsServer, tmp_path: Path
) -> None:
    """HTTP and TLS go to nginx at the loopback addresses of the scan's own DNS answers (these names
    exist nowhere else), and what they show is stored and linked."""
    from tests.helpers.nginx_server import standard_lab
    from unmask.infra.related import related

    lab = standard_lab(tmp_path / "lab")
    try:
        dns.zone(
            "unmask.test",
            [
                f"site A {lab.front}",
                "www.site CNAME site.unmask.test.",
                f"sister-a A {lab.sister}",
                f"sister-b A {lab.sister}",
            ],
        )
        dns.start()
        case.config.fetch.delay = 0.0
        case.config.fetch.retries = 0
        case.config.fetch.allow_private_addresses = True  # the lab's names resolve to loopback
        nowhere = "http://127.0.0.1:9/"  # nothing leaves the machine
        case.config.infra.sources = {"rdap": {"base_url": nowhere}, "ct": {"url": nowhere}}
        options = ScanOptions(resolver=dns.resolver)
        result = scan(case, ["site.unmask.test", "sister-a.unmask.test", "sister-b.unmask.test"], options)
    finally:
        lab.web.stop()
    assert "LiveCertificate" not in {s.path.rsplit(":", 1)[-1] for s in result.skipped}
    site = {(o.kind, o.value) for o in result.domains[0].observations}
    assert ("cert.sha256", lab.cert("site").sha256) in site
    assert ("dns.a", lab.front) in site
    if "WebFingerprint" not in {s.path.rsplit(":", 1)[-1] for s in result.skipped}:
        assert ("web.title", "Fakeclips - invented test platform") in site, result.domains[0].failures
        assert ("masking", "Cloudflare") in site  # by the headers nginx sends (a loopback address)
        assert ("linking_id", "ga4:G-TEST12345") in site or any(
            kind == "linking_id" and "G-TEST12345" in value for kind, value in site
        )
        with case.store.session() as s:
            title = s.scalars(select(InfraObservation).where(InfraObservation.kind == "web.title")).first()
        assert title is not None and title.capture_id is not None  # linked to its evidence capture
    links = {(link.domain, link.kind, link.strength) for link in related(case.store, "sister-a.unmask.test")}
    assert ("sister-b.unmask.test", "certificate", "strong") in links
    assert ("sister-b.unmask.test", "ip", "medium") in links


def test_a_dns_only_scan_says_nothing_about_what_data_services_answered(case: Case, dns: DnsServer) -> None:
    """RDAP is not asked in a --dns-only scan, so the hoster it gave stays as it was (it used to run there
    without asking anything and leave an empty hoster: a change that never happened)."""
    from tests.helpers.json_server import JsonServer, Reply

    network = {"objectClassName": "ip network", "handle": "NET-1", "name": "INVENTED-NET"}
    network["entities"] = [
        {"roles": ["registrant"], "vcardArray": ["vcard", [["fn", {}, "text", "Invented Hosting B.V."]]]}
    ]
    dns.zone("hosted.test", ["@ A 127.0.0.90"])
    dns.start()
    domain = {"objectClassName": "domain", "ldhName": "hosted.test"}
    routes = {
        "/rdap/ip/127.0.0.90": Reply(200, network, content_type="application/rdap+json"),
        "/rdap/domain/hosted.test": Reply(200, domain, content_type="application/rdap+json"),
    }
    case.config.fetch.delay = 0.0
    case.config.fetch.retries = 0
    with JsonServer(routes) as rdap:
        case.config.infra.sources = {"rdap": {"base_url": rdap.url("/rdap")}, "ct": {"url": rdap.url("/ct")}}
        full = scan(case, ["hosted.test"], ScanOptions(resolver=dns.resolver))
        asked = len(rdap.requests)
        scan(case, ["hosted.test"], dns_only(dns))
        assert len(rdap.requests) == asked  # nothing asked
    assert ("rdap.hoster", "Invented Hosting B.V.") in {
        (o.kind, o.value) for o in full.domains[0].observations
    }
    assert changes(case.store, "hosted.test") == []
