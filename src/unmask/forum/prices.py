"""Prices in a post: spans of text that state an amount of money, with their exact values.

Our own span extractor (``price-parser`` reads "0.002 BTC" as 2 and "$1.5k" as 1.5). What is money and
what is not is data (``data/prices.yaml``); each pitfall is a line of ``tests/forum/prices_golden.yaml``.

A price needs a currency marker next to its amount (a symbol before or after, an ISO code or ticker in any
case, a currency word after). A number without one is never a price by itself: it may only be the other
end of a range whose marked end names the currency. A number followed by a quantity word ("10 min",
"1080p", "20 pics", "19 yo") is a quantity, never an amount. Amounts are ``Decimal``\\ s as written (no
float rounding, no conversion between currencies).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

import yaml

MAX_TEXT = 100_000
"""Characters of one post read (the rest is not searched)."""
MAX_PRICES = 50
"""Prices taken from one post."""
MAX_AMOUNT = Decimal(10) ** 12
MAX_DIGITS = 24
THOUSANDS = "\u00a0\u202f'"
"""Separators that only ever group thousands (no-break spaces, the Swiss apostrophe)."""


@dataclass(frozen=True, slots=True)
class Price:
    """One price stated in a text: where (``start``:``end``), what was written, and its value."""

    start: int
    end: int
    text: str
    min: Decimal
    max: Decimal
    currency: str
    """An ISO 4217 code or a crypto ticker, as the marker says; never converted."""
    unit: str | None = None
    """``minute``, ``video``, ``photo``, ``each``… for a per-unit price; None for a price as a whole."""

    def as_dict(self) -> dict[str, Any]:
        return {"min": float(self.min), "max": float(self.max), "currency": self.currency, "unit": self.unit}


@dataclass(frozen=True)
class Vocabulary:
    """``data/prices.yaml`` compiled: the scanning regexes and their look-up tables."""

    number: re.Pattern[str]
    """A run of digits and separators (cheap to scan); ``strict`` then takes the amount's own form."""
    strict: re.Pattern[str]
    after: re.Pattern[str]
    """What follows an amount: a currency marker (``postsym``, ``postword``), a quantity word (``qty``),
    or a letter glued to it (``glued``)."""
    pre: re.Pattern[str]
    """A currency marker ending where the amount starts (searched in a few characters before it)."""
    symbol_ends: frozenset[str]
    """The last characters of the currency symbols (a quick test before searching for a marker)."""
    pre_codes: frozenset[str]
    marker: dict[str, str]
    """A marker as written (symbols as they are, codes and words in lower case) → its currency."""
    crypto: frozenset[str]
    unit_after: re.Pattern[str]
    unit_of: dict[str, str]
    range_gap: re.Pattern[str]
    between: re.Pattern[str]
    rails: re.Pattern[str]
    """Every rail's phrases in one alternation, over lower-cased text."""
    rail_of: dict[str, str]


def _alternation(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


def _phrases(words: Iterable[str]) -> str:
    """Words or phrases (a space matches any white space), longest first."""
    return "|".join(
        r"\s+".join(re.escape(part) for part in w.split())
        for w in sorted(set(words), key=lambda w: (-len(w), w))
    )


NOT_LETTER_AFTER = r"(?![^\W\d_])"


def compile_vocabulary(data: dict[str, Any]) -> Vocabulary:
    marker: dict[str, str] = {}
    symbols: list[str] = []
    codes: list[str] = []
    words: list[str] = []
    crypto: set[str] = set()
    for group in ("currencies", "crypto"):
        for currency, spec in data[group].items():
            if group == "crypto":
                crypto.add(currency)
            for sym in spec.get("symbols", []):
                marker[sym] = currency
                symbols.append(sym)
            for code in spec.get("codes", []):
                marker[code.lower()] = currency
                codes.append(code.lower())
            for word in spec.get("words", []):
                marker[word.lower()] = currency
                words.append(word.lower())
    symbol_alt = _alternation(symbols)
    quantities = [w for ws in data["quantities"].values() for w in ws]
    after = re.compile(
        rf"\s?(?:(?P<postsym>{symbol_alt})(?!\s?\d)"
        rf"|(?P<postword>(?i:{_alternation(codes + words)})){NOT_LETTER_AFTER}"
        rf"|(?P<qty>(?i:{_phrases(quantities)}){NOT_LETTER_AFTER}|%))"
        r"|(?P<glued>[^\W\d_])"
    )
    each = [w.lower() for w in data["each"]]
    unit_of = {w.lower(): unit for unit, ws in data["units"].items() for w in ws}
    unit_after = re.compile(
        rf"(?:\s?/\s?|\s+(?i:per|a|an)\s+)(?P<unit>(?i:{_phrases(unit_of)})){NOT_LETTER_AFTER}"
        rf"|\s+(?P<each>(?i:{_phrases(each)})){NOT_LETTER_AFTER}"
    )
    unit_of.update({w: "each" for w in each})
    seps = _alternation(x for x in data["range_separators"] if not x.isalpha())
    seps_words = "|".join(x for x in data["range_separators"] if x.isalpha())
    rail_of = {" ".join(p.lower().split()): name for name, phrases in data["rails"].items() for p in phrases}
    return Vocabulary(
        number=re.compile(rf"[0-9][0-9,.{THOUSANDS}]*"),
        strict=re.compile(
            rf"[0-9]{{1,3}}(?:[,.{THOUSANDS}][0-9]{{3}})+(?:[.,][0-9]{{1,18}})?(?![0-9])"
            r"|[0-9]{1,20}(?:[.,][0-9]{1,18})?(?![0-9])"
        ),
        after=after,
        pre=re.compile(rf"(?:(?:{symbol_alt})|(?<![^\W\d_])(?i:{_alternation(codes)}))\s?\Z"),
        symbol_ends=frozenset(sym[-1] for sym in symbols),
        pre_codes=frozenset(codes),
        marker=marker,
        crypto=frozenset(crypto),
        unit_after=unit_after,
        unit_of=unit_of,
        range_gap=re.compile(rf"\s*(?:{seps}|(?i:{seps_words}))\s*|\s+(?i:and)\s+"),
        between=re.compile(r"(?i:between|from)\s*$"),
        rails=re.compile(rf"\b(?:{_phrases(rail_of)})(?!\w)"),
        rail_of=rail_of,
    )


@cache
def vocabulary() -> Vocabulary:
    text = resources.files("unmask.forum").joinpath("data/prices.yaml").read_text(encoding="utf-8")
    return compile_vocabulary(yaml.safe_load(text))


# -- amounts ----------------------------------------------------------------------------------------


def amount(number: str, *, crypto: bool) -> Decimal | None:
    """The value of a written number: which of ``,`` and ``.`` is the decimal mark, decided once.

    Both present: the last one. One of them, several times: thousands. Once, with three digits after it:
    a decimal mark after a leading 0 ("0.002") and in crypto amounts ("1.500 BTC" is 1.5), else thousands
    ("€1.500" is 1,500: fiat amounts have no third decimal). Any other count of digits: a decimal mark.
    """
    digits = number
    for ch in THOUSANDS:
        digits = digits.replace(ch, "")
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        decimal = "," if digits.rfind(",") > digits.rfind(".") else "."
        digits = digits.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    elif commas + dots == 1:
        mark = "," if commas else "."
        whole, frac = digits.split(mark)
        thousands = len(frac) == 3 and whole != "0" and not crypto
        digits = whole + frac if thousands else f"{whole}.{frac}"
    elif commas + dots > 1:
        digits = digits.replace(",", "").replace(".", "")
    if len(digits) > MAX_DIGITS:
        return None
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return value if value <= MAX_AMOUNT else None


@dataclass(slots=True)
class _Token:
    start: int
    end: int
    value: Decimal
    kilo: bool
    currency: str | None


PRE_WINDOW = 8
"""Characters before an amount searched for its currency marker (the longest marker and a space)."""
NOT_BEFORE_BARE = frozenset("_.,#/:")
"""A bare amount right after one of these (or a letter or digit) is part of something else."""


def _marked_before(text: str, start: int, v: Vocabulary) -> bool:
    """Whether a currency marker may end right before ``start`` (a quick test before the search)."""
    i = start - 1
    if i >= 0 and text[i].isspace():
        i -= 1
    if i < 0:
        return False
    if text[i] in v.symbol_ends:
        return True
    j = i
    while j >= 0 and i - j < 5 and text[j].isalpha():
        j -= 1
    return text[j + 1 : i + 1].lower() in v.pre_codes


SEPARATOR_STARTS = frozenset("-–—~.tTaA")


def _beside_separator(text: str, start: int, end: int) -> bool:
    """Whether a range separator may follow or precede the amount (a quick test)."""
    after = text[end : end + 2].lstrip()[:1]
    before = text[max(0, start - 2) : start].rstrip()[-1:]
    return after in SEPARATOR_STARTS or before in SEPARATOR_STARTS or before == "o" or before == "d"


def _tokens(text: str, v: Vocabulary) -> Iterator[_Token]:
    """The amounts of ``text`` with their markers; bare amounts (no marker) only where they could end a
    range (quantities and parts of other tokens are dropped here)."""
    for scanned in v.number.finditer(text):
        start = scanned.start()
        m = v.strict.match(text, start, scanned.end())
        if m is None:
            continue
        num_end = m.end()
        kilo = text[num_end : num_end + 1] in ("k", "K") and not text[num_end + 1 : num_end + 2].isalpha()
        end = num_end + kilo
        tail = v.after.match(text, end)
        post = (tail.group("postsym") or tail.group("postword")) if tail else None
        pre_m = None
        if _marked_before(text, start, v):
            pre_m = v.pre.search(text, max(0, start - PRE_WINDOW), start)
        pre = pre_m.group(0).strip() if pre_m else None
        if (
            post is None
            and tail is not None
            and (pre is None or pre[-1].isalpha() or text[end : end + 1].isalpha())
        ):
            continue  # "10 min", "1080p", "$5m", "btc 50 minutes ago": a quantity, or part of something else
        if pre is None and post is None:
            if start and (text[start - 1].isalnum() or text[start - 1] in NOT_BEFORE_BARE):
                continue  # "x264", "v1.2", "#12", "3:15"
            if not _beside_separator(text, start, end):
                continue  # a bare amount counts only as the other end of a range
        mark = pre or post
        currency = (v.marker.get(mark) or v.marker.get(mark.lower())) if mark else None
        value = amount(m.group(0), crypto=currency in v.crypto if currency else False)
        if value is None:
            continue
        yield _Token(
            pre_m.start() if pre_m else start,
            tail.end() if tail and post else end,
            value * 1000 if kilo else value,
            kilo,
            currency,
        )


def _joins(text: str, left: _Token, right: _Token, v: Vocabulary) -> bool:
    """Whether two tokens are the two ends of one range ("$50-100", "between 50 and 100 USD")."""
    if left.currency and right.currency and left.currency != right.currency:
        return False
    if left.currency is None and right.currency is None:
        return False
    gap = v.range_gap.fullmatch(text, left.end, right.start)
    if gap is None:
        return False
    if gap.group(0).strip().lower() == "and":
        return v.between.search(text, max(0, left.start - 12), left.start) is not None
    return True


def _range_values(left: _Token, right: _Token) -> tuple[Decimal, Decimal] | None:
    lo, hi = left.value, right.value
    if right.kilo and not left.kilo and lo * 1000 <= hi:  # "$1-2k" is 1,000 to 2,000
        lo *= 1000
    return (lo, hi) if lo <= hi else None


def find_prices(text: str | None) -> list[Price]:
    """Every price ``text`` states, in order of appearance."""
    if not text:
        return []
    text = text[:MAX_TEXT]
    v = vocabulary()
    tokens = list(_tokens(text, v))
    out: list[Price] = []
    i = 0
    while i < len(tokens) and len(out) < MAX_PRICES:
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        span: tuple[_Token, _Token] | None = None
        if nxt is not None and _joins(text, tok, nxt, v):
            values = _range_values(tok, nxt)
            if values is not None:
                span = (tok, nxt)
        if span is not None:
            left, right = span
            lo, hi = _range_values(left, right) or (left.value, right.value)
            currency = left.currency or right.currency
            start, end = left.start, right.end
            i += 2
        elif tok.currency is not None:
            lo = hi = tok.value
            currency, start, end = tok.currency, tok.start, tok.end
            i += 1
        else:
            i += 1
            continue
        assert currency is not None
        unit = None
        m = v.unit_after.match(text, end)
        if m is not None:
            word = (m.group("unit") or m.group("each") or "").lower()
            unit = v.unit_of.get(" ".join(word.split()))
            if unit is not None:
                end = m.end()
        out.append(Price(start, end, text[start:end], lo, hi, currency, unit))
    return out


def payment_rails(text: str | None, prices: Iterable[Price] = ()) -> list[str]:
    """The payment rails a text names (PayPal, CashApp, crypto, gift cards…), and crypto when a price is
    in a crypto currency; sorted."""
    v = vocabulary()
    found = set()
    if text:
        for m in v.rails.finditer(text[:MAX_TEXT].lower()):
            found.add(v.rail_of[" ".join(m.group(0).split())])
    if any(p.currency in v.crypto for p in prices):
        found.add("crypto")
    return sorted(found)
