"""Debian's nginx on loopback addresses, with self-signed certificates made at test time.

One nginx process (``daemon off``, ``master_process off``) runs from a temporary folder with every
path (pid, logs, temp files) inside it. Server blocks listen on addresses of one random
``127.A.B.0/24`` block (all of 127.0.0.0/8 is loopback on Linux, binding needs no set-up), so tests
and helpers running in parallel do not collide. As root the ports are 443 and 80 (what a scan
contacts); otherwise two free high ports. The same ports are used on every address.

The process dies with the test process (``PR_SET_PDEATHSIG``), and ``stop()`` runs at exit too, so no
nginx outlives the session. ``restart()`` rewrites the configuration and starts nginx again on the
same ports (certificates or server blocks changed between scans); static files can be rewritten
in place with ``write_file`` at any time.

    with NginxServer(tmp_path) as web:
        cert = web.add_certificate("site", "site.unmask.test", ["site.unmask.test"])
        web.add_vhost(VHost(("site.unmask.test",), (web.address(10),), cert="site",
                            files={"/index.html": b"<title>t</title>"}))
        web.start()
        web.url("site.unmask.test")  # https://site.unmask.test:PORT/ (resolve it to web.address(10))

``standard_lab(dir)`` builds and starts the scene the infra tests share (see ``Lab``), and
``LabContext`` is a ScanContext over it (a static zone, the case's real Fetcher, real TLS handshakes)
for tests of single sources.
"""

from __future__ import annotations

import atexit
import ctypes
import datetime as dt
import hashlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from tests.helpers.ports import PortTaken, address_in_use, kernel_port, on_a_free_port
from unmask.core.fetch import Fetcher, FetchError, FetchResponse
from unmask.infra.base import Failure, Observation, ScanOptions, Source
from unmask.infra.connect import TlsError, tls_certificate

NGINX = "/usr/sbin/nginx"
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

# linking IDs the pages carry (invented)
GA4_ID = "G-TEST12345"
UA_ID = "UA-1234567-1"
ADSENSE_ID = "ca-pub-1234567890123456"
FAVICON = b"\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00" + bytes(range(256)) * 4


# -- certificates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCert:
    name: str
    cert_path: Path
    key_path: Path
    der: bytes
    certificate: x509.Certificate
    private_key: PrivateKey

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()


def make_certificate(
    common_name: str,
    sans: Sequence[str] = (),
    *,
    ip_sans: Sequence[str] = (),
    key_type: Literal["rsa", "ec"] = "rsa",
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    issuer: tuple[x509.Certificate, PrivateKey] | None = None,
    ca: bool = False,
    organization: str | None = None,
) -> tuple[x509.Certificate, PrivateKey]:
    """A certificate and its key: self-signed unless ``issuer`` (certificate, key) is given."""
    key: PrivateKey = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if key_type == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    subject = x509.Name(attrs)
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[0].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - dt.timedelta(days=1))
        .not_valid_after(not_after or now + dt.timedelta(days=90))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    names: list[x509.GeneralName] = [x509.DNSName(n) for n in sans]
    names += [x509.IPAddress(ip_address(a)) for a in ip_sans]
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signer = issuer[1] if issuer else key
    return builder.sign(signer, hashes.SHA256()), key


def make_broken_san_certificate(common_name: str) -> tuple[x509.Certificate, PrivateKey]:
    """A self-signed certificate whose subjectAltName extension holds garbage (OpenSSL serves it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    garbage = x509.UnrecognizedExtension(ExtensionOID.SUBJECT_ALTERNATIVE_NAME, b"\x30\x05garbage")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(garbage, critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


# -- server blocks --------------------------------------------------------------------------------


@dataclass
class VHost:
    """One server block: names, the addresses it listens on, its certificate and its pages."""

    names: tuple[str, ...]
    addresses: tuple[str, ...]
    cert: str | None = None
    """Name of a certificate added with ``add_certificate``; None serves plain HTTP only."""
    files: dict[str, bytes] = field(default_factory=dict)
    """Static files by URL path; ``/index.html`` answers ``/``."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers (``add_header … always``)."""
    echo: bool = False
    """``/echo`` answers ``host=… sni=… addr=…`` (what the server saw)."""
    extra: str = ""
    """Raw nginx directives added to the server block."""

    @property
    def key(self) -> str:
        return f"{self.names[0]}@{'+'.join(self.addresses)}"


def _can_bind(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET) as s:
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def _die_with_parent() -> None:  # runs in the child before exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class NginxServer:
    """A throw-away nginx on a loopback block; see the module docstring."""

    def __init__(
        self,
        workdir: Path,
        *,
        block: str | None = None,
        https_port: int | None = None,
        http_port: int | None = None,
        standard_ports: bool = True,
    ) -> None:
        """``https_port``/``http_port``: fixed ports; else 443 and 80 when ``standard_ports`` and the
        process may bind them, else ports the kernel chooses (another if nginx finds one taken)."""
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.block = block or f"127.{random.randint(16, 250)}.{random.randint(0, 255)}"
        self._https_port = https_port
        self._http_port = http_port
        self._standard_ports = standard_ports
        self.certs: dict[str, TestCert] = {}
        self.vhosts: list[VHost] = []
        self._process: subprocess.Popen[bytes] | None = None
        self.https_port = 0
        self.http_port = 0
        self.status_port = 0
        self.generation = 0
        atexit.register(self.stop)

    # -- set-up ---------------------------------------------------------------------------------

    def address(self, n: int) -> str:
        """Address number ``n`` (1–254) of this server's loopback block."""
        return f"{self.block}.{n}"

    def add_certificate(
        self,
        name: str,
        common_name: str,
        sans: Sequence[str] = (),
        *,
        chain_pem: bytes = b"",
        **kwargs: object,
    ) -> TestCert:
        """Make a certificate (see ``make_certificate``) and write it for nginx; ``chain_pem`` is appended
        after the leaf in the certificate file (an intermediate, or garbage)."""
        cert, key = make_certificate(common_name, sans, **kwargs)  # type: ignore[arg-type]
        return self.install_certificate(name, cert, key, chain_pem=chain_pem)

    def install_certificate(
        self, name: str, cert: x509.Certificate, key: PrivateKey, *, chain_pem: bytes = b""
    ) -> TestCert:
        folder = self.workdir / "certs"
        folder.mkdir(exist_ok=True)
        cert_path = folder / f"{name}.pem"
        key_path = folder / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + chain_pem)
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        der = cert.public_bytes(serialization.Encoding.DER)
        tc = TestCert(name, cert_path, key_path, der, cert, key)
        self.certs[name] = tc
        return tc

    def add_vhost(self, vhost: VHost) -> VHost:
        self.vhosts.append(vhost)
        self._write_files(vhost)
        return vhost

    def root(self, vhost: VHost) -> Path:
        return self.workdir / "www" / vhost.key

    def write_file(self, vhost: VHost, path: str, body: bytes) -> None:
        """Replace or add a static file; nginx serves it from the next request (no restart)."""
        vhost.files[path] = body
        target = self.root(vhost) / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(target)

    def _write_files(self, vhost: VHost) -> None:
        self.root(vhost).mkdir(parents=True, exist_ok=True)
        for path, body in vhost.files.items():
            self.write_file(vhost, path, body)

    def url(self, host: str, path: str = "/", *, scheme: str = "https") -> str:
        port = self.https_port if scheme == "https" else self.http_port
        default = 443 if scheme == "https" else 80
        netloc = host if port == default else f"{host}:{port}"
        return f"{scheme}://{netloc}{path}"

    # -- configuration --------------------------------------------------------------------------

    def _server_block(self, v: VHost) -> str:
        listens = [f"listen {a}:{self.http_port};" for a in v.addresses]
        lines = []
        if v.cert is not None:
            cert = self.certs[v.cert]
            listens += [f"listen {a}:{self.https_port} ssl;" for a in v.addresses]
            lines += [
                f"ssl_certificate {cert.cert_path};",
                f"ssl_certificate_key {cert.key_path};",
                "ssl_protocols TLSv1.2 TLSv1.3;",
            ]
        lines += [f"server_name {' '.join(v.names)};", f"root {self.root(v)};", "index index.html;"]
        lines += [f'add_header {k} "{val}" always;' for k, val in v.headers.items()]
        lines += [
            "location = /favicon.ico { default_type image/x-icon; }",
            "location /photo { default_type image/jpeg; }",
        ]
        if v.echo:
            lines.append(
                "location = /echo { default_type text/plain; "
                'return 200 "host=$host sni=$ssl_server_name addr=$server_addr\\n"; }'
            )
        if v.extra:
            lines.append(v.extra)
        body = "\n        ".join(listens + lines)
        return f"    server {{\n        {body}\n    }}\n"

    def _config(self) -> str:
        tmp = self.workdir / "tmp"
        tmp.mkdir(exist_ok=True)
        user = "user root;\n" if os.geteuid() == 0 else ""
        blocks = "".join(self._server_block(v) for v in self.vhosts)
        return f"""{user}daemon off;
master_process off;
worker_processes 1;
pid {self.workdir}/nginx.pid;
error_log {self.workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type text/html;
    access_log {self.workdir}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    keepalive_timeout 5;
    server {{
        listen 127.0.0.1:{self.status_port};
        location = /generation {{ return 200 "{self.generation}"; }}
    }}
{blocks}}}
"""

    def _choose_ports(self) -> None:
        addresses = tuple(sorted({a for v in self.vhosts for a in v.addresses}) or [self.address(1)])
        standard = self._standard_ports and os.geteuid() == 0
        if not self.https_port:
            https = self._https_port or (443 if standard and all(_can_bind(a, 443) for a in addresses) else 0)
            self.https_port = https or kernel_port(addresses)
        if not self.http_port:
            http = self._http_port or (80 if standard and all(_can_bind(a, 80) for a in addresses) else 0)
            self.http_port = http or kernel_port(addresses)
        if not self.status_port:
            self.status_port = kernel_port()

    def _forget_chosen_ports(self) -> None:
        """After nginx found a port taken: the ports not fixed by the caller are chosen again."""
        if not self._https_port:
            self.https_port = 0
        if not self._http_port:
            self.http_port = 0
        self.status_port = 0

    def check_config(self) -> str | None:
        """nginx's own verdict on the current configuration (None when it is valid)."""
        self._choose_ports()
        conf = self.workdir / "nginx-test.conf"
        conf.write_text(self._config())
        done = subprocess.run(
            [NGINX, "-t", "-q", "-p", str(self.workdir), "-c", str(conf)],
            capture_output=True,
            text=True,
            check=False,
        )
        return None if done.returncode == 0 else (done.stderr.strip() or "invalid")

    # -- process --------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        if self._process is not None:
            raise RuntimeError("nginx is already running")
        on_a_free_port(lambda: self._start(timeout))

    def _start(self, timeout: float) -> None:
        self._choose_ports()
        self.generation += 1
        conf = self.workdir / "nginx.conf"
        conf.write_text(self._config())
        log = (self.workdir / "stderr.log").open("ab")
        self._process = subprocess.Popen(
            [NGINX, "-p", str(self.workdir), "-c", str(conf)],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # only prctl, before exec
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                errors = self._errors()
                if address_in_use(errors):  # another process took a port between choice and bind
                    self._forget_chosen_ports()
                    self._truncate_logs()
                    raise PortTaken(errors)
                raise RuntimeError(f"nginx did not start: {errors}")
            if self._generation_served():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"nginx did not answer within {timeout}s: {self._errors()}")

    def _truncate_logs(self) -> None:
        for name in ("stderr.log", "error.log"):
            (self.workdir / name).unlink(missing_ok=True)

    def _generation_served(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.status_port), timeout=0.5) as s:
                s.sendall(b"GET /generation HTTP/1.0\r\nHost: status\r\n\r\n")
                data = b""
                while chunk := s.recv(4096):
                    data += chunk
        except OSError:
            return False
        return data.endswith(str(self.generation).encode())

    def _errors(self) -> str:
        texts = []
        for name in ("stderr.log", "error.log"):
            path = self.workdir / name
            if path.exists():
                texts.append(path.read_text(errors="replace").strip()[-2000:])
        return " | ".join(t for t in texts if t) or "no message"

    def restart(self) -> None:
        """Apply changed certificates or server blocks: stop, rewrite the configuration, start."""
        self.stop()
        self.start()

    def stop(self) -> None:
        proc, self._process = self._process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def __enter__(self) -> NginxServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
        atexit.unregister(self.stop)


# -- the standard lab -----------------------------------------------------------------------------


def page(title: str, body: str, *, ids: bool = True) -> bytes:
    """An HTML page; with ``ids`` it carries the invented linking IDs."""
    scripts = (
        f'<script async src="https://www.googletagmanager.com/gtag/js?id={GA4_ID}"></script>\n'
        f"<script>gtag('config', '{GA4_ID}'); ga('create', '{UA_ID}', 'auto');</script>\n"
        f'<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js'
        f'?client={ADSENSE_ID}"></script>\n'
        if ids
        else ""
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>\n{scripts}</head>"
        f"<body><h1>{title}</h1><p>{body}</p></body></html>\n"
    ).encode()


SITE_HTML = page(
    "Fakeclips - invented test platform",
    "Welcome to the invented test platform. Latest uploads, popular categories, "
    "top uploaders and the newest additions to the catalogue, refreshed every hour. " * 3,
)
DECOY_HTML = page(
    "Welcome to nginx!", "If you see this page, the web server is successfully installed.", ids=False
)


@dataclass
class Lab:
    """The standard scene the infra tests share (names under ``.unmask.test``, all invented).

    * ``front`` (.10): ``site.unmask.test`` behind a fake masking service (``Server: cloudflare``,
      ``CF-RAY``), certificate ``site``;
    * ``origin`` (.20): the same site, same certificate and same HTML, no masking headers;
    * ``decoy`` (.30): ``site.unmask.test`` answered by another server (default page, own certificate);
    * ``sister`` (.40): ``sister-a`` and ``sister-b`` sharing certificate ``shared``; ``expired``
      (expired certificate), ``ec`` (ECDSA certificate signed by a test CA), ``garbage`` (a
      certificate file whose leaf is followed by non-PEM text and an unrelated root — see
      ``garbage_chain``), ``badext`` (a certificate whose subjectAltName extension is garbage);
    * every address answers ``/echo`` for the names above; the front also has ``/photo`` (served as
      image/jpeg), ``/hop-same`` (redirect to ``/echo``) and ``/hop-away`` (redirect to the decoy's
      address).
    """

    web: NginxServer
    front: str
    origin: str
    decoy: str
    sister: str
    garbage_chain: bool

    def cert(self, name: str) -> TestCert:
        return self.web.certs[name]


def standard_lab(workdir: Path) -> Lab:
    """Build and start the standard scene (the caller stops ``lab.web``)."""
    web = NginxServer(workdir)
    front, origin, decoy, sister = (web.address(n) for n in (10, 20, 30, 40))
    ca_cert, ca_key = make_certificate("Unmask Test CA", ca=True, organization="Unmask Tests")
    web.add_certificate(
        "site", "site.unmask.test", ["site.unmask.test", "www.site.unmask.test", "cdn.site.unmask.test"]
    )
    web.add_certificate("decoy", "decoy.unmask.test", ["decoy.unmask.test"])
    web.add_certificate(
        "shared", "sister-a.unmask.test", ["sister-a.unmask.test", "sister-b.unmask.test"], ip_sans=[sister]
    )
    now = dt.datetime.now(dt.UTC)
    web.add_certificate(
        "expired",
        "expired.unmask.test",
        ["expired.unmask.test"],
        not_before=now - dt.timedelta(days=400),
        not_after=now - dt.timedelta(days=35),
    )
    web.add_certificate(
        "ec",
        "ec.unmask.test",
        ["ec.unmask.test"],
        key_type="ec",
        issuer=(ca_cert, ca_key),
        chain_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
    )
    # after the leaf: text that is no PEM, then a certificate that has nothing to do with the leaf
    stray, _ = make_certificate("Stray Unrelated Root", ca=True)
    garbage = b"garbage, not a certificate \x01\x02\n" + stray.public_bytes(serialization.Encoding.PEM)
    web.add_certificate("garbage", "garbage.unmask.test", ["garbage.unmask.test"], chain_pem=garbage)
    masking = {"Server": "cloudflare", "CF-RAY": "8a1b2c3d4e5f6789-AMS"}
    web.add_vhost(
        VHost(
            ("site.unmask.test", "www.site.unmask.test"),
            (front,),
            cert="site",
            files={"/index.html": SITE_HTML, "/favicon.ico": FAVICON, "/photo": b"\xff\xd8\xff" + bytes(500)},
            headers=masking,
            echo=True,
            extra=(
                "location = /hop-same { return 302 /echo; }\n"
                f"location = /hop-away {{ return 302 $scheme://{decoy}:$server_port/echo; }}"
            ),
        )
    )
    web.add_vhost(
        VHost(
            ("site.unmask.test", "www.site.unmask.test"),
            (origin,),
            cert="site",
            files={"/index.html": SITE_HTML, "/favicon.ico": FAVICON},
            echo=True,
        )
    )
    web.add_vhost(
        VHost(("site.unmask.test", "_"), (decoy,), cert="decoy", files={"/index.html": DECOY_HTML}, echo=True)
    )
    for name in ("sister-a", "sister-b"):
        web.add_vhost(
            VHost(
                (f"{name}.unmask.test",),
                (sister,),
                cert="shared",
                files={"/index.html": page(f"{name} - invented sister site", "More clips.")},
                echo=True,
            )
        )
    web.add_vhost(
        VHost(("expired.unmask.test",), (sister,), cert="expired", files={"/index.html": page("x", "y")})
    )
    web.add_vhost(VHost(("ec.unmask.test",), (sister,), cert="ec", files={"/index.html": page("ec", "y")}))
    garbage_vhost = VHost(
        ("garbage.unmask.test",), (sister,), cert="garbage", files={"/index.html": page("g", "y")}
    )
    web.add_vhost(garbage_vhost)
    web.install_certificate("badext", *make_broken_san_certificate("badext.unmask.test"))
    web.add_vhost(
        VHost(("badext.unmask.test",), (sister,), cert="badext", files={"/index.html": page("b", "y")})
    )
    garbage_chain = web.check_config() is None
    if not garbage_chain:  # nginx refuses a certificate file with a garbage block: leave that name out
        web.vhosts.remove(garbage_vhost)
    web.start()
    return Lab(web, front, origin, decoy, sister, garbage_chain)


# -- a scan context over the lab --------------------------------------------------------------------


@dataclass
class ZoneAnswer:
    records: list[str]
    error: str | None = None


class LabContext:
    """A ScanContext (unmask.infra.base) for source tests: names answer from ``zone`` (what a scan's
    resolver would say), HTTP goes through the case's real Fetcher and TLS through unmask.infra.connect,
    both pinned to the zone's addresses like a scan's."""

    def __init__(
        self,
        domain: str,
        fetcher: Fetcher,
        zone: dict[tuple[str, str], list[str]],
        *,
        options: ScanOptions | None = None,
        timeout: float = 5.0,
    ) -> None:
        self.domain = domain
        self.fetcher = fetcher
        self.zone = {(name.lower(), rdtype.upper()): records for (name, rdtype), records in zone.items()}
        self.options = options or ScanOptions(active=True)
        self.timeout = timeout
        self.observations: list[Observation] = []
        self.failures: list[Failure] = []
        self.tls_calls: list[tuple[str, int, str]] = []

    @property
    def data_fetcher(self) -> Fetcher | None:
        return self.fetcher

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        found = (o.value for o in self.observations if o.kind == kind and subject in (None, o.subject))
        return list(dict.fromkeys(found))

    async def resolve(self, name: str, rdtype: str) -> ZoneAnswer:
        name = name.lower().rstrip(".")
        records = self.zone.get((name, rdtype.upper()))
        if records is not None:
            return ZoneAnswer(list(records))
        known = any(n == name for n, _ in self.zone)
        return ZoneAnswer([], None if known else "NXDOMAIN")

    async def _address(self, host: str) -> str:
        for rdtype in ("A", "AAAA"):
            answer = await self.resolve(host, rdtype)
            if answer.records:
                return answer.records[0]
        raise TlsError(f"tls: no address for {host}")

    async def fetch(self, url: str, *, favicon: bool = False, address: str | None = None) -> FetchResponse:
        host = urlsplit(url).hostname or ""
        if address is None:
            try:
                address = await self._address(host)
            except TlsError:
                raise FetchError("dns", url, f"no address for {host}") from None
        return await self.fetcher.get(url, favicon=favicon, follow_redirects=False, connect_to=address)

    async def tls_certificate(self, host: str, port: int = 443, *, address: str | None = None) -> bytes:
        pin = address or await self._address(host)
        self.tls_calls.append((host, port, pin))
        return await tls_certificate(host, port, pin, self.timeout)

    async def run(self, source: Source) -> list[Observation | Failure]:
        """Run one source, keep what it yields (as a scan would) and return it."""
        items: list[Observation | Failure] = []
        async for item in source.run(self):
            items.append(item)
            if isinstance(item, Failure):
                self.failures.append(item)
            else:
                self.observations.append(item)
        return items
