"""A throw-away redis-server (Debian's `redis-server`, installed by scripts/test-services.sh) on a loopback
port, with nothing kept on disk: a restart loses every key, the worst case a census must survive."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers.ports import LOOPBACK, PortTaken, address_in_use, kernel_port, on_a_free_port


class RedisServer:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder = folder
        self.port = port
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self, timeout: float = 10.0) -> RedisServer:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = [binary, "--bind", LOOPBACK, "--port", str(self.port), "--save", "", "--appendonly", "no"]
        args += ["--dir", str(self.folder), "--protected-mode", "yes", "--daemonize", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read() if self.proc.stdout else ""
                if address_in_use(out):
                    raise PortTaken(str(self.port))
                raise RuntimeError(f"redis-server did not start: {out[-500:]}")
            try:
                with socket.create_connection((LOOPBACK, self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("redis-server did not answer")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # no shutdown save: what Redis held is gone
            self.proc.wait(10)
        self.proc = None

    def restart(self, down_for: float = 0.0) -> None:
        """Kill Redis (every key is lost) and start it again on the same port."""
        self.stop()
        time.sleep(down_for)
        self.start()


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    if shutil.which("redis-server") is None and not Path("/usr/bin/redis-server").exists():
        pytest.skip("no redis-server (scripts/test-services.sh installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    server = on_a_free_port(lambda: RedisServer(folder, kernel_port()).start())
    try:
        yield server
    finally:
        server.stop()
