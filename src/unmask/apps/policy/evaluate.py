"""Scores of the paragraph classifier against annotated policies (the tests use the tuning set, and
bench/apps_bench.py reports the held-out set in docs/benchmarks.md; investigators can score the rules on
policies they annotated themselves).

An annotated policy is plain text: each paragraph comes after a line
``## Category; Category | data: type; type`` that gives its OPP-115 categories and data types."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from unmask.apps.policy.analyze import categorise, data_types, rule_language
from unmask.apps.policy.text import language


@dataclass(frozen=True)
class Paragraph:
    text: str
    categories: frozenset[str]
    data_types: frozenset[str]


def read_annotated(path: Path) -> list[Paragraph]:
    out: list[Paragraph] = []
    label: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            label = line[3:]
        elif line.strip() and label is not None:
            cats, _, types = label.partition("| data:")
            out.append(
                Paragraph(
                    line.strip(),
                    frozenset(c.strip() for c in cats.split(";") if c.strip()),
                    frozenset(t.strip() for t in types.split(";") if t.strip()),
                )
            )
            label = None
    return out


def scores(paragraphs: list[Paragraph], *, types: bool = False) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support per label (categories, or data types with ``types``)."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for p in paragraphs:
        lang = rule_language(language(p.text), p.text)
        got = set(data_types(p.text, lang) if types else categorise(p.text, lang))
        want = set(p.data_types if types else p.categories)
        for label in got & want:
            tp[label] += 1
        for label in got - want:
            fp[label] += 1
        for label in want - got:
            fn[label] += 1
    out = {}
    for label in sorted(set(tp) | set(fp) | set(fn)):
        precision = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        recall = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp[label] + fn[label]}
    return out


def corpus(folder: Path) -> list[Paragraph]:
    """Every annotated paragraph of the ``*.txt`` policies in ``folder``."""
    return [p for path in sorted(folder.glob("*.txt")) for p in read_annotated(path)]
