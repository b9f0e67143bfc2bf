"""What one `unmask serve` serves and how it is guarded."""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
"""Names a browser on this machine uses for a server bound to loopback."""
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::"})


def _own_names() -> set[str]:
    """This machine's host name (no look-up: a look-up could ask a name server). To reach the server by an
    address, bind that address (``--host 192.0.2.10``)."""
    return {socket.gethostname().lower()}


@dataclass
class ServeSettings:
    case: Path | None = None
    """One case folder, or None with ``cases``."""
    cases: Path | None = None
    """A folder whose sub-folders are cases (``--cases DIR``)."""
    host: str = "127.0.0.1"
    port: int = 8700
    token: str | None = None
    """Required on every request when set (always set when ``host`` is not loopback)."""
    real_names: bool = False
    """Depicted persons named (not pseudonyms) in this server's pages; protected persons never."""
    extra_hosts: frozenset[str] = frozenset()
    """More Host header names accepted (tests: ``testserver``)."""
    csrf_secret: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    owner_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    """Opens the owner's pages (protected persons) to the browser on this machine that presents it once
    (:meth:`owner_url`); a server off loopback has no owner's pages."""

    def __post_init__(self) -> None:
        if not self.is_loopback and not self.token:
            self.token = secrets.token_urlsafe(24)

    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Host header names (without port) this server answers: its bound name, and the loopback names
        when it is bound to loopback. A page whose DNS name was rebound to this address gets nothing."""
        names = {self.host.strip("[]").lower()} | {h.lower() for h in self.extra_hosts}
        if self.is_loopback or self.host in WILDCARD_HOSTS:
            names |= LOOPBACK_HOSTS
        if self.host in WILDCARD_HOSTS:
            names |= _own_names()
        return frozenset(names)

    def owner_url(self) -> str | None:
        """The address that makes this machine's browser the owner's session (None off loopback)."""
        if not self.is_loopback:
            return None
        return f"{self.url().split('?')[0]}owner?key={self.owner_key}"

    def url(self, port: int | None = None) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        base = f"http://{host}:{self.port if port is None else port}/"
        return f"{base}?token={self.token}" if self.token else base
