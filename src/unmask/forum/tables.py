"""The forum census's tables, on the case store's shared ``Base`` (migration 0014_forum).

- ``forum``: one investigated forum (its base URL and the engine that reads it).
- ``forum_run``: one census of it; an interrupted run is resumed, not restarted (like ``crawl_run``).
- ``forum_frontier``: every URL a run decided to fetch (the durable queue that makes resume exact).
- ``forum_section``: a section (board, category) and whether it is closed (login only: not counted).
- ``forum_thread``: one thread: metadata, the first post's text (never media), its kind and the rule
  that made it, its payment rails; ``removed_at`` once its page answered 404/410 or a complete run no
  longer saw it.
- ``forum_price``: the prices the first post states, exact (decimal text), never converted.

Import this module wherever the tables are used (``core.store.models`` does not import it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from unmask.core.store.models import Base, FrontierColumns, RunColumns, utcnow


class Forum(Base):
    __tablename__ = "forum"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base_url: Mapped[str] = mapped_column(String(500), unique=True)
    engine: Mapped[str | None] = mapped_column(String(100))
    """The adapter that reads it (a built-in engine's name, or an adapter file's ``name``)."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ForumRun(RunColumns, Base):
    __tablename__ = "forum_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id"), index=True)
    limits: Mapped[str | None] = mapped_column(Text, sort_order=6)
    """JSON {limit name: how often it cut work short}."""


class ForumFrontier(FrontierColumns, Base):
    """``kind``: robots | index | feed | section | thread. ``depth``: page number along a section's
    pagination. ``status``: pending | done | gone (404/410) | closed (login only) | failed | refused |
    disallowed."""

    __tablename__ = "forum_frontier"
    __table_args__ = (
        UniqueConstraint("run_id", "url_key", name="uq_forum_frontier_run_url"),
        Index("ix_forum_frontier_run_status", "run_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("forum_run.id"))
    section_key: Mapped[str | None] = mapped_column(String(200), sort_order=2)
    """The section a section page or a thread was linked from."""


class ForumSection(Base):
    __tablename__ = "forum_section"
    __table_args__ = (UniqueConstraint("forum_id", "key", name="uq_forum_section_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id"))
    key: Mapped[str] = mapped_column(String(200))
    """The engine's id of the section (from its URL), else its name."""
    name: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(Text)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    """Login only: recorded, its threads not counted."""
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))


class ForumThread(Base):
    __tablename__ = "forum_thread"
    __table_args__ = (
        UniqueConstraint("forum_id", "platform_id", name="uq_forum_thread_pid"),
        Index("ix_forum_thread_kind", "forum_id", "kind"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("forum.id"))
    platform_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    section_key: Mapped[str | None] = mapped_column(String(200))
    labels: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the thread's prefix and labels as the forum shows them ("[PAID]", "Request")."""
    starter: Mapped[str | None] = mapped_column(Text)
    """The thread starter's handle as the forum shows it: pseudonymized in every output."""
    started: Mapped[dt.date | None] = mapped_column(Date)
    last_post: Mapped[dt.date | None] = mapped_column(Date)
    replies: Mapped[int | None] = mapped_column(Integer)
    views: Mapped[int | None] = mapped_column(Integer)
    first_post: Mapped[str | None] = mapped_column(Text)
    """The first post's text (for extraction; never media or attachments)."""
    kind: Mapped[str] = mapped_column(String(20), default="other")
    """paid_request | request | offer | other"""
    kind_rule: Mapped[str | None] = mapped_column(Text)
    """The rule that made the kind ("section 'Paid Requests'", "prefix '[PAID]'", "title says 'WTB'")."""
    rails: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of payment rails the first post names."""
    rank: Mapped[int] = mapped_column(Integer, default=0)
    """Where the stored fields come from: 3 the thread's page, 2 a section listing, 1 a feed."""
    capture_id: Mapped[int | None] = mapped_column(ForeignKey("capture.id"))
    """The capture of the page the stored fields come from (evidence)."""
    first_run: Mapped[int | None] = mapped_column(Integer)
    last_run: Mapped[int | None] = mapped_column(Integer)
    removed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    """Its page is login only (a thread of a closed section a feed still lists): not counted."""


class ForumPrice(Base):
    __tablename__ = "forum_price"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_thread.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    """The span as written in the first post."""
    min: Mapped[str] = mapped_column(String(64))
    """Exact decimal text (crypto amounts keep every digit)."""
    max: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str | None] = mapped_column(String(20))
