"""A thread's kind (paid request, request, offer, other) and the rule that made it (``data/kinds.yaml``)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

KINDS = ("paid_request", "request", "offer", "other")


@dataclass(frozen=True)
class Kind:
    kind: str
    rule: str | None
    """Where the kind was read: "section 'Paid Requests'", "prefix 'WTB'", "title says 'will pay'"."""


def _phrase(p: str) -> str:
    body = r"\s+".join(re.escape(w) for w in p.split())
    left = r"(?<!\w)" if p[:1].isalnum() else ""
    right = r"(?!\w)" if p[-1:].isalnum() else ""
    return left + body + right


@dataclass(frozen=True)
class _Table:
    order: tuple[str, ...]
    patterns: dict[str, dict[str, re.Pattern[str]]]
    """Where (section, label, title) → kind → one pattern of its phrases."""


@cache
def _table() -> _Table:
    data = yaml.safe_load(resources.files("unmask.forum").joinpath("data/kinds.yaml").read_text("utf-8"))
    patterns = {
        where: {
            kind: re.compile("|".join(_phrase(p) for p in sorted(phrases, key=len, reverse=True)), re.I)
            for kind, phrases in data[where].items()
        }
        for where in ("section", "label", "title")
    }
    return _Table(tuple(data["order"]), patterns)


def _first(where: str, texts: Iterable[str]) -> tuple[str, str] | None:
    table = _table()
    for text in texts:
        for kind in table.order:
            m = table.patterns[where][kind].search(text)
            if m is not None:
                return kind, m.group(0)
    return None


WORDS = {"section": "section", "label": "prefix", "title": "title says"}


def classify(section: str | None, labels: Iterable[str], title: str | None) -> Kind:
    """The thread's kind: the section first, then the prefix and labels, then the title's tags."""
    labels = [label for label in labels if label]
    found: list[tuple[str, str, str]] = []
    places = (("section", [section] if section else []), ("label", labels), ("title", [title or ""]))
    for where, texts in places:
        hit = _first(where, texts)
        if hit is not None:
            found.append((where, *hit))
    if not found:
        return Kind("other", None)
    where, kind, said = found[0]
    rule = f"{WORDS[where]} '{section if where == 'section' else said}'"
    if kind == "request":  # a request section or tag, refined by a later sign that the request is paid
        for later_where, later_kind, later_said in found[1:]:
            if later_kind == "paid_request":
                return Kind("paid_request", f"{rule}, {WORDS[later_where]} '{later_said}'")
    return Kind(kind, rule)
