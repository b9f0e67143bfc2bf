"""The guard every request passes, before any page code runs.

- **Host**: the Host header must name this server (:attr:`ServeSettings.allowed_hosts`); a page whose DNS
  name was rebound to 127.0.0.1 is refused (DNS rebinding).
- **Token**: when the server has one (always, off loopback), every request carries it: ``?token=…`` once
  (answered with a redirect that sets an HttpOnly, SameSite=Strict cookie and drops the token from the
  address), the cookie, or ``Authorization: Bearer …``. Without it every request is refused.
- **Cross-site writes**: a POST must come from this server's own pages (Origin, when the browser sends
  one) and carry the form's CSRF token (:func:`csrf_token`, checked by :func:`check_csrf`).
- **Headers**: a strict Content-Security-Policy (scripts, styles and images only from this server; no
  inline script; no framing; forms post only here), no referrer to other sites, no sniffing, no caching.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from unmask.web.settings import ServeSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # no-referrer would make Chromium send `Origin: null` on forms
    "x-frame-options": "DENY",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
}
SAFE_METHODS = frozenset({"GET", "HEAD"})


def cookie_name(settings: ServeSettings) -> str:
    """One cookie per port: two servers on loopback keep their tokens apart."""
    return f"unmask_token_{settings.port}"


def owner_cookie_name(settings: ServeSettings) -> str:
    return f"unmask_owner_{settings.port}"


def owner_cookie(settings: ServeSettings) -> str:
    """The owner's session cookie (HttpOnly, SameSite=Strict, this server's port only)."""
    return f"{owner_cookie_name(settings)}={settings.owner_key}; HttpOnly; SameSite=Strict; Path=/"


def check_owner_key(settings: ServeSettings, given: str | None) -> bool:
    return given is not None and _same(given, settings.owner_key)


def is_owner(settings: ServeSettings, scope: Scope) -> bool:
    """Whether a request is the owner's session: a server bound to loopback, a client on this machine, and
    the owner's cookie (set by :meth:`ServeSettings.owner_url`). Off loopback, nobody is."""
    if not settings.is_loopback:
        return False
    client = scope.get("client") or ("", 0)
    if not (str(client[0]) in ("127.0.0.1", "::1") or str(client[0]).startswith("127.")):
        return False
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    return _cookie_holds(headers, owner_cookie_name(settings), settings.owner_key)


def csrf_token(settings: ServeSettings) -> str:
    """The token every form of this server carries (derived from a secret made at start)."""
    return hmac.new(settings.csrf_secret.encode(), b"csrf", hashlib.sha256).hexdigest()[:40]


def check_csrf(settings: ServeSettings, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), csrf_token(settings).encode())


def _host_name(value: str) -> str:
    """The name part of a Host header (``[::1]:8700`` → ``::1``, ``Localhost:80`` → ``localhost``)."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class Guard:
    """ASGI middleware: Host, token and Origin checked; the security headers added to every answer."""

    def __init__(self, app: ASGIApp, settings: ServeSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            await _plain(send, *refusal)
            return
        token = self.settings.token
        if token:
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            if _same(query.get("token"), token):  # first visit: the token moves to a cookie
                rest = urlencode([(k, v) for k, v in query.items() if k != "token"])
                location = scope.get("path", "/") + (f"?{rest}" if rest else "")
                cookie = f"{cookie_name(self.settings)}={token}; HttpOnly; SameSite=Strict; Path=/"
                await _plain(send, 303, "", [("location", location), ("set-cookie", cookie)])
                return
            if not has_token(self.settings, headers):
                await _plain(send, 403, "refused: this server needs its token (printed when it started)")
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.decode("latin-1").lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS.items() if k not in present]
                if "content-security-policy" not in present:
                    extra.append(("content-security-policy", CSP))
                message["headers"] = [
                    *message.get("headers", []),
                    *((k.encode(), v.encode()) for k, v in extra),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        allowed = self.settings.allowed_hosts
        if _host_name(headers.get("host", "")) not in allowed:
            return 421, "refused: this server does not answer for that host name"
        if scope.get("method", "GET") not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and (
                origin == "null" or _host_name(urlsplit(origin).netloc) not in allowed
            ):
                return 403, "refused: a write from another site"
        return None


def has_token(settings: ServeSettings, headers: Mapping[str, str]) -> bool:
    """Whether a request (its headers, names in lower case) carries the server's token: ``Authorization:
    Bearer …`` or the cookie. A server without a token admits every request. The evidence replay, on its
    own port of the same host, checks the same cookie (a browser sends a host's cookies to every port)."""
    token = settings.token
    if not token:
        return True
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and _same(auth[7:].strip(), token):
        return True
    return _cookie_holds(headers, cookie_name(settings), token)


def _cookie_holds(headers: Mapping[str, str], name: str, expected: str) -> bool:
    """Whether the request's cookie NAME holds EXPECTED (a malformed cookie header holds nothing)."""
    cookies = SimpleCookie()
    try:
        cookies.load(headers.get("cookie", ""))
    except Exception:
        return False
    morsel = cookies.get(name)
    return morsel is not None and _same(morsel.value, expected)


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


async def _plain(send: Send, status: int, text: str, headers: list[tuple[str, str]] | None = None) -> None:
    body = (text + "\n").encode() if text else b""
    head = [
        ("content-type", "text/plain; charset=utf-8"),
        ("content-length", str(len(body))),
        ("content-security-policy", CSP),
        *HEADERS.items(),
        *(headers or []),
    ]
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(k.encode(), v.encode()) for k, v in head],
        }
    )
    await send({"type": "http.response.body", "body": body})
