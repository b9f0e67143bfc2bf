"""The report's fixed text in English and German: the same keys and fields, numbers and dates formatted
for the language."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from unmask.core.errors import UnmaskError
from unmask.report.i18n import LANGS, language


def test_every_language_has_every_text_with_the_same_fields() -> None:
    en = language("en")
    for code in LANGS:
        other = language(code)
        assert set(other.texts) == set(en.texts), code
        for key, text in en.texts.items():
            assert set(re.findall(r"\{(\w+)\}", other.texts[key])) <= set(re.findall(r"\{(\w+)\}", text)), key


def test_numbers_and_dates_per_language() -> None:
    en, de = language("en"), language("de")
    assert (en.n(58114), de.n(58114)) == ("58,114", "58.114")
    assert (en.n(11317.14, 1), de.n(11317.14, 1)) == ("11,317.1", "11.317,1")
    assert (en.pct(0.4235), de.pct(0.4235)) == ("42.4 %", "42,4 %")
    assert (en.date("2026-03-15"), de.date(dt.date(2026, 3, 15))) == ("15 March 2026", "15. März 2026")
    assert (en.month("2024-12"), de.month("2024-12")) == ("December 2024", "Dezember 2024")
    assert (en.share_range(42, 52.5), de.share_range(42, 52.5), de.share_range(30, 30)) == (
        "42–52.5 %",
        "42–52,5 %",
        "30 %",
    )
    assert (en.country("JP"), de.country("de"), en.country("XX")) == ("Japan", "Deutschland", "XX")


def test_an_unknown_language_is_a_one_line_error() -> None:
    with pytest.raises(UnmaskError, match="--lang"):
        language("fr")
