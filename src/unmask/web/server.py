"""Binding, the printed address, uvicorn, and a shutdown within seconds."""

from __future__ import annotations

import socket
from collections.abc import Callable

from unmask.core.errors import UnmaskError
from unmask.web.settings import ServeSettings


def bind(settings: ServeSettings) -> socket.socket:
    """The listening socket; ``settings.port`` becomes the port actually bound (``--port 0``: any free)."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((settings.host, settings.port))
    except OSError as exc:
        sock.close()
        raise UnmaskError(
            f"cannot listen there ({exc.strerror})", where=f"{settings.host}:{settings.port}"
        ) from None
    sock.listen(128)
    settings.port = int(sock.getsockname()[1])
    return sock


def serve(settings: ServeSettings, announce: Callable[[str], None]) -> None:
    """Serve until Ctrl-C (or SIGTERM); running jobs are interrupted, then killed after a grace period."""
    import uvicorn

    from unmask.web.app import create_app

    sock = bind(settings)
    app = create_app(settings)  # opens nothing yet: a bad case is named on its first page
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
    )
    server = uvicorn.Server(config)
    announce(settings.url())
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
