"""A real authoritative DNS server (Debian's Knot DNS) on a loopback port, zones rewritten between scans.

Knot serves every record type a scan asks for (A, AAAA, CNAME, NS, MX, TXT, SOA, CAA), answers
REFUSED for names outside its zones, NXDOMAIN for missing names in them, and SERVFAIL for a zone
whose file does not load (``broken``) — the failures dnsmasq cannot produce. Large TXT records go
over TCP as usual (truncated UDP answer, then TCP on the same port).

    with DnsServer(tmp_path) as dns:
        dns.zone("site.test", ["@ A 127.0.0.5", "@ NS ns1.site.test.", "www CNAME site.test."])
        dns.broken("servfail.test")
        dns.start()
        dns.resolver  # "127.0.0.1:PORT" for --resolver
        dns.zone("site.test", ["@ A 127.0.0.6"]); dns.reload()   # an IP hop, a real DNS answer

A ``Blackhole`` is a UDP/TCP port that reads queries and never answers (timeouts).
"""

from __future__ import annotations

import atexit
import ctypes
import random
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import dns.exception
import dns.message
import dns.query
import pytest

from tests.helpers.ports import PortTaken, address_in_use, kernel_port, on_a_free_port

KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"


def require_knot() -> None:
    if not Path(KNOTD).exists():
        pytest.skip("knotd not installed (scripts/test-services.sh installs Debian's knot)")


def _die_with_parent() -> None:  # runs in the child before exec
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class DnsServer:
    """A throw-away knotd; see the module docstring."""

    def __init__(self, workdir: Path, *, default_ttl: int = 60) -> None:
        self.dir = workdir / f"knot-{random.randint(0, 1 << 30):x}"
        self.dir.mkdir(parents=True)
        self.port = 0
        """Chosen by the kernel at the first start; kept across restarts (the resolver address tests use)."""
        self.ttl = default_ttl
        self._zones: dict[str, list[str] | None] = {}
        self._serial = int(time.time()) % 1_000_000_000
        self._proc: subprocess.Popen[bytes] | None = None
        atexit.register(self.stop)

    @property
    def resolver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def zone(self, name: str, records: Iterable[str], *, soa: bool = True, ns: bool = True) -> None:
        """Set a zone's records (zone-file lines relative to the zone; SOA and NS added unless given)."""
        lines = list(records)
        if soa and not any(" SOA " in f" {line} " for line in lines):
            lines.insert(0, f"@ SOA ns1.{name}. hostmaster.{name}. SERIAL 3600 600 86400 60")
        if ns and not any(line.split()[1:2] == ["NS"] for line in lines if len(line.split()) > 1):
            lines.insert(1, f"@ NS ns1.{name}.")
        self._zones[name.rstrip(".").lower()] = lines

    def broken(self, name: str) -> None:
        """A configured zone whose file does not load: every name in it answers SERVFAIL."""
        self._zones[name.rstrip(".").lower()] = None

    def remove(self, name: str) -> None:
        self._zones.pop(name.rstrip(".").lower(), None)

    def _write(self) -> None:
        self._serial += 1
        for name, lines in self._zones.items():
            path = self.dir / f"{name}.zone"
            if lines is None:
                path.write_text("this is not a zone file\n")
                continue
            body = "\n".join(line.replace("SERIAL", str(self._serial)) for line in lines)
            path.write_text(f"$ORIGIN {name}.\n$TTL {self.ttl}\n{body}\n")
        zones = "\n".join(f"  - domain: {name}" for name in self._zones)
        (self.dir / "knot.conf").write_text(
            f"""server:
    listen: 127.0.0.1@{self.port}
    rundir: {self.dir}
    udp-workers: 2
    tcp-workers: 2
    background-workers: 1
database:
    storage: {self.dir}
log:
  - target: stderr
    any: error
template:
  - id: default
    storage: {self.dir}
    file: "%s.zone"
    semantic-checks: off
    zonefile-load: whole
    zonefile-sync: -1
    journal-content: none
zone:
{zones if zones else "  []"}
"""
        )

    def start(self, timeout: float = 20.0) -> None:
        require_knot()
        if self.port:
            self._start(timeout)
            return

        def first_start() -> None:
            self.port = kernel_port(udp=True)
            try:
                self._start(timeout)
            except PortTaken:
                self.port = 0
                raise

        on_a_free_port(first_start)

    def _start(self, timeout: float) -> None:
        self._write()
        log = self.dir / "knotd.log"
        self._proc = subprocess.Popen(
            [KNOTD, "-c", str(self.dir / "knot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=log.open("wb"),
            preexec_fn=_die_with_parent,
        )
        try:
            self._wait(timeout)
        except RuntimeError:
            if address_in_use(log.read_text(errors="replace")):
                raise PortTaken(f"127.0.0.1:{self.port}") from None
            raise

    def _wait(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        probe = next((n for n, lines in self._zones.items() if lines is not None), None)
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise RuntimeError(f"knotd exited: {(self.dir / 'knotd.log').read_text()[-2000:]}")
            try:
                query = dns.message.make_query(probe or "probe.invalid", "SOA")
                answer = dns.query.udp(query, "127.0.0.1", timeout=0.3, port=self.port)
            except (OSError, dns.exception.Timeout):
                time.sleep(0.05)
                continue
            if probe is None or (answer.answer and str(answer.answer[0][0].serial) == str(self._serial)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"knotd not serving the new zones: {(self.dir / 'knotd.log').read_text()[-2000:]}")

    def reload(self) -> None:
        """Rewrite the zones and serve them (a restart on the same port: simple and certain)."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def __enter__(self) -> DnsServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class Blackhole:
    """A loopback UDP port that swallows every query: a resolver that times out."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    @property
    def resolver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _drain(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                self.sock.recv(4096)
            except OSError:
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


__all__ = ["Blackhole", "DnsServer", "require_knot"]
