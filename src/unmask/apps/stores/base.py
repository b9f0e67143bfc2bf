"""What every store shares: the listing URL per storefront, one fetch through the case's Fetcher (so into
the evidence), and the mapping of the answer to ``listed`` / ``unavailable`` / ``unknown``."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, FetchError, FetchResponse

LISTED = "listed"
UNAVAILABLE = "unavailable"
UNKNOWN = "unknown"
REMOVED = "removed"
ABSENT_STATUSES = frozenset({404, 410})
CAPTCHA = re.compile(
    r"captcha|unusual traffic|/sorry/|are you a robot|verify you are human|检测到异常流量", re.IGNORECASE
)
FIELDS: tuple[str, ...] = (
    "title",
    "developer",
    "developer_id",
    "seller",
    "email",
    "website",
    "address",
    "privacy_policy",
    "version",
    "installs",
    "rating_count",
    "released",
    "updated",
)
"""What a listing shows (each store fills what it has; changes of these between checks are events)."""


@dataclass
class Listing:
    """One check of one listing in one storefront."""

    store: str
    country: str
    url: str
    status: str
    reason: str | None = None
    http_status: int | None = None
    capture_id: int | None = None
    package: str | None = None
    """The app ID the store gives (Apple: the bundle ID behind a numeric ID)."""
    title: str | None = None
    developer: str | None = None
    developer_id: str | None = None
    seller: str | None = None
    email: str | None = None
    website: str | None = None
    address: str | None = None
    privacy_policy: str | None = None
    version: str | None = None
    installs: str | None = None
    rating_count: int | None = None
    released: str | None = None
    updated: str | None = None

    def facts(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in FIELDS}

    def fill(self, **facts: object) -> None:
        """Set what the store shows, texts normalised (whitespace, length) and counts checked."""
        for name, value in facts.items():
            if name not in FIELDS:
                raise KeyError(name)
            setattr(self, name, _count(value) if name == "rating_count" else _text(value))


def _text(value: object, limit: int = 2000) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    text = " ".join(str(value).split())
    return text[:limit] or None


def _count(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class Store(ABC):
    """One app store. Subclasses give the listing URL and read a 200 answer."""

    name: ClassVar[str]
    data_marker: ClassVar[str]
    """What a real answer of this store contains (a page with "captcha" in it and without this is one)."""

    def __init__(self, base: str, *, language: str = "en") -> None:
        self.base = base.rstrip("/")
        self.language = language

    @abstractmethod
    def listing_url(self, app_id: str, country: str) -> str:
        """The URL that asks for the listing in one storefront (the country always in it)."""

    @abstractmethod
    def read(self, listing: Listing, response: FetchResponse) -> None:
        """Fill ``listing`` from a 200 answer: its facts and status (listed, unavailable or unknown)."""

    async def check(self, fetcher: Fetcher, app_id: str, country: str) -> Listing:
        """Ask the store once for the listing in ``country``; every outcome is a result."""
        url = self.listing_url(app_id, country)
        listing = Listing(store=self.name, country=country, url=url, status=UNKNOWN)
        try:
            # redirects are not followed: a store that sends us elsewhere (another storefront, a
            # captcha page) gives no answer for this storefront. One listing the investigator asked
            # for is not a crawl: robots.txt is not read (the politeness delay still applies).
            response = await fetcher.get(url, follow_redirects=False, obey_robots=False)
        except FetchRefused as exc:
            listing.reason = f"refused: {exc.reason}"
            return listing
        except FetchError as exc:
            listing.reason = f"no answer: {exc.detail}"
            return listing
        listing.http_status = response.status
        listing.capture_id = response.capture_id
        body = response.text if response.body else ""
        captcha = bool(CAPTCHA.search(body[:200_000])) and self.data_marker not in body
        if captcha:
            listing.reason = f"a captcha page (HTTP {response.status})"
        elif response.status in ABSENT_STATUSES:
            listing.status = UNAVAILABLE
            listing.reason = f"HTTP {response.status} in this storefront"
        elif 300 <= response.status < 400:
            where = response.header("location") or ""
            kind = "a captcha page" if CAPTCHA.search(where) else "elsewhere"
            listing.reason = f"redirected to {kind} ({where[:300]})"
        elif response.status != 200:
            listing.reason = f"HTTP {response.status}"
        else:
            self.read(listing, response)
        return listing
