"""Signing certificates of an APK: DER → the fields the graph and the report show, and the v3 lineage.

Under key rotation an APK carries a proof-of-rotation in its v3 signer (additional attribute
0x3ba06f8c): the chain of certificates from the first signing key to the current one. Each scheme's
certificates are kept apart (the v1/v2 signer can differ from the v3 one), and so is the lineage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import warnings
from dataclasses import dataclass

PROOF_OF_ROTATION = 0x3BA06F8C
MAX_LINEAGE = 64


@dataclass(frozen=True, slots=True)
class Certificate:
    sha256: str
    sha1: str
    subject: str
    issuer: str
    serial: str
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    public_key_sha256: str | None
    der: bytes


def _name(name: object) -> str:
    rdns = getattr(name, "rdns", [])
    return ", ".join(rdn.rfc4514_string() for rdn in reversed(rdns))


def certificate(der: bytes) -> Certificate:
    """The fields of one DER certificate (names as apksigner prints them: ``CN=…, O=…, C=…``)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    sha256 = hashlib.sha256(der).hexdigest()
    sha1 = hashlib.sha1(der).hexdigest()
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return _asn1_certificate(der, sha256, sha1)
    with warnings.catch_warnings():  # real signers write C=69005 and the like: kept as written
        warnings.simplefilter("ignore")
        subject, issuer = _name(cert.subject), _name(cert.issuer)
    try:
        spki = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        key_sha256: str | None = hashlib.sha256(spki).hexdigest()
    except (ValueError, TypeError):  # an unsupported key type: the certificate still identifies the signer
        key_sha256 = None
    return Certificate(
        sha256=sha256,
        sha1=sha1,
        subject=subject,
        issuer=issuer,
        serial=format(cert.serial_number, "x"),
        not_before=cert.not_valid_before_utc.replace(tzinfo=None),
        not_after=cert.not_valid_after_utc.replace(tzinfo=None),
        public_key_sha256=key_sha256,
        der=der,
    )


def _asn1_certificate(der: bytes, sha256: str, sha1: str) -> Certificate:
    """A certificate ``cryptography`` refuses (odd encodings old signers made), read with asn1crypto."""
    from asn1crypto import x509 as asn1_x509

    try:
        cert = asn1_x509.Certificate.load(der)
        subject = cert.subject.human_friendly
        issuer = cert.issuer.human_friendly
        serial = format(cert.serial_number, "x")
        key = hashlib.sha256(cert.public_key.dump()).hexdigest()
    except Exception:  # not a certificate at all: its hash still identifies the bytes
        subject = issuer = serial = "(unreadable certificate)"
        key = None
    return Certificate(sha256, sha1, subject, issuer, serial, None, None, key, der)


def _chunk(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(data):
        raise ValueError("length prefix outside the data")
    (size,) = struct.unpack_from("<I", data, pos)
    pos += 4
    if size > len(data) - pos:
        raise ValueError("length-prefixed value outside the data")
    return data[pos : pos + size], pos + size


def lineage(additional_attributes: bytes) -> list[bytes]:
    """The DER certificates of a v3 signer's proof-of-rotation, oldest first ([] when it has none).

    Attributes: a sequence of length-prefixed (uint32 id, value). The lineage value: uint32 version,
    then length-prefixed nodes, each a length-prefixed signed data (length-prefixed certificate, uint32
    algorithm), uint32 flags, uint32 algorithm and a length-prefixed signature."""
    pos = 0
    while pos < len(additional_attributes):
        attribute, pos = _chunk(additional_attributes, pos)
        if len(attribute) < 4:
            continue
        (attr_id,) = struct.unpack_from("<I", attribute, 0)
        if attr_id != PROOF_OF_ROTATION:
            continue
        value = attribute[4:]
        certs: list[bytes] = []
        node_pos = 4  # after the version
        while node_pos < len(value) and len(certs) < MAX_LINEAGE:
            node, node_pos = _chunk(value, node_pos)
            signed, _ = _chunk(node, 0)
            cert, _ = _chunk(signed, 0)
            certs.append(cert)
        return certs
    return []
