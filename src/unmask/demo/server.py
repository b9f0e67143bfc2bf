"""HTTP server of the synthetic demo platform: the ASGI application (unmask.demo.app), run by uvicorn on
loopback.

Two flavours serve the same ``DemoPlatform`` (see ``docs/demo-platform.md``): ``demo`` (the platform's
own HTML, read by the bundled site adapter; unmask.demo.render_demo) and ``schema`` (schema.org JSON-LD
and microdata, OpenGraph, ``rel=next``; unmask.demo.render_schema). Pages are built with plain string
formatting; every text is HTML-escaped. The server never makes a connection of its own.

Run it in a child process on a socket the parent created::

    sock = socket.create_server(("127.0.0.1", 0))
    subprocess.Popen([sys.executable, "-m", "unmask.demo.server", "--fd", str(sock.fileno()),
                      "--scale", "0.1"], pass_fds=[sock.fileno()])

(``spawn()`` does exactly that), or in a thread of the current process with ``ServerThread``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

import uvicorn

from unmask.demo.app import DemoApp, make_app
from unmask.demo.platform import DEFAULT_AS_OF, DemoPlatform
from unmask.demo.render import FLAVOURS, Flavour


def _loop_and_http() -> tuple[str, str]:
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return loop, http


def _config(app: DemoApp, fd: int, host: str, port: int) -> uvicorn.Config:
    loop, http = _loop_and_http()
    return uvicorn.Config(
        app,
        fd=fd,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop=loop,
        http=http,
        date_header=False,
        server_header=False,
    )


def listen(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening TCP socket (what a parent creates before passing its fd to ``--fd``)."""
    sock = socket.create_server((host, port), backlog=1024)
    no_delay(sock.fileno())
    return sock


def no_delay(fd: int) -> None:
    """Switch off Nagle's algorithm on a listening TCP socket (connections accepted later inherit it)."""
    with socket.socket(fileno=os.dup(fd)) as sock:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _run(server: uvicorn.Server, fd: int) -> None:
    """Run ``server`` on the listening socket ``fd``.

    The socket is handed over as a socket object of its real family: given only ``config.fd``,
    uvicorn wraps it as a Unix socket, so the event loop treats its connections as Unix streams and
    never sets ``TCP_NODELAY`` on them, and every keep-alive response written in two parts then waits
    for the client's delayed ACK (~40 ms).
    """
    with socket.socket(fileno=os.dup(fd)) as sock:
        server.run(sockets=[sock])


def url_of(sock_or_fd: socket.socket | int) -> str:
    """``http://host:port`` of a listening socket or file descriptor."""
    fd = sock_or_fd if isinstance(sock_or_fd, int) else sock_or_fd.fileno()
    with socket.socket(fileno=os.dup(fd)) as sock:
        host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(
    platform: DemoPlatform,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    fd: int | None = None,
    flavour: Flavour = "demo",
    latency_ms: float = 0.0,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``platform`` until interrupted, on the socket ``fd`` or on a new one bound to ``host:port``.

    ``ready`` is called with the server's URL once the socket listens (connections made from then on
    wait in the backlog until uvicorn accepts them).
    """
    app = make_app(platform, flavour, latency_ms)
    own = None
    if fd is None:
        own = listen(host, port)
        fd = own.fileno()
    no_delay(fd)
    try:
        server = uvicorn.Server(_config(app, fd, host, port))
        if ready is not None:
            ready(url_of(fd))
        _run(server, fd)
    finally:
        if own is not None:
            own.close()


class ServerThread:
    """The app on a loopback socket, served by uvicorn in a daemon thread of this process.

    ``with ServerThread(platform) as server: ...`` (then request ``server.url + "/robots.txt"``)
    """

    def __init__(
        self,
        platform: DemoPlatform,
        *,
        flavour: Flavour = "demo",
        latency_ms: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.app = make_app(platform, flavour, latency_ms)
        self._sock = listen(host, port)
        self.url = url_of(self._sock)
        self._server = uvicorn.Server(_config(self.app, self._sock.fileno(), host, port))
        fd = self._sock.fileno()
        self._thread = threading.Thread(target=_run, args=(self._server, fd), name="demo-server", daemon=True)

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the demo server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass
class SpawnedServer:
    """A demo server running in a child process (see ``spawn``)."""

    url: str
    process: subprocess.Popen[bytes]

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the child says it listens (it prints its URL once its platform is generated)."""
        stdout = self.process.stdout
        assert stdout is not None, "spawn() pipes the child's stdout"
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else b""
        if not line.strip():
            code = self.process.poll()
            raise RuntimeError(
                f"the demo platform server did not start (exit code {code})"
                if code is not None
                else f"the demo platform server did not answer within {timeout:.0f} s"
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> SpawnedServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def spawn(
    *,
    seed: int = 7,
    scale: float = 1.0,
    as_of: dt.date = DEFAULT_AS_OF,
    flavour: Flavour = "demo",
    latency_ms: float = 0.0,
    host: str = "127.0.0.1",
    port: int = 0,
) -> SpawnedServer:
    """Start ``python -m unmask.demo.server`` on a socket created here and passed by file descriptor."""
    sock = listen(host, port)
    try:
        url = url_of(sock)
        command = [
            sys.executable, "-m", "unmask.demo.server", "--fd", str(sock.fileno()),
            "--seed", str(seed), "--scale", repr(scale), "--as-of", as_of.isoformat(),
            "--flavour", flavour, "--latency-ms", repr(latency_ms),
        ]  # fmt: skip
        process = subprocess.Popen(
            command, pass_fds=(sock.fileno(),), stdout=subprocess.PIPE, stdin=subprocess.DEVNULL
        )
    finally:
        sock.close()
    return SpawnedServer(url, process)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m unmask.demo.server", description="Serve the synthetic demo platform on loopback."
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=DEFAULT_AS_OF, help="YYYY-MM-DD")
    parser.add_argument("--flavour", choices=FLAVOURS, default="demo")
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--host", default="127.0.0.1")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--port", type=int, default=0, help="port to bind (0: any free port)")
    where.add_argument("--fd", type=int, default=None, help="serve on this inherited listening socket")
    args = parser.parse_args(argv)
    platform = DemoPlatform(seed=args.seed, scale=args.scale, as_of=args.as_of)
    serve(
        platform,
        host=args.host,
        port=args.port,
        fd=args.fd,
        flavour=args.flavour,
        latency_ms=args.latency_ms,
        ready=lambda url: print(url, flush=True),
    )


if __name__ == "__main__":
    main()
