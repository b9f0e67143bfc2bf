"""The data of one HTTP exchange as the fetch layer sees it (shared by every client)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from unmask.core.fetch.policy import BinaryAllowance, Refusal

Headers = list[tuple[str, str]]


def find_header(headers: Headers, name: str) -> str | None:
    """The first value of a header, by case-insensitive name."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


@dataclass
class FetchRequest:
    url: str
    method: str = "GET"
    headers: Headers = field(default_factory=list)
    favicon: bool = False
    """Allow a small icon body (the one media exception): ICO, PNG or SVG from the site's own host."""
    max_bytes: int | None = None
    timeout: float | None = None
    """Seconds this attempt may take in all (headers, body); the client passes what is left of the URL's
    budget. None: ``fetch.total_timeout``."""
    chain_start: str | None = None
    """The first URL of the redirect chain this request is part of (the request's own URL when None).
    The start URL's own chain may establish the site's canonical origin (see ``scope``)."""
    connect_to: str | None = None
    """An IP address (v4 or v6) to open the connection to instead of resolving the URL's host.

    The Host header, the TLS SNI and the name the certificate is verified against stay the URL's
    host: this is how a scan reaches the address its own resolver gave, or a candidate origin."""
    binary: BinaryAllowance | None = None
    """The one binary body this request may keep (``policy.binary_allowance``: an APK the investigator
    asked for with ``--fetch-apk``), whole and under its cap, or refused whole."""


@dataclass
class Exchange:
    """One request and what came back: everything the evidence recorder writes."""

    request: FetchRequest
    requested_at: dt.datetime
    request_headers: Headers = field(default_factory=list)
    """As evidence keeps them: every name, the values of credentials replaced."""
    http_version: str = "HTTP/1.1"
    status: int | None = None
    reason: str = ""
    response_headers: Headers = field(default_factory=list)
    raw_body: bytes = b""
    """The payload as received (still content-encoded); empty when refused."""
    body: bytes = b""
    """The payload with its content coding removed (what callers read)."""
    truncated: str | None = None
    refusal: Refusal | None = None
    error: str | None = None
    elapsed_ms: float | None = None
    remote_address: str | None = None
    """The IP connected to (WARC-IP-Address): the pin, or the peer of a direct connection."""

    def header(self, name: str) -> str | None:
        return find_header(self.response_headers, name)

    @property
    def refused(self) -> str | None:
        return str(self.refusal) if self.refusal is not None else None


@dataclass
class FetchResponse:
    """A response as handed to callers: body decoded (content-encoding removed) and capped."""

    url: str
    status: int
    headers: Headers
    body: bytes
    capture_id: int | None
    http_version: str = "HTTP/1.1"
    truncated: str | None = None
    refused: str | None = None
    elapsed_ms: float | None = None
    requested_at: dt.datetime | None = None
    remote_address: str | None = None
    """The IP the response came from (None through a proxy without a pin)."""

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)

    @property
    def content_type(self) -> str:
        return self.header("content-type") or ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")
