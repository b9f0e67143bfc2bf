"""Domain and host names, normalised one way for every stage.

Census, audience imports, web-archive history, infrastructure scans and the entity graph all key data
by a site's name; they must give the same site the same key. Three forms, each from one function:

* :func:`domain_name` — a name as queried and stored by infrastructure scans: lower case, no trailing
  dot, IDNA (A-labels, UTS 46) with its Unicode form beside it; raises :class:`BadDomain`.
* :func:`normalize_host` — the same normalisation as a total function (None instead of an error), for
  host names read from platform data (certificate SANs, CT logs, passive DNS, links).
* :func:`site_key` — the key of a *site* in user data (audience exports, lists): a URL or a name,
  ``www.`` dropped: ``https://www.Example.com/x`` → ``example.com``.

:func:`registered_domain` gives the name a registrant controls (``a.b.example.co.uk`` → ``example.co.uk``)
from the Public Suffix List that ``tldextract`` ships: read offline, never downloaded.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import idna

from unmask.core.errors import UnmaskError

MAX_NAME = 253
HOSTNAME_CHARS = re.compile(r"[a-z0-9_*-]+(?:\.[a-z0-9_-]+)*")
"""ASCII labels DNS carries though IDNA 2008 rejects them (underscores, a leading ``*``)."""
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


class BadDomain(UnmaskError):
    """A domain name that cannot be queried (empty, too long, invalid characters)."""


@dataclass(frozen=True, slots=True)
class DomainName:
    ascii: str
    """What is queried and stored as the domain key (punycode for an IDN)."""
    unicode: str


def _strip_url(text: str) -> str:
    """The host part of ``text`` when it is a URL (scheme, user info, port and path dropped)."""
    if _SCHEME.match(text):
        text = _SCHEME.sub("", text, count=1).split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        text = text.rpartition("@")[2]
        if text.startswith("["):
            return text[1:].partition("]")[0]
        return text.rsplit(":", 1)[0] if text.count(":") == 1 else text
    return text


def domain_name(text: str) -> DomainName:
    """Normalise user input: lower case, no trailing dot, Unicode accepted (queried as punycode)."""
    raw = _strip_url(text.strip()).strip().rstrip(".").lower()
    if not raw:
        raise BadDomain(f"not a domain name: {text!r}")
    try:
        ascii_name = idna.encode(raw, uts46=True).decode("ascii")
        uni = idna.decode(ascii_name)
    except idna.IDNAError as exc:
        if not HOSTNAME_CHARS.fullmatch(raw):
            raise BadDomain(f"not a domain name: {text!r} ({exc})") from exc
        ascii_name = uni = raw
    if len(ascii_name) > MAX_NAME or any(not 0 < len(label) <= 63 for label in ascii_name.split(".")):
        raise BadDomain(f"not a domain name: {text!r} (label or name too long, or empty label)")
    return DomainName(ascii_name, uni)


def normalize_host(value: str, *, wildcard: bool = False) -> str | None:
    """A host name's key (lower case, no trailing dot, A-labels), or None when it is not one.

    IP literals are returned in their canonical text (``[::1]`` → ``::1``). With ``wildcard``, leading
    ``*.`` labels are dropped first (certificate and CT names)."""
    text = value.strip() if isinstance(value, str) else ""
    if wildcard:
        while text.startswith("*."):
            text = text[2:]
    try:
        return str(ipaddress.ip_address(text.strip("[]")))
    except ValueError:
        pass
    try:
        return domain_name(text).ascii
    except BadDomain:
        return None


def site_key(value: str) -> str | None:
    """The key of a site given by URL or name: its host, normalised, ``www.`` dropped."""
    host = normalize_host(_strip_url(value.strip()))
    if host is None or "." not in host:
        return None
    return host.removeprefix("www.")


def is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        return False
    return True


@cache
def _extractor() -> Any:
    import tldextract

    # the snapshot tldextract ships; no download, no cache written
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False)


def registered_domain(value: str) -> str | None:
    """The registrable domain of a host (``a.b.example.co.uk`` → ``example.co.uk``).

    A name under a suffix the list does not know (``.test``, ``.internal``) keeps its last two labels;
    an IP address or a single label has none (None)."""
    host = normalize_host(value)
    if host is None or is_ip(host) or "." not in host:
        return None
    result = _extractor()(host)
    if result.suffix and result.domain:
        return f"{result.domain}.{result.suffix}"
    return ".".join(host.split(".")[-2:])
