"""TLS handshakes against Debian's nginx on loopback: the certificate served for an SNI at an address."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509

from tests.helpers.nginx_server import Lab
from tests.helpers.ports import listening_socket, port_of, refused_port
from tests.helpers.proxies import Socks5Server
from unmask.infra.connect import TlsError, server_name, tls_certificate, tls_handshake


def sha(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


@pytest.mark.parametrize(
    ("host", "where", "cert"),
    [
        ("site.unmask.test", "front", "site"),
        ("site.unmask.test", "origin", "site"),
        ("site.unmask.test", "decoy", "decoy"),
        ("sister-a.unmask.test", "sister", "shared"),
        ("sister-b.unmask.test", "sister", "shared"),
        ("expired.unmask.test", "sister", "expired"),
        ("ec.unmask.test", "sister", "ec"),
        ("unknown.unmask.test", "sister", "shared"),  # no such name: the address's default server
    ],
)
@pytest.mark.slow
def test_the_sni_picks_the_certificate(lab: Lab, host: str, where: str, cert: str) -> None:
    der = asyncio.run(tls_certificate(host, lab.web.https_port, getattr(lab, where), 5))
    assert sha(der) == lab.cert(cert).sha256
    assert x509.load_der_x509_certificate(der).serial_number == lab.cert(cert).certificate.serial_number


def test_the_presented_chain_when_python_can_tell(lab: Lab) -> None:
    hs = asyncio.run(tls_handshake("ec.unmask.test", lab.web.https_port, lab.sister, 5))
    assert hs.chain[0] == hs.leaf and hs.server_name == "ec.unmask.test" and hs.version
    if len(hs.chain) > 1:  # Python 3.11/3.12 expose it privately, 3.13 publicly
        issuer = x509.load_der_x509_certificate(hs.chain[1])
        assert issuer.subject == lab.cert("ec").certificate.issuer


def test_a_garbage_chain_still_gives_the_leaf(lab: Lab) -> None:
    if not lab.garbage_chain:
        pytest.skip("this nginx refuses certificate files with garbage")
    hs = asyncio.run(tls_handshake("garbage.unmask.test", lab.web.https_port, lab.sister, 5))
    assert sha(hs.leaf) == lab.cert("garbage").sha256


def test_failures_have_short_stable_messages(lab: Lab) -> None:
    listener = listening_socket()  # the kernel accepts; nobody ever answers the ClientHello
    silent_port = port_of(listener)

    async def error(host: str, port: int, address: str, timeout: float = 3) -> str:
        with pytest.raises(TlsError) as info:
            await tls_certificate(host, port, address, timeout)
        return str(info.value)

    async def go() -> list[str]:
        return [
            await error("x.unmask.test", closed_port, "127.0.0.1"),
            await error("x.unmask.test", lab.web.http_port, lab.front),
            await error("x.unmask.test", silent_port, "127.0.0.1", 0.5),
            await error("x.unmask.test", 443, "x.unmask.test"),
            await error("bad..name", lab.web.https_port, lab.front),
        ]

    try:
        with refused_port() as closed_port:
            messages = asyncio.run(go())
    finally:
        listener.close()
    assert messages[0] == "tls: connection refused"
    assert messages[1].startswith("tls: handshake failed (")
    assert messages[2] == "tls: timeout"
    assert messages[3] == "tls: not an IP address"
    assert messages[4] == "tls: bad host name"


def test_server_names() -> None:
    assert server_name("Site.Unmask.test.") == "site.unmask.test"
    assert server_name("bücher.test") == "xn--bcher-kva.test"
    assert server_name("127.0.0.1") is None and server_name("[::1]") is None


def test_handshake_through_a_socks5_proxy(lab: Lab) -> None:
    with Socks5Server() as socks:
        der = asyncio.run(
            tls_certificate("sister-b.unmask.test", lab.web.https_port, lab.sister, 5, proxy=socks.url)
        )
        assert socks.connects == [(lab.sister, lab.web.https_port)]
    assert sha(der) == lab.cert("shared").sha256


def test_restart_serves_a_new_certificate(tmp_path: Path) -> None:
    from tests.helpers.nginx_server import NginxServer, VHost

    with NginxServer(tmp_path) as web:
        first = web.add_certificate("one", "a.unmask.test", ["a.unmask.test"])
        web.add_vhost(VHost(("a.unmask.test",), (web.address(7),), cert="one"))
        web.start()
        seen = asyncio.run(tls_certificate("a.unmask.test", web.https_port, web.address(7), 5))
        assert sha(seen) == first.sha256
        second = web.add_certificate("one", "a.unmask.test", ["a.unmask.test", "b.unmask.test"])
        web.restart()
        seen = asyncio.run(tls_certificate("a.unmask.test", web.https_port, web.address(7), 5))
        assert sha(seen) == second.sha256 != first.sha256


def _gone(pid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.slow
def test_no_nginx_outlives_its_test_process(tmp_path: Path) -> None:
    """Even a test process killed with SIGKILL takes its nginx with it (PR_SET_PDEATHSIG)."""
    script = (
        "import sys, time; from pathlib import Path\n"
        "from tests.helpers.nginx_server import NginxServer, VHost\n"
        "web = NginxServer(Path(sys.argv[1]))\n"
        "web.add_certificate('c', 'a.unmask.test', ['a.unmask.test'])\n"
        "web.add_vhost(VHost(('a.unmask.test',), (web.address(3),), cert='c'))\n"
        "web.start(); print(web.pid, flush=True); time.sleep(60)\n"
    )
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, cwd=root, text=True
    )
    try:
        assert child.stdout is not None
        pid = int(child.stdout.readline())
        assert not _gone(pid, 0.2)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(5)
        assert _gone(pid, 5)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(5)
