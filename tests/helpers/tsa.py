"""A real RFC 3161 timestamp authority on loopback for tests: `openssl ts -reply` behind an HTTP handler.

    with LocalTsa(tmp_path / "tsa", key="ec") as tsa:
        url, root = tsa.url, tsa.root   # POST a TimeStampReq to url; root is the PEM to trust

The PKI (a root CA and a TSA certificate with the critical timeStamping EKU) is made with `cryptography`
for an EC P-256 or an RSA key. The OpenSSL TSA configuration has no ``certs =`` line: with one, OpenSSL
writes the SET OF certificates unsorted and rfc3161-client refuses the reply.

Misbehaviours for the "one TSA failing is a result" tests (``mode``):
  ok      a valid token over what was asked
  html    200 with an HTML page
  slow    waits ``delay`` seconds before answering
  other   a valid token over another hash (the request's imprint changed, its nonce kept)
  error   HTTP 500
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.helpers.json_server import JsonServer, Reply, Request

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey

_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _new_key(kind: str) -> PrivateKey:
    if kind == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise ValueError(f"key kind {kind!r}: ec or rsa")


def _name(common: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "unmask tests (invented)"),
        ]
    )


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    """Digital signature plus the usages named."""
    names = ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign")
    flags = {
        name: allowed.get(name, False) for name in (*names, "crl_sign", "encipher_only", "decipher_only")
    }
    return x509.KeyUsage(digital_signature=True, **flags)


def make_pki(folder: Path, *, kind: str = "ec", name: str = "Test TSA") -> tuple[Path, Path, Path]:
    """Root CA and TSA certificate in FOLDER: (root.pem, tsa.pem, tsa.key)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    root_key = _new_key(kind)
    root_name = _name(f"{name} Root CA")
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    tsa_key = _new_key(kind)
    tsa = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(root_name)
        .public_key(tsa_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(_key_usage(content_commitment=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(tsa_key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    root_pem, tsa_pem, key_pem = folder / "root.pem", folder / "tsa.pem", folder / "tsa.key"
    root_pem.write_bytes(root.public_bytes(serialization.Encoding.PEM))
    tsa_pem.write_bytes(tsa.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        tsa_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return root_pem, tsa_pem, key_pem


def _der_children(der: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """(tag, content start, content end) of each DER element between START and END."""
    out = []
    i = start
    while i < end:
        tag = der[i]
        length = der[i + 1]
        j = i + 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(der[j : j + count], "big")
            j += count
        out.append((tag, j, j + length))
        i = j + length
    return out


def change_imprint(query: bytes) -> bytes:
    """The same TimeStampReq (nonce and all) asking for another hash: every imprint byte inverted."""
    (_, body_start, body_end), *_ = _der_children(query, 0, len(query))
    _, imprint_start, imprint_end = _der_children(query, body_start, body_end)[1]
    _, digest_start, digest_end = _der_children(query, imprint_start, imprint_end)[1]
    changed = bytearray(query)
    for i in range(digest_start, digest_end):
        changed[i] ^= 0xFF
    return bytes(changed)


class LocalTsa:
    """An RFC 3161 TSA at ``url`` (POST /tsa), its root certificate at ``root``."""

    def __init__(
        self, folder: Path, *, kind: str = "ec", mode: str = "ok", delay: float = 0.0, name: str = "Test TSA"
    ) -> None:
        self.folder = folder
        self.mode = mode
        self.delay = delay
        self.root, self.cert, self.key = make_pki(folder, kind=kind, name=name)
        (folder / "serial").write_text("01\n")
        self.config = folder / "tsa.cnf"
        self.config.write_text(_CONFIG.format(dir=folder))
        self.replies = 0
        self._lock = threading.Lock()
        self.server = JsonServer({"/tsa": self._answer})

    @property
    def url(self) -> str:
        return self.server.url("/tsa")

    def reply_to(self, query: bytes) -> bytes:
        """What `openssl ts -reply` answers to a TimeStampReq."""
        with self._lock, tempfile.TemporaryDirectory(dir=self.folder) as work:
            tsq, tsr = Path(work) / "q.tsq", Path(work) / "r.tsr"
            tsq.write_bytes(query)
            subprocess.run(
                [
                    "openssl",
                    "ts",
                    "-reply",
                    "-config",
                    str(self.config),
                    "-queryfile",
                    str(tsq),
                    "-out",
                    str(tsr),
                ],
                check=True,
                capture_output=True,
                timeout=30,
            )
            self.replies += 1
            return tsr.read_bytes()

    def _answer(self, request: Request) -> Reply:
        if request.method != "POST":
            return Reply(405, "POST a TimeStampReq")
        if self.mode == "html":
            return Reply(
                200, "<!doctype html><title>Maintenance</title><p>Back soon.", content_type="text/html"
            )
        if self.mode == "error":
            return Reply(500, "internal error")
        query = change_imprint(request.body) if self.mode == "other" else request.body
        delay = self.delay if self.mode == "slow" else 0.0
        return Reply(200, self.reply_to(query), content_type="application/timestamp-reply", delay=delay)

    def __enter__(self) -> LocalTsa:
        self.server.__enter__()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.server.__exit__(exc_type, exc, tb)
