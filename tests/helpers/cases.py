"""Cases with a census in them, written through the real census writer: the tests' one case builder.

    writer = load_census(case, [record(ItemKind.VIDEO, 1, views=10, persons=[PersonRef("Bo Rin")])])
    writer = census_run(case, BASE, name="plat", adapter="demo", options={"delay": 0.0})  # pages by hand

A record is what extraction makes of an item (kind, URL and platform ID from its number, any
``ItemRecord`` field by keyword); a run is the platform (created when new), a run opened as
`census crawl` opens it, and its writer, so stored rows are exactly what a crawl leaves.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from unmask.census.model import ItemKind, ItemRecord, Link, PageKind
from unmask.census.writer import CensusWriter, PageCommit, open_run, platform_for
from unmask.core.case import Case

BASE = "http://127.0.0.1:1"
"""The invented platform's base URL (a loopback port nothing listens on: nothing is fetched)."""


def record(kind: ItemKind, n: int, *, base: str = BASE, **fields: Any) -> ItemRecord:
    """Item ``n`` of ``kind`` (URL ``BASE/<kind>/<n>``, platform ID ``n``) with ``fields`` set."""
    rec = ItemRecord(kind=kind, url=f"{base}/{kind.value}/{n}", platform_id=str(n))
    for name, value in fields.items():
        setattr(rec, name, value)
    return rec


def census_run(
    case: Case,
    base: str = BASE,
    *,
    name: str = "t",
    adapter: str | None = None,
    options: dict[str, Any] | None = None,
    **limits: int,
) -> CensusWriter:
    """A new (or the interrupted) census run of the platform at ``base``, and its writer; ``limits``
    replace crawl settings (``max_frontier=30``…)."""
    platform = platform_for(case.store, base, name, adapter)
    run, _resumed = open_run(case.store, platform, base + "/", options or {})
    settings = dataclasses.replace(case.config.crawl, **limits) if limits else case.config.crawl
    return CensusWriter(case.store, platform, run.id, settings)


def load_census(case: Case, items: Iterable[ItemRecord], base: str = BASE) -> CensusWriter:
    """A run that read one sitemap describing ``items``; its writer (to go on: removals, a verdict)."""
    writer = census_run(case, base)
    (sitemap,) = writer.seed([Link(base + "/sitemap.xml", PageKind.SITEMAP)])
    writer.commit(PageCommit(sitemap, None, items=list(items)))
    return writer
