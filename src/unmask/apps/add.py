"""`unmask apps add SOURCE...`: an APK file (analysed offline), an APK URL (downloaded through the fetch
layer's binary allowance only with ``--fetch-apk``), a package name or bundle ID, or a store URL (its
listing checked in every storefront asked for, each check an observation in the evidence).

Where requests may go: store checks only to the configured store bases (``apps.play_base``,
``apps.apple_base``, or ``--store-base``); an APK download only to the origin of its URL (a redirect to
another origin is refused and recorded). Store checks are single listings the investigator asked for,
not a crawl: they do not read robots.txt (the politeness delay applies); a download does."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from unmask.apps import storage, trackers
from unmask.apps.apk import ApkReport, analyse_bounded
from unmask.apps.archive import ApkInputError
from unmask.apps.fetching import source_fetcher, store_fetcher
from unmask.apps.links import PACKAGE, classify
from unmask.apps.stores import STORES
from unmask.apps.stores.apple import APPLE_ID_PREFIX
from unmask.apps.stores.base import Listing
from unmask.core.config import AppsSettings
from unmask.core.errors import FetchRefused, UnmaskError
from unmask.core.fetch import BinaryAllowance, Fetcher, FetchError, binary_allowance
from unmask.core.progress import Progress
from unmask.core.store.models import App

COUNTRY = re.compile(r"^[A-Za-z]{2}$")


def apk_allowance(settings: AppsSettings) -> BinaryAllowance:
    """The one binary unmask fetches, and only when asked (``--fetch-apk``): an APK (the fetch policy's
    ``apk`` allowance), whole, under ``apps.max_apk_bytes``."""
    return binary_allowance("apk", settings.max_apk_bytes)


@dataclass(frozen=True)
class Source:
    raw: str
    kind: str
    """apk_file | apk_url | listing"""
    app_id: str | None = None
    store: str | None = None
    country: str | None = None


def parse_source(raw: str, *, store: str | None) -> Source:
    """What one SOURCE argument is; a one-line UnmaskError for anything else."""
    path = Path(raw)
    if not raw.startswith(("http://", "https://", "market:", "intent:")) and (
        path.exists() or raw.endswith(".apk")
    ):
        if not path.is_file():
            raise UnmaskError("no such APK file", where=raw)
        return Source(raw, "apk_file")
    link = classify(raw)
    if link is not None and link.kind == "apk":
        return Source(raw, "apk_url")
    if link is not None and link.app_id and link.store:
        if store and store != link.store:
            raise UnmaskError(f"a {link.store} link, not a {store} one (--store {store})", where=raw)
        return Source(raw, "listing", link.app_id, link.store, link.country)
    if raw.startswith(("http://", "https://")):
        raise UnmaskError("not a store listing or an APK URL unmask knows", where=raw)
    if raw.startswith(APPLE_ID_PREFIX) and raw.removeprefix(APPLE_ID_PREFIX).isdigit():
        return Source(raw, "listing", raw, "apple")
    if PACKAGE.match(raw):
        return Source(raw, "listing", raw, store or "play")
    raise UnmaskError("not an APK file, a package name, a bundle ID or a store URL", where=raw)


def check_countries(countries: list[str]) -> list[str]:
    for country in countries:
        if not COUNTRY.match(country):
            raise UnmaskError(f"{country!r} is not a two-letter country code", where="--country")
    return [c.lower() for c in dict.fromkeys(countries)]


@dataclass
class AddOptions:
    store: str | None = None
    countries: list[str] = field(default_factory=list)
    store_base: str | None = None
    fetch_apk: bool = False


def _apk_summary(report: ApkReport, new: bool) -> dict[str, Any]:
    return {
        "sha256": report.sha256,
        "new": new,
        "package": report.package,
        "version": report.version_name,
        "certificates": [{"scheme": s.scheme, "sha256": s.certificate.sha256} for s in report.signers],
        "trackers": [t.name for t in report.trackers],
        "permissions": report.permissions,
        "domains": report.domains,
        "notes": report.notes,
    }


def add_apk_bytes(case: Any, data: bytes, *, source: str, capture_id: int | None = None) -> dict[str, Any]:
    """Analyse one APK (bounded, in a child process) and store it; ApkInputError for bad input."""
    settings: AppsSettings = case.config.apps
    report = analyse_bounded(data, settings, trackers.for_case(case.root), where=source)
    if not report.package:
        raise ApkInputError("no package name in the manifest", where=source)
    with case.store.session() as session:
        app = storage.upsert_app(session, report.package, name=report.label)
        _apk, new = storage.store_apk(session, report, app, source=source, capture_id=capture_id)
        if capture_id is not None:
            storage.link_downloads(session, source, app)
    return {"source": source, "package": report.package, "apk": _apk_summary(report, new), "checks": []}


async def _download(
    fetcher: Fetcher, url: str, settings: AppsSettings
) -> tuple[bytes | None, int | None, str | None]:
    try:
        response = await fetcher.get(url, binary=apk_allowance(settings))
    except FetchRefused as exc:
        return None, None, f"refused: {exc.reason}"
    except FetchError as exc:
        return None, None, f"no answer: {exc.detail}"
    if response.status != 200:
        return None, response.capture_id, f"HTTP {response.status}"
    return response.body, response.capture_id, None


def _resolve_apple(session: Any, app: App, listing: Listing) -> App:
    """An ``apple:ID`` app takes the bundle ID the lookup gives (the app's ID in the graph)."""
    if not listing.package or not app.package.startswith(APPLE_ID_PREFIX):
        return app
    other = session.scalar(select(App).where(App.package == listing.package))
    if other is not None:
        return other
    app.package = listing.package
    return app


async def _checks(case: Any, fetcher: Fetcher, source: Source, options: AddOptions) -> list[dict[str, Any]]:
    settings: AppsSettings = case.config.apps
    assert source.store is not None and source.app_id is not None
    base = options.store_base or (settings.play_base if source.store == "play" else settings.apple_base)
    store = STORES[source.store](base, language=settings.language)
    countries = options.countries or ([source.country] if source.country else settings.countries)
    platform = "ios" if source.store == "apple" else "android"
    out = []
    package = source.app_id
    for country in countries:
        listing = await store.check(fetcher, source.app_id, country)
        with case.store.session() as session:
            app = storage.upsert_app(session, package, platform=platform)
            if source.store == "apple":
                app = _resolve_apple(session, app, listing)
            if listing.title and not app.name:
                app.name = listing.title
            storage.store_check(session, app, listing)
            package = app.package
        out.append(
            {
                "store": listing.store,
                "country": country,
                "status": listing.status,
                "reason": listing.reason,
                "package": package,
            }
        )
    return out


async def add_sources(
    case: Any, sources: list[Source], options: AddOptions, progress: Progress | None = None
) -> list[dict[str, Any]]:
    """Every source in turn; failures inside (a refused download, a store that does not answer) are
    results. Bad APK files raise ApkInputError before anything is fetched. ``progress`` is told after
    each source."""
    results: list[dict[str, Any]] = []

    def done(source: Source) -> None:
        if progress is not None:
            progress(len(results), len(sources), source.raw)

    if progress is not None:
        progress(0, len(sources))
    for source in sources:
        if source.kind == "apk_file":
            try:
                content = Path(source.raw).read_bytes()
            except OSError as exc:
                raise UnmaskError(f"cannot read ({exc.strerror})", where=source.raw) from exc
            results.append(add_apk_bytes(case, content, source=source.raw))
            done(source)
    stores: Fetcher | None = None
    try:
        for source in sources:
            if source.kind == "apk_url":
                results.append(await _add_download(case, source))
            elif source.kind == "listing":
                stores = stores or store_fetcher(case, options.store_base)
                checks = await _checks(case, stores, source, options)
                package = checks[-1]["package"] if checks else source.app_id
                results.append({"source": source.raw, "package": package, "apk": None, "checks": checks})
            if source.kind != "apk_file":
                done(source)
    finally:
        if stores is not None:
            await stores.aclose()
    return results


async def _add_download(case: Any, source: Source) -> dict[str, Any]:
    async with source_fetcher(case, source.raw) as fetcher:
        data, capture_id, error = await _download(fetcher, source.raw, case.config.apps)
    failed: dict[str, Any] = {"source": source.raw, "package": None, "apk": None, "checks": []}
    if data is None:
        return {**failed, "error": error}
    try:
        return await asyncio.to_thread(add_apk_bytes, case, data, source=source.raw, capture_id=capture_id)
    except ApkInputError as exc:  # what a site served is a result, not the user's mistake
        return {**failed, "error": str(exc)}


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()
