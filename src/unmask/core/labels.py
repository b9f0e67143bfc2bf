"""Plain words for internal values, on the terminal and in the web workbench (``no_known_owner`` →
"nobody recorded as owner").

One table, ``labels.yaml``, by kind of value; a value it does not list is shown as words (underscores,
hyphens and camel case split, lower case), and a value with a detail after a colon keeps the detail
(``offshore:VG`` → "offshore jurisdiction (VG)"). JSON output keeps the values themselves.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

import yaml

CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@cache
def _table() -> dict[str, dict[str, str]]:
    text = resources.files("unmask.core").joinpath("labels.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when installed
    return {kind: {str(k): str(v) for k, v in values.items()} for kind, values in raw.items()}


def words(value: str) -> str:
    """``no_known_owner``, ``NO_KNOWN_PERSON``, ``LegalEntity``, ``subjectExemptFromDisclosure`` as words."""
    return " ".join(CAMEL.sub(" ", value).replace("_", " ").replace("-", " ").split()).lower()


def label(kind: str, value: str | None) -> str:
    """What the terminal shows for ``value``, one of the values of ``kind`` (a section of labels.yaml)."""
    if not value:
        return ""
    table = _table()[kind]
    if value in table:
        return table[value]
    head, sep, detail = value.partition(":")
    if sep and head in table:
        return f"{table[head]} ({detail})"
    return words(value)


def labels(kind: str, values: list[str]) -> str:
    return ", ".join(label(kind, v) for v in values)
