"""Who is depicted: items and views per person, public figures against everyone else.

Over videos and photos present. A person counts as public only when known to be a public figure
(`person.public_figure` true, set by the platform or by a public-figure list); everyone else — false or
unknown — is non-public and shown as a pseudonym unless real names are asked for.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from unmask.analysis.growth import Scope, Task, present_joined
from unmask.core.errors import UnmaskError
from unmask.core.privacy import display_name
from unmask.core.store import Store
from unmask.core.store.models import Item, ItemPerson, Person
from unmask.core.text import name_key

MEDIA = ("video", "photo")
ALIAS_SEPARATORS = re.compile(r"[|;]")


def persons(s: Session, scope: Scope) -> dict[str, Any]:
    """Depicted persons, how many are public figures, and the most depicted (items, then views)."""
    rows = _per_person(s, scope)
    public = sum(1 for p in rows if p["public_figure"] is True)
    top = sorted(rows, key=lambda p: (-p["items"], -p["views"]))[: scope.top]
    for p in top:
        p["name"] = display_name(
            p["name"], p["public_figure"], secret=scope.secret, pseudonymize=scope.pseudonymize
        )
    return {"persons": len(rows), "public_figures": public, "non_public": len(rows) - public, "top": top}


def items(s: Session, scope: Scope) -> dict[str, Any]:
    """Videos and photos (and their views) depicting anyone, a public figure, a non-public person."""
    q = select(func.count()).where(Item.kind.in_(MEDIA), Item.removed_at.is_(None))
    media = int(s.scalar(scope.items(q)) or 0)
    status = _items_by_status(s, scope)
    share = round(status["non_public"]["items"] / media, 4) if media else 0.0
    return {"media": media, **status, "non_public_share": share}


def _media(scope: Scope, q: Any) -> Any:
    return scope.items(q.where(Item.kind.in_(MEDIA), present_joined(scope.dialect)))


def _depicted() -> Any:
    return (
        select()
        .select_from(ItemPerson)
        .join(Item, Item.id == ItemPerson.item_id)
        .join(Person, Person.id == ItemPerson.person_id)
    )


def _per_person(s: Session, scope: Scope) -> list[dict[str, Any]]:
    videos = func.sum(case((Item.kind == "video", 1), else_=0))
    views = func.coalesce(func.sum(Item.views), 0)
    if scope.dialect == "postgresql":
        # Aggregate the link table per person id, then join the (much smaller) person table: ~1.4× faster
        # there. SQLite is ~3× slower that way (a temporary B-tree over the link table), so it joins first.
        per_id = (
            _media(
                scope,
                select(ItemPerson.person_id.label("pid"), func.count().label("n"), videos.label("v"))
                .add_columns(views.label("views"))
                .select_from(ItemPerson)
                .join(Item, Item.id == ItemPerson.item_id),
            )
            .group_by(ItemPerson.person_id)
            .subquery()
        )
        q = select(Person.name, Person.public_figure, per_id.c.n, per_id.c.v, per_id.c.views).join(
            per_id, per_id.c.pid == Person.id
        )
    else:
        q = _depicted().add_columns(Person.name, Person.public_figure, func.count(), videos, views)
        q = _media(scope, q).group_by(Person.id, Person.name, Person.public_figure)
    return [
        {
            "name": name,
            "public_figure": public,
            "items": int(n),
            "videos": int(v),
            "photos": int(n) - int(v),
            "views": int(views),
        }
        for name, public, n, v, views in s.execute(q)
    ]


def _items_by_status(s: Session, scope: Scope) -> dict[str, dict[str, int]]:
    """Distinct items (and their views) depicting anyone, a public figure, a non-public person."""
    # Only the (few) public figures are joined: a person not among them is non-public.
    public = select(Person.id).where(Person.public_figure.is_(True)).subquery()
    per_item = _media(
        scope,
        select(
            func.max(func.coalesce(Item.views, 0)).label("views"),
            func.max(case((public.c.id.is_not(None), 1), else_=0)).label("pub"),
            func.max(case((public.c.id.is_(None), 1), else_=0)).label("other"),
        )
        .select_from(ItemPerson)
        .join(Item, Item.id == ItemPerson.item_id)
        .outerjoin(public, public.c.id == ItemPerson.person_id),
    ).group_by(ItemPerson.item_id)
    sub = per_item.subquery()
    row = s.execute(
        select(
            func.count(),
            func.coalesce(func.sum(sub.c.views), 0),
            func.coalesce(func.sum(sub.c.pub), 0),
            func.coalesce(func.sum(sub.c.pub * sub.c.views), 0),
            func.coalesce(func.sum(sub.c.other), 0),
            func.coalesce(func.sum(sub.c.other * sub.c.views), 0),
        )
    ).one()
    n = [int(x) for x in row]
    return {
        "with_persons": {"items": n[0], "views": n[1]},
        "public": {"items": n[2], "views": n[3]},
        "non_public": {"items": n[4], "views": n[5]},
    }


TASKS: dict[str, Task] = {"persons": persons, "items": items}


# -- public-figure lists ---------------------------------------------------------------------------


def read_public_figures(path: Path) -> set[str]:
    """Name keys (casefolded, whitespace-normalised) of the names and aliases in a public-figure CSV.

    Columns: `name`, optional `aliases` separated by `|` or `;`. Errors name the file and line.
    """
    keys: set[str] = set()
    for line, row in _rows(path):
        name = (row.get("name") or "").strip()
        if not name:
            raise UnmaskError("empty name", where=f"{path}:{line}")
        aliases = ALIAS_SEPARATORS.split(row.get("aliases") or "")
        keys.update(k for k in (name_key(a) for a in [name, *aliases]) if k)
    return keys


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str | None]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip().casefold() for h in reader.fieldnames or []]
            if "name" not in header:
                raise UnmaskError("no `name` column in the header", where=f"{path}:1")
            reader.fieldnames = header
            for row in reader:
                if None in row:
                    raise UnmaskError("more fields than the header names", where=f"{path}:{reader.line_num}")
                yield reader.line_num, row
    except OSError as exc:
        raise UnmaskError(f"cannot read the public-figure list ({exc.strerror})", where=str(path)) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UnmaskError(f"malformed public-figure list ({exc})", where=str(path)) from exc


def import_public_figures(store: Store, path: Path) -> int:
    """Mark the persons a public-figure list names (by name or alias) as public figures.

    The whole file is read before the store changes. Returns how many persons matched.
    """
    keys = sorted(read_public_figures(path))
    matched = 0
    with store.session() as s:
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            result = s.execute(update(Person).where(Person.name_key.in_(chunk)).values(public_figure=True))
            matched += int(getattr(result, "rowcount", 0) or 0)
    return matched
