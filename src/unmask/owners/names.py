"""Organisation names compared across sources: cleaned, legal forms stripped at either end.

``Shenzhen Acme Technology Co., Ltd.`` and ``SHENZHEN ACME TECHNOLOGY COMPANY LIMITED`` normalise
alike; the legal forms (``Co., Ltd.``/``Company Limited``/``有限公司``/``GmbH``/``ООО`` …) are data
(``data/legal_forms.yaml``). Entity resolution proposes merges on these keys; the ID resolver uses
them for a name that matches no entity exactly.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import yaml

_PUNCT = re.compile(r"[^\w\s]|_")


def clean(text: str) -> str:
    """NFKC, case-folded, dots dropped (``S.A.`` → ``sa``), other punctuation → space, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace(".", "")
    return " ".join(_PUNCT.sub(" ", text).split())


@functools.cache
def _forms() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], list[str]]:
    path = Path(__file__).resolve().parent / "data" / "legal_forms.yaml"
    with path.open(encoding="utf-8") as fh:
        data: dict[str, list[str]] = yaml.safe_load(fh)

    def words(forms: Iterable[str]) -> list[tuple[str, ...]]:
        out = {tuple(clean(f).split()) for f in forms if clean(f)}
        return sorted(out, key=len, reverse=True)

    cjk = sorted({clean(f) for f in data.get("cjk", []) if clean(f)}, key=len, reverse=True)
    return words(data.get("suffixes", [])), words(data.get("prefixes", [])), cjk


def normalize_name(name: str) -> str:
    """An organisation name for comparison: cleaned, legal forms stripped at either end
    (``Shenzhen Acme Technology Co., Ltd.`` → ``shenzhen acme technology``,
    ``深圳市阿克米科技有限公司`` → ``深圳市阿克米科技``)."""
    suffixes, prefixes, cjk = _forms()
    text = clean(name)
    changed = True
    while changed and text:
        changed = False
        for mark in cjk:
            if text.endswith(mark) and len(text) > len(mark):
                text, changed = text[: -len(mark)].strip(), True
            elif text.startswith(mark) and len(text) > len(mark):
                text, changed = text[len(mark) :].strip(), True
        words = text.split()
        for form in suffixes:
            if len(words) > len(form) and tuple(words[-len(form) :]) == form:
                words, changed = words[: -len(form)], True
                break
        for form in prefixes:
            if len(words) > len(form) and tuple(words[: len(form)]) == form:
                words, changed = words[len(form) :], True
                break
        text = " ".join(words)
    return text
