"""The infrastructure pages: a domain's failed look-ups (stored by the scan as results) are listed per
source with time, source and error (escaped), and counted in the domain's summary and the domain list."""

from __future__ import annotations

from tests.web.conftest import ClientFactory
from unmask.core.case import Case
from unmask.core.store.models import utcnow
from unmask.infra.base import Failure, Observation
from unmask.infra.storage import DomainResult, close_scan, open_scan, store_results

HOSTILE = '<script>alert("x")</script>\u202e'


def _scan(case: Case, result: DomainResult) -> int:
    scan_id = open_scan(case.store, [result.domain], {"kind": "scan"})
    store_results(case.store, scan_id, [result])
    close_scan(case.store, scan_id, "complete")
    return scan_id


def test_a_domains_failed_lookups_are_listed_per_source_counted_and_escaped(
    case: Case, client_for: ClientFactory
) -> None:
    first = DomainResult(
        "alpha.test",
        "alpha.test",
        [Observation("dns.a", "127.0.0.70", "alpha.test", "dns")],
        [Failure("rdap", "alpha.test", "http 503"), Failure("dns", "www.alpha.test", "SERVFAIL")],
        ["dns", "rdap"],
        utcnow(),
    )
    _scan(case, first)
    second = DomainResult(
        "alpha.test", "alpha.test", [], [Failure("rdap", "127.0.0.70", f"tls: {HOSTILE}")], ["rdap"], utcnow()
    )
    _scan(case, second)
    client = client_for(case.root)
    page = client.get("/c/case/infra/alpha.test").text
    assert "3 failed look-ups" in page and "rdap 2, dns 1" in page  # counted, per source
    assert "SERVFAIL" in page and "http 503" in page and "www.alpha.test" in page
    assert page.index("tls: ") < page.index("http 503")  # newest first
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page and "\u202e" not in page
    listing = client.get("/c/case/infra").text
    assert "3 failed look-ups" in listing


def test_a_domain_without_failures_says_so(case: Case, client_for: ClientFactory) -> None:
    _scan(case, DomainResult("beta.test", "beta.test", [], [], ["dns"], utcnow()))
    page = client_for(case.root).get("/c/case/infra/beta.test").text
    assert "No look-up failed." in page and "0 failed look-ups" in page
