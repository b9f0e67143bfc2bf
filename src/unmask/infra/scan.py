"""One infrastructure scan: every registered source over every domain, stored as a snapshot.

Domains run concurrently (bounded by ``infra.concurrency``); inside a domain the sources run in the
registry's order over one :class:`DomainScan` (the ScanContext). Every name goes through the scan's
resolver; HTTP and TLS connections go to the addresses that resolver gave. Finished domains are
written in small batches, each in one transaction, so an interrupted scan keeps every domain it
finished (running the command again scans again).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import inspect
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from sqlalchemy import case as sql_case
from sqlalchemy import func, insert, select, update

from unmask.core.case import Case
from unmask.core.domains import domain_name
from unmask.core.errors import FetchRefused
from unmask.core.fetch.client import REDIRECT_STATUSES, Fetcher
from unmask.core.fetch.exchange import FetchResponse
from unmask.core.fetch.scope import Scope, SiteDomain
from unmask.core.fetch.transport import FetchError
from unmask.core.store import Store
from unmask.core.store.models import utcnow
from unmask.infra import changes as change_report
from unmask.infra.base import Failure, Observation, ScanOptions, Source
from unmask.infra.dns import DnsResult, Resolver, resolve_hostnames
from unmask.infra.networks import open_mmdb
from unmask.infra.registry import Skipped, sources
from unmask.infra.tables import InfraFailure, InfraObservation, InfraScan, InfraSnapshot, value_key

HOSTNAME_KINDS = ("cert.san", "ct.hostname", "web.hostname")
"""Observation kinds naming other hostnames of the domain, resolved after the sources ran."""
BATCH_DOMAINS = 25
BATCH_SECONDS = 1.0
INSERT_CHUNK = 400


@dataclass
class DomainResult:
    domain: str
    unicode: str
    observations: list[Observation] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    time: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "unicode": self.unicode,
            "observations": [
                {
                    "kind": o.kind,
                    "value": o.value,
                    "subject": o.subject,
                    "source": o.source,
                    "detail": dict(o.detail) if o.detail else None,
                    "capture_id": o.capture_id,
                }
                for o in self.observations
            ],
            "failures": [asdict(f) for f in self.failures],
        }


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


class Scanner:
    """What every domain of one scan shares: resolver, fetcher, settings, the answer cache."""

    def __init__(self, case: Case, options: ScanOptions, fetcher: Fetcher | None) -> None:
        settings = case.config.infra
        self.case = case
        self.options = options
        self.settings = settings
        self.resolver = Resolver.from_settings(options.resolver or settings.resolver, settings.dns_timeout)
        self.fetcher = fetcher
        self._answers: dict[tuple[str, str], asyncio.Future[DnsResult]] = {}

    async def resolve(self, name: str, rdtype: str) -> DnsResult:
        key = (name.lower().rstrip("."), rdtype.upper())
        future = self._answers.get(key)
        if future is None:
            future = asyncio.ensure_future(self.resolver.query(*key))
            self._answers[key] = future
        return await asyncio.shield(future)


class DomainScan:
    """The ScanContext of one domain (see unmask.infra.base)."""

    def __init__(self, scanner: Scanner, domain: str) -> None:
        self.scanner = scanner
        self.domain = domain
        self.options = scanner.options
        self.observations: list[Observation] = []
        self.failures: list[Failure] = []
        self._seen: set[tuple[str, str, str]] = set()

    def add(self, item: Observation | Failure) -> None:
        if isinstance(item, Failure):
            self.failures.append(item)
            return
        key = (item.kind, item.subject, item.value)
        if key not in self._seen:
            self._seen.add(key)
            self.observations.append(item)

    def values(self, kind: str, subject: str | None = None) -> list[str]:
        found = (
            o.value for o in self.observations if o.kind == kind and (subject is None or o.subject == subject)
        )
        return list(dict.fromkeys(found))

    def values_of_kinds(self, kinds: Iterable[str]) -> list[str]:
        """Distinct host names observed under any of these kinds (lower case, no trailing dot)."""
        wanted = set(kinds)
        return list(dict.fromkeys(o.value.lower().rstrip(".") for o in self.observations if o.kind in wanted))

    async def resolve(self, name: str, rdtype: str) -> DnsResult:
        return await self.scanner.resolve(name, rdtype)

    async def address_of(self, host: str) -> str | None:
        """The scan's own first A (else AAAA) answer for a host."""
        for rdtype in ("A", "AAAA"):
            answer = await self.resolve(host, rdtype)
            if answer.records:
                return answer.records[0]
        return None

    async def fetch(self, url: str, *, favicon: bool = False, address: str | None = None) -> FetchResponse:
        fetcher = self.scanner.fetcher
        if fetcher is None or self.options.dns_only:
            raise FetchRefused("no connections in a --dns-only scan", url)
        for _hop in range(fetcher.settings.max_redirects + 1):
            host = urlsplit(url).hostname or ""
            pin = address or await self.address_of(host)
            if pin is None:
                raise FetchError("dns", url, f"the scan's resolver has no address for {host}")
            response = await fetcher.get(url, favicon=favicon, follow_redirects=False, connect_to=pin)
            location = response.header("location")
            if response.status not in REDIRECT_STATUSES or not location:
                return response
            target = urljoin(url, location)
            if urlsplit(target).hostname != host:  # another host: its own answer from the scan's resolver
                address = None
            url = target
        raise FetchRefused(f"more than {fetcher.settings.max_redirects} redirects", url)

    @property
    def data_fetcher(self) -> Fetcher | None:
        """The case's fetcher, unpinned, for data sources that are not the site (RDAP, CT)."""
        return self.scanner.fetcher

    async def tls_certificate(self, host: str, port: int = 443, *, address: str | None = None) -> bytes:
        if self.options.dns_only:
            raise ConnectionError("no connections in a --dns-only scan")
        from unmask.infra.connect import TlsError, tls_certificate

        pin = address or await self.address_of(host)
        if pin is None:
            raise TlsError(f"tls: no address for {host}")
        fetch = self.scanner.case.config.fetch
        result = tls_certificate(host, port, pin, fetch.connect_timeout, proxy=fetch.proxy)
        return await result if inspect.isawaitable(result) else result


async def _run_source(source: Source, ctx: DomainScan, timeout: float) -> None:
    try:
        async with asyncio.timeout(timeout):
            async for item in source.run(ctx):
                ctx.add(item)
    except TimeoutError:
        ctx.add(Failure(source.name, ctx.domain, "timeout"))
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except Exception as exc:  # a broken source is a result of this domain, never the end of the scan
        from unmask.core.errors import UnmaskError

        if isinstance(exc, UnmaskError):
            raise
        ctx.add(Failure(source.name, ctx.domain, f"error: {type(exc).__name__}: {exc}"[:500]))


def waves(chain: list[Source]) -> list[list[Source]]:
    """The ordered chain cut into waves: a source goes one wave after the last source it reads."""
    level: dict[str, int] = {}
    result: list[list[Source]] = []
    for source in chain:
        n = max((level[dep] + 1 for dep in source.after if dep in level), default=0)
        level[source.name] = n
        while len(result) <= n:
            result.append([])
        result[n].append(source)
    return result


async def scan_domain(scanner: Scanner, domain: str, unicode: str, chain: list[Source]) -> DomainResult:
    ctx = DomainScan(scanner, domain)
    if unicode != domain:
        ctx.add(Observation("dns.unicode", unicode, domain, "dns"))
    ran: list[str] = []
    for wave in waves(chain):  # sources of one wave read only earlier waves: they run side by side
        await asyncio.gather(*(_run_source(source, ctx, scanner.settings.source_timeout) for source in wave))
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


# -- storing -----------------------------------------------------------------------------------------


def _fact_rows(scan_id: int, result: DomainResult) -> list[dict[str, Any]]:
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for o in result.observations:
        key = (o.subject, o.kind, value_key(o.value))
        rows[key] = {
            "domain": result.domain,
            "subject": o.subject[:255],
            "kind": o.kind,
            "value": o.value,
            "value_key": key[2],
            "detail": json.dumps(dict(o.detail), default=str, sort_keys=True) if o.detail else None,
            "source": o.source,
            "origin": "scan",
            "first_seen": result.time,
            "last_seen": result.time,
            "first_scan_id": scan_id,
            "last_scan_id": scan_id,
            "capture_id": o.capture_id,
        }
    return list(rows.values())


def upsert_observations(
    store: Store, session: Any, rows: list[dict[str, Any]], *, passive: bool = False
) -> None:
    """Insert facts; a fact seen before only widens its first/last seen (and takes the new detail)."""
    table = InfraObservation.__table__
    for start in range(0, len(rows), INSERT_CHUNK):
        stmt = store.insert()(table).values(rows[start : start + INSERT_CHUNK])
        new = stmt.excluded
        mark = "passive_dns" if passive else "scan"
        stmt = stmt.on_conflict_do_update(
            index_elements=["domain", "subject", "kind", "value_key"],
            set_={
                "first_seen": sql_case(
                    (new.first_seen < table.c.first_seen, new.first_seen), else_=table.c.first_seen
                ),
                "last_seen": sql_case(
                    (new.last_seen > table.c.last_seen, new.last_seen), else_=table.c.last_seen
                ),
                "last_scan_id": func.coalesce(new.last_scan_id, table.c.last_scan_id),
                "first_scan_id": func.coalesce(table.c.first_scan_id, new.first_scan_id),
                "detail": func.coalesce(new.detail, table.c.detail),
                "capture_id": func.coalesce(new.capture_id, table.c.capture_id),
                "origin": sql_case(
                    (table.c.origin == mark, table.c.origin),
                    (table.c.origin == "scan+passive_dns", table.c.origin),
                    else_="scan+passive_dns",
                ),
            },
        )
        session.execute(stmt)


def store_results(store: Store, scan_id: int, results: list[DomainResult]) -> None:
    """One transaction for a batch of finished domains: facts, failures, snapshots."""
    with store.session() as session:
        rows = [row for result in results for row in _fact_rows(scan_id, result)]
        if rows:
            upsert_observations(store, session, rows)
        failures = [
            {
                "scan_id": scan_id,
                "domain": r.domain,
                "subject": f.subject[:255],
                "source": f.source,
                "error": f.error,
                "time": r.time,
            }
            for r in results
            for f in r.failures
        ]
        if failures:
            session.execute(insert(InfraFailure), failures)
        snapshots = [
            {
                "scan_id": scan_id,
                "domain": r.domain,
                "kind": kind,
                "time": r.time,
                "values": json.dumps(values),
            }
            for r in results
            for kind, values in change_report.snapshot(
                r.domain, r.observations, r.failures, r.sources
            ).items()
        ]
        if snapshots:
            session.execute(insert(InfraSnapshot), snapshots)


def open_scan(store: Store, domains: list[str], options: Mapping[str, Any]) -> int:
    with store.session() as session:
        row = InfraScan(domains=json.dumps(domains), options=json.dumps(dict(options)), status="running")
        session.add(row)
        session.flush()
        return row.id


def close_scan(store: Store, scan_id: int, status: str) -> None:
    with store.session() as session:
        session.execute(
            update(InfraScan).where(InfraScan.id == scan_id).values(status=status, finished_at=utcnow())
        )


# -- the scan ----------------------------------------------------------------------------------------


def earlier_addresses(store: Store, domains: list[str]) -> dict[str, list[str]]:
    """Domain → every A/AAAA answer stored for its own name (earlier scans and passive DNS)."""
    found: dict[str, list[str]] = {d: [] for d in domains}
    query = select(InfraObservation.domain, InfraObservation.value).where(
        InfraObservation.domain.in_(domains),
        InfraObservation.subject == InfraObservation.domain,
        InfraObservation.kind.in_(("dns.a", "dns.aaaa")),
    )
    with store.session() as session:
        for domain, value in session.execute(query.order_by(InfraObservation.first_seen)):
            found[domain].append(value)
    return found


Progress = Callable[[DomainResult], None]


def fetch_scope(case: Case, domains: Iterable[str], options: ScanOptions) -> Scope:
    """Where a scan's requests may go: the scanned domains (and their subdomains), RDAP and CT, and
    Google's tag containers with ``--active``; nothing else."""
    from pathlib import Path

    from unmask.infra.rdap import Bootstrap, shipped_bootstrap
    from unmask.infra.web import web_rules

    settings = case.config.infra
    sources = [settings.ct_url]
    if settings.rdap_base_url:
        sources.append(settings.rdap_base_url)
    else:
        folder = settings.rdap_bootstrap_dir
        boot = Bootstrap.load(Path(folder)) if folder else shipped_bootstrap()
        sources += [u for urls in boot.tlds.values() for u in urls]
        sources += [u for _, urls in boot.networks for u in urls]
        sources += [u for *_, urls in boot.asns for u in urls]
    if options.active:
        sources.append(web_rules().gtm_url)
    site = [SiteDomain(name) for name in domains]
    private = case.config.fetch.allow_private_addresses
    return Scope(site, Scope.for_sources(sources).sources, allow_private=private)


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
    shared: dict[str, Any] = {**asdict(settings), "fetch": asdict(case.config.fetch)}
    if options.active:  # origin discovery compares with the addresses the domains had before
        shared["history_ips"] = earlier_addresses(store, [a for a, _ in names])
    chain, skipped = sources(options, shared)
    open_mmdb(settings.mmdb)  # a bad path is a user error before anything runs
    scope = fetch_scope(case, [a for a, _ in names], options)
    fetcher = None if options.dns_only else Fetcher.for_case(case, purpose="infra", scope=scope, scripts=True)
    scanner = Scanner(case, options, fetcher)
    scan_id = open_scan(store, [a for a, _ in names], {**asdict(options), "kind": "scan"})
    results: list[DomainResult] = []
    pending: list[DomainResult] = []
    write_lock = asyncio.Lock()
    last_write = time.monotonic()
    gate = asyncio.Semaphore(max(1, settings.concurrency))

    async def flush(force: bool = False) -> None:
        nonlocal last_write, pending
        async with write_lock:
            if not pending or (
                not force and len(pending) < BATCH_DOMAINS and time.monotonic() - last_write < BATCH_SECONDS
            ):
                return
            batch, pending = pending, []
            await asyncio.to_thread(store_results, store, scan_id, batch)
            last_write = time.monotonic()

    async def one(ascii_name: str, unicode: str) -> None:
        async with gate:
            result = await scan_domain(scanner, ascii_name, unicode, chain)
        results.append(result)
        pending.append(result)
        if progress is not None:
            progress(result)
        await flush()

    status = "interrupted"
    try:
        await asyncio.gather(*(one(a, u) for a, u in names))
        status = "complete"
    finally:
        with contextlib.suppress(Exception):
            if fetcher is not None:
                await asyncio.shield(fetcher.aclose())
        if pending:  # domains finished before an interruption are kept
            store_results(store, scan_id, pending)
            pending = []
        close_scan(store, scan_id, status)
    order = {a: i for i, (a, _) in enumerate(names)}
    results.sort(key=lambda r: order[r.domain])
    return ScanResult(scan_id, status, results, skipped)


def scan(
    case: Case, domains: list[str], options: ScanOptions, progress: Progress | None = None
) -> ScanResult:
    """Scan the domains and store the snapshot (see the module's docstring)."""
    return asyncio.run(scan_async(case, domains, options, progress))


# -- passive DNS ---------------------------------------------------------------------------------------


@dataclass
class PassiveImport:
    scan_id: int
    records: int
    domains: list[str]
    skipped: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "records": self.records,
            "domains": self.domains,
            "skipped": self.skipped,
        }


def _known_domains(store: Store) -> list[str]:
    with store.session() as session:
        found = session.scalars(select(InfraObservation.domain).distinct()).all()
    return sorted(found, key=len, reverse=True)


def _domain_of(name: str, known: list[str]) -> str:
    for domain in known:
        if name == domain or name.endswith("." + domain):
            return domain
    return name.removeprefix("www.")


def passive_rows(records: Iterable[Any], known: list[str], scan_id: int) -> Iterator[dict[str, Any]]:
    """Observation rows (origin passive_dns) from parsed passive-DNS records."""
    for record in records:
        name = str(record.rrname).lower().rstrip(".")
        rrtype = str(record.rrtype).upper()
        value = str(record.rdata).strip()
        if rrtype in ("CNAME", "NS", "MX", "PTR"):
            value = value.lower().rstrip(".")
        first = record.first_seen or record.last_seen
        last = record.last_seen or record.first_seen
        if not name or not value or first is None:
            continue
        detail = {"count": record.count, "source": record.source}
        yield {
            "domain": _domain_of(name, known),
            "subject": name[:255],
            "kind": f"dns.{rrtype.lower()}",
            "value": value,
            "value_key": value_key(value),
            "detail": json.dumps(detail, default=str, sort_keys=True),
            "source": f"passive_dns:{record.source}" if record.source else "passive_dns",
            "origin": "passive_dns",
            "first_seen": _naive(first),
            "last_seen": _naive(last),
            "first_scan_id": None,
            "last_scan_id": None,
            "capture_id": None,
        }


def _naive(when: Any) -> Any:
    if isinstance(when, dt.datetime) and when.tzinfo is not None:
        return when.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
        return dt.datetime(when.year, when.month, when.day)
    return when


def import_passive_dns(store: Store, path: str, records: Iterable[Any], skipped: list[str]) -> PassiveImport:
    """Store passive-DNS records as observations (origin passive_dns), all in one transaction."""
    known = _known_domains(store)
    scan_id = open_scan(store, [], {"kind": "passive_dns", "file": path})
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in passive_rows(records, known, scan_id):
        key = (row["domain"], row["subject"], row["kind"], row["value_key"])
        if key in rows:  # one fact seen in several rows: widen its span
            rows[key]["first_seen"] = min(rows[key]["first_seen"], row["first_seen"])
            rows[key]["last_seen"] = max(rows[key]["last_seen"], row["last_seen"])
        else:
            rows[key] = row
    with store.session() as session:
        if rows:
            upsert_observations(store, session, list(rows.values()), passive=True)
    close_scan(store, scan_id, "complete")
    return PassiveImport(scan_id, len(rows), sorted({r["domain"] for r in rows.values()}), skipped)
