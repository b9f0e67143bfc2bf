"""Certificate transparency: hostnames from the certificates logged for a domain, in crt.sh's JSON shape.

``{url}?q=%25.DOMAIN&output=json`` (option ``url``, crt.sh by default) answers a list of log entries:
``{"id", "issuer_name", "common_name", "name_value" (names, one a line), "not_before", "not_after",
"serial_number", "entry_timestamp"}``. Names come out lower-case, ``*.`` removed, in IDNA form.

The CT service is a data source, not the site: it is asked through the case's Fetcher (evidence
recorded), and not at all with ``--dns-only`` ("DNS and offline look-ups alone"). A large answer is read
up to ``max_bytes``; a cut or malformed one is a failure, and at most ``max_hostnames`` names are kept.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Any

from unmask.core.domains import normalize_host
from unmask.core.fetch.client import Fetcher
from unmask.infra.base import Failure, LookupFailed, Observation, ScanContext, ScanOptions, Source, option
from unmask.infra.services import fetch_json, special_use

DEFAULT_CT_URL = "https://crt.sh/"
MAX_DETAIL = 5
"""Certificate IDs and issuers kept in an observation's detail."""
MAX_ISSUERS = 50
"""Issuers of one domain's certificates observed at most."""


@dataclass(frozen=True)
class CtOptions:
    url: str = option(DEFAULT_CT_URL, "certificate-transparency search answering in crt.sh's JSON shape")
    max_hostnames: int = option(5000, "hostnames kept from one domain's certificates", minimum=0)
    max_bytes: int = option(16 * 1024 * 1024, "bytes of one answer parsed at most", minimum=1)


class CtError(LookupFailed):
    """The CT search did not answer a list of entries: ``str(exc)`` is the short failure text."""


@dataclass(frozen=True)
class CtEntry:
    crt_id: int | None
    issuer: str | None
    common_name: str | None
    names: tuple[str, ...]
    not_before: str | None
    not_after: str | None
    serial: str | None


@dataclass
class HostSeen:
    """One hostname over all the certificates that name it."""

    hostname: str
    crt_ids: list[int] = field(default_factory=list)
    issuers: list[str] = field(default_factory=list)
    first_not_before: str | None = None
    last_not_after: str | None = None
    certificates: int = 0

    def add(self, entry: CtEntry) -> None:
        self.certificates += 1
        if entry.crt_id is not None and len(self.crt_ids) < MAX_DETAIL:
            self.crt_ids.append(entry.crt_id)
        if entry.issuer and entry.issuer not in self.issuers and len(self.issuers) < MAX_DETAIL:
            self.issuers.append(entry.issuer)
        if entry.not_before and (self.first_not_before is None or entry.not_before < self.first_not_before):
            self.first_not_before = entry.not_before
        if entry.not_after and (self.last_not_after is None or entry.not_after > self.last_not_after):
            self.last_not_after = entry.not_after

    def detail(self) -> dict[str, Any]:
        return {
            "certificates": self.certificates,
            "crt_ids": self.crt_ids,
            "issuers": self.issuers,
            "not_before": self.first_not_before,
            "not_after": self.last_not_after,
        }


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def parse_crtsh(body: bytes) -> list[CtEntry]:
    """crt.sh's JSON answer as entries. Raises :class:`CtError` for anything but a list of objects."""
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CtError("ct: malformed JSON") from exc
    return crtsh_entries(doc)


def crtsh_entries(doc: Any) -> list[CtEntry]:
    """The entries of crt.sh's decoded JSON answer. Raises :class:`CtError` for anything but a list of
    objects."""
    if not isinstance(doc, list):
        raise CtError("ct: expected a JSON list")
    entries: list[CtEntry] = []
    for item in doc:
        if not isinstance(item, dict):
            raise CtError("ct: expected a list of objects")
        raw_names = [*str(item.get("name_value") or "").split("\n"), str(item.get("common_name") or "")]
        names = tuple(dict.fromkeys(n for n in (normalize_host(r, wildcard=True) for r in raw_names) if n))
        crt_id = item.get("id")
        entries.append(
            CtEntry(
                crt_id=crt_id if isinstance(crt_id, int) and not isinstance(crt_id, bool) else None,
                issuer=_str(item.get("issuer_name")),
                common_name=_str(item.get("common_name")),
                names=names,
                not_before=_str(item.get("not_before")),
                not_after=_str(item.get("not_after")),
                serial=_str(item.get("serial_number")),
            )
        )
    return entries


def hostnames(entries: Iterable[CtEntry], limit: int = CtOptions.max_hostnames) -> list[HostSeen]:
    """Each hostname once, in first-seen order, with what the certificates naming it say."""
    seen: dict[str, HostSeen] = {}
    for entry in entries:
        for name in entry.names:
            host = seen.get(name)
            if host is None:
                if len(seen) >= limit:
                    continue
                host = seen[name] = HostSeen(name)
            host.add(entry)
    return list(seen.values())


def search_url(base: str, domain: str) -> str:
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}q=%25.{domain}&output=json"


@dataclass
class CtAnswer:
    url: str
    capture_id: int | None
    entries: list[CtEntry]


async def search(fetcher: Fetcher | None, options: CtOptions, domain: str) -> CtAnswer:
    """One CT search. Raises a LookupFailed (short failure text), FetchError or FetchRefused."""
    url = search_url(options.url, domain)
    doc, response = await fetch_json(
        fetcher, url, label="ct", accept="application/json", max_bytes=options.max_bytes
    )
    return CtAnswer(url, response.capture_id, crtsh_entries(doc))


class CertificateTransparency(Source[CtOptions]):
    """Hostnames (``ct.hostname``) and issuers (``ct.issuer``) of the certificates logged for the domain."""

    name = "ct"
    after = ("dns",)
    service = "a certificate-transparency log search"

    def endpoints(self, scan: ScanOptions) -> list[str]:
        return [self.options.url]

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        if self.options.url == DEFAULT_CT_URL and special_use(ctx.domain):
            return  # a .test/.invalid/… name is never sent to the public log search
        answer = await self.ask(ctx.domain, lambda: search(ctx.data_fetcher, self.options, ctx.domain))
        if isinstance(answer, Failure):
            yield answer
            return
        issuers: dict[str, int] = {}
        for host in hostnames(answer.entries, self.options.max_hostnames):
            yield Observation(
                "ct.hostname", host.hostname, ctx.domain, self.name, host.detail(), answer.capture_id
            )
        for entry in answer.entries:
            if entry.issuer:
                issuers[entry.issuer] = issuers.get(entry.issuer, 0) + 1
        for issuer, count in list(issuers.items())[:MAX_ISSUERS]:
            detail = {"certificates": count, "url": answer.url}
            yield Observation("ct.issuer", issuer, ctx.domain, self.name, detail, answer.capture_id)
