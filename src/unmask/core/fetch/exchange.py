"""The data of one HTTP exchange as the fetch layer sees it (shared by every client)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

Headers = list[tuple[str, str]]


def find_header(headers: Headers, name: str) -> str | None:
    """The first value of a header, by case-insensitive name."""
    lname = name.lower()
    for key, value in headers:
        if key.lower() == lname:
            return value
    return None


@dataclass(frozen=True)
class BinaryAllowance:
    """An explicit exception to the body policy for one request: a binary the investigator asked for
    (an APK with ``--fetch-apk``). Not media: the body must start with one of ``magic``, carry one of
    ``content_types`` (or none), be sent without a content coding and be at most ``max_bytes`` long.
    It is kept whole as evidence, or refused whole (a cut binary is no evidence); never cut."""

    content_types: frozenset[str]
    """Media types accepted (lower case); an unlabelled body (none, octet-stream) is judged by its magic."""
    magic: tuple[bytes, ...]
    """The body must start with one of these."""
    max_bytes: int
    label: str = "binary"
    """What the caller expects, for refusal reasons ("apk")."""


@dataclass
class FetchRequest:
    url: str
    method: str = "GET"
    headers: Headers = field(default_factory=list)
    favicon: bool = False
    """Allow a small icon body (the one media exception)."""
    max_bytes: int | None = None
    timeout: float | None = None
    connect_to: str | None = None
    """An IP address (v4 or v6) to open the connection to instead of resolving the URL's host.

    The Host header, the TLS SNI and the name the certificate is verified against stay the URL's
    host: this is how a scan reaches the address its own resolver gave, or a candidate origin."""
    binary: BinaryAllowance | None = None
    """Read a binary body this allowance describes instead of refusing it (see ``BinaryAllowance``)."""


@dataclass
class Exchange:
    """One request and what came back: everything the evidence recorder writes."""

    request: FetchRequest
    requested_at: dt.datetime
    request_headers: Headers = field(default_factory=list)
    http_version: str = "HTTP/1.1"
    status: int | None = None
    reason: str = ""
    response_headers: Headers = field(default_factory=list)
    raw_body: bytes = b""
    """The payload as received (still content-encoded)."""
    truncated: str | None = None
    refused: str | None = None
    error: str | None = None
    elapsed_ms: float | None = None
    remote_address: str | None = None
    """The IP connected to (WARC-IP-Address): the pin, or the peer of a direct connection."""

    def header(self, name: str) -> str | None:
        return find_header(self.response_headers, name)


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
