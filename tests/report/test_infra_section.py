"""The report's Infrastructure section: timeline, changes and sister sites from stored observations."""

from __future__ import annotations

import datetime as dt
import json

from unmask.core.case import Case
from unmask.infra.tables import InfraObservation, InfraScan, InfraSnapshot, value_key
from unmask.report.html import write_report

XSS = "<script>alert(1)</script>"
T0 = dt.datetime(2026, 1, 10, 12, 0)
T1 = dt.datetime(2026, 3, 2, 12, 0)


def _obs(
    domain: str, subject: str, kind: str, value: str, first: dt.datetime, last: dt.datetime
) -> InfraObservation:
    return InfraObservation(
        domain=domain,
        subject=subject,
        kind=kind,
        value=value,
        value_key=value_key(value),
        source=kind.split(".")[0],
        origin="scan",
        first_seen=first,
        last_seen=last,
    )


def _load(case: Case) -> None:
    with case.store.session() as s:
        s.add_all(
            [
                InfraScan(id=1, started_at=T0, status="complete"),
                InfraScan(id=2, started_at=T1, status="complete"),
            ]
        )
        s.flush()
        s.add_all(
            [
                _obs("fakes.test", "fakes.test", "dns.a", "192.0.2.10", T0, T0),
                _obs("fakes.test", "fakes.test", "dns.a", "198.51.100.7", T1, T1),
                _obs("fakes.test", "198.51.100.7", "net.asn_name", "EXAMPLE-CDN", T1, T1),
                _obs("fakes.test", "fakes.test", "masking", "ExampleCDN", T1, T1),
                _obs("fakes.test", "fakes.test", "linking_id", f"ga4:G-TEST{XSS}", T0, T1),
                _obs("mirror.test", "mirror.test", "linking_id", f"ga4:G-TEST{XSS}", T1, T1),
                _obs("mirror.test", "mirror.test", "dns.a", "203.0.113.5", T1, T1),
            ]
        )
        s.add_all(
            [
                InfraSnapshot(
                    scan_id=1, domain="fakes.test", kind="ip", time=T0, values=json.dumps(["192.0.2.10"])
                ),
                InfraSnapshot(
                    scan_id=2, domain="fakes.test", kind="ip", time=T1, values=json.dumps(["198.51.100.7"])
                ),
            ]
        )
        s.commit()


def test_infrastructure_section(sqlite_case: Case) -> None:
    empty = write_report(sqlite_case, sqlite_case.root / "empty.html").read_text(encoding="utf-8")
    assert 'id="infrastructure"' not in empty  # the stage did not run: left out, and said so
    assert "Infrastructure: not included" in empty and "unmask infra scan DOMAIN" in empty

    _load(sqlite_case)
    text = write_report(sqlite_case, sqlite_case.root / "r.html").read_text(encoding="utf-8")
    section = text[text.index('id="infrastructure"') : text.index('id="methodology"')]
    assert "<h3>fakes.test</h3>" in section and "<h3>mirror.test</h3>" in section
    assert "fakes.test: infrastructure over time" in section and 'id="fig-infra-0"' in section
    assert "IP: 192.0.2.10" in section and "network: EXAMPLE-CDN (198.51.100.7)" in section
    # the IP hop between the two scans, newest first
    assert "<td>ip</td><td>192.0.2.10</td><td>198.51.100.7</td>" in section
    # sister sites through the shared linking ID, with the caveat
    assert "<td>mirror.test</td><td>linking_id</td>" in section and "false links" in section
    assert XSS not in text and "&lt;script&gt;" in section
