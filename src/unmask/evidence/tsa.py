"""RFC 3161 timestamps: ask a TSA for a token over some bytes, and check a token later.

One TSA that is down, slow, answers something else than a timestamp, or signs another hash is a failed
timestamp (a result with its reason), never an error of the seal. Checking a token (`check_token`) needs
the TSAs' root certificates (`evidence.tsa_roots`): the chain is checked at the token's genTime.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from unmask.core.config import FetchSettings
from unmask.core.errors import UnmaskError
from unmask.core.fetch.outbound import OutboundError, post

MAX_REPLY_BYTES = 1024 * 1024
"""A timestamp reply is a few KB; anything longer is not one."""
QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampFailed(Exception):
    """Why a TSA gave no usable token (recorded, not raised to the user)."""


@dataclass
class Timestamp:
    """One TSA's answer for one manifest, as the seal records it."""

    tsa: str
    ok: bool
    time: str | None = None
    """The token's genTime (ISO 8601, UTC)."""
    token: str | None = None
    """The TimeStampResp (DER) file, relative to the case folder."""
    chain: str | None = None
    """The certificates the token carries (PEM), relative to the case folder."""
    nonce: str | None = None
    """The nonce asked for, in decimal (as text: it exceeds JSON's safe integers)."""
    serial: str | None = None
    policy: str | None = None
    hash_algorithm: str = "sha256"
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnmaskError(f"not an http(s) URL of a timestamp authority: {url!r}")
    return url


def library_versions() -> dict[str, str]:
    from unmask import __version__

    versions = {"unmask": __version__}
    for name in ("rfc3161-client", "cryptography", "httpx"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


@dataclass
class Granted:
    reply: bytes
    """The TimeStampResp as received (DER)."""
    time: dt.datetime
    nonce: int
    serial: int
    policy: str
    certificates: list[bytes]
    """DER certificates carried in the token."""


def _post(url: str, query: bytes, settings: FetchSettings, timeout: float) -> bytes:
    """The TSA's reply to ``query``, through the case's outbound path (its proxy and TLS settings)."""
    try:
        reply = post(url, query, QUERY_TYPE, settings, timeout=timeout, max_reply_bytes=MAX_REPLY_BYTES)
    except OutboundError as exc:
        raise TimestampFailed(str(exc)) from None
    if reply.status != 200:
        raise TimestampFailed(f"HTTP {reply.status}")
    if reply.content_type != REPLY_TYPE:
        raise TimestampFailed(f"answered {reply.content_type or 'no content type'}, not {REPLY_TYPE}")
    return reply.body


def request_timestamp(url: str, data: bytes, *, settings: FetchSettings, timeout: float) -> Granted:
    """A checked token over DATA (SHA-256 imprint, nonce, certificates asked), or TimestampFailed."""
    from rfc3161_client import HashAlgorithm, PKIStatus, TimestampRequestBuilder, decode_timestamp_response

    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    reply = _post(url, request.as_bytes(), settings, timeout)
    try:
        response = decode_timestamp_response(reply)
    except ValueError as exc:
        raise TimestampFailed(f"not an RFC 3161 reply ({exc})") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        reason = "; ".join(response.status_string) or f"status {response.status}"
        raise TimestampFailed(f"refused: {reason}")
    info = response.tst_info
    if info.message_imprint.message != hashlib.sha256(data).digest():
        raise TimestampFailed("the token is over another hash than the manifest's")
    if info.nonce != request.nonce:
        raise TimestampFailed("the token's nonce is not the one asked for")
    return Granted(
        reply=reply,
        time=info.gen_time,
        nonce=int(request.nonce or 0),
        serial=info.serial_number,
        policy=info.policy.dotted_string,
        certificates=sorted(response.signed_data.certificates),
    )


def load_roots(paths: list[Path]) -> list[Any]:
    """The trusted TSA root certificates; an unreadable file is the user's error."""
    from cryptography import x509

    roots: list[Any] = []
    for path in paths:
        try:
            roots.extend(x509.load_pem_x509_certificates(path.read_bytes()))
        except OSError as exc:
            raise UnmaskError(f"cannot read the TSA root ({exc.strerror})", where=str(path)) from exc
        except ValueError as exc:
            raise UnmaskError("not a PEM certificate file (evidence.tsa_roots)", where=str(path)) from exc
    return roots


def check_token(reply: bytes, data: bytes, nonce: int | None, roots: list[Any]) -> str | None:
    """None when the token is a valid timestamp of DATA by a TSA chaining to ROOTS; else the problem."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(reply)
    except ValueError as exc:
        return f"not an RFC 3161 timestamp reply ({exc})"
    imprint = response.tst_info.message_imprint
    algorithm = {
        "2.16.840.1.101.3.4.2.1": hashlib.sha256,
        "2.16.840.1.101.3.4.2.2": hashlib.sha384,
        "2.16.840.1.101.3.4.2.3": hashlib.sha512,
    }.get(imprint.hash_algorithm.dotted_string)
    if algorithm is None:
        return f"unsupported imprint hash {imprint.hash_algorithm.dotted_string}"
    if imprint.message != algorithm(data).digest():
        return "the token is over other data, not this manifest"
    if nonce is not None and response.tst_info.nonce != nonce:
        return "the token's nonce is not the one the seal asked for"
    if not roots:
        return "cannot check the TSA's signature: no trusted root (evidence.tsa_roots)"
    try:
        VerifierBuilder(roots=list(roots)).build().verify_message(response, data)
    except VerificationError as exc:
        return f"signature or certificate chain does not verify against evidence.tsa_roots ({exc})"
    return None
