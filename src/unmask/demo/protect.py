"""`unmask demo --protect`: the protected-persons variant of the demo (issue 18).

A few of the demo platform's depicted persons (invented names) go on the case's private watchlist, each
written as an NGO might write it (as the platform does, in the other word order, in capitals without
accents); the protect scan finds them across titles, tags, persons, URLs and forum threads; the public
report is then written and checked to name none of them; the NGO's own report (0600) lists the matches.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from unmask.core.case import Case
from unmask.core.output import write_text
from unmask.core.privacy import NameMatcher, protected_keys
from unmask.core.store.models import ItemPerson, Person
from unmask.core.text import fold
from unmask.protect.report import render_html
from unmask.protect.scan import scan
from unmask.protect.watchlist import ProtectedPerson, Watchlist

PROTECTED = 3
"""How many of the platform's persons the demo protects: the most depicted ones after the first two."""
PRIVATE_REPORT = "protect-report.html"


@dataclass
class DemoProtect:
    persons: int
    """Protected persons on the watchlist (invented names)."""
    matches: int
    """Matches the protect scan found."""
    fields: list[str]
    """The fields they were found in (title, tag, person, url, forum thread …)."""
    private_report: str
    """The NGO's own report (mode 0600: never publish it)."""
    public_report_mentions: int = -1
    """How often the public report names a protected person in any spelling (0; -1 before it is checked)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _written_as_an_ngo_would(name: str, n: int) -> ProtectedPerson:
    """The platform's name, in the other word order, or in capitals without accents; the platform's own
    spelling as an alias."""
    words = name.split()
    if n % 3 == 1 and len(words) > 1:
        return ProtectedPerson(" ".join([*words[1:], words[0]]), [name])
    if n % 3 == 2:
        return ProtectedPerson(fold(name).upper(), [name])
    return ProtectedPerson(name)


def chosen(case: Case, count: int = PROTECTED) -> list[str]:
    """The demo's protected persons: depicted persons of the crawled platform, by how many items show
    them (deterministic), skipping the two most depicted (the report's top-list still has names)."""
    with case.store.session() as s:
        rows = s.execute(
            select(Person.name, func.count(ItemPerson.item_id).label("n"))
            .join(ItemPerson, ItemPerson.person_id == Person.id)
            .group_by(Person.name)
            .order_by(func.count(ItemPerson.item_id).desc(), Person.name)
            .limit(count + 2)
        ).all()
    return [str(name) for name, _n in rows[2:]][:count]


def protect_demo(case: Case) -> DemoProtect:
    """Put the chosen persons on the watchlist, scan for them, write the NGO's own report."""
    watchlist = Watchlist(case.root)
    watchlist.add(_written_as_an_ngo_would(name, n) for n, name in enumerate(chosen(case)))
    watchlist.save()
    result = scan(case)
    target = case.reports_dir / PRIVATE_REPORT
    write_text(target, render_html(case.root, case.config.name), private=True)
    return DemoProtect(
        persons=len(watchlist),
        matches=len(result.matches),
        fields=sorted({m.field for m in result.matches}),
        private_report=str(target),
    )


def mentions(case: Case, report: Path) -> int:
    """How often a public report names a protected person of the case, in any spelling or word order."""
    names = [n for p in Watchlist(case.root).persons for n in p.names]
    matcher = NameMatcher({key: key for key in protected_keys(names)})
    return len(matcher.spans(report.read_text(encoding="utf-8"))) if matcher else 0
