"""Tiny proxies on loopback for proxy tests: a SOCKS5 relay and an HTTP forward proxy stand-in."""

from __future__ import annotations

import select
import socket
import socketserver
import struct
import threading
from typing import Any


class _Socks5Handler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        conn: socket.socket = self.request
        server: Socks5Server = self.server  # type: ignore[assignment]
        _ver, nmethods = conn.recv(2)
        conn.recv(nmethods)
        conn.sendall(b"\x05\x00")  # no authentication
        _ver, _cmd, _rsv, atyp = conn.recv(4)
        if atyp == 1:
            host = socket.inet_ntoa(conn.recv(4))
        elif atyp == 3:
            host = conn.recv(conn.recv(1)[0]).decode()
        else:
            conn.close()
            return
        (port,) = struct.unpack("!H", conn.recv(2))
        with server.lock:
            server.connects.append((host, port))
        upstream = socket.create_connection((host, port))
        conn.sendall(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack("!H", port))
        sockets = [conn, upstream]
        while True:
            readable, _, _ = select.select(sockets, [], [], 5)
            if not readable:
                break
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    upstream.close()
                    return
                (upstream if sock is conn else conn).sendall(data)


class Socks5Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Socks5Handler)
        self.connects: list[tuple[str, int]] = []
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> Socks5Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.shutdown()
        self.server_close()

    @property
    def url(self) -> str:
        return f"socks5://127.0.0.1:{self.server_address[1]}"
