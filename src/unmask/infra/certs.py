"""The live TLS certificate of a site, and a pure parser of DER certificates shared with the report.

``parse_certificate`` never trusts its input: garbage raises :class:`CertificateError` with a short
message, and a certificate whose extensions or key cannot be read still gives its other fields
(the unreadable parts are listed in ``problems``).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from unmask.infra.base import Failure, LookupFailed, Observation, ScanContext, Source, option

SOURCE = "certificate"


class CertificateError(ValueError):
    """Bytes that are not a readable X.509 certificate; ``str(exc)`` is short and stable."""


@dataclass(frozen=True)
class CertificateInfo:
    """The fields of one certificate an investigation compares and shows."""

    sha256: str
    """SHA-256 of the DER bytes, lowercase hex (what crt.sh and Censys call the fingerprint)."""
    serial: str
    """Serial number, lowercase hex of even length."""
    subject: str
    issuer: str
    """RFC 4514 strings, e.g. ``CN=R3,O=Let's Encrypt,C=US``."""
    subject_cn: str | None
    issuer_cn: str | None
    issuer_org: str | None
    not_before: dt.datetime
    not_after: dt.datetime
    """Timezone-aware UTC."""
    dns_names: list[str] = field(default_factory=list)
    ip_addresses: list[str] = field(default_factory=list)
    self_signed: bool = False
    """Subject equals issuer and the signature verifies with the certificate's own key."""
    key_type: str | None = None
    """``RSA``, ``EC``, ``Ed25519``, ``Ed448``, ``DSA`` (None when the key cannot be read)."""
    key_size: int | None = None
    key_curve: str | None = None
    signature_hash: str | None = None
    """The signature's hash algorithm (``sha256`` …)."""
    version: str | None = None
    problems: list[str] = field(default_factory=list)
    """Parts that could not be read (``extensions``, ``public key`` …)."""

    @property
    def names(self) -> list[str]:
        """Every hostname the certificate names: SAN DNS names, else the subject CN."""
        if self.dns_names:
            return list(self.dns_names)
        return [self.subject_cn] if self.subject_cn and "." in self.subject_cn else []

    def expired(self, at: dt.datetime | None = None) -> bool:
        return (at or dt.datetime.now(dt.UTC)) > self.not_after

    def covers(self, host: str) -> bool:
        """Whether ``host`` matches one of the certificate's names (one ``*.`` label wildcard)."""
        host = host.lower().rstrip(".")
        for name in self.names:
            name = name.lower().rstrip(".")
            if name == host:
                return True
            if name.startswith("*.") and host.partition(".")[2] == name[2:]:
                return True
        return False

    def to_json(self) -> dict[str, Any]:
        """JSON-able fields (datetimes as ISO-8601)."""
        data = asdict(self)
        data["not_before"] = self.not_before.isoformat()
        data["not_after"] = self.not_after.isoformat()
        return data


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str | None:
    try:
        values = name.get_attributes_for_oid(oid)
    except ValueError:
        return None
    if not values:
        return None
    value = values[0].value
    return value if isinstance(value, str) else value.decode("utf-8", errors="replace")


def _rfc4514(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "<unreadable name>"


def _key(cert: x509.Certificate) -> tuple[str | None, int | None, str | None]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, None
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.key_size, key.curve.name
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256, None
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456, None
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size, None
    return type(key).__name__, None, None


def _self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True


def _serial_hex(serial: int) -> str:
    text = f"{serial:x}"
    return text if len(text) % 2 == 0 else "0" + text


def parse_certificate(der: bytes) -> CertificateInfo:
    """Read a DER certificate (PEM is accepted too); raises :class:`CertificateError` for garbage."""
    if not der:
        raise CertificateError("empty certificate")
    try:
        if der.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(der)
            der = cert.public_bytes(Encoding.DER)
        else:
            cert = x509.load_der_x509_certificate(der)
        not_before = cert.not_valid_before_utc
        not_after = cert.not_valid_after_utc
        serial = _serial_hex(cert.serial_number)
    except ValueError:
        raise CertificateError("malformed certificate") from None
    problems: list[str] = []
    dns_names: list[str] = []
    ips: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = [n for n in san.get_values_for_type(x509.DNSName) if n]
        ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        pass
    except (ValueError, TypeError):
        problems.append("extensions")
    try:
        key_type, key_size, curve = _key(cert)
    except (ValueError, UnsupportedAlgorithm):
        key_type = key_size = curve = None
        problems.append("public key")
    try:
        hash_algorithm = cert.signature_hash_algorithm
        sig = hash_algorithm.name if hash_algorithm is not None else None
    except (ValueError, UnsupportedAlgorithm):
        sig = None
    try:
        version: str | None = cert.version.name
    except x509.InvalidVersion:
        version = None
        problems.append("version")
    return CertificateInfo(
        sha256=hashlib.sha256(der).hexdigest(),
        serial=serial,
        subject=_rfc4514(cert.subject),
        issuer=_rfc4514(cert.issuer),
        subject_cn=_attr(cert.subject, NameOID.COMMON_NAME),
        issuer_cn=_attr(cert.issuer, NameOID.COMMON_NAME),
        issuer_org=_attr(cert.issuer, NameOID.ORGANIZATION_NAME),
        not_before=not_before,
        not_after=not_after,
        dns_names=list(dict.fromkeys(dns_names)),
        ip_addresses=list(dict.fromkeys(ips)),
        self_signed=_self_signed(cert),
        key_type=key_type,
        key_size=key_size,
        key_curve=curve,
        signature_hash=sig,
        version=version,
        problems=problems,
    )


def certificate_observations(
    info: CertificateInfo, subject: str, *, source: str = SOURCE, extra: dict[str, Any] | None = None
) -> list[Observation]:
    """The observations one certificate gives about ``subject``: fingerprint, issuer, serial, SANs."""
    detail = {**info.to_json(), "expired": info.expired(), **(extra or {})}
    out = [
        Observation("cert.sha256", info.sha256, subject, source, detail=detail),
        Observation("cert.issuer", info.issuer, subject, source, detail={"sha256": info.sha256}),
        Observation("cert.serial", info.serial, subject, source, detail={"sha256": info.sha256}),
    ]
    for name in info.dns_names:
        out.append(Observation("cert.san", name.lower(), subject, source, detail={"sha256": info.sha256}))
    for ip in info.ip_addresses:
        out.append(Observation("cert.san", ip, subject, source, detail={"sha256": info.sha256, "type": "ip"}))
    return out


@dataclass(frozen=True)
class CertificateOptions:
    https_port: int = option(443, "TCP port of the TLS handshake", minimum=1, maximum=65535)
    max_addresses: int = option(
        4, "addresses of the domain asked for their certificate (A, then AAAA answers)", minimum=1
    )


class LiveCertificate(Source[CertificateOptions]):
    """The certificate each of the domain's addresses presents for the domain's name (SNI).

    Each address is a separate handshake; the same certificate on several addresses is one observation
    listing them.
    """

    name = SOURCE
    after = ("dns",)
    connects = True

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        port = self.options.https_port
        domain = ctx.domain
        found = [*ctx.values("dns.a", domain), *ctx.values("dns.aaaa", domain)]
        addresses: list[str | None] = list(found[: self.options.max_addresses]) or [None]
        seen: dict[str, tuple[CertificateInfo, list[str]]] = {}
        for address in addresses:
            info = await self.ask(domain, functools.partial(presented, ctx, domain, port, address))
            if isinstance(info, Failure):
                yield info
                continue
            where = seen.setdefault(info.sha256, (info, []))[1]
            if address:
                where.append(address)
        for info, where in seen.values():
            extra = {"addresses": where, "port": port, "matches_name": info.covers(domain)}
            for obs in certificate_observations(info, domain, extra=extra):
                yield obs


async def presented(ctx: ScanContext, host: str, port: int, address: str | None) -> CertificateInfo:
    """The certificate ``address`` (default: the scan's answer for ``host``) presents for SNI ``host``;
    raises LookupFailed (``tls: …``, ``certificate: …``)."""
    der = await ctx.tls_certificate(host, port, address=address)
    try:
        return parse_certificate(der)
    except CertificateError as exc:
        raise LookupFailed(f"certificate: {exc}") from exc
