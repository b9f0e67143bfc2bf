"""How concentrated attention and activity are: who holds the views, who uploads.

Views are over videos present with a known view count; uploader activity over videos and photos present
that name an uploader. Only the one column a sort needs is brought into Python, as a compact array.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from itertools import islice
from operator import mul
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from unmask.analysis.growth import Scope, Task
from unmask.analysis.targets import MEDIA
from unmask.core.privacy import Role
from unmask.core.store.models import Item, Uploader

TOP_UPLOADERS = 10


def views(s: Session, scope: Scope) -> dict[str, Any]:
    """Share of all video views held by the top 1 % and 10 % of videos, and the Gini coefficient."""
    ordered = sorted(column_values(s, scope, Item.views, "q"))
    total = sum(ordered)
    return {
        "videos": len(ordered),
        "views": total,
        "top1_share": top_share(ordered, 0.01, total),
        "top10_share": top_share(ordered, 0.10, total),
        "gini": gini(ordered, total),
    }


def column_values(s: Session, scope: Scope, column: Any, typecode: str) -> array[Any]:
    """One column of the present videos (where known) as a compact array."""
    q = select(column).where(Item.removed_at.is_(None), Item.kind == "video", column.is_not(None))
    values: array[Any] = array(typecode)
    for part in s.execute(scope.items(q)).partitions(65536):
        values.extend(v for (v,) in part)
    return values


def top_share(ascending: Sequence[int], fraction: float, total: int) -> float:
    """Share of the total held by the largest ceil(fraction × n) values (at least one)."""
    if not ascending or total <= 0:
        return 0.0
    k = max(1, math.ceil(len(ascending) * fraction))
    return round(sum(islice(reversed(ascending), k)) / total, 4)


def gini(ascending: Sequence[int], total: int) -> float:
    """Gini coefficient of non-negative values sorted ascending: 0 all equal, → 1 one holds everything."""
    n = len(ascending)
    if n == 0 or total <= 0:
        return 0.0
    weighted = sum(map(mul, range(1, n + 1), ascending))
    return round(2.0 * weighted / (n * total) - (n + 1) / n, 4)


def views_by_year(s: Session, scope: Scope) -> list[dict[str, Any]]:
    """Videos, their views and views per video (with a known count) by upload year; year None = unknown.

    Grouped by day in SQL (a streaming read of the covering index), folded into years here.
    """
    q = (
        select(Item.upload_date, func.count(), func.count(Item.views), func.coalesce(func.sum(Item.views), 0))
        .where(Item.removed_at.is_(None), Item.kind == "video")
        .group_by(Item.upload_date)
    )
    years: dict[str | None, list[int]] = {}
    for day, *counts in s.execute(scope.items(q)):
        sums = years.setdefault(None if day is None else str(day)[:4], [0, 0, 0])
        for i, n in enumerate(counts):
            sums[i] += int(n)
    return [
        {"year": y, "videos": n, "views": v, "views_per_video": round(v / counted, 1) if counted else None}
        for y, (n, counted, v) in sorted(years.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
    ]


def uploaders(s: Session, scope: Scope) -> dict[str, Any]:
    """Items per uploader: how many uploaders, median and maximum, and the top uploaders' share."""
    q = (
        select(Item.uploader_id, func.count())
        .where(Item.kind.in_(MEDIA), Item.removed_at.is_(None), Item.uploader_id.is_not(None))
        .group_by(Item.uploader_id)
    )
    counts = sorted(((int(n), int(uid)) for uid, n in s.execute(scope.items(q))), reverse=True)
    items = sum(n for n, _ in counts)
    top = counts[:TOP_UPLOADERS]
    q_names = select(Uploader.id, Uploader.name).where(Uploader.id.in_([u for _, u in top]))
    names = {int(uid): str(name) for uid, name in s.execute(q_names)}
    return {
        "uploaders": len(counts),
        "items": items,
        "median": median([n for n, _ in reversed(counts)]),
        "max": counts[0][0] if counts else 0,
        "top10_share": round(sum(n for n, _ in top) / items, 4) if items else 0.0,
        "top": [
            {"name": scope.privacy.name(names.get(uid, ""), Role.UPLOADER), "items": n} for n, uid in top
        ],
    }


def median(ascending: Sequence[float]) -> float | None:
    n = len(ascending)
    if n == 0:
        return None
    mid = n // 2
    return float(ascending[mid]) if n % 2 else (ascending[mid - 1] + ascending[mid]) / 2.0


TASKS: dict[str, Task] = {"views": views, "views_by_year": views_by_year, "uploaders": uploaders}
