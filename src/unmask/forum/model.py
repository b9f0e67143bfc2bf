"""What forum extraction produces: page kinds, links, thread records and a page's result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class PageKind(StrEnum):
    INDEX = "index"
    """The board index (or a category list): links to sections and feeds."""
    FEED = "feed"
    """An RSS or Atom feed: thread links (threads deleted since may still be listed)."""
    SECTION = "section"
    """A section's thread listing, one page of its pagination."""
    THREAD = "thread"
    """A thread's first page: the thread's fields and its first post."""


FEED_RANK, LISTING_RANK, PAGE_RANK = 1, 2, 3
"""Where a thread's fields come from: a better source's values replace a lesser one's."""


@dataclass(frozen=True)
class Link:
    url: str
    kind: PageKind
    section_key: str | None = None


@dataclass
class ThreadRecord:
    platform_id: str
    url: str
    rank: int
    title: str | None = None
    section_key: str | None = None
    section_name: str | None = None
    labels: list[str] = field(default_factory=list)
    starter: str | None = None
    started: dt.date | None = None
    last_post: dt.date | None = None
    replies: int | None = None
    views: int | None = None
    first_post: str | None = None


@dataclass(frozen=True)
class SectionRecord:
    key: str
    name: str | None = None
    url: str | None = None


@dataclass
class PageResult:
    threads: list[ThreadRecord] = field(default_factory=list)
    sections: list[SectionRecord] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    next_page: str | None = None
    closed: bool = False
    """A login-only page: the section (or thread) is recorded as closed, its threads not counted."""
    gone: bool = False
    """The thread page says the thread was removed."""
    engine: str | None = None
    """The engine the page's markup shows (on the start page, when none was given)."""
