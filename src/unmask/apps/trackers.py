"""Trackers in an app by Exodus Privacy's method: each tracker's code signature (a regular expression,
more than three characters) searched in the app's class names in slash form (``com/example/Sdk``).

A code-signature match is a tracker; a host name in the app's strings is only a domain (``apk.domains``).
The list is data: the shipped, attributed copy (``data/exodus_trackers.json``, ODbL) or a copy the user
downloaded and imported into the case (:func:`import_list`).

Matching is exact to Exodus's per-class ``re.search`` and fast: the class names are joined into one text
(one name a line), a signature is only run when the longest literal it requires occurs in that text (all
literals are found in one Aho-Corasick pass), and a hit is confirmed on its own line.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from unmask.core.errors import UnmaskError
from unmask.core.output import write_text

MIN_SIGNATURE = 4
"""Exodus skips code signatures of three characters or fewer (they match nearly everything)."""
ATTRIBUTION = "Contains information from the Exodus Privacy tracker list, made available under the ODbL."
CASE_LIST = Path("apps") / "exodus_trackers.json"
"""Where a case keeps the list its investigator imported (relative to the case folder)."""
_META = re.compile(r"\\.|[.^$*+?{}\[\]|()]")


@dataclass(frozen=True, slots=True)
class Tracker:
    id: int
    name: str
    code_signature: str
    network_signature: str
    website: str
    categories: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TrackerMatch:
    tracker: Tracker
    example_class: str
    matches: int


@dataclass(frozen=True)
class TrackerList:
    trackers: tuple[Tracker, ...]
    source: str
    retrieved: str
    licence: str

    @property
    def description(self) -> str:
        return f"{len(self.trackers)} trackers, {self.source} (retrieved {self.retrieved}; {self.licence})"


def _anchor(signature: str) -> str:
    """The longest run of literal characters the signature requires (empty when it has alternatives)."""
    if "|" in signature.replace("\\|", ""):
        return ""
    best = ""
    for run in _META.split(signature):
        if len(run) > len(best):
            best = run
    return best


@dataclass(frozen=True, slots=True)
class _Compiled:
    tracker: Tracker
    pattern: re.Pattern[str]
    anchors: tuple[str, ...]
    """One literal per alternative; the pattern can only match where one of them occurs."""


def _compile(trackers: Iterable[Tracker]) -> list[_Compiled]:
    out = []
    for tracker in trackers:
        sig = tracker.code_signature
        if len(sig) < MIN_SIGNATURE:
            continue
        try:
            pattern = re.compile(sig)
        except re.error:
            continue  # a broken signature in an imported list matches nothing
        parts = [p for p in re.split(r"(?<!\\)\|", sig)]
        anchors = tuple(_anchor(p) for p in parts)
        out.append(_Compiled(tracker, pattern, () if any(not a for a in anchors) else anchors))
    return out


def match(classes: Iterable[str], trackers: TrackerList) -> list[TrackerMatch]:
    """The trackers whose code signature matches one of ``classes`` (slash form), in list order."""
    text = "\n".join(set(classes))
    compiled_list, automaton = _compiled(trackers)
    present = {anchor for _end, anchor in automaton.iter(text)} if text and len(automaton) else set()
    found: list[TrackerMatch] = []
    for compiled in compiled_list:
        if compiled.anchors and not any(a in present for a in compiled.anchors):
            continue
        lines = []
        for m in compiled.pattern.finditer(text):
            start = text.rfind("\n", 0, m.start()) + 1
            end = text.find("\n", m.start())
            line = text[start : end if end >= 0 else len(text)]
            if m.end() > start + len(line) and not compiled.pattern.search(line):
                continue  # a match that ran past its line (a character class that took the newline)
            lines.append(line)
        if lines:
            found.append(TrackerMatch(compiled.tracker, min(lines), len(lines)))
    return found


_COMPILED: dict[int, tuple[list[_Compiled], Any]] = {}


def _compiled(trackers: TrackerList) -> tuple[list[_Compiled], Any]:
    """The list's signatures, compiled, and an Aho-Corasick automaton of their literals."""
    key = id(trackers)
    if key not in _COMPILED:
        import ahocorasick

        compiled = _compile(trackers.trackers)
        automaton = ahocorasick.Automaton()
        for anchor in {a for c in compiled for a in c.anchors}:
            automaton.add_word(anchor, anchor)
        if len(automaton):
            automaton.make_automaton()
        _COMPILED.clear()
        _COMPILED[key] = (compiled, automaton)
    return _COMPILED[key]


# -- the list ------------------------------------------------------------------------------------


def _tracker(raw: dict[str, Any]) -> Tracker:
    return Tracker(
        id=int(raw["id"]),
        name=str(raw["name"]),
        code_signature=str(raw.get("code_signature") or ""),
        network_signature=str(raw.get("network_signature") or ""),
        website=str(raw.get("website") or ""),
        categories=tuple(str(c) for c in raw.get("categories") or ()),
    )


def _from_data(data: dict[str, Any]) -> TrackerList:
    return TrackerList(
        tuple(_tracker(t) for t in data["trackers"]),
        source=str(data.get("source", "")),
        retrieved=str(data.get("retrieved", "")),
        licence=str(data.get("licence", "")),
    )


@cache
def shipped() -> TrackerList:
    text = resources.files("unmask.apps").joinpath("data/exodus_trackers.json").read_text(encoding="utf-8")
    return _from_data(json.loads(text))


def for_case(case_root: Path) -> TrackerList:
    """The case's imported list if it has one, else the shipped copy."""
    path = case_root / CASE_LIST
    if path.is_file():
        return _from_data(json.loads(path.read_text(encoding="utf-8")))
    return shipped()


def read_export(path: Path) -> list[dict[str, Any]]:
    """The trackers of a file downloaded from Exodus (API or ETIP export: ``{"trackers": {id: {...}}}``
    or a list); UnmaskError naming the file for anything else."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UnmaskError(f"cannot read ({exc.strerror})", where=str(path)) from exc
    except ValueError as exc:
        raise UnmaskError(f"not JSON ({exc})", where=str(path)) from exc
    items = raw.get("trackers") if isinstance(raw, dict) else raw
    if isinstance(items, dict):
        items = [{"id": k, **v} if isinstance(v, dict) else v for k, v in items.items()]
    if not isinstance(items, list) or not items:
        raise UnmaskError('no trackers in it (expected Exodus\'s {"trackers": {...}})', where=str(path))
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or "name" not in item or "id" not in item:
            raise UnmaskError(f"tracker #{n + 1} has no id or name", where=str(path))
        try:
            tracker = _tracker(item)
        except (TypeError, ValueError) as exc:
            raise UnmaskError(f"tracker #{n + 1}: {exc}", where=str(path)) from exc
        out.append(
            {
                "id": tracker.id,
                "name": tracker.name,
                "code_signature": tracker.code_signature,
                "network_signature": tracker.network_signature,
                "website": tracker.website,
                "categories": list(tracker.categories),
                "creation_date": str(item.get("creation_date") or ""),
            }
        )
    return out


def import_list(path: Path, case_root: Path) -> TrackerList:
    """Make a downloaded Exodus list the case's tracker list (attributed and dated); the list."""
    trackers = read_export(path)
    data = {
        "source": f"Exodus Privacy tracker list, imported from {path.name}",
        "licence": shipped().licence,
        "attribution": ATTRIBUTION,
        "retrieved": dt.date.today().isoformat(),
        "trackers": trackers,
    }
    target = case_root / CASE_LIST
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, json.dumps(data, ensure_ascii=False, indent=1) + "\n", private=True)
    return _from_data(data)
