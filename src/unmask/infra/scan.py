"""One infrastructure scan: every registered source over every domain, stored as a snapshot.

Domains run concurrently (bounded by ``infra.concurrency``); inside a domain the sources run in the
registry's order over one :class:`~unmask.infra.context.DomainScan` (the ScanContext), side by side
where they do not read each other. Finished domains are written in small batches, each in one
transaction (unmask.infra.storage), so an interrupted scan keeps every domain it finished (running
the command again scans again).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from unmask.core.case import Case
from unmask.core.domains import domain_name
from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.scope import Scope, SiteDomain
from unmask.core.progress import Progress
from unmask.core.store.models import utcnow
from unmask.infra.base import Observation, ScanOptions, Source
from unmask.infra.context import DomainScan, Scanner
from unmask.infra.dns import resolve_hostnames
from unmask.infra.registry import Skipped, sources
from unmask.infra.storage import DomainResult, close_scan, earlier_addresses, open_scan, store_results

HOSTNAME_KINDS = ("cert.san", "ct.hostname", "web.hostname")
"""Observation kinds naming other hostnames of the domain, resolved after the sources ran."""
BATCH_DOMAINS = 25
BATCH_SECONDS = 1.0


@dataclass
class ScanResult:
    scan_id: int
    status: str
    domains: list[DomainResult]
    skipped: list[Skipped]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "status": self.status,
            "skipped_sources": [asdict(s) for s in self.skipped],
            "domains": [d.as_dict() for d in self.domains],
        }


def waves(chain: list[Source[Any]]) -> list[list[Source[Any]]]:
    """The ordered chain cut into waves: a source goes one wave after the last source it reads."""
    level: dict[str, int] = {}
    result: list[list[Source[Any]]] = []
    for source in chain:
        n = max((level[dep] + 1 for dep in source.after if dep in level), default=0)
        level[source.name] = n
        while len(result) <= n:
            result.append([])
        result[n].append(source)
    return result


async def scan_domain(scanner: Scanner, domain: str, unicode: str, chain: list[Source[Any]]) -> DomainResult:
    ctx = DomainScan(scanner, domain)
    if unicode != domain:
        ctx.add(Observation("dns.unicode", unicode, domain, "dns"))
    ran: list[str] = []
    for wave in waves(chain):  # sources of one wave read only earlier waves: they run side by side
        await asyncio.gather(*(source.collect(ctx, ctx.add) for source in wave))
        ran.extend(source.name for source in wave)
    known = {o.subject for o in ctx.observations} | {domain}
    extra = [
        name
        for name in ctx.values_of_kinds(HOSTNAME_KINDS)
        if name not in known and not name.startswith("*") and name.endswith("." + domain)
    ]
    if extra:
        async for item in resolve_hostnames(ctx, extra):
            ctx.add(item)
    return DomainResult(domain, unicode, ctx.observations, ctx.failures, ran, utcnow())


def fetch_scope(case: Case, domains: Iterable[str], chain: Iterable[Source], options: ScanOptions) -> Scope:
    """Where a scan's requests may go: the scanned domains (and their subdomains) and the data services
    the running sources name (RDAP, CT, Google's tag containers with ``--active``); nothing else."""
    endpoints = [url for source in chain for url in source.endpoints(options)]
    site = [SiteDomain(name) for name in domains]
    private = case.config.fetch.allow_private_addresses
    return Scope(site, Scope.for_sources(endpoints).sources, allow_private=private)


def normalise_domains(domains: Iterable[str]) -> list[tuple[str, str]]:
    """(ascii, unicode) per distinct domain, in the given order; a bad one raises BadDomain."""
    found: dict[str, str] = {}
    for text in domains:
        name = domain_name(text)
        found.setdefault(name.ascii, name.unicode)
    return list(found.items())


async def scan_async(
    case: Case, domains: list[str], options: ScanOptions, progress: Progress | None = None
) -> ScanResult:
    names = normalise_domains(domains)
    settings = case.config.infra
    store = case.store
    chain, skipped = sources(options, settings)  # bad source options are the user's to fix: before anything
    for source in chain:
        source.prepare()
    earlier = earlier_addresses(store, [a for a, _ in names]) if options.active else None
    scope = fetch_scope(case, [a for a, _ in names], chain, options)
    fetcher = None if options.dns_only else Fetcher.for_case(case, purpose="infra", scope=scope, scripts=True)
    scanner = Scanner(case, options, fetcher, earlier)
    scan_id = open_scan(store, [a for a, _ in names], {**asdict(options), "kind": "scan"})
    results: list[DomainResult] = []
    pending: list[DomainResult] = []
    write_lock = asyncio.Lock()
    last_write = time.monotonic()
    gate = asyncio.Semaphore(max(1, settings.concurrency))

    writing: asyncio.Future[None] | None = None
    """The batch being stored: an interruption waits for it (shielded) instead of abandoning it."""

    async def flush(force: bool = False) -> None:
        nonlocal last_write, pending, writing
        async with write_lock:
            if not pending or (
                not force and len(pending) < BATCH_DOMAINS and time.monotonic() - last_write < BATCH_SECONDS
            ):
                return
            batch, pending = pending, []
            writing = asyncio.ensure_future(asyncio.to_thread(store_results, store, scan_id, batch))
            await asyncio.shield(writing)
            last_write = time.monotonic()

    async def one(ascii_name: str, unicode: str) -> None:
        async with gate:
            result = await scan_domain(scanner, ascii_name, unicode, chain)
        results.append(result)
        pending.append(result)
        if progress is not None:
            progress(len(results), len(names), result.domain)
        await flush()

    status = "interrupted"
    if progress is not None:
        progress(0, len(names))
    try:
        await asyncio.gather(*(one(a, u) for a, u in names))
        status = "complete"
    finally:
        with contextlib.suppress(Exception):
            if fetcher is not None:
                await asyncio.shield(fetcher.aclose())
        try:
            if writing is not None and not writing.done():  # a batch taken before an interruption lands first
                await writing
            if pending:  # domains finished before an interruption are kept
                store_results(store, scan_id, pending)
                pending = []
        finally:
            close_scan(store, scan_id, status)
    order = {a: i for i, (a, _) in enumerate(names)}
    results.sort(key=lambda r: order[r.domain])
    return ScanResult(scan_id, status, results, skipped)


def scan(
    case: Case, domains: list[str], options: ScanOptions, progress: Progress | None = None
) -> ScanResult:
    """Scan the domains and store the snapshot (see the module's docstring)."""
    return asyncio.run(scan_async(case, domains, options, progress))
