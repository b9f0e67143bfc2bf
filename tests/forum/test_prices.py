"""The price span extractor: every pitfall of the golden file, and properties over generated text."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.forum.prices import find_prices, payment_rails, vocabulary

GOLDEN = yaml.safe_load((Path(__file__).parent / "prices_golden.yaml").read_text(encoding="utf-8"))
DATA = yaml.safe_load(
    (Path(__file__).parents[2] / "src/unmask/forum/data/prices.yaml").read_text(encoding="utf-8")
)
QUANTITY_WORDS = sorted({w for ws in DATA["quantities"].values() for w in ws if w.isalpha()})


@pytest.mark.parametrize("case", GOLDEN, ids=[c["pitfall"] for c in GOLDEN])
def test_each_pitfall_of_the_golden_file_gives_exactly_its_prices(case: dict[str, Any]) -> None:
    found = find_prices(case["text"])
    got = [[p.text, p.min, p.max, p.currency, p.unit] for p in found]
    want = [[span, Decimal(lo), Decimal(hi), cur, unit] for span, lo, hi, cur, unit in case["prices"]]
    assert got == want
    for p in found:
        assert case["text"][p.start : p.end] == p.text


def test_the_golden_file_has_one_line_per_pitfall() -> None:
    names = [c["pitfall"] for c in GOLDEN]
    assert len(names) == len(set(names)) and len(names) >= 50


amounts = st.integers(min_value=0, max_value=10**6)


@settings(max_examples=300, deadline=None)
@given(amounts, st.sampled_from(QUANTITY_WORDS), st.sampled_from(["", " "]))
def test_a_unit_word_never_yields_a_price(n: int, word: str, space: str) -> None:
    assert find_prices(f"{n}{space}{word}") == []
    assert find_prices(f"I want {n}{space}{word.upper()} please") == []


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=0, max_value=99999),
    st.text(alphabet="0123456789", min_size=1, max_size=10),
    st.sampled_from(["BTC", "btc", "ETH", "XMR", "USDT", "LTC", "SOL"]),
)
def test_crypto_decimals_are_exact(whole: int, frac: str, ticker: str) -> None:
    written = f"{whole}.{frac}"
    found = find_prices(f"send {written} {ticker} now")
    assert len(found) == 1
    assert found[0].min == found[0].max == Decimal(written)
    assert found[0].currency == ticker.upper()


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gives_spans_of_itself_with_a_currency(text: str) -> None:
    known = set(vocabulary().marker.values())
    for p in find_prices(text):
        assert text[p.start : p.end] == p.text
        assert p.currency in known and p.min <= p.max


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=10**6))
def test_a_range_counts_its_minimum_and_its_maximum(a: int, b: int) -> None:
    lo, hi = min(a, b), max(a, b)
    (price,) = find_prices(f"${lo} - ${hi}") if lo != hi else find_prices(f"${lo}")
    assert (price.min, price.max) == (lo, hi)


def test_payment_rails_are_their_own_field() -> None:
    text = "pay via PayPal F&F or Cash App; amazon gift card also fine"
    assert payment_rails(text) == ["cashapp", "gift_card", "paypal"]
    assert payment_rails("0.01 BTC", find_prices("0.01 BTC")) == ["crypto"]
    assert payment_rails("nothing here") == []
