"""URL helpers: canonical form, same-site test, media detection.

Everything here is total: a URL that cannot be parsed is returned (or judged) as it is, never raised on.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from unmask.core.fetch.policy import MEDIA_EXTENSIONS

__all__ = ["MEDIA_EXTENSIONS", "absolute", "canonicalize", "is_http", "is_media", "same_site"]

MAX_URL_CHARS = 4096
"""Longer "URLs" are not followed (and are not worth canonicalizing)."""

TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        "ref",
        "ref_src",
        "ref_url",
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "igshid",
        "si",
        "spm",
        "from",
        "source",
    }
)
"""Query parameters (compared case-insensitively) that only say where a visitor came from."""

TRACKING_PREFIXES: tuple[str, ...] = ("utm_",)

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}


def is_http(url: str) -> bool:
    """True for an absolute http(s) URL with a host."""
    if not url or len(url) > MAX_URL_CHARS:
        return False
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in DEFAULT_PORTS and bool(parts.hostname)


def _is_tracking(name: str) -> bool:
    lowered = unquote(name).lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    """Drop tracking and empty parameters, sort the rest by name (stable), keep their encoding."""
    params = [part for part in query.split("&") if part and part != "="]
    kept = [part for part in params if not _is_tracking(part.partition("=")[0])]
    kept.sort(key=lambda part: part.partition("=")[0])
    return "&".join(kept)


def _netloc(scheme: str, netloc: str, host: str, port: int | None) -> str:
    userinfo, at, _ = netloc.rpartition("@")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    host = host.rstrip(".")
    if port is not None and port != DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{userinfo}{at}{host}"


@lru_cache(maxsize=32_768)
def canonicalize(url: str) -> str:
    """The canonical form used as a record's identity.

    Lower-case scheme and host, no default port, no fragment, no tracking parameters, remaining
    parameters sorted by name, unsafe characters percent-encoded (IDN hosts in punycode), dot
    segments resolved, empty path as ``/``. The path keeps its case. A URL that cannot be parsed
    comes back stripped but otherwise unchanged.
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_CHARS:
        return url
    try:
        parts = urlsplit(safe_url_string(url))
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port
    except (ValueError, UnicodeError):
        return url
    if not scheme or not host:
        return url
    path = parts.path or "/"
    if "/." in path:
        trailing = path.endswith(("/", "/.", "/.."))
        path = posixpath.normpath(path).replace("//", "/")
        path = path + "/" if trailing and not path.endswith("/") else path
    return urlunsplit(
        (scheme, _netloc(scheme, parts.netloc, host, port), path, _clean_query(parts.query), "")
    )


@lru_cache(maxsize=32_768)
def absolute(href: str, base: str) -> str | None:
    """``href`` resolved against ``base`` and canonicalized; None unless it is an http(s) URL."""
    href = href.strip()
    if not href or len(href) > MAX_URL_CHARS:
        return None
    try:
        joined = urljoin(base, href)
    except ValueError:
        return None
    url = canonicalize(joined)
    return url if is_http(url) else None


def host_of(url: str) -> str | None:
    """Lower-case host name without a trailing dot, or None."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def same_site(url: str, base: str) -> bool:
    """True when ``url`` is on ``base``'s host or one of its subdomains.

    A leading ``www.`` of the base is ignored, so ``www.example.com`` and ``cdn.example.com`` are
    the same site as ``example.com``; a parent or sibling domain is not.
    """
    host, base_host = host_of(url), host_of(base)
    if not host or not base_host:
        return False
    base_host = base_host.removeprefix("www.")
    return host == base_host or host.endswith("." + base_host)


def extension(url: str) -> str:
    """The lower-case extension of the URL path's last segment ("" if none)."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return ""
    last = unquote(path.rsplit("/", 1)[-1])
    _, dot, ext = last.rpartition(".")
    return ext.lower() if dot else ""


def is_media(url: str) -> bool:
    """True when the URL's extension names an image, video, audio or streaming file."""
    return extension(url) in MEDIA_EXTENSIONS


def path_and_query(url: str) -> str:
    """``/path?query`` of a URL (used for pattern matching and as a generic platform id)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a canonical URL."""
    try:
        parts = urlsplit(canonicalize(url))
    except ValueError:
        return url
    return f"{parts.scheme}://{parts.netloc}"
