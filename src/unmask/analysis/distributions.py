"""Distributions: video durations, and tag frequencies overall and by upload year.

A duration bin holds durations from its lower bound (inclusive) to its upper bound (exclusive).
Tags count the items present carrying them (any kind); a tag that names a hidden person is counted under
its pseudonymized form (unmask.core.privacy), so `#JanetDoerwald` and `janet-doerwald` are one tag.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from unmask.analysis.concentration import column_values, median
from unmask.analysis.growth import Scope, Task, present_joined
from unmask.core.store.models import Item, ItemLabel

DURATION_BINS = (
    ("<1 min", 60),
    ("1–5 min", 300),
    ("5–10 min", 600),
    ("10–20 min", 1200),
    ("20–40 min", 2400),
    ("40–60 min", 3600),
    (">60 min", None),
)
"""(label, upper bound in seconds); the last bin is open."""
TOP_TAGS = 50
TOP_TAGS_PER_YEAR = 10


def durations(s: Session, scope: Scope) -> dict[str, Any]:
    """Histogram of video durations over DURATION_BINS, and the median in seconds."""
    ordered = sorted(column_values(s, scope, Item.duration_s, "d"))
    starts = [
        0,
        *(bisect_left(ordered, upper) for _, upper in DURATION_BINS if upper is not None),
        len(ordered),
    ]
    histogram = [
        {"bin": label, "videos": starts[i + 1] - starts[i]} for i, (label, _) in enumerate(DURATION_BINS)
    ]
    middle = median(ordered)
    return {"histogram": histogram, "median_s": None if middle is None else round(middle, 1)}


def tags(s: Session, scope: Scope) -> dict[str, Any]:
    """The TOP_TAGS most frequent tags, and the TOP_TAGS_PER_YEAR of each upload year (one grouped read)."""
    year = extract("year", Item.upload_date)
    q = (
        select(year, ItemLabel.value, func.count())
        .select_from(ItemLabel)
        .join(Item, Item.id == ItemLabel.item_id)
        .where(ItemLabel.kind == "tag", present_joined(scope.dialect))
        .group_by(year, ItemLabel.value)
    )
    overall: dict[str, int] = {}
    by_year: dict[str, dict[str, int]] = {}
    shown: dict[str, str] = {}
    redact = scope.privacy.redact
    for y, value, n in s.execute(scope.items(q)):
        tag = shown.get(value)
        if tag is None:
            tag = shown[value] = redact(value) or ""
        overall[tag] = overall.get(tag, 0) + int(n)
        if y is not None:
            in_year = by_year.setdefault(str(int(y)), {})
            in_year[tag] = in_year.get(tag, 0) + int(n)
    return {
        "overall": _ranked(overall, TOP_TAGS),
        "by_year": [
            {"year": y, "tags": _ranked(counts, TOP_TAGS_PER_YEAR)} for y, counts in sorted(by_year.items())
        ],
    }


def _ranked(counts: dict[str, int], top: int) -> list[dict[str, Any]]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return [{"tag": tag, "items": n} for tag, n in ordered]


TASKS: dict[str, Task] = {"durations": durations, "tags": tags}
