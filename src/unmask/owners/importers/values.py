"""Parsing the values sources write: share ranges, dates."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any


class BadValue(ValueError):
    """A value that makes the record unusable (the message names it)."""


@dataclass(slots=True, frozen=True)
class Share:
    """A share in percent as the source gives it: exact (min == max), a range, or unknown (both None).

    Exclusive bounds stay bounds; ``exclusive_min``/``exclusive_max`` say so.
    """

    min: float | None = None
    max: float | None = None
    exclusive_min: bool = False
    exclusive_max: bool = False

    def flags(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.exclusive_min:
            out["exclusiveMinimum"] = True
        if self.exclusive_max:
            out["exclusiveMaximum"] = True
        return out


UNKNOWN = Share()


def _percent(value: Any, what: str) -> float:
    try:
        number = float(str(value).strip().rstrip("%").strip())
    except ValueError:
        raise BadValue(f"{what} {value!r} is not a number") from None
    if number != number:  # NaN
        raise BadValue(f"{what} {value!r} is not a number")
    if number < 0:
        raise BadValue(f"{what} {number:g}% is below 0")
    if number > 100:
        raise BadValue(f"{what} {number:g}% is above 100")
    return number


def bods_share(share: dict[str, Any] | None) -> Share:
    """BODS ``share``: exact, minimum/maximum, exclusiveMinimum/exclusiveMaximum — kept as given."""
    if not share:
        return UNKNOWN
    exact = None if share.get("exact") is None else _percent(share["exact"], "share")
    low = high = None
    ex_low = ex_high = False
    if share.get("minimum") is not None:
        low = _percent(share["minimum"], "minimum share")
    elif share.get("exclusiveMinimum") is not None:
        low, ex_low = _percent(share["exclusiveMinimum"], "exclusive minimum share"), True
    if share.get("maximum") is not None:
        high = _percent(share["maximum"], "maximum share")
    elif share.get("exclusiveMaximum") is not None:
        high, ex_high = _percent(share["exclusiveMaximum"], "exclusive maximum share"), True
    lo, hi = 0.0 if low is None else low, 100.0 if high is None else high
    left, right = "(" if ex_low else "[", ")" if ex_high else "]"
    if lo > hi or (lo == hi and (ex_low or ex_high)):  # an exclusive bound leaves no share at all
        raise BadValue(f"share range {left}{lo:g}, {hi:g}{right}% is empty")
    if exact is not None:  # the exact share, with the range it must lie in when one is given too
        if exact < lo or exact > hi or (ex_low and exact == lo) or (ex_high and exact == hi):
            raise BadValue(f"exact share {exact:g}% lies outside its range {left}{lo:g}, {hi:g}{right}%")
        return Share(exact, exact)
    return Share(low, high, ex_low, ex_high)


_RANGE = re.compile(r"^\s*([0-9.]+)\s*%?\s*(?:-|–|to|\.\.)\s*([0-9.]+)\s*%?\s*$")
_BOUND = re.compile(r"^\s*(>=|<=|>|<|≥|≤)\s*([0-9.]+)\s*%?\s*$")


def text_share(value: str | None) -> Share:
    """A share written by hand: ``25``, ``25%``, ``10-25``, ``>50``, ``<=25``, empty (unknown)."""
    if value is None or not value.strip() or value.strip().lower() in {"?", "unknown", "n/a"}:
        return UNKNOWN
    if m := _RANGE.match(value):
        low, high = _percent(m.group(1), "share"), _percent(m.group(2), "share")
        if low > high:
            raise BadValue(f"share range {value!r} is empty")
        return Share(low, high)
    if m := _BOUND.match(value):
        op, number = m.group(1), _percent(m.group(2), "share")
        if op in (">", ">=", "≥"):
            return Share(number, None, exclusive_min=op == ">")
        return Share(None, number, exclusive_max=op == "<")
    exact = _percent(value, "share")
    return Share(exact, exact)


def parse_date(value: Any) -> dt.date | None:
    """A date from ``YYYY-MM-DD``, a timestamp, or ``YYYY-MM``/``YYYY`` (first day); None if empty."""
    if value is None:
        return None
    return _date(str(value).strip())


@functools.lru_cache(maxsize=65536)
def _date(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        if len(text) == 4:
            return dt.date(int(text), 1, 1)
        if len(text) == 7:
            return dt.date(int(text[:4]), int(text[5:7]), 1)
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise BadValue(f"date {text!r} is not a date") from None
