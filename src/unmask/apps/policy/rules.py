"""The policy rules, described once as data (``data/*.yaml``) and compiled here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("en", "zh")
"""The languages the rules are written for; a policy in another language is read with the English rules
(names, law titles and many terms are English in them too) and the result says which language it is."""


@dataclass(frozen=True)
class Negation:
    cues: re.Pattern[str]
    not_cues: re.Pattern[str]
    clause_breaks: re.Pattern[str]


@dataclass(frozen=True)
class SignalRule:
    kind: str
    weight: float
    description: str
    any: tuple[re.Pattern[str], ...]
    all: tuple[tuple[re.Pattern[str], ...], ...]
    """Groups that must each match (one pattern of each)."""
    exclude: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Rules:
    threshold: float
    categories: dict[str, dict[str, tuple[tuple[float, re.Pattern[str]], ...]]]
    data_types: dict[str, dict[str, tuple[re.Pattern[str], ...]]]
    negation: dict[str, Negation]
    signals: dict[str, tuple[SignalRule, ...]]
    """Per language."""


def _load(name: str) -> Any:
    return yaml.safe_load(resources.files("unmask.apps.policy").joinpath(f"data/{name}").read_text("utf-8"))


def _flags(language: str, case_sensitive: bool = False) -> int:
    return 0 if case_sensitive or language == "zh" else re.IGNORECASE


@cache
def rules() -> Rules:
    cats = _load("categories.yaml")
    types = _load("data_types.yaml")
    sigs = _load("signals.yaml")
    categories = {
        name: {
            lang: tuple((float(w), re.compile(p, _flags(lang))) for w, p in spec.get(lang, ()))
            for lang in LANGUAGES
        }
        for name, spec in cats["categories"].items()
    }
    data_types = {
        name: {lang: tuple(re.compile(p, _flags(lang)) for p in spec.get(lang, ())) for lang in LANGUAGES}
        for name, spec in types["data_types"].items()
    }
    negation = {
        lang: Negation(
            re.compile(spec["cues"], _flags(lang)),
            re.compile(spec["not_cues"], _flags(lang)),
            re.compile(spec["clause_breaks"], _flags(lang)),
        )
        for lang, spec in sigs["negation"].items()
    }
    signals: dict[str, list[SignalRule]] = {lang: [] for lang in LANGUAGES}
    for kind, spec in sigs["signals"].items():
        for lang in LANGUAGES:
            part = spec.get(lang)
            if not part:
                continue
            flags = _flags(lang, bool(part.get("case_sensitive")))
            groups = tuple(
                tuple(re.compile(p, flags) for p in (g if isinstance(g, list) else [g]))
                for g in part.get("all", ())
            )
            signals[lang].append(
                SignalRule(
                    kind=kind,
                    weight=float(spec["weight"]),
                    description=str(spec.get("description", "")),
                    any=tuple(re.compile(p, flags) for p in part.get("any", ())),
                    all=groups,
                    exclude=tuple(re.compile(p, flags) for p in part.get("exclude", ())),
                )
            )
    return Rules(
        threshold=float(cats["threshold"]),
        categories=categories,
        data_types=data_types,
        negation=negation,
        signals={k: tuple(v) for k, v in signals.items()},
    )
