"""Growth of a platform: items per month by upload date, and what each crawl run saw.

Also holds what every analysis part shares: the `Scope` (which platforms, which SQL dialect, how to
show names) and `Task`, one SQL computation of a part (parts list theirs in `TASKS`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from unmask.analysis.figures import monthly_counts
from unmask.core.privacy import PrivacyPolicy
from unmask.core.store.models import CrawlRun, Item


@dataclass(frozen=True)
class Scope:
    """What the analysis looks at (items of some platforms, None = all) and how it shows persons."""

    dialect: str
    platform_ids: tuple[int, ...] | None = None
    privacy: PrivacyPolicy = field(default_factory=lambda: PrivacyPolicy(secret=""))
    """How names and free text are shown (unmask.core.privacy)."""
    top: int = 20

    def items(self, q: Any) -> Any:
        return q if self.platform_ids is None else q.where(Item.platform_id.in_(self.platform_ids))

    def runs(self, q: Any) -> Any:
        return q if self.platform_ids is None else q.where(CrawlRun.platform_id.in_(self.platform_ids))


Task = Callable[[Session, Scope], Any]


def present_joined(dialect: str) -> Any:
    """`removed_at IS NULL` for a query that joins items from a link table (persons, tags).

    On SQLite written `removed_at || '' IS NULL` so that no index serves it: SQLite then walks the link
    table in order and looks each item up by id, instead of walking the item index and probing the link
    table at random, which is several times slower. On PostgreSQL that form would hide the column's
    statistics (it then guesses 0.5 % of items present, not 97 %, and probes the link table once per item
    through nested loops), so there it is the plain condition and the planner hash-joins.
    """
    if dialect == "postgresql":
        return Item.removed_at.is_(None)
    return Item.removed_at.op("||")(literal("")).is_(None)


def monthly(s: Session, scope: Scope) -> list[dict[str, Any]]:
    """Items present per month of upload and kind (unmask.analysis.figures.monthly_counts, the one
    computation `stats` shares)."""
    return monthly_counts(s, scope.items)


def runs(s: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per crawl run: items it found first, items it marked removed, and items present after it."""
    new = _count_by(s, scope, Item.first_seen_run)
    removed = _count_by(s, scope, Item.removed_run)
    q = select(CrawlRun).order_by(CrawlRun.id)
    present: dict[int, int] = {}
    out = []
    for run in s.scalars(scope.runs(q)):
        added, gone = new.get(run.id, 0), removed.get(run.id, 0)
        present[run.platform_id] = present.get(run.platform_id, 0) + added - gone
        out.append(
            {
                "run": run.id,
                "platform_id": run.platform_id,
                "status": run.status,
                "started": run.started_at.isoformat(timespec="seconds"),
                "finished": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
                "new": added,
                "removed": gone,
                "present_after": present[run.platform_id],
            }
        )
    return out


def _count_by(s: Session, scope: Scope, column: Any) -> dict[int, int]:
    q = select(column, func.count()).where(column.is_not(None)).group_by(column)
    return {int(k): int(n) for k, n in s.execute(scope.items(q))}


TASKS: dict[str, Task] = {"monthly": monthly, "runs": runs}
