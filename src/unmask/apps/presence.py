"""Store presence over time: each storefront's status from its checks, and the presence window.

A single 404 is often a country restriction, so a storefront whose last check missed the listing is
"unavailable". A store counts as having **removed** the app only when (1) the app was seen listed in that
store before (a check or a web-archive capture), and (2) in *every* storefront of that store that was
checked, the last ``removed_after`` checks that could tell all missed it. Checks that could not tell
(captcha, errors: "unknown") neither count as absence nor break it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from unmask.apps.stores.base import LISTED, REMOVED, UNAVAILABLE, UNKNOWN
from unmask.core.store.models import AppStoreCheck


@dataclass
class Storefront:
    store: str
    country: str
    status: str
    """listed | unavailable | removed | unknown (no check could tell yet)"""
    last_check: AppStoreCheck
    """The newest check (whatever it could tell)."""
    last_listed: AppStoreCheck | None
    """The newest check that saw the listing (its facts are what the listing last showed)."""
    first_seen: dt.datetime | None
    """The earliest sighting of the listing (our checks and web-archive captures)."""
    last_seen: dt.datetime | None


def storefronts(session: Session, app_id: int, removed_after: int) -> list[Storefront]:
    checks = session.scalars(
        select(AppStoreCheck)
        .where(AppStoreCheck.app_id == app_id)
        .order_by(AppStoreCheck.checked_at, AppStoreCheck.id)
    ).all()
    ours: dict[tuple[str, str], list[AppStoreCheck]] = defaultdict(list)
    sightings: dict[str, list[dt.datetime]] = defaultdict(list)
    for check in checks:
        if check.status == LISTED:
            sightings[check.store].append(check.checked_at)
        if check.source == "store":
            ours[(check.store, check.country)].append(check)
    out: list[Storefront] = []
    for (store, country), rows in sorted(ours.items()):
        known = [c for c in rows if c.status != UNKNOWN]
        listed = [c for c in rows if c.status == LISTED]
        status = known[-1].status if known else UNKNOWN
        seen = [c.checked_at for c in listed]
        out.append(
            Storefront(
                store,
                country,
                status,
                rows[-1],
                listed[-1] if listed else None,
                min(seen) if seen else None,
                max(seen) if seen else None,
            )
        )
    for store in {s.store for s in out}:
        fronts = [s for s in out if s.store == store]
        if sightings.get(store) and all(_absent(ours[(store, s.country)], removed_after) for s in fronts):
            for front in fronts:
                front.status = REMOVED
    archived = [c for c in checks if c.source == "archive" and c.status == LISTED]
    for front in out:
        times = [c.checked_at for c in archived if c.store == front.store]
        if times:
            front.first_seen = min([*times, *([front.first_seen] if front.first_seen else [])])
            front.last_seen = max([*times, *([front.last_seen] if front.last_seen else [])])
    return out


def _absent(rows: list[AppStoreCheck], times: int) -> bool:
    """The last ``times`` checks of this storefront that could tell all missed the listing."""
    known = [c for c in rows if c.status != UNKNOWN]
    tail = known[-max(1, times) :]
    return len(tail) >= max(1, times) and all(c.status == UNAVAILABLE for c in tail)
