"""Loopback ports for the tests' servers: the one port helper.

The kernel picks the port (``bind`` to port 0) and the socket that holds it goes to the server, so no
other process can take the port between the choice and the server's ``bind`` (the race of asking for a
free port, closing it, then binding it again):

* :func:`listening_socket` for a server that takes a socket: Python's own servers, asyncio, uvicorn,
  aiosmtpd (:class:`SocketController`), and a child process that inherits it (``pass_fds``; pywb);
* :func:`refused_port` for "a port where nothing listens": the port stays bound (never listening) while
  the test runs, so a connection to it is refused and nothing else can appear there;
* :func:`on_a_free_port` for the programs that can only be told a number (knotd, nginx's several
  addresses on one port, ``unmask demo serve --port``): the kernel's choice, and a new one whenever the
  server reports the port taken (:class:`PortTaken`), so the race costs a retry, never a failed test.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

LOOPBACK = "127.0.0.1"
ATTEMPTS = 8
"""How often :func:`on_a_free_port` asks for another port before giving up."""


class PortTaken(RuntimeError):
    """The server found its port taken (``EADDRINUSE``) between the choice and its own ``bind``."""


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def listening_socket(host: str = LOOPBACK, *, backlog: int = 128) -> socket.socket:
    """A TCP socket bound to a port the kernel chose on ``host``, listening: hand it to the server."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


def port_of(sock: socket.socket) -> int:
    return int(sock.getsockname()[1])


@contextlib.contextmanager
def refused_port(host: str = LOOPBACK) -> Iterator[int]:
    """A port on ``host`` where a connection is refused, for as long as the ``with`` block runs."""
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    try:
        sock.bind((host, 0))  # bound, never listening: the kernel answers RST, and keeps the port ours
        yield port_of(sock)
    finally:
        sock.close()


def kernel_port(hosts: tuple[str, ...] = (LOOPBACK,), *, udp: bool = False) -> int:
    """A port the kernel gave on ``hosts[0]`` that was free on every host (TCP, and UDP too if ``udp``)
    a moment ago: for :func:`on_a_free_port` only, where a taken port is retried."""
    with contextlib.ExitStack() as held:
        first = held.enter_context(socket.socket(_family(hosts[0]), socket.SOCK_STREAM))
        first.bind((hosts[0], 0))
        port = port_of(first)
        kinds = (socket.SOCK_STREAM, socket.SOCK_DGRAM) if udp else (socket.SOCK_STREAM,)
        for host in hosts:
            for kind in kinds:
                if host == hosts[0] and kind == socket.SOCK_STREAM:
                    continue
                other = held.enter_context(socket.socket(_family(host), kind))
                try:
                    other.bind((host, port))
                except OSError as exc:
                    raise PortTaken(f"{host}:{port}") from exc
        return port


def on_a_free_port(start: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """``start()`` (which chooses its port with :func:`kernel_port` and raises :class:`PortTaken` when
    its server finds that port taken) until it starts."""
    for _ in range(attempts - 1):
        try:
            return start()
        except PortTaken:
            continue
    return start()


def address_in_use(text: str) -> bool:
    """Whether a server's error output says its port was taken."""
    lowered = text.lower()
    return "address already in use" in lowered or "eaddrinuse" in lowered or "errno 98" in lowered


class SocketController:
    """aiosmtpd's ``Controller`` serving on a socket of :func:`listening_socket` (aiosmtpd only takes a
    port number); built on demand so that tests without aiosmtpd do not import it."""

    def __new__(cls, handler: Any, sock: socket.socket, **kwargs: Any) -> Any:
        from aiosmtpd.controller import Controller

        class _Controller(Controller):  # type: ignore[misc]
            def _create_server(self) -> Any:
                loop: asyncio.AbstractEventLoop = self.loop
                return loop.create_server(self._factory_invoker, sock=sock, ssl=self.ssl_context)

        return _Controller(handler, hostname=LOOPBACK, port=port_of(sock), **kwargs)
