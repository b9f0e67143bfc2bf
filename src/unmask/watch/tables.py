"""The watch's record in the case store (migration 0013): one row per job run, what it found (counts,
never a protected name) and where its alert went."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from unmask.core.store.models import Base, utcnow


class WatchRun(Base):
    __tablename__ = "watch_run"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(300), index=True)
    """The job's key (kind and target, e.g. ``census https://site.example/``)."""
    kind: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    ok: Mapped[bool | None] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
    changes: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the run's changes."""
    alerts: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of the delivery results."""
