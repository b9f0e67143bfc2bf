"""RDAP look-ups of IP addresses and domains: registrar, registrant or hoster, abuse contact, network.

RDAP servers are data sources, not the investigated site: requests go through the case's own
:class:`~unmask.core.fetch.client.Fetcher` (recorded as evidence like every response), never through
the scan's pinned ``ctx.fetch``. Which server answers comes from IANA's bootstrap registries
(RFC 9224), shipped as a snapshot in ``data/rdap/`` (see its README for the date); the source's
option ``bootstrap_dir`` points at a newer copy and ``base_url`` sends every look-up to one server (a
mirror, or a test server).

``--dns-only`` means "DNS and offline look-ups alone", so a ``--dns-only`` scan skips :class:`RdapLookup`.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from unmask.core.errors import ConfigError
from unmask.core.fetch.client import Fetcher
from unmask.infra.base import Failure, LookupFailed, Observation, ScanContext, ScanOptions, Source, option
from unmask.infra.services import fetch_json, special_use

BOOTSTRAP_FILES = ("dns.json", "ipv4.json", "ipv6.json", "asn.json")
ACCEPT = "application/rdap+json, application/json;q=0.9"


@dataclass(frozen=True)
class RdapOptions:
    base_url: str | None = option(
        None, "one RDAP server for every look-up (a mirror); none: IANA's bootstrap"
    )
    bootstrap_dir: str | None = option(
        None,
        "folder with IANA's RDAP bootstrap files (dns.json, ipv4.json, ipv6.json, asn.json); "
        "none: the shipped copy",
    )
    max_addresses: int = option(8, "addresses of one domain looked up", minimum=0)
    max_bytes: int = option(4 * 1024 * 1024, "bytes of one RDAP answer parsed at most", minimum=1)


class RdapError(LookupFailed):
    """A look-up that did not give an RDAP object: ``str(exc)`` is the short failure text."""


# ---------------------------------------------------------------------------------- bootstrap


@dataclass(frozen=True)
class Bootstrap:
    """IANA's service registries: which base URLs answer for a TLD, an address range or an AS number."""

    tlds: dict[str, tuple[str, ...]]
    networks: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, tuple[str, ...]], ...]
    asns: tuple[tuple[int, int, tuple[str, ...]], ...]
    publication: str | None = None

    @classmethod
    def load(cls, directory: Path | None = None) -> Bootstrap:
        """From a folder of IANA files (``rdap_bootstrap_dir``), else the shipped snapshot."""
        docs: dict[str, Any] = {}
        for name in BOOTSTRAP_FILES:
            where = str(directory / name) if directory else f"unmask/infra/data/rdap/{name}"
            try:
                if directory is not None:
                    text = (directory / name).read_text(encoding="utf-8")
                else:
                    text = resources.files("unmask.infra").joinpath(f"data/rdap/{name}").read_text("utf-8")
                docs[name] = json.loads(text)
            except OSError as exc:
                raise ConfigError(
                    f"cannot read the RDAP bootstrap file ({exc.strerror})", where=where
                ) from exc
            except json.JSONDecodeError as exc:
                raise ConfigError(f"not JSON ({exc.msg})", where=f"{where}:{exc.lineno}") from exc
        try:
            tlds = {
                str(tld).lower(): tuple(urls) for keys, urls in _services(docs["dns.json"]) for tld in keys
            }
            networks = tuple(
                (ipaddress.ip_network(str(net), strict=False), tuple(urls))
                for name in ("ipv4.json", "ipv6.json")
                for keys, urls in _services(docs[name])
                for net in keys
            )
            asns = tuple(
                (int(lo), int(hi or lo), tuple(urls))
                for keys, urls in _services(docs["asn.json"])
                for lo, _, hi in (str(k).partition("-") for k in keys)
            )
        except (TypeError, ValueError) as exc:
            raise ConfigError(
                f"malformed RDAP bootstrap ({exc})", where=str(directory or "data/rdap")
            ) from exc
        return cls(tlds, networks, asns, docs["dns.json"].get("publication"))

    def for_domain(self, name: str) -> tuple[str, ...]:
        labels = name.lower().rstrip(".").split(".")
        for i in range(len(labels)):  # the longest matching suffix wins
            urls = self.tlds.get(".".join(labels[i:]))
            if urls:
                return urls
        return ()

    def for_ip(self, address: str) -> tuple[str, ...]:
        ip = ipaddress.ip_address(address)
        best: tuple[int, tuple[str, ...]] = (-1, ())
        for network, urls in self.networks:
            if network.version == ip.version and ip in network and network.prefixlen > best[0]:
                best = (network.prefixlen, urls)
        return best[1]

    def for_asn(self, number: int) -> tuple[str, ...]:
        for lo, hi, urls in self.asns:
            if lo <= number <= hi:
                return urls
        return ()


def _services(doc: Any) -> Iterator[tuple[list[Any], list[str]]]:
    for service in doc["services"]:
        keys, urls = service[0], service[-1]
        yield list(keys), [str(u) for u in urls]


@functools.cache
def shipped_bootstrap() -> Bootstrap:
    return Bootstrap.load(None)


def _pick(urls: tuple[str, ...]) -> str | None:
    """HTTPS first, as RFC 9224 asks."""
    return next((u for u in urls if u.startswith("https://")), urls[0] if urls else None)


# ---------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Contact:
    roles: tuple[str, ...]
    handle: str | None
    name: str | None
    org: str | None
    email: str | None
    country: str | None


@dataclass
class RdapRecord:
    """What one RDAP answer says (the fields unmask uses); ``raw`` keeps the whole object."""

    query: str
    object_class: str
    url: str
    capture_id: int | None
    handle: str | None = None
    name: str | None = None
    """Domain name (``ldhName``) or network name."""
    registrar: str | None = None
    registrant: str | None = None
    """Registrant organisation (domains) or the network's holder (IPs: the hoster, ``rdap.hoster``)."""
    abuse_email: str | None = None
    country: str | None = None
    cidrs: list[str] = field(default_factory=list)
    start_address: str | None = None
    end_address: str | None = None
    events: dict[str, str] = field(default_factory=dict)
    """eventAction → eventDate (registration, expiration, last changed …)."""
    nameservers: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def _vcard(entity: Mapping[str, Any]) -> dict[str, str]:
    """fn, org, email, country from a jCard (RFC 7095), first value of each."""
    out: dict[str, str] = {}
    card = entity.get("vcardArray")
    if not isinstance(card, list) or len(card) < 2 or not isinstance(card[1], list):
        return out
    for prop in card[1]:
        if not isinstance(prop, list) or len(prop) < 4:
            continue
        name, params, value = str(prop[0]).lower(), prop[1], prop[3]
        if name in ("fn", "email") and isinstance(value, str) and value.strip():
            out.setdefault(name, value.strip())
        elif name == "org":
            text = (
                value if isinstance(value, str) else (value[0] if isinstance(value, list) and value else "")
            )
            if isinstance(text, str) and text.strip():
                out.setdefault("org", text.strip())
        elif name == "adr":
            country = params.get("cc") if isinstance(params, dict) else None
            if not country and isinstance(value, list) and len(value) >= 7 and isinstance(value[6], str):
                country = value[6]
            if isinstance(country, str) and country.strip():
                out.setdefault("country", country.strip())
    return out


def _entities(obj: Mapping[str, Any], depth: int = 0) -> Iterator[tuple[Mapping[str, Any], int]]:
    for entity in obj.get("entities") or ():
        if isinstance(entity, dict):
            yield entity, depth
            if depth < 4:
                yield from _entities(entity, depth + 1)


def parse_rdap(obj: Any, *, query: str, url: str, capture_id: int | None) -> RdapRecord:
    """An RDAP domain, IP network or autnum object, as an :class:`RdapRecord`."""
    if not isinstance(obj, dict):
        raise RdapError("rdap: not an RDAP object")
    object_class = str(obj.get("objectClassName") or "")
    if not object_class:
        if "errorCode" in obj:
            raise RdapError(f"rdap: error {obj.get('errorCode')} {obj.get('title') or ''}".strip())
        raise RdapError("rdap: not an RDAP object (no objectClassName)")
    record = RdapRecord(query=query, object_class=object_class, url=url, capture_id=capture_id, raw=obj)
    record.handle = _text(obj.get("handle"))
    record.name = _text(obj.get("ldhName")) or _text(obj.get("name"))
    record.country = _text(obj.get("country"))
    record.start_address = _text(obj.get("startAddress"))
    record.end_address = _text(obj.get("endAddress"))
    record.status = [str(s) for s in obj.get("status") or () if isinstance(s, str)]
    for event in obj.get("events") or ():
        if isinstance(event, dict) and event.get("eventAction") and event.get("eventDate"):
            record.events.setdefault(str(event["eventAction"]), str(event["eventDate"]))
    for ns in obj.get("nameservers") or ():
        if isinstance(ns, dict) and ns.get("ldhName"):
            record.nameservers.append(str(ns["ldhName"]).lower().rstrip("."))
    record.cidrs = _cidrs(obj)
    for entity, depth in _entities(obj):
        card = _vcard(entity)
        roles = tuple(str(r).lower() for r in entity.get("roles") or () if isinstance(r, str))
        contact = Contact(
            roles,
            _text(entity.get("handle")),
            card.get("fn"),
            card.get("org"),
            card.get("email"),
            card.get("country"),
        )
        record.contacts.append(contact)
        if "registrar" in roles and record.registrar is None:
            record.registrar = contact.name or contact.org or contact.handle
        if "registrant" in roles and depth == 0 and record.registrant is None:
            record.registrant = contact.org or contact.name
        if "abuse" in roles and contact.email and record.abuse_email is None:
            record.abuse_email = contact.email.lower()
    if record.registrant is None:  # some registries give the holder only as an administrative contact
        holder = next((c for c in record.contacts if "administrative" in c.roles and c.org), None)
        record.registrant = holder.org if holder else None
    return record


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _cidrs(obj: Mapping[str, Any]) -> list[str]:
    out: list[str] = []
    for item in obj.get("cidr0_cidrs") or ():
        if isinstance(item, dict):
            prefix = item.get("v4prefix") or item.get("v6prefix")
            if prefix and item.get("length") is not None:
                out.append(f"{prefix}/{item['length']}")
    if not out and obj.get("startAddress") and obj.get("endAddress"):
        try:
            first = ipaddress.ip_address(str(obj["startAddress"]))
            last = ipaddress.ip_address(str(obj["endAddress"]))
            out = [str(n) for n in ipaddress.summarize_address_range(first, last)][:16]
        except (TypeError, ValueError):
            pass
    return out


# ---------------------------------------------------------------------------------- client


class RdapClient:
    """Look-ups over the case's Fetcher (evidence recorded), with the bootstrap or a fixed base URL."""

    def __init__(
        self,
        fetcher: Fetcher | None,
        *,
        bootstrap: Bootstrap | None = None,
        base_url: str | None = None,
        max_bytes: int = RdapOptions.max_bytes,
    ) -> None:
        self.fetcher = fetcher
        self.bootstrap = bootstrap or shipped_bootstrap()
        self.base_url = base_url
        self.max_bytes = max_bytes

    def url_for(self, kind: str, query: str) -> str:
        if self.base_url:
            base: str | None = self.base_url
        elif kind == "ip":
            base = _pick(self.bootstrap.for_ip(query))
        elif kind == "autnum":
            base = _pick(self.bootstrap.for_asn(int(query)))
        else:
            base = _pick(self.bootstrap.for_domain(query))
        if base is None:
            raise RdapError(f"rdap: no RDAP server known for {query}")
        return f"{base.rstrip('/')}/{kind}/{quote(query, safe=':.')}"

    async def lookup(self, kind: str, query: str) -> RdapRecord:
        """``kind`` is ``ip``, ``domain`` or ``autnum``. Raises a LookupFailed (short text), FetchError or
        FetchRefused on failure."""
        url = self.url_for(kind, query)
        obj, response = await fetch_json(
            self.fetcher, url, label="rdap", accept=ACCEPT, max_bytes=self.max_bytes
        )
        return parse_rdap(obj, query=query, url=url, capture_id=response.capture_id)

    async def ip(self, address: str) -> RdapRecord:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            raise RdapError("rdap: not an IP address") from None
        return await self.lookup("ip", str(ip))

    async def domain(self, name: str) -> RdapRecord:
        return await self.lookup("domain", name.lower().rstrip("."))


# ---------------------------------------------------------------------------------- the source


def _observations(record: RdapRecord, subject: str, source: str) -> Iterator[Observation]:
    detail: dict[str, Any] = {"url": record.url, "handle": record.handle}
    network = record.object_class == "ip network"
    fields: list[tuple[str, str | None]] = [
        ("rdap.registrar", record.registrar),
        ("rdap.hoster" if network else "rdap.registrant", record.registrant),
        ("rdap.abuse_email", record.abuse_email),
        ("rdap.country", record.country),
    ]
    if network:
        fields += [("rdap.network", record.name), ("rdap.network_handle", record.handle)]
        fields += [("rdap.cidr", cidr) for cidr in record.cidrs]
    for action in ("registration", "expiration"):
        fields.append((f"rdap.{action}", record.events.get(action)))
    for kind, value in fields:
        if value:
            yield Observation(kind, value, subject, source, detail, record.capture_id)


def _public(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_global
    except ValueError:
        return True  # let the look-up say what is wrong with it


class RdapLookup(Source[RdapOptions]):
    """Registrar and registrant of the domain, holder (hoster), network and abuse contact of its addresses.

    The domain is looked up unless it is a special-use name, its public addresses each once per scan;
    with ``base_url`` set, every name and address (a test or mirror server may know them).
    """

    name = "rdap"
    after = ("dns",)
    service = "RDAP servers"

    def prepare(self) -> None:
        self.bootstrap  # noqa: B018 - a bad bootstrap folder is the user's to fix before the scan

    def endpoints(self, scan: ScanOptions) -> list[str]:
        if self.options.base_url:
            return [self.options.base_url]
        boot = self.bootstrap
        return [
            *(u for urls in boot.tlds.values() for u in urls),
            *(u for _, urls in boot.networks for u in urls),
            *(u for *_, urls in boot.asns for u in urls),
        ]

    @functools.cached_property
    def bootstrap(self) -> Bootstrap:
        folder = self.options.bootstrap_dir
        return Bootstrap.load(Path(folder)) if folder else shipped_bootstrap()

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        options = self.options
        own_server = bool(options.base_url)
        client = RdapClient(
            ctx.data_fetcher, bootstrap=self.bootstrap, base_url=options.base_url, max_bytes=options.max_bytes
        )
        if own_server or not special_use(ctx.domain):
            record = await self.ask(ctx.domain, functools.partial(client.domain, ctx.domain))
            if isinstance(record, Failure):
                yield record
            else:
                for obs in _observations(record, ctx.domain, self.name):
                    yield obs
        addresses = [*ctx.values("dns.a", ctx.domain), *ctx.values("dns.aaaa", ctx.domain)]
        for address in addresses[: options.max_addresses]:
            if not own_server and not _public(address):
                continue  # loopback, private, documentation ranges: no registry holds them
            record = await self.ask(address, functools.partial(client.ip, address), key=("ip", address))
            if isinstance(record, Failure):
                yield record
                continue
            for obs in _observations(record, address, self.name):
                yield obs
