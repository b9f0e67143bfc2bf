"""The watchlist: protected persons, kept apart from the case store in ``CASE/protect/watchlist.yaml``.

The folder is 0700 and the file 0600, written atomically. Names are added one by one (``protect add NAME
--alias A``) or from a file of one person a line, aliases after a ``|`` (``protect add --list FILE``).
The privacy policy (core.privacy) reads the same file, so that every output hides these persons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from unmask.core.errors import UnmaskError
from unmask.core.privacy import name_key, protected_keys, read_watchlist, watchlist_path
from unmask.protect.private import write_private

MAX_NAME = 200
MAX_LIST_BYTES = 16 * 1024 * 1024
HEADER = "# unmask protected persons: private to the case's owner (mode 0600); never in any output.\n"


@dataclass
class ProtectedPerson:
    name: str
    aliases: list[str] = field(default_factory=list)
    added: str = ""
    photo_hashes: list[str] = field(default_factory=list)
    """PDQ hashes (hex) of the person's own photos, computed on this machine (``protect add --photo``)."""

    @property
    def names(self) -> list[str]:
        return [self.name, *self.aliases]

    @property
    def key(self) -> str:
        return name_key(self.name)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "aliases": list(self.aliases), "added": self.added}
        if self.photo_hashes:
            out["photo_hashes"] = list(self.photo_hashes)
        return out


def clean_name(text: str, where: str) -> str:
    name = " ".join(text.split())
    if not name_key(name):
        raise UnmaskError("a name needs at least one letter or digit", where=where)
    if len(name) > MAX_NAME:
        raise UnmaskError(f"a name of more than {MAX_NAME} characters", where=where)
    return name


def read_list(path: Path) -> Iterator[ProtectedPerson]:
    """Persons of a list file: one a line, aliases after ``|`` (``Janet Doerwald | J. Doerwald``); empty
    lines and lines starting with ``#`` are skipped. Errors name the file and line."""
    try:
        if path.stat().st_size > MAX_LIST_BYTES:
            raise UnmaskError(f"larger than {MAX_LIST_BYTES // (1024 * 1024)} MiB", where=str(path))
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UnmaskError(f"cannot read ({exc.strerror})", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise UnmaskError("not UTF-8 text", where=str(path)) from exc
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, *aliases = line.split("|")
        where = f"{path}:{number}"
        yield ProtectedPerson(clean_name(name, where), [clean_name(a, where) for a in aliases if a.strip()])


class Watchlist:
    """The protected persons of one case (read on open, written on :meth:`save`)."""

    def __init__(self, root: Path) -> None:
        self.path = watchlist_path(root)
        self.persons = [
            ProtectedPerson(
                str(p["name"]),
                [str(a) for a in p.get("aliases", [])],
                str(p.get("added", "")),
                [str(h) for h in p.get("photo_hashes", []) or []],
            )
            for p in read_watchlist(self.path)
        ]

    def __len__(self) -> int:
        return len(self.persons)

    def find(self, name: str) -> ProtectedPerson | None:
        """The person with this name or alias (in any spelling or word order)."""
        key = name_key(name)
        return next((p for p in self.persons if key in set(protected_keys(p.names))), None)

    def add(self, persons: Iterable[ProtectedPerson]) -> tuple[int, int]:
        """Add persons; a person already listed gets the new aliases. Returns (added, updated)."""
        added = updated = 0
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        by_key = {key: p for p in self.persons for key in protected_keys(p.names)}
        for person in persons:
            known = by_key.get(name_key(person.name))
            if known is None:
                person.added = person.added or now
                person.aliases = _unique(person.aliases, [person.name])
                self.persons.append(person)
                by_key.update(dict.fromkeys(protected_keys(person.names), person))
                added += 1
                continue
            new = _unique(person.aliases, known.names)
            if new:
                known.aliases += new
                updated += 1
        return added, updated

    def add_photo_hashes(self, name: str, hashes: Iterable[str]) -> int:
        """Add PDQ hashes of a listed person's own photos; returns how many were new."""
        person = self.find(name)
        if person is None:
            raise UnmaskError("not a protected person of this case", where=name)
        new = [h for h in dict.fromkeys(hashes) if h not in person.photo_hashes]
        person.photo_hashes += new
        return len(new)

    def remove(self, name: str) -> bool:
        person = self.find(name)
        if person is not None:
            self.persons.remove(person)
        return person is not None

    def save(self) -> None:
        data = {"persons": [p.as_dict() for p in self.persons]}
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        write_private(self.path, HEADER + yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True))


def _unique(names: Iterable[str], known: Iterable[str]) -> list[str]:
    seen = {name_key(n) for n in known}
    out: list[str] = []
    for name in names:
        if name_key(name) not in seen:
            seen.add(name_key(name))
            out.append(name)
    return out
