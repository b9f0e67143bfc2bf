"""What a forum census shows: threads and paid requests per month, prices per currency, kinds, sections,
and the share of paid requests naming a person who is not a public figure (only with a public-figure list).

Counted threads are those ``writer.present_threads`` gives: not removed, not login only, not in a closed
section. Every output pseudonymizes thread starters, and shows a forum's free text (titles, labels,
sections, kind rules, price spans) through ``PrivacyPolicy.forum_text``: hidden names as pseudonyms, and,
safe by default, every other word that may be a person's name withheld as ``[name?]`` with the rule that
withheld it (public figures and ``--real-names`` excepted).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from statistics import median
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import defer

from unmask.core.outcome import NO_RUN, Reason, Verdict, run_verdict
from unmask.core.privacy import NameMatcher, PrivacyPolicy, name_key, pseudonym
from unmask.core.store import Store
from unmask.core.store.models import Person
from unmask.forum.kinds import KINDS
from unmask.forum.tables import Forum, ForumPrice, ForumRun, ForumSection, ForumThread
from unmask.forum.writer import present_threads

HISTOGRAM_STEPS = (1, 2, 5)


@dataclass(frozen=True)
class Row:
    id: int
    forum_id: int
    platform_id: str
    url: str
    title: str | None
    section_key: str | None
    labels: list[str]
    starter: str | None
    started: Any
    replies: int | None
    views: int | None
    first_post: str | None
    kind: str
    kind_rule: str | None
    rails: list[str]
    capture_id: int | None


def rows(store: Store, kind: str | None = None, *, with_text: bool = True) -> Iterator[Row]:
    """The counted threads, newest first; ``with_text``: with their first posts (else None)."""
    q = present_threads().order_by(ForumThread.started.desc(), ForumThread.id)
    if not with_text:
        q = q.options(defer(ForumThread.first_post))
    if kind is not None:
        q = q.where(ForumThread.kind == kind)
    with store.session() as s:
        for t in s.scalars(q.execution_options(yield_per=2000)):
            yield Row(
                t.id,
                t.forum_id,
                t.platform_id,
                t.url,
                t.title,
                t.section_key,
                json.loads(t.labels or "[]"),
                t.starter,
                t.started,
                t.replies,
                t.views,
                t.first_post if with_text else None,
                t.kind,
                t.kind_rule,
                json.loads(t.rails or "[]"),
                t.capture_id,
            )


def _sections(store: Store) -> tuple[dict[tuple[int, str], str], list[str]]:
    with store.session() as s:
        names: dict[tuple[int, str], str] = {}
        closed: list[str] = []
        for forum_id, key, name, is_closed in s.execute(
            select(ForumSection.forum_id, ForumSection.key, ForumSection.name, ForumSection.closed)
        ):
            names[(forum_id, key)] = name or key
            if is_closed:
                closed.append(name or key)
    return names, sorted(closed)


def _prices(store: Store) -> dict[int, list[tuple[Decimal, Decimal, str, str | None, str]]]:
    out: dict[int, list[tuple[Decimal, Decimal, str, str | None, str]]] = {}
    with store.session() as s:
        q = select(
            ForumPrice.thread_id,
            ForumPrice.min,
            ForumPrice.max,
            ForumPrice.currency,
            ForumPrice.unit,
            ForumPrice.text,
        ).order_by(ForumPrice.thread_id, ForumPrice.position)
        for tid, lo, hi, cur, unit, text in s.execute(q):
            out.setdefault(tid, []).append((Decimal(lo), Decimal(hi), cur, unit, text))
    return out


def verdict(store: Store) -> Verdict:
    """The latest run of each forum: complete when each is."""
    with store.session() as s:
        latest: dict[int, tuple[str, str | None, str]] = {}
        for forum_id, status, reasons, base in s.execute(
            select(ForumRun.forum_id, ForumRun.status, ForumRun.reasons, Forum.base_url)
            .join(Forum, Forum.id == ForumRun.forum_id)
            .order_by(ForumRun.id)
        ):
            latest[forum_id] = (status, reasons, base)
    if not latest:
        return Verdict(False, (Reason(NO_RUN.what, 0, "no forum census has been run"),))
    several = len(latest) > 1
    verdicts = [(base, run_verdict(status, reasons)) for status, reasons, base in latest.values()]
    return Verdict(
        all(v.complete for _, v in verdicts),
        tuple(
            Reason(r.what, r.count, f"{base}: {r.text}" if several else r.text, r.bound)
            for base, v in verdicts
            for r in v.reasons
        ),
    )


def _float(value: Decimal) -> float:
    return float(value)


def histogram(values: list[Decimal]) -> list[dict[str, float | int]]:
    """Counts in bins whose edges run 1, 2, 5, 10, 20, 50… (scaled down for small crypto amounts)."""
    if not values:
        return []
    lo, hi = min(values), max(values)
    scale = Decimal(1)
    while scale > lo and scale > Decimal("0.000001") and lo > 0:
        scale /= 10
    edges: list[Decimal] = [Decimal(0)]
    step = scale
    while edges[-1] <= hi and len(edges) < 40:
        for m in HISTOGRAM_STEPS:
            edge = step * m
            if edge > edges[-1]:
                edges.append(edge)
        step *= 10
    bins = []
    for a, b in pairwise(edges):
        n = sum(1 for v in values if a <= v < b)
        bins.append({"from": float(a), "to": float(b), "count": n})
    while bins and bins[-1]["count"] == 0:
        bins.pop()
    while bins and bins[0]["count"] == 0:
        bins.pop(0)
    return bins


def known_persons(store: Store, policy: PrivacyPolicy) -> dict[str, str]:
    """Names the case knows as persons (census persons and the public-figure list): key → key."""
    keys = set(policy.public_figures)
    with store.session() as s:
        for (name,) in s.execute(select(Person.name).distinct()):
            key = name_key(str(name))
            if key:
                keys.add(key)
    return {k: k for k in keys}


def non_public_share(store: Store, policy: PrivacyPolicy, paid: list[Row]) -> dict[str, Any] | None:
    """Among paid requests that name a person the case knows, the share naming one who is not on the
    investigator's public-figure list. None without a public-figure list (never guessed)."""
    if not policy.public_figures:
        return None
    matcher = NameMatcher(known_persons(store, policy))
    named = non_public = 0
    for row in paid:
        keys = {key for _s, _e, key in matcher.spans(f"{row.title or ''}\n{row.first_post or ''}")}
        if not keys:
            continue
        named += 1
        if any(k not in policy.public_figures for k in keys):
            non_public += 1
    return {
        "share": round(non_public / named, 4) if named else None,
        "non_public": non_public,
        "naming_a_known_person": named,
        "naming_no_known_person": len(paid) - named,
    }


def stats(store: Store, policy: PrivacyPolicy, *, top: int = 20) -> dict[str, Any]:
    """``forum stats --json`` (contract "Forums and marketplaces"), with more keys."""
    section_names, closed = _sections(store)
    prices = _prices(store)
    threads = posts = 0
    authors: set[str] = set()
    sections: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    monthly: dict[str, list[int]] = {}
    rails: Counter[str] = Counter()
    values: dict[str, list[Decimal]] = {}
    units: Counter[str] = Counter()
    paid: list[Row] = []
    for row in rows(store, with_text=bool(policy.public_figures)):
        threads += 1
        posts += 1 + (row.replies or 0)
        if row.starter:
            authors.add(row.starter.casefold())
        key = row.section_key or ""
        sections[section_names.get((row.forum_id, key), key or "(unknown)")] += 1
        kinds[row.kind] += 1
        if row.started is not None:
            month = monthly.setdefault(row.started.strftime("%Y-%m"), [0, 0])
            month[0] += 1
            month[1] += row.kind == "paid_request"
        rails.update(row.rails)
        if row.kind == "paid_request":
            paid.append(row)
        for lo, hi, cur, unit, _text in prices.get(row.id, []):
            values.setdefault(cur, []).extend((lo, hi) if lo != hi else (lo,))
            if unit:
                units[unit] += 1
    figures: dict[str, Any] = {
        "threads": threads,
        "posts": posts,
        "authors": len(authors),
        "sections": [
            {"name": policy.forum_text(name).text, "threads": n}
            for name, n in sorted(sections.items(), key=lambda p: (-p[1], p[0]))
        ][:top],
        "kinds": {k: kinds.get(k, 0) for k in KINDS},
        "prices": {
            cur: {
                "count": len(vs),
                "min": _float(min(vs)),
                "median": _float(Decimal(median(vs))),
                "mean": _float(sum(vs, Decimal(0)) / len(vs)),
                "max": _float(max(vs)),
                "histogram": histogram(vs),
            }
            for cur, vs in sorted(values.items(), key=lambda p: (-len(p[1]), p[0]))
        },
        "monthly": [
            {"month": month, "threads": n, "paid_requests": p} for month, (n, p) in sorted(monthly.items())
        ],
        "closed_sections": [policy.forum_text(name).text for name in closed],
        "rails": dict(sorted(rails.items(), key=lambda p: (-p[1], p[0]))),
        "per_unit_prices": dict(units),
        "non_public_share": non_public_share(store, policy, paid),
    }
    figures.update(verdict(store).as_dict())
    return figures


def starter_shown(name: str | None, policy: PrivacyPolicy) -> str | None:
    """A thread starter as every output shows them: a pseudonym unless real names were asked for
    (a protected person's name never)."""
    if name is None:
        return None
    if policy.pseudonymize or name_key(name) in policy.protected:
        return pseudonym(name, policy.secret, prefix="Member")
    return name


def threads(store: Store, policy: PrivacyPolicy, *, kind: str | None = None) -> list[dict[str, Any]]:
    """``forum threads --json``: titles, labels, sections, kind rules and price spans as
    ``PrivacyPolicy.forum_text`` shows them (``withheld``: the rules that withheld words), starters
    pseudonymized."""
    section_names, _closed = _sections(store)
    prices = _prices(store)
    out = []
    for row in rows(store, kind, with_text=False):
        title = policy.forum_text(row.title)
        section = section_names.get((row.forum_id, row.section_key or ""), row.section_key)
        shown = [title, policy.forum_text(section), policy.forum_text(row.kind_rule)]
        labels = [policy.forum_text(label) for label in row.labels]
        spans = {text: policy.forum_text(text) for *_amounts, text in prices.get(row.id, [])}
        withheld = sorted({rule for s in (*shown, *labels, *spans.values()) for rule in s.rules})
        out.append(
            {
                "id": row.platform_id,
                "url": policy.forum_url(row.url),
                "title": title.text,
                "section": shown[1].text,
                "kind": row.kind,
                "kind_rule": shown[2].text,
                "labels": [label.text for label in labels],
                "withheld": withheld,
                "started": row.started.isoformat() if row.started else None,
                "starter": starter_shown(row.starter, policy),
                "replies": row.replies,
                "views": row.views,
                "prices": [
                    {
                        "min": float(lo),
                        "max": float(hi),
                        "currency": cur,
                        "unit": unit,
                        "text": spans[text].text,
                    }
                    for lo, hi, cur, unit, text in prices.get(row.id, [])
                ],
                "rails": row.rails,
                "capture_id": row.capture_id,
            }
        )
    return out
