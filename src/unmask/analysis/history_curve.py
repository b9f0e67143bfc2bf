"""The platform's size over time as web-archive captures showed it, read back from the store.

`unmask history` stores what each archived page stated (`archive_observation`); this module turns
those rows into one point per month for the report, next to the census's own cumulative curve.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from unmask.core.store.db import Store
from unmask.core.store.models import ArchiveObservation

COUNT_KINDS = ("videos", "photos", "total", "last_page", "page_size")


@dataclass
class ArchivePoint:
    month: str
    """YYYY-MM"""
    videos: int | None = None
    """The largest video count an archived page stated that month."""
    photos: int | None = None
    listed: int | None = None
    """The largest catalogue total that month: a stated total, or last page × page size."""

    def as_dict(self) -> dict[str, object]:
        return {"month": self.month, "videos": self.videos, "photos": self.photos, "listed": self.listed}


def _max(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def archive_curve(store: Store) -> list[ArchivePoint]:
    """One point per month with an archived count, oldest first (empty when `history` never ran)."""
    stmt = select(
        ArchiveObservation.archive_capture_id,
        ArchiveObservation.date,
        ArchiveObservation.kind,
        ArchiveObservation.value,
    ).where(ArchiveObservation.kind.in_(COUNT_KINDS), ArchiveObservation.value.is_not(None))
    with store.session() as s:
        rows = s.execute(stmt).all()
    return curve_from_rows((r[0], r[1].strftime("%Y-%m"), r[2], int(r[3] or 0)) for r in rows)


def curve_from_rows(rows: Iterable[tuple[int, str, str, int]]) -> list[ArchivePoint]:
    """(capture, month, kind, value) rows → monthly points; pagination counts are per capture."""
    per_capture: dict[int, dict[str, int]] = {}
    month_of: dict[int, str] = {}
    for capture, month, kind, value in rows:
        per_capture.setdefault(capture, {})[kind] = value
        month_of[capture] = month
    points: dict[str, ArchivePoint] = {}
    for capture, values in per_capture.items():
        month = month_of[capture]
        point = points.setdefault(month, ArchivePoint(month))
        point.videos = _max(point.videos, values.get("videos"))
        point.photos = _max(point.photos, values.get("photos"))
        listed = values.get("total")
        if "last_page" in values and "page_size" in values:
            listed = _max(listed, values["last_page"] * values["page_size"])
        point.listed = _max(point.listed, listed)
    return [points[m] for m in sorted(points)]


def census_at(months: Sequence[str], monthly: Sequence[dict[str, object]], key: str) -> list[float | None]:
    """The census's cumulative value (e.g. videos_cumulative) as of each month (None before its first)."""
    known = [(str(m["month"]), m[key]) for m in monthly]
    out: list[float | None] = []
    j: int = 0
    last: float | None = None
    for month in months:
        while j < len(known) and known[j][0] <= month:
            value = known[j][1]
            last = float(value) if isinstance(value, int | float) else last
            j += 1
        out.append(last)
    return out
