"""The Fetchers of the apps stage, each with the narrowest scope (docs/apps.md, "Where requests go").

Store checks reach only the store bases (``apps.play_base``, ``apps.apple_base``, or ``--store-base`` for
one run); a URL the investigator gives (an APK with ``--fetch-apk``, a privacy policy) only its own
origin: a redirect to another origin is refused and recorded. Neither sends the case's ``fetch.headers``
or cookies (those belong to the investigated site).
"""

from __future__ import annotations

from typing import Any

from unmask.core.config import AppsSettings
from unmask.core.fetch import Fetcher, Scope


def store_bases(settings: AppsSettings, store_base: str | None) -> list[str]:
    """The stores' base URLs this run may ask: ``--store-base`` alone, else the configured ones."""
    return [store_base] if store_base else [settings.play_base, settings.apple_base]


def store_fetcher(case: Any, store_base: str | None = None) -> Fetcher:
    """The Fetcher of store checks: only the store bases in scope. ``scripts``: Apple's lookup labels
    its JSON ``text/javascript`` (the body is still judged as text)."""
    scope = Scope.for_sources(
        store_bases(case.config.apps, store_base),
        allow_private=case.config.fetch.allow_private_addresses,
    )
    return Fetcher.for_case(case, purpose="apps", scope=scope, scripts=True)


def source_fetcher(case: Any, url: str) -> Fetcher:
    """A Fetcher for one URL the investigator gave (an APK, a policy): only that URL's origin in scope."""
    scope = Scope.for_sources([url], allow_private=case.config.fetch.allow_private_addresses)
    return Fetcher.for_case(case, purpose="apps", scope=scope)
