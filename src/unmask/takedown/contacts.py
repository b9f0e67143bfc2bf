"""Who a notice goes to: the platform's own contact (case.yaml ``takedown.contacts``), the hoster's abuse
contact from RDAP (infra's stored look-ups of the address that served the capture, else a look-up now
through the case's RDAP settings: nested entities walked for the ``abuse`` role as RIPE, ARIN, APNIC,
LACNIC and AFRINIC nest them), or a search engine's removal form (takedown/data/notice.yaml)."""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from unmask.core.case import Case
from unmask.core.domains import registered_domain
from unmask.core.errors import FetchRefused, UnmaskError
from unmask.core.fetch import Fetcher, FetchError, Scope
from unmask.infra.base import LookupFailed
from unmask.infra.rdap import Bootstrap, RdapClient, RdapRecord, shipped_bootstrap
from unmask.infra.tables import InfraObservation


@dataclass
class Recipient:
    kind: str
    """platform | hoster | search"""
    name: str
    email: str | None = None
    form: str | None = None
    source: str = ""
    """Where the contact comes from (case.yaml, the RDAP answer of an address, the shipped form list)."""
    problem: str | None = None
    """Why no contact is known (the notice is still written, for the user to complete)."""
    fields: list[str] = field(default_factory=list)
    """A search engine form's fields, filled in the package."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def platform_contact(case: Case, host: str) -> Recipient:
    contacts = case.config.takedown.contacts
    for key in (host, registered_domain(host) or host):
        contact = contacts.get(key)
        if contact:
            return Recipient(
                "platform",
                contact.get("name") or host,
                contact.get("email"),
                contact.get("form"),
                source=f"case.yaml takedown.contacts[{key!r}]",
            )
    return Recipient(
        "platform",
        host,
        problem=f"no contact for {host} in case.yaml takedown.contacts (add its DSA contact)",
    )


def _stored_abuse(case: Case, address: str) -> Recipient | None:
    with case.store.session() as s:
        rows = s.execute(
            select(InfraObservation.kind, InfraObservation.value, InfraObservation.source)
            .where(
                InfraObservation.subject == address,
                InfraObservation.kind.in_(("rdap.abuse_email", "rdap.hoster")),
            )
            .order_by(InfraObservation.last_seen.desc())
        ).all()
    found: dict[str, str] = {}
    for kind, value, _source in rows:
        found.setdefault(kind, value)
    if "rdap.abuse_email" not in found:
        return None
    return Recipient(
        "hoster",
        found.get("rdap.hoster") or address,
        found["rdap.abuse_email"],
        source=f"RDAP abuse contact of {address} (stored by unmask infra scan)",
    )


def _rdap_options(case: Case) -> tuple[str | None, Bootstrap]:
    options = case.config.infra.sources.get("rdap", {})
    folder = options.get("bootstrap_dir")
    bootstrap = Bootstrap.load(Path(folder)) if folder else shipped_bootstrap()
    return options.get("base_url"), bootstrap


def hoster_from_record(record: RdapRecord, address: str) -> Recipient:
    server = record.url.split("/ip/")[0]
    if not record.abuse_email:
        return Recipient(
            "hoster",
            record.registrant or record.name or address,
            source=f"RDAP {record.url}",
            problem=f"the RDAP answer for {address} names no abuse contact",
        )
    return Recipient(
        "hoster",
        record.registrant or record.name or address,
        record.abuse_email,
        source=f"RDAP abuse contact of {address} ({server}, network {record.handle or record.name or '?'})",
    )


async def _look_up(case: Case, addresses: list[str]) -> dict[str, Recipient]:
    base_url, bootstrap = _rdap_options(case)
    client = RdapClient(None, bootstrap=bootstrap, base_url=base_url)
    out: dict[str, Recipient] = {}
    wanted: dict[str, str] = {}
    for address in addresses:
        if not base_url and not ipaddress.ip_address(address).is_global:
            out[address] = Recipient("hoster", address, problem=f"{address} is not a public address")
            continue
        try:
            wanted[address] = client.url_for("ip", address)
        except LookupFailed as exc:
            out[address] = Recipient("hoster", address, problem=str(exc))
    if not wanted:
        return out
    scope = Scope.for_sources(list(wanted.values()), allow_private=case.config.fetch.allow_private_addresses)
    async with Fetcher.for_case(case, purpose="takedown", scope=scope) as fetcher:
        client.fetcher = fetcher
        for address in wanted:
            try:
                out[address] = hoster_from_record(await client.ip(address), address)
            except (LookupFailed, FetchError, FetchRefused) as exc:
                out[address] = Recipient("hoster", address, problem=f"RDAP look-up failed: {exc}")
    return out


def hoster_contacts(case: Case, addresses: list[str]) -> dict[str, Recipient]:
    """The abuse contact of each address (stored look-ups first, then RDAP now)."""
    out: dict[str, Recipient] = {}
    missing: list[str] = []
    for address in dict.fromkeys(addresses):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise UnmaskError("not an IP address", where=address) from None
        stored = _stored_abuse(case, address)
        if stored is not None:
            out[address] = stored
        else:
            missing.append(address)
    if missing:
        out.update(asyncio.run(_look_up(case, missing)))
    return out
