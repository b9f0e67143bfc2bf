"""Where the fetch layer may send a request: the investigated site and the configured data sources.

Every client gets a :class:`Scope` from its caller. A URL whose origin (scheme, host, port) is neither
the site nor a data source is refused before any connection: a redirect to another host, another port
of the same host, a subdomain, ``//other``, ``http://site@other/``, ``http://2130706433/`` or
``[::ffff:…]`` included. Origins are read with httpx's own URL parser, the one that decides where the
bytes go, so the check and the connection cannot disagree about the host.

The canonical origin: a site often answers its start URL with a redirect (``http`` → ``https``, bare
name → ``www.``). The redirect chain of the start URL itself may establish one more origin of the site,
once, when it is on the same registrable domain (or the same host) and on the default port of its
scheme or the start URL's port; it is logged and kept in :attr:`Scope.canonical`. Nothing else widens
the scope.

Addresses: the names of the site and of the data sources must resolve to public addresses. Loopback,
link-local (169.254.0.0/16, fe80::/10), private, shared, reserved and multicast addresses, and the same
embedded in IPv6 (mapped, 6to4, Teredo, NAT64), are refused unless the site or source was given as
that very address (an IP literal, or ``localhost``) or the case allows them
(``fetch.allow_private_addresses``).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import httpx

from unmask.core.domains import registered_domain
from unmask.core.fetch.policy import OFF_ORIGIN, PRIVATE_ADDRESS, SCHEME, USERINFO, Refusal

log = logging.getLogger("unmask.fetch")

DEFAULT_PORTS: dict[str, int] = {"http": 80, "https": 443}
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Role = Literal["site", "source"]
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCALHOST_ADDRESSES: tuple[IPAddress, ...] = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def _host(raw: bytes) -> str:
    host = raw.decode("ascii", errors="replace").lower().rstrip(".")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


@dataclass(frozen=True, slots=True, order=True)
class Origin:
    """Scheme, host and port: where a request goes."""

    scheme: str
    host: str
    """Lower case, IDNA A-labels, no trailing dot; an IP address in its canonical text."""
    port: int

    @classmethod
    def parse(cls, url: str) -> Origin:
        """The origin of an absolute http(s) URL; ValueError for anything else."""
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, TypeError) as exc:
            raise ValueError(f"not a URL: {exc}") from exc
        scheme = parsed.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise ValueError(f"{scheme or '(no scheme)'} is not http or https")
        if not parsed.raw_host:
            raise ValueError("no host")
        return cls(scheme, _host(parsed.raw_host), parsed.port or DEFAULT_PORTS[scheme])

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if self.port == DEFAULT_PORTS.get(self.scheme) else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


@dataclass(frozen=True, slots=True)
class SiteDomain:
    """A host name and all its subdomains, over http and https, on any port or the ones given.

    For infrastructure scans, whose subject is a domain (its ``www.``, its same-site scripts, the
    ports the scan is configured for) rather than one origin."""

    host: str
    ports: frozenset[int] | None = None

    def matches(self, origin: Origin) -> bool:
        host = self.host.lower().rstrip(".")
        on_host = origin.host == host or origin.host.endswith("." + host)
        return on_host and (self.ports is None or origin.port in self.ports)


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """The address and every IPv4 address it carries (mapped, 6to4, Teredo, NAT64)."""
    found: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            found.append(ip.sixtofour)
        if ip.teredo is not None:
            found.extend(ip.teredo)
        if ip in NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_kind(ip: IPAddress) -> str | None:
    """What makes an address special (loopback, private…), or None for an ordinary public address."""
    for one in reversed(_embedded(ip)):  # what an IPv6 address carries says most
        for kind in ("unspecified", "loopback", "link_local", "multicast", "private", "reserved"):
            if getattr(one, f"is_{kind}"):
                return kind.replace("_", "-")
        if not one.is_global:
            return "special-use"
    return None


class Scope:
    """The investigated site's origins and the data sources a client may reach; see the module doc."""

    def __init__(
        self,
        site: Iterable[Origin | SiteDomain] = (),
        sources: Iterable[Origin] = (),
        *,
        allow_private: bool = False,
        start_url: str | None = None,
    ) -> None:
        self.site_origins: set[Origin] = set()
        self.site_domains: list[SiteDomain] = []
        for entry in site:
            if isinstance(entry, SiteDomain):
                self.site_domains.append(entry)
            else:
                self.site_origins.add(entry)
        self.sources: set[Origin] = set(sources)
        self.allow_private = allow_private
        self.start_url = start_url
        self.canonical: Origin | None = None
        """The origin the start URL's redirect chain established (None: it did not redirect away)."""
        self.given_addresses: set[IPAddress] = set()
        hosts = [o.host for o in (*self.site_origins, *self.sources)] + [d.host for d in self.site_domains]
        for host in hosts:
            ip = _address(host)
            if ip is not None:
                self.given_addresses.update(_embedded(ip))
            elif host == "localhost" or host.endswith(".localhost"):
                self.given_addresses.update(LOCALHOST_ADDRESSES)

    # -- building ---------------------------------------------------------------------------------

    @classmethod
    def for_site(cls, url: str, *, sources: Iterable[str] = (), allow_private: bool = False) -> Scope:
        """The scope of a crawl: the origin of ``url`` (its start URL) and the given data sources."""
        return cls([Origin.parse(url)], _origins(sources), allow_private=allow_private, start_url=url)

    @classmethod
    def for_sources(cls, urls: Iterable[str], *, allow_private: bool = False) -> Scope:
        """A scope of data sources only (a web archive, RDAP…): no site, so no case headers or cookies."""
        return cls((), _origins(urls), allow_private=allow_private)

    # -- judging ----------------------------------------------------------------------------------

    def role(self, url: str) -> Role | None:
        """``site`` for the investigated site, ``source`` for a data source, None outside the scope."""
        try:
            origin = Origin.parse(url)
        except ValueError:
            return None
        return self._role(origin)

    def _role(self, origin: Origin) -> Role | None:
        if origin in self.site_origins or origin == self.canonical:
            return "site"
        if any(d.matches(origin) for d in self.site_domains):
            return "site"
        if origin in self.sources:
            return "source"
        return None

    def refuse(self, url: str, *, chain_start: str | None = None) -> Refusal | None:
        """Why a request to ``url`` must not be sent, or None. ``chain_start``: the first URL of the
        redirect chain ``url`` is part of (the start URL's own chain may establish the canonical origin)."""
        try:
            parsed = httpx.URL(url)
            origin = Origin.parse(url)
        except (ValueError, httpx.InvalidURL) as exc:
            return Refusal(SCHEME, f"not a URL httpx can send ({exc})"[:300])
        if parsed.userinfo:
            return Refusal(USERINFO, f"credentials in the URL ({origin})")
        if self._role(origin) is not None:
            return None
        if self._adopt(origin, chain_start):
            return None
        return Refusal(OFF_ORIGIN, f"{origin} is neither the site nor a configured data source")

    def _adopt(self, origin: Origin, chain_start: str | None) -> bool:
        if self.canonical is not None or self.start_url is None or chain_start is None:
            return False
        if not _same_url(chain_start, self.start_url):
            return False
        start = Origin.parse(self.start_url)
        if origin.port not in (DEFAULT_PORTS[origin.scheme], start.port):
            return False
        same = origin.host == start.host
        domain = registered_domain(origin.host)
        if not same and (domain is None or domain != registered_domain(start.host)):
            return False
        self.canonical = origin
        log.info("canonical origin %s (the start URL %s redirects there)", origin, self.start_url)
        return True

    def refuse_address(self, address: str, host: str) -> Refusal | None:
        """Why ``host`` must not be reached at ``address``, or None."""
        ip = _address(address)
        if ip is None:
            return Refusal(PRIVATE_ADDRESS, f"{address!r} is not an IP address")
        if self.allow_private or ip in self.given_addresses:
            return None
        kind = address_kind(ip)
        if kind is None:
            return None
        return Refusal(PRIVATE_ADDRESS, f"{host} is at {ip}, a {kind} address")


def _origins(urls: Iterable[str]) -> list[Origin]:
    out = []
    for url in urls:
        try:
            out.append(Origin.parse(url))
        except ValueError:
            continue  # not an http(s) URL: nothing to allow
    return out


def _same_url(a: str, b: str) -> bool:
    try:
        ua, ub = httpx.URL(a), httpx.URL(b)
        return (Origin.parse(a), ua.path or "/", ua.query) == (Origin.parse(b), ub.path or "/", ub.query)
    except (httpx.InvalidURL, TypeError, ValueError):
        return False
