"""Protected names found in normalised text: one Aho–Corasick automaton (pyahocorasick) over every
spelling of every name (core.text.name_spellings), each padded with a space on both sides so that only
whole words match (``mara lind`` is not in ``maralinda``) and a shared first name alone is no match.

Texts are normalised once (core.text.match_words) and kept in protect's index; a scan hands the matcher
thousands of them at a time, joined by ``" \\n "`` into one string: one pass of the automaton in C per
batch, and a binary search from each rare hit back to its text.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick

from unmask.core.text import match_words, name_spellings

SEPARATOR = " \n "
"""Between two texts of a batch (and between the values of one field): no spelling contains a newline."""


@dataclass(frozen=True)
class Hit:
    text: int
    """Index of the text in the batch."""
    value: int
    """Index of the value inside that text (texts of several values, such as tags, are joined)."""
    person: int
    """Index of the person in the list the matcher was built from."""
    spelling: str


class Matcher:
    """Whole-word matches of a list of persons (each a list of names: the name and its aliases)."""

    def __init__(self, persons: Sequence[Sequence[str]]) -> None:
        owners: dict[str, set[int]] = {}
        for index, names in enumerate(persons):
            for name in names:
                for spelling in name_spellings(name):
                    owners.setdefault(spelling, set()).add(index)
        self.spellings = len(owners)
        self._automaton: Any = None
        if owners:
            automaton = ahocorasick.Automaton()
            for spelling, who in owners.items():
                automaton.add_word(f" {spelling} ", (spelling, tuple(sorted(who))))
            automaton.make_automaton()
            self._automaton = automaton

    def __bool__(self) -> bool:
        return self._automaton is not None

    def hits(self, texts: Sequence[str]) -> Iterator[Hit]:
        """Every (text, value, person) found in a batch of normalised texts (as :func:`normalise_values`
        gives), once each."""
        if self._automaton is None or not texts:
            return
        starts: list[int] = []
        position = 1
        for text in texts:
            starts.append(position)
            position += len(text) + len(SEPARATOR)
        joined = " " + SEPARATOR.join(texts) + " "
        seen: set[tuple[int, int, int]] = set()
        for end, (spelling, persons) in self._automaton.iter(joined):
            index = bisect_right(starts, end) - 1
            value = joined.count("\n", starts[index], end)
            for person in persons:
                if (index, value, person) not in seen:
                    seen.add((index, value, person))
                    yield Hit(index, value, person, spelling)

    def search(self, text: str) -> set[int]:
        """The persons named in one raw text."""
        return {hit.person for hit in self.hits([match_words(text)])}


def normalise_values(values: Sequence[str]) -> str:
    """The values of one field (a title; an item's tags) normalised and joined for the index."""
    return SEPARATOR.join(match_words(v) for v in values)
