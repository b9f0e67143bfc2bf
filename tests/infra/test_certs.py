"""The live-certificate source and the certificate parser, against nginx's self-signed certificates."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from tests.helpers.nginx_server import Lab, LabContext, make_broken_san_certificate
from tests.helpers.scopes import lab_scope
from unmask.core.case import Case
from unmask.core.fetch import Fetcher
from unmask.infra.base import Failure, Observation
from unmask.infra.certs import CertificateError, CertificateOptions, LiveCertificate, parse_certificate


def scan(
    lab: Lab, case: Case, domain: str, addresses: list[str], **options: int
) -> tuple[list[Observation], list[Failure]]:
    """Run the source for ``domain`` with the scan's own DNS answers already observed."""

    async def go() -> tuple[list[Observation], list[Failure]]:
        async with Fetcher.for_case(case, purpose="test", scope=lab_scope()) as fetcher:
            ctx = LabContext(domain, fetcher, {(domain, "A"): addresses})
            for a in addresses:
                ctx.observations.append(Observation("dns.a", a, domain, "dns"))
            chosen = CertificateOptions(**{"https_port": lab.web.https_port, **options})
            items = await ctx.run(LiveCertificate(chosen))
        return (
            [i for i in items if isinstance(i, Observation)],
            [i for i in items if isinstance(i, Failure)],
        )

    return asyncio.run(go())


def of_kind(observations: list[Observation], kind: str) -> list[Observation]:
    return [o for o in observations if o.kind == kind]


# -- the parser -----------------------------------------------------------------------------------


def test_parse_a_self_signed_rsa_certificate(lab: Lab) -> None:
    tc = lab.cert("site")
    info = parse_certificate(tc.der)
    assert info.sha256 == tc.sha256
    assert int(info.serial, 16) == tc.certificate.serial_number and len(info.serial) % 2 == 0
    assert info.subject == info.issuer == "CN=site.unmask.test"
    assert info.subject_cn == info.issuer_cn == "site.unmask.test"
    assert info.dns_names == ["site.unmask.test", "www.site.unmask.test", "cdn.site.unmask.test"]
    assert info.self_signed and info.key_type == "RSA" and info.key_size == 2048
    assert info.signature_hash == "sha256" and info.version == "v3" and info.problems == []
    assert info.not_before < dt.datetime.now(dt.UTC) < info.not_after and not info.expired()
    assert info.covers("WWW.site.unmask.test.") and not info.covers("other.unmask.test")


def test_parse_an_ec_certificate_issued_by_a_ca(lab: Lab) -> None:
    info = parse_certificate(lab.cert("ec").der)
    assert not info.self_signed
    assert info.issuer == "CN=Unmask Test CA,O=Unmask Tests" and info.issuer_org == "Unmask Tests"
    assert (info.key_type, info.key_size, info.key_curve) == ("EC", 256, "secp256r1")


def test_parse_expired_ip_sans_and_pem(lab: Lab) -> None:
    assert parse_certificate(lab.cert("expired").der).expired()
    shared = parse_certificate(lab.cert("shared").certificate.public_bytes(Encoding.PEM))
    assert shared.sha256 == lab.cert("shared").sha256  # PEM is read, the fingerprint is of the DER
    assert shared.dns_names == ["sister-a.unmask.test", "sister-b.unmask.test"]
    assert shared.ip_addresses == [lab.sister]
    assert shared.to_json()["not_after"].endswith("+00:00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty certificate"),
        (b"garbage, not a certificate", "malformed certificate"),
        (b"\x30\x82\x01\x00" + b"\x00" * 40, "malformed certificate"),
        (
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
            "malformed certificate",
        ),
    ],
)
def test_garbage_is_a_short_error(data: bytes, message: str) -> None:
    with pytest.raises(CertificateError, match=f"^{message}$"):
        parse_certificate(data)


def test_truncated_der_is_malformed(lab: Lab) -> None:
    with pytest.raises(CertificateError):
        parse_certificate(lab.cert("site").der[:300])


def test_an_unreadable_extension_keeps_the_other_fields() -> None:
    cert, _key = make_broken_san_certificate("badext.unmask.test")
    info = parse_certificate(cert.public_bytes(Encoding.DER))
    assert info.problems == ["extensions"] and info.dns_names == []
    assert info.subject_cn == "badext.unmask.test" and info.names == ["badext.unmask.test"]


# -- the source -----------------------------------------------------------------------------------


def test_live_certificate_of_a_site_on_two_addresses(lab: Lab, case: Case) -> None:
    obs, failures = scan(lab, case, "site.unmask.test", [lab.front, lab.origin])
    assert failures == []
    (fp,) = of_kind(obs, "cert.sha256")
    assert fp.value == lab.cert("site").sha256 and fp.subject == "site.unmask.test"
    assert fp.detail is not None
    assert fp.detail["addresses"] == [lab.front, lab.origin] and fp.detail["matches_name"] is True
    assert fp.detail["self_signed"] is True and fp.detail["expired"] is False
    assert fp.detail["issuer"] == "CN=site.unmask.test"
    assert [o.value for o in of_kind(obs, "cert.san")] == [
        "site.unmask.test",
        "www.site.unmask.test",
        "cdn.site.unmask.test",
    ]
    assert [o.value for o in of_kind(obs, "cert.issuer")] == ["CN=site.unmask.test"]
    assert [o.value for o in of_kind(obs, "cert.serial")] == [parse_certificate(lab.cert("site").der).serial]
    assert all(o.source == "certificate" for o in obs)


def test_sister_sites_share_one_fingerprint(lab: Lab, sqlite_case: Case) -> None:
    a, _ = scan(lab, sqlite_case, "sister-a.unmask.test", [lab.sister])
    b, _ = scan(lab, sqlite_case, "sister-b.unmask.test", [lab.sister])
    assert (
        of_kind(a, "cert.sha256")[0].value == of_kind(b, "cert.sha256")[0].value == lab.cert("shared").sha256
    )
    assert lab.sister in [o.value for o in of_kind(b, "cert.san")]


def test_two_addresses_with_different_certificates(lab: Lab, sqlite_case: Case) -> None:
    obs, _ = scan(lab, sqlite_case, "site.unmask.test", [lab.front, lab.decoy])
    fps = {o.value: o.detail for o in of_kind(obs, "cert.sha256")}
    assert set(fps) == {lab.cert("site").sha256, lab.cert("decoy").sha256}
    decoy = fps[lab.cert("decoy").sha256]
    assert decoy is not None and decoy["matches_name"] is False and decoy["addresses"] == [lab.decoy]


def test_expired_and_broken_certificates_are_observations(lab: Lab, sqlite_case: Case) -> None:
    expired, _ = scan(lab, sqlite_case, "expired.unmask.test", [lab.sister])
    detail = of_kind(expired, "cert.sha256")[0].detail
    assert detail is not None and detail["expired"] is True
    broken, failures = scan(lab, sqlite_case, "badext.unmask.test", [lab.sister])
    assert failures == []
    detail = of_kind(broken, "cert.sha256")[0].detail
    assert detail is not None and detail["problems"] == ["extensions"]
    assert of_kind(broken, "cert.san") == []


def test_a_closed_port_is_a_failure(lab: Lab, sqlite_case: Case) -> None:
    obs, failures = scan(lab, sqlite_case, "site.unmask.test", [lab.front], https_port=1)
    assert obs == []
    assert failures == [Failure("certificate", "site.unmask.test", "tls: connection refused")]


def test_a_plain_http_port_is_a_failure(lab: Lab, sqlite_case: Case) -> None:
    _, failures = scan(lab, sqlite_case, "site.unmask.test", [lab.front], https_port=lab.web.http_port)
    assert [f.error.split(" (")[0] for f in failures] == ["tls: handshake failed"]


class GarbageContext(LabContext):
    """A server that sends bytes which are no certificate (no TLS library serves that: fed here)."""

    async def tls_certificate(self, host: str, port: int = 443, *, address: str | None = None) -> bytes:
        return b"\x30\x03garbage"


def test_a_malformed_certificate_is_a_failure(lab: Lab, sqlite_case: Case) -> None:
    async def go() -> list[Observation | Failure]:
        async with Fetcher.for_case(sqlite_case, purpose="test", scope=lab_scope()) as fetcher:
            ctx = GarbageContext("site.unmask.test", fetcher, {})
            return await ctx.run(LiveCertificate())

    assert asyncio.run(go()) == [
        Failure("certificate", "site.unmask.test", "certificate: malformed certificate")
    ]


def test_without_dns_answers_the_context_resolves(lab: Lab, sqlite_case: Case) -> None:
    async def go() -> tuple[list[Observation | Failure], list[tuple[str, int, str]]]:
        async with Fetcher.for_case(sqlite_case, purpose="test", scope=lab_scope()) as fetcher:
            ctx = LabContext("site.unmask.test", fetcher, {("site.unmask.test", "A"): [lab.origin]})
            items = await ctx.run(LiveCertificate(CertificateOptions(https_port=lab.web.https_port)))
            return items, ctx.tls_calls

    items, calls = asyncio.run(go())
    assert calls == [("site.unmask.test", lab.web.https_port, lab.origin)]
    assert any(isinstance(i, Observation) and i.value == lab.cert("site").sha256 for i in items)
