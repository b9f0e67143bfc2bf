"""Case configuration: typed settings, each group declared once, loaded from ``case.yaml``.

Settings change behaviour, code edits do not: every option the fetch layer and the crawler
honour is a field here, with its default, and can be set in the case file.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import yaml

from unmask.core.errors import ConfigError

MiB = 1024 * 1024


DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)
"""An ordinary desktop browser: a User-Agent that announces an investigation is answered with 403s."""
FORMER_DEFAULT_USER_AGENTS = frozenset({"unmask/0.1 (research census; +https://example.invalid/unmask)"})
"""Defaults of earlier versions, written into every case.yaml made then: read as today's default."""


@dataclass
class FetchSettings:
    """Options of the one fetch layer (standalone client and Scrapy integration alike)."""

    user_agent: str = DEFAULT_USER_AGENT
    delay: float = 1.0
    """Seconds between requests to one host. 0 turns every politeness delay off."""
    concurrency: int = 2
    """Connections per host."""
    autothrottle: bool = True
    """Adapt the delay to the server's latency (only when delay > 0)."""
    obey_robots: bool = True
    max_response_bytes: int = 32 * MiB
    """Bodies above this (as received, and with their content coding removed) are cut and marked truncated."""
    favicon_max_bytes: int = 32 * 1024
    """A larger favicon is refused, not cut."""
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    """Seconds one attempt may take in all, headers and body."""
    url_budget: float = 180.0
    """Seconds one URL may cost in all: every attempt, retry wait and redirect hop (a server that drips
    its headers one byte a second costs this much, not more)."""
    max_redirects: int = 5
    retries: int = 3
    """Retries on 429, 5xx and connection errors."""
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 300.0
    """Longest Retry-After honoured; a longer one counts as a failed try."""
    proxy: str | None = None
    """http://host:port or socks5://host:port (Tor: socks5h://127.0.0.1:9050). Through a proxy, the
    proxy resolves names: the private-address check then applies to IP literals only."""
    verify_tls: bool = True
    http_client: str = "aiohttp"
    """The HTTP client of direct connections: ``aiohttp`` (half a census's CPU, measured in
    docs/benchmarks.md) or ``httpx``. Both keep every promise of the fetch layer (tests/core/fetch and
    tests/safety run with each). Through a proxy, httpx is always used."""
    allow_private_addresses: bool = False
    """Let the site's names (and the data sources') resolve to loopback, link-local, private or other
    special addresses. Off: only a site given as such an address (an IP literal, localhost) may be one."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra headers sent to the investigated site only (never to data sources); their values never
    enter evidence."""
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)
    """Cookies per host of the investigated site, e.g. an age gate's: {"example.com": {"age_ok": "1"}}."""
    warc_rotate_bytes: int = 1024 * MiB

    def __post_init__(self) -> None:
        if self.user_agent in FORMER_DEFAULT_USER_AGENTS:  # a case made before the default changed
            self.user_agent = DEFAULT_USER_AGENT


@dataclass
class CrawlSettings:
    """Bounds that keep a crawl of hostile sites finite. Each bound that cuts work short makes the run
    incomplete, with the bound named among its reasons."""

    max_requests: int = 2_000_000
    """Requests per session (`--max-requests`)."""
    max_frontier: int = 3_000_000
    """URLs one run may decide to fetch (its frontier rows); further links are not followed."""
    max_sitemaps: int = 10_000
    """Sitemap files and indexes one run reads."""
    max_sitemap_children: int = 50_000
    """Sitemaps taken from one sitemap index (the protocol allows 50,000)."""
    max_listing_pages: int = 20_000
    """Pages followed along one pagination chain."""
    barren_pages: int = 2
    """Consecutive listing pages that add no item new to their pagination chain (empty, repeated, or
    showing only items of earlier pages) before the chain is taken to have ended: reading to the end of
    an endless or repeating pagination, not a limit."""
    max_sitemap_depth: int = 4
    max_url_length: int = 2083
    stop_at_known: bool = True
    """On a re-crawl, stop a newest-first listing at the first page of already known items."""
    max_unseen_share: float = 0.5
    """A re-crawl that no longer sees more than this share of the items present before (without a 404 or
    410 for them) is incomplete: nothing is marked removed from absence alone."""
    schedule_window: int = 512
    """Requests handed to Scrapy at a time; the rest of the frontier waits in the store."""
    commit_pages: int = 64
    """Pages stored together in one transaction (each page still whole or not at all: a page not yet
    stored when the crawler is killed is fetched again by the next session)."""
    commit_seconds: float = 0.5
    """The longest a read page waits for its transaction."""


@dataclass
class PrivacySettings:
    """How outputs show persons (unmask.core.privacy)."""

    pseudonymize: bool = True
    """Depicted persons who are not on the investigator's public-figure list are shown as pseudonyms, and
    uploader handles that contain such a name too. False is what `--real-names` does for one command."""


@dataclass
class HistorySettings:
    """Web-archive history (`unmask history`)."""

    archive: str = "https://web.archive.org"
    """Base URL of a Wayback-style archive: CDX at ARCHIVE/cdx/search/cdx, replay at ARCHIVE/web/…
    (`--cdx` overrides it for one run)."""
    cdx_url: str | None = None
    """Full CDX endpoint, when it is not at ARCHIVE/cdx/search/cdx (e.g. pywb's http://host/COLL/cdx)."""
    replay_url: str | None = None
    """Replay URL template with {timestamp} and {original}; default ARCHIVE/web/{timestamp}id_/{original}."""


@dataclass
class AlertSettings:
    """Where change alerts go (`unmask infra watch`): stdout always, plus a webhook and/or e-mail."""

    webhook_url: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_from: str = "unmask@localhost"
    mail_to: list[str] = field(default_factory=list)


@dataclass
class InfraSettings:
    """Infrastructure scans (`unmask infra …`). Owned by unmask.infra."""

    resolver: str | None = None
    """HOST:PORT of the DNS resolver; None uses the system resolver. `--resolver` overrides it."""
    dns_timeout: float = 5.0
    concurrency: int = 32
    """Domains scanned at the same time."""
    source_timeout: float = 120.0
    """Longest time one source may take for one domain before it counts as a timeout."""
    give_up_after: int = 5
    """Look-ups in a row a data service (RDAP, certificate transparency) may leave unanswered before a
    scan stops asking it (the rest are recorded as failures); 0 never gives up."""
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Options of each source by source name, e.g. ``certificate: {https_port: 8443}``; `unmask infra
    sources` lists them with their defaults. Checked by unmask.infra.registry."""
    alerts: AlertSettings = field(default_factory=AlertSettings)

    MOVED: ClassVar[dict[str, tuple[str, ...]]] = {
        "mmdb": ("sources", "networks", "mmdb"),
        "rdap_bootstrap_dir": ("sources", "rdap", "bootstrap_dir"),
        "rdap_base_url": ("sources", "rdap", "base_url"),
        "ct_url": ("sources", "ct", "url"),
    }
    """Settings of earlier case files that are now options of one source: read at their new place."""


@dataclass
class OwnersSettings:
    """Entity graph and ownership (`unmask owners …`). Owned by unmask.owners."""

    offshore_jurisdictions: list[str] = field(default_factory=list)
    """Extra jurisdiction codes to flag as offshore, on top of the shipped list."""
    mass_address_threshold: int = 10
    """An address given by at least this many entities of the case is flagged (mass registration)."""
    graph_view_nodes: int = 120
    """Most nodes drawn in the report's graph view (the ones closest to the platform and the owners)."""


@dataclass
class AppsSettings:
    """Promoted apps, their store listings, APKs and privacy policies (`unmask apps …`, `unmask policy …`).
    Owned by unmask.apps."""

    play_base: str = "https://play.google.com"
    """Base URL of the Google Play store (listing at PLAY_BASE/store/apps/details?id=…&gl=CC); a mirror
    or a loopback server of recorded pages in tests. `--store-base` overrides it for one run."""
    apple_base: str = "https://itunes.apple.com"
    """Base URL of Apple's lookup service (APPLE_BASE/lookup?bundleId=…&country=cc)."""
    countries: list[str] = field(default_factory=lambda: ["us"])
    """Storefronts checked when `--country` is not given (ISO 3166 alpha-2)."""
    language: str = "en"
    """Language asked of the stores (hl=)."""
    removed_after: int = 2
    """Checks in a row without the listing, in every storefront checked, before a store counts as having
    removed the app (a single 404 is often a country restriction: "unavailable")."""
    max_apk_bytes: int = 200 * MiB
    """Largest APK read (a file, or a download with --fetch-apk): larger ones are refused, not cut."""
    max_entry_bytes: int = 256 * MiB
    """Largest size one APK entry (a dex file, the manifest) may expand to (zip bombs)."""
    max_expanded_bytes: int = 1024 * MiB
    """Largest size all entries read from one APK may expand to in all, nested APKs included."""
    max_classes: int = 2_000_000
    """Most class names read from one APK's dex files (the rest are not read; the result says so)."""
    max_nesting: int = 3
    """Depth of APKs inside APKs that are opened."""
    discover_max_pages: int = 100_000
    """Most stored pages `apps discover` reads in one run."""
    policy_max_bytes: int = 4 * MiB
    """Largest policy text analysed (a file or a fetched page); the rest is not read, the result says so."""


@dataclass
class EvidenceSettings:
    """Seals, timestamps and replay (`unmask evidence …`). Owned by unmask.evidence."""

    tsa: list[str] = field(default_factory=list)
    """RFC 3161 timestamp authorities asked by `evidence seal` (each one; `--tsa` overrides the list)."""
    tsa_roots: list[str] = field(default_factory=list)
    """PEM files of the TSAs' root certificates that `evidence verify` trusts (relative to the case)."""
    tsa_timeout: float = 20.0
    """Longest time one TSA may take to answer before its timestamp counts as failed."""
    seal_after_run: bool = False
    """Seal (and timestamp) the evidence at the end of every run that fetched (census, history, infra)."""
    serve_port: int = 8642
    """Port of `evidence serve` on 127.0.0.1, and the one the report's replay links point at."""


@dataclass
class WatchJob:
    """One thing `unmask watch` re-runs on a schedule. Owned by unmask.watch."""

    kind: str
    """census (a re-crawl of ``url``) | forum (a forum re-crawl of ``url``) | infra (a scan of ``domains``)
    | apps (store presence of ``packages``) | protect (a scan for protected persons) | takedown (re-checks
    of sent notices' URLs past their deadline)"""
    cron: str = "0 3 * * *"
    """When, as a cron expression (minute hour day month weekday, UTC)."""
    url: str | None = None
    domains: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    """Options of the command the job runs, by their long name without dashes (census and forum: delay,
    concurrency, adapter, max_requests, ignore_robots; infra: resolver, dns_only, active; apps: country,
    store_base; takedown: all)."""


@dataclass
class WatchSettings:
    """`unmask watch run|daemon`: what is re-run when, and where the alerts go. Owned by unmask.watch."""

    notify: list[str] = field(default_factory=list)
    """Apprise URLs (mailtos://…, json://host/path, matrix://…, ntfy://…): one message per change set,
    and one per failed run."""
    jobs: list[WatchJob] = field(default_factory=list)
    job_timeout: float = 24 * 3600.0
    """Seconds one job may run before it is stopped and alerted as failed."""


@dataclass
class NotifierSettings:
    """Who sends takedown notices (DSA Art. 16(2)(c)): printed in every notice."""

    name: str | None = None
    email: str | None = None


@dataclass
class MailSettings:
    """The mail server notices are sent through (`unmask takedown draft --send`)."""

    host: str | None = None
    port: int = 25
    starttls: bool = False
    user: str | None = None
    password: str | None = None


@dataclass
class TakedownSettings:
    """Takedown notices (`unmask takedown …`). Owned by unmask.takedown."""

    deadline_days: int = 7
    """Days after sending when a notice's URLs are checked again (are they gone?)."""
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    """The platforms' own notice contacts by domain: {"site.example": {"email": "…", "form": "…"}}."""


@dataclass
class CaseConfig:
    name: str = "case"
    database: str = "sqlite:///unmask.db"
    """SQLAlchemy URL; a relative SQLite path is relative to the case folder."""
    secret: str = ""
    """Per-case key for pseudonyms; generated at init, never leaves the case."""
    fetch: FetchSettings = field(default_factory=FetchSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)
    history: HistorySettings = field(default_factory=HistorySettings)
    infra: InfraSettings = field(default_factory=InfraSettings)
    owners: OwnersSettings = field(default_factory=OwnersSettings)
    apps: AppsSettings = field(default_factory=AppsSettings)
    evidence: EvidenceSettings = field(default_factory=EvidenceSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    notifier: NotifierSettings = field(default_factory=NotifierSettings)
    mail: MailSettings = field(default_factory=MailSettings)
    takedown: TakedownSettings = field(default_factory=TakedownSettings)


T = TypeVar("T")


def _coerce(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (types.UnionType, typing.Union):
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _coerce(value, inner[0], where)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(f"expected a mapping, got {type(value).__name__}", where=where)
        return from_dict(tp, value, where)  # type: ignore[arg-type]
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"expected a mapping, got {type(value).__name__}", where=where)
        return {str(k): _coerce(v, args[1], f"{where}.{k}") for k, v in value.items()}
    if origin is list:
        if not isinstance(value, list):
            raise ConfigError(f"expected a list, got {type(value).__name__}", where=where)
        return [_coerce(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"expected a number, got {value!r}", where=where)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"expected a whole number, got {value!r}", where=where)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"expected true or false, got {value!r}", where=where)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"expected text, got {value!r}", where=where)
        return value
    return value


def from_dict(cls: type[T], data: dict[str, Any], where: str = "config") -> T:
    """Build a settings dataclass from a mapping, rejecting unknown keys and wrong types."""
    data = _moved(cls, data)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})", where=where)
    kwargs = {k: _coerce(v, hints[k], f"{where}.{k}") for k, v in data.items()}
    return cls(**kwargs)


def _moved(cls: type[Any], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the keys ``cls.MOVED`` names put at their new place (a value already there wins)."""
    moved: dict[str, tuple[str, ...]] = getattr(cls, "MOVED", {})
    if not moved.keys() & data.keys():
        return data
    data = dict(data)
    for old, path in moved.items():
        if data.get(old) is None:
            data.pop(old, None)  # nothing set: nothing to carry over
            continue
        parent = data
        for key in path[:-1]:
            child = parent.get(key) or {}
            if not isinstance(child, dict):
                break  # not a mapping where the key moved to: left as it is, to be reported
            parent[key] = parent = dict(child)
        else:
            parent.setdefault(path[-1], data.pop(old))
    return data


def to_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def load_config(path: Path) -> CaseConfig:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read ({exc.strerror})", where=str(path)) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError("not valid YAML", where=f"{path}{line}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping at the top level", where=str(path))
    raw.pop("unmask_case", None)
    return from_dict(CaseConfig, raw, where=path.name)


def save_config(config: CaseConfig, path: Path) -> None:
    """Write case.yaml atomically, readable by its owner only (it holds the secret)."""
    from unmask.core.output import write_text

    data = {"unmask_case": 1, **to_dict(config)}
    write_text(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True), private=True)
