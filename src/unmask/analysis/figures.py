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

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal, or_, select

from unmask.core.outcome import latest_verdict
from unmask.core.privacy import PrivacyPolicy, Role
from unmask.core.store import Store
from unmask.core.store.models import Capture, CrawlRun, Item, ItemPerson, Person, Platform, Uploader


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


def compute_figures(store: Store, opts: FigureOptions) -> dict[str, Any]:
    policy = opts.policy(store)
    with store.session() as s:
        platform_ids: list[int] | None = None
        if opts.platform:
            platform_ids = list(s.scalars(select(Platform.id).where(Platform.base_url == opts.platform)))

        def scoped(q: Any) -> Any:
            return q.where(Item.platform_id.in_(platform_ids)) if platform_ids is not None else q

        counts: dict[str, int] = dict(
            s.execute(scoped(select(Item.kind, func.count()).where(*_present()).group_by(Item.kind))).all()
        )
        seconds, views, first, last = s.execute(
            scoped(
                select(
                    func.coalesce(func.sum(Item.duration_s), 0.0),
                    func.coalesce(func.sum(Item.views), 0),
                    func.min(Item.upload_date),
                    func.max(Item.upload_date),
                ).where(*_present("video"))
            )
        ).one()
        media = [Item.kind.in_(["video", "photo"]), Item.removed_at.is_(None)]
        uploaders = s.scalar(
            scoped(
                select(func.count(func.distinct(Item.uploader_id))).where(
                    *media, Item.uploader_id.is_not(None)
                )
            )
        )
        targets = s.scalar(
            scoped(
                select(func.count(func.distinct(ItemPerson.person_id)))
                .select_from(Item)
                .join(ItemPerson, ItemPerson.item_id == Item.id)
                .where(*media)
            )
        )
        monthly = monthly_counts(s, scoped, ("video", "photo"))
        top_targets = _top(s, scoped, Person, opts.top, policy)
        top_uploaders = _top(s, scoped, Uploader, opts.top, policy)
        requests, run_info = _requests(s, platform_ids)
        verdict = latest_verdict(s, platform_ids)

    items = sum(counts.values())
    return {
        "videos": int(counts.get("video", 0)),
        "photos": int(counts.get("photo", 0)),
        "galleries": int(counts.get("gallery", 0)),
        "hours": round(float(seconds) / 3600.0, 2),
        "views": int(views),
        "uploaders": int(uploaders or 0),
        "targets": int(targets or 0),
        "first_upload": _iso(first),
        "last_upload": _iso(last),
        "monthly": monthly,
        "top_targets": top_targets,
        "top_uploaders": top_uploaders,
        "requests": requests,
        "requests_per_item": round(requests / items, 4) if items else 0.0,
        "items": items,
        "removed": _removed(store, platform_ids),
        "runs": run_info,
        "pseudonymized": policy.pseudonymize,
        **policy.redact_all(verdict.as_dict()),
        "verdict": policy.redact(verdict.sentence()),
    }


KINDS = {"video": "videos", "photo": "photos", "gallery": "galleries"}
"""Item kinds and their plural, as they appear in results."""


def monthly_counts(s: Any, scoped: Any, kinds: tuple[str, ...] = tuple(KINDS)) -> list[dict[str, Any]]:
    """Items of ``kinds`` present per month of upload and kind, every month from the first to the last,
    cumulated: the one computation of monthly counts (`stats` over videos and photos, the growth analysis
    over every kind).

    Grouped by day in SQL (a streaming read of the covering index), folded into months here.
    """
    q = (
        select(Item.kind, Item.upload_date, func.count())
        .where(*_present(), Item.kind.in_(kinds), Item.upload_date.is_not(None))
        .group_by(Item.kind, Item.upload_date)
    )
    per_month: dict[str, dict[str, int]] = {}
    for kind, day, n in s.execute(scoped(q)):
        counts = per_month.setdefault(str(day)[:7], {})
        counts[kind] = counts.get(kind, 0) + int(n)
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


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def _top(
    s: Any, scoped: Any, entity: type[Person] | type[Uploader], top: int, policy: PrivacyPolicy
) -> list[dict[str, Any]]:
    videos = func.count(Item.id)
    views = func.coalesce(func.sum(Item.views), 0)
    if entity is Person:
        q = (
            select(Person.name, Person.public_figure, videos, views)
            .select_from(Item)
            .join(ItemPerson, ItemPerson.item_id == Item.id)
            .join(Person, Person.id == ItemPerson.person_id)
            .group_by(Person.id, Person.name, Person.public_figure)
        )
    else:
        q = (
            select(Uploader.name, literal(None), videos, views)
            .select_from(Item)
            .join(Uploader, Uploader.id == Item.uploader_id)
            .group_by(Uploader.id, Uploader.name)
        )
    q = scoped(q.where(*_present("video"))).order_by(videos.desc(), views.desc()).limit(top)
    out = []
    for name, label, n, v in s.execute(q):
        role = Role.DEPICTED if entity is Person else Role.UPLOADER
        row: dict[str, Any] = {"name": policy.name(name, role), "videos": int(n), "views": int(v)}
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


def _removed(store: Store, platform_ids: list[int] | None) -> int:
    with store.session() as s:
        q = select(func.count()).select_from(Item).where(and_(Item.removed_at.is_not(None)))
        if platform_ids is not None:
            q = q.where(Item.platform_id.in_(platform_ids))
        return int(s.scalar(q) or 0)
