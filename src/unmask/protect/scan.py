"""`unmask protect scan`: every protected person's names over the catalogue (titles, tags, persons,
descriptions, uploader handles, URL slugs, forum threads), through protect's index and one automaton.

What was found is kept in the case's private ``protect/matches.json`` (0600, beside the watchlist, never
in the store): each match with when it was first and last seen, so that a later scan (or the watch)
knows which are new, and the NGO's report and takedown notices can list them.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.protect.index import IndexStats, batches
from unmask.protect.matcher import Matcher
from unmask.protect.private import private_path, read_json, write_json
from unmask.protect.watchlist import ProtectedPerson, Watchlist

MATCHES_NAME = "matches.json"


@dataclass
class Match:
    person: str
    """The protected person's name as the watchlist has it (private: the NGO's outputs only)."""
    url: str
    field: str
    text: str
    """The value the name was found in, as the platform has it."""
    source: str = "item"
    source_id: int = 0
    removed: bool = False
    first_seen: str = ""
    last_seen: str = ""

    @property
    def key(self) -> tuple[str, str, int, str, str]:
        return (self.person, self.source, self.source_id, self.field, self.text)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class ScanResult:
    matches: list[Match]
    new: list[Match]
    persons: int
    stats: IndexStats
    seconds: float
    scanned_at: str
    urls: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "matches": [m.as_dict() for m in self.matches],
            "new": len(self.new),
            "persons": self.persons,
            "scanned_at": self.scanned_at,
            "index": {
                "rows": self.stats.rows,
                "texts": self.stats.texts,
                "normalised": self.stats.normalised,
                "sources": self.stats.sources,
            },
            "seconds": round(self.seconds, 3),
        }


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def matches_path(root: Path) -> Path:
    return private_path(root, MATCHES_NAME)


def load_matches(root: Path) -> list[Match]:
    """Every match a scan of this case ever found (the latest scan's have the newest ``last_seen``)."""
    return read_json(matches_path(root), "matches", "protect's matches", lambda m: Match(**m))


def _save_matches(root: Path, matches: list[Match]) -> None:
    write_json(matches_path(root), "matches", [m.as_dict() for m in matches])


def find(case: Case, persons: list[ProtectedPerson]) -> tuple[list[Match], IndexStats]:
    """The matches of these persons over the case's sources (the index refreshed on the way)."""
    matcher = Matcher([p.names for p in persons])
    stats = IndexStats()
    found: dict[tuple[str, str, int, str, str], Match] = {}
    for batch in batches(case.store.engine, stats):
        if not matcher:
            continue
        for hit in matcher.hits(batch.texts):
            row_index, name = batch.keys[hit.text]
            row = batch.rows[row_index]
            values = row.values[name]
            text = values[min(hit.value, len(values) - 1)]
            match = Match(persons[hit.person].name, row.url, name, text, batch.source, row.id, row.removed)
            found.setdefault(match.key, match)
    return sorted(found.values(), key=lambda m: (m.person, m.source, m.source_id, m.field)), stats


def scan(case: Case, *, person: str | None = None) -> ScanResult:
    """Scan for every protected person (or one), record the matches, say which are new."""
    started = time.perf_counter()
    watchlist = Watchlist(case.root)
    persons = watchlist.persons
    if person is not None:
        chosen = watchlist.find(person)
        if chosen is None:
            raise UnmaskError(
                "not a protected person of this case (see `unmask protect list`)", where="--person"
            )
        persons = [chosen]
    matches, stats = find(case, persons)
    now = _now()
    known = {m.key: m for m in load_matches(case.root)}
    new: list[Match] = []
    for match in matches:
        before = known.get(match.key)
        match.first_seen = before.first_seen if before else now
        match.last_seen = now
        if before is None:
            new.append(match)
        known[match.key] = match
    _save_matches(case.root, sorted(known.values(), key=lambda m: (m.person, m.source, m.source_id, m.field)))
    return ScanResult(matches, new, len(persons), stats, time.perf_counter() - started, now)


def forget(root: Path, person: str) -> int:
    """Drop a person's matches (the person is no longer protected); returns how many."""
    matches = load_matches(root)
    kept = [m for m in matches if m.person != person]
    if len(kept) != len(matches):
        _save_matches(root, kept)
    return len(matches) - len(kept)
