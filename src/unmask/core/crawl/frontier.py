"""The durable frontier of a crawl run and the run's life: open or resume, verdict, end.

A stage's writer subclasses :class:`RunWriter`, naming its run and frontier tables and how its rows read,
and stores what its pages say in :meth:`RunWriter.store_pages`. The engine keeps the promise every stage
relies on: a page's results, the links it adds and its frontier row's status are committed together (several
pages may share a transaction), so a crawl killed at any moment resumes exactly — a page is either wholly
stored (and not fetched again) or not at all (and fetched again).

The frontier's interface to the pipeline is small on purpose — :meth:`RunWriter.insert` (new links, within the
run's frontier limit), :meth:`RunWriter.claim` (pending rows in frontier order), :meth:`RunWriter.commit_many`
(pages done, whole) and :meth:`RunWriter.fail` — so that another frontier (a shared one in Redis) can
provide it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from unmask.core.config import CrawlSettings
from unmask.core.outcome import UNFINISHED, Reason, dump_reasons
from unmask.core.store import Store
from unmask.core.store.models import utcnow

log = logging.getLogger(__name__)

KEY_CHUNK = 500
"""URL keys looked up in one ``IN (…)``."""
STATISTICS_FLOOR = 1000
"""Rows a writer stores before it first refreshes the planner's statistics of its tables (PostgreSQL);
then again each time the rows it stored have doubled."""
_HTTP_STATUS = re.compile(r"HTTP \d{3}")


def url_key(url: str) -> str:
    """The frontier's key of a URL (unique per run)."""
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


def short(error: str, limit: int = 200) -> str:
    return " ".join(error.split())[:limit]


def plural(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


@dataclass(frozen=True)
class Settled:
    """How a run ended: its status, why it is not complete, and how many items it marked removed."""

    status: str
    reasons: list[Reason]
    removed: int

    @property
    def complete(self) -> bool:
        return self.status == "complete"


R = TypeVar("R")
"""A stage's frontier row (frozen dataclass with ``id``, ``url``, ``kind`` and ``priority``)."""
P = TypeVar("P")
"""A stage's page commit."""
Result = TypeVar("Result")


class RunWriter(Generic[R, P, Result]):
    """The one writer of a crawl run: its frontier, its pages, its verdict. A stage names its tables and
    rows (class attributes) and stores its pages' contents."""

    run_table: ClassVar[Any]
    frontier_table: ClassVar[Any]
    row_columns: ClassVar[tuple[str, ...]]
    """The frontier columns a row is built from (``make_row`` gets them in this order)."""
    nouns: ClassVar[Mapping[str, tuple[str, str]]]
    """Each page kind's noun (one, many), in the order reasons list them."""
    waiting_statuses: ClassVar[tuple[str, ...]] = ("pending",)
    """Rows not read yet (the run is incomplete while any is left)."""
    planned_tables: ClassVar[tuple[str, ...]] = ()
    """Tables the run grows whose planner statistics :meth:`grew` keeps fresh (PostgreSQL)."""

    def __init__(self, store: Store, run_id: int, settings: CrawlSettings) -> None:
        self.store = store
        self.run_id = run_id
        self.settings = settings
        self._insert = store.insert()
        f = self.frontier_table
        with store.session() as s:
            self.rows_by_kind: dict[str, int] = {
                kind: int(n)
                for kind, n in s.execute(
                    select(f.kind, func.count()).where(f.run_id == run_id).group_by(f.kind)
                ).all()
            }
        self._rows = sum(self.rows_by_kind.values())
        """Frontier rows of the run (the writer is its only writer, so the count stays exact)."""
        self._stored_rows = 0
        self._analyze_at = STATISTICS_FLOOR

    # -- what a stage provides --------------------------------------------------------------------

    def make_row(self, values: Sequence[Any]) -> R:
        raise NotImplementedError

    def store_pages(self, s: Session, pages: Sequence[P]) -> list[Result]:
        """Store ``pages``' contents (items, links, evidence) in the session's transaction, as if one after
        the other; the engine then marks their frontier rows."""
        raise NotImplementedError

    def rolled_back(self) -> None:
        """A transaction of pages was rolled back: forget what the writer counted or cached for it."""

    def kept(self) -> None:
        """A transaction of pages was committed."""

    def grew(self, rows: int) -> None:
        """A committed transaction stored about ``rows`` rows into ``planned_tables``. Once they reach
        ``STATISTICS_FLOOR``, and each time they double, PostgreSQL's planner statistics of those tables
        are refreshed (``ANALYZE``, in a transaction of its own; a table another session analyzes is
        skipped). Autovacuum does it at most once a minute: a census fills a new case's tables from
        nothing in less, and until then the planner takes the tables for empty and reads an item look-up
        by its platform alone, every item of it (a listing page's transaction went from 11 to 34 ms)."""
        self._stored_rows += rows
        if self._stored_rows < self._analyze_at or not self.planned_tables:
            return
        self._analyze_at = 2 * self._stored_rows
        if self.store.dialect != "postgresql":
            return  # SQLite plans from its indexes without statistics
        try:  # after the pages' commit: a failure here must not make them look unstored
            with self.store.session() as s:
                s.execute(text(f"ANALYZE (SKIP_LOCKED) {', '.join(self.planned_tables)}"))
        except SQLAlchemyError as exc:
            log.warning("could not refresh the planner's statistics: %s", exc)

    def done_values(self, page: P) -> dict[str, Any]:
        """The frontier row's new values once ``page`` is stored (``id`` names the row)."""
        commit: Any = page  # every stage's page commit has its row, status, error and capture
        return self._settled(commit.frontier.id, commit.status, commit.error, commit.capture_id)

    # -- frontier ---------------------------------------------------------------------------------

    def existing(self, s: Session, keys: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Rows of this run among ``keys``: url key → (id, status)."""
        f = self.frontier_table
        found: dict[str, tuple[int, str]] = {}
        for i in range(0, len(keys), KEY_CHUNK):
            chunk = keys[i : i + KEY_CHUNK]
            for key, rid, status in s.execute(
                select(f.url_key, f.id, f.status).where(f.run_id == self.run_id, f.url_key.in_(chunk))
            ):
                found[key] = (int(rid), str(status))
        return found

    def over_limit(self, values: Mapping[str, Any]) -> str | None:
        """The stage's own limit a new row would pass (its name), checked before the frontier's."""
        return None

    def insert(
        self,
        s: Session,
        rows: Mapping[str, dict[str, Any]],
        existing: Mapping[str, tuple[int, str]] | None = None,
    ) -> tuple[list[R], dict[str, int]]:
        """Insert rows (url key → column values) not yet in this run's frontier (``existing``: looked up when
        not given), within the run's limits, in the session's transaction. Returns the new rows that are
        pending, in frontier order, and the limits that dropped rows (name → how many; the caller records
        them)."""
        dropped: dict[str, int] = {}
        if not rows:
            return [], dropped
        if existing is None:
            existing = self.existing(s, list(rows))
        fresh: list[dict[str, Any]] = []
        for key, values in rows.items():
            if key in existing:
                continue
            limit = self.over_limit(values)
            if limit is None and self._rows >= self.settings.max_frontier:
                limit = "frontier"
            if limit is not None:
                dropped[limit] = dropped.get(limit, 0) + 1
                continue
            self._rows += 1
            kind = values["kind"]
            self.rows_by_kind[kind] = self.rows_by_kind.get(kind, 0) + 1
            fresh.append({"run_id": self.run_id, "url_key": key, "status": "pending", **values})
        if not fresh:
            return [], dropped
        f = self.frontier_table
        table = f.__table__
        cols = [table.c.id, *(table.c[name] for name in self.row_columns if name != "id"), table.c.status]
        out: list[R] = []
        # one INSERT … RETURNING per chunk: the new rows' ids come back without a second query
        for i in range(0, len(fresh), KEY_CHUNK):
            for record in s.execute(
                insert(table).returning(*cols, sort_by_parameter_order=True), fresh[i : i + KEY_CHUNK]
            ):
                if record[-1] == "pending":
                    out.append(self.make_row(tuple(record[:-1])))
        return out, dropped

    def claim(self, limit: int, *, after: int = 0, skip: Iterable[int] = ()) -> list[R]:
        """Pending rows in frontier order after row ``after``, at most ``limit`` of them not in ``skip``."""
        skip = set(skip)
        f = self.frontier_table
        table = f.__table__
        q = (
            select(*(table.c[name] for name in self.row_columns))
            .where(f.run_id == self.run_id, f.status == "pending", f.id > after)
            .order_by(f.id)
            .limit(limit + len(skip))
        )
        with self.store.session() as s:
            rows = [self.make_row(tuple(r)) for r in s.execute(q) if r[0] not in skip]
        return rows[:limit]

    def pending(self, limit: int | None = None) -> list[R]:
        """Pending rows in frontier order (all of them when no ``limit``)."""
        return self.claim(limit if limit is not None else self._rows)

    def counts(self) -> dict[str, int]:
        """Frontier rows of the run by status."""
        f = self.frontier_table
        with self.store.session() as s:
            rows = s.execute(
                select(f.status, func.count()).where(f.run_id == self.run_id).group_by(f.status)
            ).all()
        return {status: int(n) for status, n in rows}

    def fail(self, frontier_id: int, status: str, error: str | None, capture_id: int | None) -> None:
        """Settle a row that got no page commit (the page's own transaction failed, or no result came)."""
        with self.store.session() as s:
            # ORM bulk UPDATE by primary key (each dict names its row by ``id``)
            s.execute(update(self.frontier_table), [self._settled(frontier_id, status, error, capture_id)])

    def _settled(
        self, frontier_id: int, status: str, error: str | None, capture_id: int | None
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "id": frontier_id,
            "status": status,
            "error": (error or "")[:2000] or None,
            "capture_id": capture_id,
        }
        if "done_at" in self.frontier_table.__table__.c:
            values["done_at"] = utcnow()
        return values

    # -- pages ------------------------------------------------------------------------------------

    def commit_many(self, pages: Sequence[P]) -> list[Result | Exception]:
        """Store pages, each whole: together in one transaction, or, when that fails, each in its own (a
        page whose transaction fails gets its exception in the result, and nothing of it is stored).

        Grouping pages spares a transaction per page; a page is still stored whole or not at all, with its
        frontier row, so a crawl killed at any moment fetches again exactly the pages not stored.
        """
        if len(pages) > 1:
            try:
                return list(self._transaction(pages))
            except Exception:  # each page again on its own, to find the one that fails
                pass
        out: list[Result | Exception] = []
        for page in pages:
            try:
                out.extend(self._transaction([page]))
            except Exception as exc:  # the page's failure is its result
                out.append(exc)
        return out

    def commit(self, page: P) -> Result:
        """Store one page whole."""
        result = self.commit_many([page])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def _transaction(self, pages: Sequence[P]) -> list[Result]:
        counted = (self._rows, dict(self.rows_by_kind))
        try:
            with self.store.session() as s:
                results = self.store_pages(s, pages)
                s.execute(update(self.frontier_table), [self.done_values(page) for page in pages])
        except Exception:  # the transaction was rolled back: so are the rows it counted
            self._rows, self.rows_by_kind = counted
            self.rolled_back()
            raise
        self.kept()
        return results

    # -- the run's verdict and end ----------------------------------------------------------------

    def kind_status_counts(self, s: Session) -> dict[tuple[str, str], int]:
        f = self.frontier_table
        rows = s.execute(
            select(f.kind, f.status, func.count()).where(f.run_id == self.run_id).group_by(f.kind, f.status)
        ).all()
        return {(kind, status): int(n) for kind, status, n in rows}

    def frontier_reasons(self, s: Session, start_url: str | None) -> list[Reason]:
        """Why the frontier says the run is incomplete: its start page, pages that failed (by kind), pages
        robots.txt disallows, pages never fetched; a stage adds its own (``unreadable_reasons``,
        ``cut_reasons``)."""
        counts = self.kind_status_counts(s)
        reasons: list[Reason] = []
        f = self.frontier_table
        start = None
        if start_url is not None:
            start = s.execute(
                select(f.kind, f.status, f.error).where(
                    f.run_id == self.run_id, f.url_key == url_key(start_url)
                )
            ).first()
        if start is not None and start.status == "failed":
            counts[(start.kind, "failed")] -= 1
            said = f" ({start.error})" if start.error and _HTTP_STATUS.fullmatch(start.error) else ""
            reasons.append(Reason("failed:start", 1, f"the start page could not be read{said}"))
        for kind, (one, many) in self.nouns.items():
            n = counts.get((kind, "failed"), 0)
            if n:
                what = f"{one} could not be read" if kind == "robots" else f"{plural(n, one, many)} failed"
                reasons.append(Reason(f"failed:{kind}", 1 if kind == "robots" else n, what))
        reasons += self.unreadable_reasons(counts)
        n = sum(v for (_kind, status), v in counts.items() if status == "disallowed")
        if n:
            were = "page was" if n == 1 else "pages were"
            reasons.append(Reason("disallowed", n, f"{n:,} {were} not read: robots.txt disallows them"))
        n = sum(v for (_kind, status), v in counts.items() if status in self.waiting_statuses)
        if n:
            reasons.append(
                Reason("unfetched", n, f"{n:,} {'page was' if n == 1 else 'pages were'} never fetched")
            )
        return reasons + self.cut_reasons(s)

    def unreadable_reasons(self, counts: Mapping[tuple[str, str], int]) -> list[Reason]:
        """The stage's pages read but not whole (after the failed ones)."""
        return []

    def cut_reasons(self, s: Session) -> list[Reason]:
        """The stage's pages stored although cut short (last)."""
        return []

    def finish(self, status: str, reasons: Sequence[Reason] = (), **values: Any) -> None:
        """Record the run's end: its status, the reasons it is not complete, when it finished."""
        done = status in ("complete", "incomplete", "failed")
        with self.store.session() as s:
            s.execute(
                update(self.run_table)
                .where(self.run_table.id == self.run_id)
                .values(
                    status=status,
                    reasons=dump_reasons(reasons) if reasons else None,
                    finished_at=utcnow() if done else None,
                    **values,
                )
            )

    def interrupted(self) -> Settled:
        self.finish("interrupted", [UNFINISHED])
        return Settled("interrupted", [UNFINISHED], 0)

    def fail_start(self, error: str) -> Settled:
        """The start URL could not be fetched at all: the run failed; nothing is inferred from it."""
        reason = Reason("start", 1, f"the start page could not be fetched ({short(error)})")
        self.finish("failed", [reason])
        return Settled("failed", [reason], 0)


def open_run(
    store: Store,
    run_table: Any,
    owner: tuple[str, int],
    start_url: str,
    options: dict[str, Any],
    **new_values: Any,
) -> tuple[Any, bool]:
    """The run to work on for the owner (column, id) — a platform, a forum: the unfinished one (resumed) or a
    new one. Returns (run, resumed)."""
    column = getattr(run_table, owner[0])
    with store.session() as s:
        last = s.scalars(
            select(run_table).where(column == owner[1]).order_by(run_table.id.desc()).limit(1)
        ).first()
        if last is not None and last.status in ("running", "interrupted"):
            last.sessions += 1
            last.status = "running"
            return last, True
        run = run_table(
            **{owner[0]: owner[1]},
            start_url=start_url,
            options=json.dumps(options, sort_keys=True, default=str),
            started_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            **new_values,
        )
        s.add(run)
        s.flush()
        return run, False
