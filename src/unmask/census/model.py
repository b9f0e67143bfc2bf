"""Typed records that extraction produces and the census store consumes.

Extraction (sitemaps, schema.org, site adapters) turns a fetched page into a ``PageResult``:
the items it describes (possibly partially) and the links worth following. Nothing here
touches the network or the database.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class ItemKind(StrEnum):
    VIDEO = "video"
    PHOTO = "photo"
    GALLERY = "gallery"


class PageKind(StrEnum):
    ROBOTS = "robots"
    SITEMAP = "sitemap"
    LISTING = "listing"
    ITEM = "item"
    PERSON = "person"
    PAGE = "page"


ITEM_FIELDS: tuple[str, ...] = (
    "title",
    "duration",
    "views",
    "upload_date",
    "uploader",
    "persons",
    "tags",
    "categories",
    "gallery_id",
    "photo_count",
)


@dataclass(frozen=True)
class RejectedValue:
    """A value a page stated that extraction refused as implausible (kept so the refusal can be counted)."""

    field: str
    """The record field it was for (``views``, ``upload_date``…)."""
    value: str
    """The value as read."""
    reason: str


@dataclass
class PersonRef:
    name: str
    url: str | None = None
    public_figure: bool | None = None


@dataclass
class ItemRecord:
    """What one page says about one item. ``None`` (or an empty list) means "not said here"."""

    kind: ItemKind
    url: str
    platform_id: str | None = None
    title: str | None = None
    duration: float | None = None
    """Seconds."""
    views: int | None = None
    upload_date: dt.date | None = None
    uploader: str | None = None
    uploader_url: str | None = None
    persons: list[PersonRef] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    gallery_id: str | None = None
    """For a photo: the platform id of the gallery it belongs to."""
    photo_count: int | None = None
    """For a gallery: how many photos it holds."""
    from_item_page: bool = False
    """True when the record comes from the item's own page (as complete as the site allows)."""
    rejected: list[RejectedValue] = field(default_factory=list)
    """Values the page stated for this item that were refused as implausible (the field stays None)."""

    def provided(self) -> list[str]:
        """Names of the fields this record carries a value for."""
        out = []
        for name in ITEM_FIELDS:
            value = getattr(self, name)
            if value is not None and value != []:
                out.append(name)
        return out


@dataclass
class Link:
    url: str
    kind: PageKind
    item_kind: ItemKind | None = None


@dataclass
class PageResult:
    """Everything extracted from one response."""

    items: list[ItemRecord] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    next_page: str | None = None
    """Pagination: the next listing page, if any."""
    canonical: str | None = None
    gone: bool = False
    """The page says the item was removed (even with a 200 status)."""
