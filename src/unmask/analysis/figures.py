"""Headline figures of a census (`unmask stats`), computed in SQL so they stay fast on large cases.

What counts (see ../shared/cli-contract.md): only items present (not marked removed); hours and views
over videos; uploaders and targets are distinct names over videos and photos; first/last upload over
videos; top lists sorted by number of videos, ties by views. Names go through the privacy policy
(unmask.core.privacy): depicted persons as DEPICTED, uploaders as UPLOADER; `public_figure` says whether
the investigator's list names the person (the platform's own label is `platform_label`, advisory only).
``complete`` and ``incomplete_reasons`` give the verdict of the latest census run (``verdict``: the same in
one sentence).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.exc import DBAPIError

from unmask.core.outcome import latest_verdict
from unmask.core.privacy import PrivacyPolicy, Role
from unmask.core.store import Store
from unmask.core.store.db import dialect_insert
from unmask.core.store.models import (
    Capture,
    CrawlRun,
    FigureTally,
    Item,
    ItemPerson,
    ItemWrite,
    Person,
    Platform,
    Uploader,
)
from unmask.core.text import iso_day


@dataclass
class FigureOptions:
    platform: str | None = None
    """Base URL of one platform; None = every platform in the case."""
    top: int = 10
    pseudonymize: bool = True
    secret: str = ""
    privacy: PrivacyPolicy | None = None
    """How names are shown; None = the store's policy with ``secret`` and ``pseudonymize``."""

    def policy(self, store: Store) -> PrivacyPolicy:
        if self.privacy is None:
            self.privacy = PrivacyPolicy.for_store(store, secret=self.secret, pseudonymize=self.pseudonymize)
        return self.privacy


def _present(kind: str | None = None) -> list[Any]:
    conds: list[Any] = [Item.removed_at.is_(None)]
    if kind is not None:
        conds.append(Item.kind == kind)
    return conds


def _months_between(first: str, last: str) -> list[str]:
    y, m = int(first[:4]), int(first[5:7])
    ly, lm = int(last[:4]), int(last[5:7])
    out = []
    while (y, m) <= (ly, lm):
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m > 12:
            y, m = y + 1, 1
    return out


@dataclass
class Tallies:
    """What `stats` counts from the items and their persons, names aside: exact, and on PostgreSQL kept
    between reads for as long as no transaction changes an item or its persons (table ``figure_tally``,
    checked against ``item_write``)."""

    counts: dict[str, int]
    """Items present per kind."""
    seconds: float
    views: int
    first: str | None
    last: str | None
    monthly: list[dict[str, Any]]
    uploaders: int
    targets: int
    top_uploaders: list[tuple[int, int, int]]
    """(uploader id, present videos, their views) of the winners, in order."""
    top_targets: list[tuple[int, int, int]]
    """(person id, present videos, their views) of the winners, in order."""
    removed: int

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Tallies:
        raw = json.loads(text)
        for top in ("top_uploaders", "top_targets"):
            raw[top] = [(int(k), int(n), int(v)) for k, n, v in raw[top]]
        return cls(**raw)


def compute_figures(store: Store, opts: FigureOptions) -> dict[str, Any]:
    policy = opts.policy(store)
    with store.session() as s:
        platform_ids: list[int] | None = None
        if opts.platform:
            platform_ids = list(s.scalars(select(Platform.id).where(Platform.base_url == opts.platform)))

        def count() -> Tallies:
            return _tallies(s, platform_ids, opts.top, store.dialect)

        tallies = _kept(s, f"{platform_ids}|{opts.top}", count) if store.dialect == "postgresql" else count()
        top_targets = _named(s, Person, tallies.top_targets, policy)
        top_uploaders = _named(s, Uploader, tallies.top_uploaders, policy)
        requests, run_info = _requests(s, platform_ids)
        verdict = latest_verdict(s, platform_ids)

    counts = tallies.counts
    items = sum(counts.values())
    return {
        "videos": int(counts.get("video", 0)),
        "photos": int(counts.get("photo", 0)),
        "galleries": int(counts.get("gallery", 0)),
        "hours": round(float(tallies.seconds) / 3600.0, 2),
        "views": int(tallies.views),
        "uploaders": tallies.uploaders,
        "targets": tallies.targets,
        "first_upload": tallies.first,
        "last_upload": tallies.last,
        "monthly": tallies.monthly,
        "top_targets": top_targets,
        "top_uploaders": top_uploaders,
        "requests": requests,
        "requests_per_item": round(requests / items, 4) if items else 0.0,
        "items": items,
        "removed": tallies.removed,
        "runs": run_info,
        "pseudonymized": policy.pseudonymize,
        **policy.redact_all(verdict.as_dict()),
        "verdict": policy.redact(verdict.sentence()),
    }


def _tallies(s: Any, platform_ids: list[int] | None, top: int, dialect: str) -> Tallies:
    def scoped(q: Any) -> Any:
        return q.where(Item.platform_id.in_(platform_ids)) if platform_ids is not None else q

    days = _present_by_kind_and_day(s, scoped)
    counts: dict[str, int] = {}
    for kind, _day, n, _seconds, _views in days:
        counts[kind] = counts.get(kind, 0) + n
    videos = [row for row in days if row[0] == "video"]
    video_days = [row[1] for row in videos if row[1] is not None]
    first, last = (min(video_days), max(video_days)) if video_days else (None, None)
    uploaders, top_uploaders = _ranked(s, scoped, Uploader, top, MEDIA)
    if dialect == "postgresql":
        targets, top_targets = _ranked(s, scoped, Person, top, MEDIA)
    else:  # SQLite joins a million items' persons twice as fast for videos alone, EXISTS for the count
        _, top_targets = _ranked(s, scoped, Person, top, ("video",))
        targets = int(s.scalar(_targets(scoped)) or 0)
    return Tallies(
        counts=counts,
        seconds=math.fsum(row[3] for row in videos),
        views=sum(row[4] for row in videos),
        first=iso_day(first),
        last=iso_day(last),
        monthly=_monthly(days, MEDIA),
        uploaders=uploaders,
        targets=targets,
        top_uploaders=top_uploaders,
        top_targets=top_targets,
        removed=_removed(s, platform_ids),
    )


def _kept(s: Any, scope: str, count: Callable[[], Tallies]) -> Tallies:
    """The tallies of ``scope`` as kept by an earlier read when no item changed since, else counted and
    kept. The number of ``item_write`` rows is read first: a change committed while the tallies are
    counted adds a row, so what is kept is never taken for a later state of the items."""
    writes = int(s.scalar(select(func.count()).select_from(ItemWrite)) or 0)
    kept = s.execute(
        select(FigureTally.writes, FigureTally.tallies).where(FigureTally.scope == scope)
    ).first()
    if kept is not None and kept.writes == writes:
        return Tallies.from_json(kept.tallies)
    tallies = count()
    upsert = dialect_insert(s)(FigureTally).values(scope=scope, writes=writes, tallies=tallies.to_json())
    upsert = upsert.on_conflict_do_update(
        index_elements=[FigureTally.scope],
        set_={"writes": upsert.excluded.writes, "tallies": upsert.excluded.tallies},
        where=FigureTally.writes <= upsert.excluded.writes,
    )
    try:
        with s.begin_nested():
            s.execute(upsert)
    except DBAPIError:  # a reader without the right to write (a read-only role): nothing kept
        pass
    return tallies


KINDS = {"video": "videos", "photo": "photos", "gallery": "galleries"}
"""Item kinds and their plural, as they appear in results."""


def monthly_counts(s: Any, scoped: Any, kinds: tuple[str, ...] = tuple(KINDS)) -> list[dict[str, Any]]:
    """Items of ``kinds`` present per month of upload and kind, every month from the first to the last,
    cumulated: the one computation of monthly counts (`stats` over videos and photos, the growth analysis
    over every kind)."""
    return _monthly(_present_by_kind_and_day(s, scoped), kinds)


DayRow = tuple[str, Any, int, float, int]
"""(kind, upload day or None, items, seconds, views) of the items present."""


def _present_by_kind_and_day(s: Any, scoped: Any) -> list[DayRow]:
    """Items present grouped by kind and day of upload, with their seconds and views: one read (of the
    covering index ``ix_item_analysis`` on SQLite) that counts, sums, first and last upload and the
    monthly curve all fold from."""
    q = (
        select(Item.kind, Item.upload_date, func.count(), func.sum(Item.duration_s), func.sum(Item.views))
        .where(*_present())
        .group_by(Item.kind, Item.upload_date)
    )
    return [
        (str(kind), day, int(n), float(seconds or 0.0), int(views or 0))
        for kind, day, n, seconds, views in s.execute(scoped(q))
    ]


def _monthly(days: list[DayRow], kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    per_month: dict[str, dict[str, int]] = {}
    for kind, day, n, _seconds, _views in days:
        if kind in kinds and day is not None:
            counts = per_month.setdefault(str(day)[:7], {})
            counts[kind] = counts.get(kind, 0) + n
    if not per_month:
        return []
    keys = sorted(per_month)
    totals = dict.fromkeys(kinds, 0)
    out = []
    for m in _months_between(keys[0], keys[-1]):
        row: dict[str, Any] = {"month": m}
        for kind in kinds:
            plural = KINDS[kind]
            n = per_month.get(m, {}).get(kind, 0)
            totals[kind] += n
            row[plural] = n
            row[f"{plural}_cumulative"] = totals[kind]
        out.append(row)
    return out


def headline(fig: dict[str, Any]) -> list[tuple[str, str]]:
    """The headline figures as (label, formatted value) rows, for the terminal and the report alike."""
    return [
        ("Videos", f"{fig['videos']:,}"),
        ("Photos", f"{fig['photos']:,}"),
        ("Galleries", f"{fig['galleries']:,}"),
        ("Hours of video", f"{fig['hours']:,.1f}"),
        ("Video views", f"{fig['views']:,}"),
        ("Uploaders", f"{fig['uploaders']:,}"),
        ("Depicted persons", f"{fig['targets']:,}"),
        ("First upload", fig["first_upload"] or "–"),
        ("Last upload", fig["last_upload"] or "–"),
        ("Removed items", f"{fig['removed']:,}"),
        ("Requests (latest run)", f"{fig['requests']:,}"),
        ("Requests per item", f"{fig['requests_per_item']:.3f}"),
    ]


MEDIA = ("video", "photo")
"""The kinds whose uploaders and depicted persons are counted."""


def _targets(scoped: Any) -> Any:
    """Depicted persons with at least one present video or photo, asked person by person (EXISTS): a
    person's first item usually answers, so SQLite reads a few rows per person instead of sorting a
    million."""
    depicted = scoped(
        select(literal(1))
        .select_from(ItemPerson)
        .join(Item, Item.id == ItemPerson.item_id)
        .where(ItemPerson.person_id == Person.id, Item.kind.in_(MEDIA), Item.removed_at.is_(None))
    )
    return select(func.count()).select_from(Person).where(depicted.exists())


def _ranked(
    s: Any, scoped: Any, entity: type[Person] | type[Uploader], top: int, kinds: tuple[str, ...]
) -> tuple[int, list[tuple[int, int, int]]]:
    """How many persons (or uploaders) have a present item of ``kinds``, and the ``top`` of them by
    present videos, ties by views (then by key, so the order is stable), as (key, videos, views): one
    read of the items (joined with their persons), grouped by key once and kept (a materialized CTE) for
    both answers."""
    is_video = Item.kind == "video"
    media = (Item.kind.in_(kinds), Item.removed_at.is_(None))
    if entity is Person:
        key: Any = ItemPerson.person_id
        rows = select(key).select_from(ItemPerson).join(Item, Item.id == ItemPerson.item_id).where(*media)
    else:
        key = Item.uploader_id
        rows = select(key).where(*media, key.is_not(None))
    per_key = (
        scoped(
            rows.add_columns(
                func.count().filter(is_video).label("videos"),
                func.coalesce(func.sum(Item.views).filter(is_video), 0).label("views"),
            ).group_by(key)
        )
        .cte("per_key")
        .prefix_with("MATERIALIZED")
    )
    who = per_key.c[key.name]
    ranked = (
        select(who, per_key.c.videos, per_key.c.views)
        .where(per_key.c.videos > 0)
        .order_by(per_key.c.videos.desc(), per_key.c.views.desc(), who)
        .limit(top)
        .subquery()
    )
    counted_row = select(literal(0).label("winner"), literal(None).label("who"), func.count(), literal(0))
    answer = union_all(
        counted_row.select_from(per_key),
        select(literal(1), ranked.c[key.name], ranked.c.videos, ranked.c.views),
    )
    counted = 0
    winners: list[tuple[int, int, int]] = []
    for winner, key_, n, v in s.execute(answer):
        if winner:
            winners.append((int(key_), int(n), int(v)))
        else:
            counted = int(n)
    winners.sort(key=lambda w: (-w[1], -w[2], w[0]))
    return counted, winners


def _named(
    s: Any, entity: type[Person] | type[Uploader], winners: list[tuple[int, int, int]], policy: PrivacyPolicy
) -> list[dict[str, Any]]:
    """The top list as shown: names (read for the winners only) through the privacy policy."""
    labels = (Person.name, Person.public_figure) if entity is Person else (Uploader.name, literal(None))
    names = {
        key_: (name, label)
        for key_, name, label in s.execute(
            select(entity.id, *labels).where(entity.id.in_([w[0] for w in winners]))
        )
    }
    role = Role.DEPICTED if entity is Person else Role.UPLOADER
    out = []
    for key_, n, v in winners:
        name, label = names[key_]
        row: dict[str, Any] = {"name": policy.name(name, role), "videos": n, "views": v}
        if entity is Person:
            row["public_figure"] = policy.is_public(name)
            row["platform_label"] = bool(label)
        out.append(row)
    return out


def _requests(s: Any, platform_ids: list[int] | None) -> tuple[int, list[dict[str, Any]]]:
    """Requests of the latest run of each platform (all its sessions), and a line per run."""
    q = select(CrawlRun).order_by(CrawlRun.id)
    if platform_ids is not None:
        q = q.where(CrawlRun.platform_id.in_(platform_ids))
    runs = list(s.scalars(q))
    per_run = dict(
        s.execute(
            select(Capture.run_id, func.count())
            .where(
                Capture.run_id.is_not(None),
                # a request refused before it was sent (scope, private address) has a row but is no request
                or_(Capture.status.is_not(None), Capture.error.is_not(None)),
            )
            .group_by(Capture.run_id)
        ).all()
    )
    latest: dict[int, int] = {}
    for run in runs:
        latest[run.platform_id] = run.id
    info = [
        {
            "run": run.id,
            "status": run.status,
            "started": run.started_at.isoformat(timespec="seconds"),
            "finished": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
            "requests": int(per_run.get(run.id, 0)),
            "incremental": run.incremental,
        }
        for run in runs
    ]
    return sum(int(per_run.get(r, 0)) for r in latest.values()), info


def _removed(s: Any, platform_ids: list[int] | None) -> int:
    q = select(func.count()).select_from(Item).where(Item.removed_at.is_not(None))
    if platform_ids is not None:
        q = q.where(Item.platform_id.in_(platform_ids))
    return int(s.scalar(q) or 0)
