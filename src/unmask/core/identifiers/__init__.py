"""Linking IDs in HTML, scripts and DNS TXT records, from one data table (``linking_ids.yaml``).

Shared by every stage: the infrastructure scan (pages, scripts, TXT records), web-archive history,
and later the app and forum stages.

Speed comes from a prefilter, not from fewer patterns: one combined regular expression of the
table's *literal anchors* (``UA-``, ``fbq(``, ``@`` …) finds candidate positions in one pass, and
each entry's specific patterns then run only on a small window around an anchor (the entry declares
how far a match reaches before and after its anchor). Wallet addresses have no literal anchor: they
are maximal runs of ASCII letters and digits of a given length, found with ``bytes.translate`` and
``bytes.find`` over the whole text, and matched whole. :func:`naive_extract` is the reference: every
pattern over the whole text; tests and ``bench/linking_bench.py`` check both give the same IDs.

Hostile input stays bounded: at most ``max_anchor_hits`` candidate positions are examined and at
most ``limit`` IDs returned per text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml

from unmask.core.errors import ConfigError

WHERE = frozenset({"html", "script", "gtm", "txt"})
MAX_IDS = 500
"""IDs returned per text at most."""
MAX_ANCHOR_HITS = 200_000
"""Candidate anchor positions examined per text at most (megabytes of ``@`` stay cheap)."""
CONTEXT = 40
"""Characters of context kept either side of a match."""


@dataclass(frozen=True, slots=True)
class LinkingId:
    kind: str
    value: str
    name: str
    """The table entry that found it (what it is, for people)."""
    offset: int
    """Character offset of the match in the text (for TXT records: in its record)."""
    context: str
    """The match with a little text either side, whitespace folded."""

    @property
    def key(self) -> str:
        """``kind:value``, as observations and comparisons write it."""
        return f"{self.kind}:{self.value}"


# ---------------------------------------------------------------------------------- validators

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}
_BECH32_GEN = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_BECH32M = 0x2BC830A3
_FILE_TLDS = frozenset(
    """png jpg jpeg gif svg webp avif ico bmp tif tiff js mjs css json map html htm php asp aspx woff woff2
    ttf otf eot mp4 webm mov avi mkv mp3 wav zip gz pdf txt xml""".split()  # noqa: SIM905
)


def base58check(value: str) -> bool:
    """Base58 with a double-SHA-256 checksum, 25 bytes (Bitcoin, Litecoin, TRON addresses)."""
    number = 0
    for char in value:
        digit = _B58_INDEX.get(char)
        if digit is None:
            return False
        number = number * 58 + digit
    zeros = len(value) - len(value.lstrip("1"))
    raw = b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
    if len(raw) != 25:
        return False
    digest = hashlib.sha256(hashlib.sha256(raw[:-4]).digest()).digest()
    return digest[:4] == raw[-4:]


def _bech32_polymod(values: Iterable[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_BECH32_GEN):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def bech32(value: str) -> bool:
    """A segwit address: bech32 checksum for witness version 0, bech32m for later versions (BIP 173/350)."""
    value = value.lower()
    hrp, sep, rest = value.rpartition("1")
    if not sep or not hrp or len(rest) < 7:
        return False
    try:
        data = [_BECH32_INDEX[c] for c in rest]
    except KeyError:
        return False
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    constant = _bech32_polymod(expanded + data)
    version = data[0]
    return (version == 0 and constant == 1) or (0 < version <= 16 and constant == _BECH32M)


def eth(value: str) -> bool:
    """Not a placeholder (0x000…0, 0xfff…f): EIP-55 needs Keccak, which the standard library lacks."""
    return len(set(value[2:].lower())) > 2


def email(value: str) -> bool:
    """Not a file name with an ``@`` (``logo@2x.png``), not an error-tracker key (32 hex digits)."""
    local, _, domain = value.rpartition("@")
    tld = domain.rsplit(".", 1)[-1].lower()
    if tld in _FILE_TLDS:
        return False
    return not (len(local) == 32 and all(c in "0123456789abcdef" for c in local.lower()))


VALIDATORS: dict[str, Callable[[str], bool]] = {
    "base58check": base58check,
    "bech32": bech32,
    "eth": eth,
    "email": email,
}
NORMALISERS: dict[str, Callable[[str], str]] = {
    "none": lambda s: s,
    "upper": str.upper,
    "lower": str.lower,
}


# ---------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Example:
    text: str
    value: str


@dataclass(frozen=True)
class Rule:
    """One entry of the table, compiled."""

    index: int
    kind: str
    name: str
    where: frozenset[str]
    anchors: tuple[str, ...]
    before: int
    after: int
    token: tuple[int, int] | None
    back: re.Pattern[str] | None
    """Anchored rules whose match starts where a backward run of these characters before the anchor
    starts (e-mail local parts): one ``match`` there instead of a search through the window."""
    patterns: tuple[re.Pattern[str], ...]
    """As written (anchored rules: searched in a window; token rules: matched against a whole token)."""
    naive: tuple[re.Pattern[str], ...]
    """For the whole text (token rules get the letters-and-digits boundaries the token scan implies)."""
    normalise: Callable[[str], str]
    fmt: str
    validator: Callable[[str], bool] | None
    examples: tuple[Example, ...]
    negatives: tuple[str, ...]

    def value(self, match: re.Match[str]) -> str | None:
        named = {k: v for k, v in match.groupdict().items() if v is not None}
        if named:
            return self.fmt.format(**{k: self.normalise(v) for k, v in named.items()})
        raw = next((g for g in match.groups() if g is not None), match.group(0))
        raw = self.normalise(raw)
        if self.validator is not None and not self.validator(raw):
            return None
        return self.fmt.format(raw) if "{}" in self.fmt else self.fmt


_TOKEN_EDGE = ("(?<![0-9A-Za-z])(?:", ")(?![0-9A-Za-z])")


def _rule(index: int, entry: Mapping[str, Any]) -> Rule:
    where = f"linking_ids.yaml entry {index + 1} ({entry.get('kind', '?')})"
    try:
        places = frozenset(entry["where"])
        if not places <= WHERE:
            raise ConfigError(f"unknown place in where: {sorted(places - WHERE)}", where=where)
        anchors = tuple(entry.get("anchors") or ())
        token = tuple(entry["token"]) if entry.get("token") else None
        if bool(anchors) == bool(token):
            raise ConfigError("needs either anchors or token", where=where)
        before, after = entry.get("window", (0, 200))
        patterns = tuple(re.compile(p) for p in entry["patterns"])
        naive = (
            tuple(re.compile(_TOKEN_EDGE[0] + p + _TOKEN_EDGE[1]) for p in entry["patterns"])
            if token
            else patterns
        )
        validator_name = entry.get("validator")
        return Rule(
            index=index,
            kind=str(entry["kind"]),
            name=str(entry["name"]),
            where=places,
            anchors=anchors,
            before=int(before),
            after=int(after),
            token=(int(token[0]), int(token[1])) if token else None,
            back=re.compile(f"{entry['back']}*") if entry.get("back") else None,
            patterns=patterns,
            naive=naive,
            normalise=NORMALISERS[entry.get("normalise", "none")],
            fmt=str(entry.get("format", "{}")),
            validator=VALIDATORS[validator_name] if validator_name else None,
            examples=tuple(Example(str(e["text"]), str(e["value"])) for e in entry.get("examples") or ()),
            negatives=tuple(str(n) for n in entry.get("negatives") or ()),
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise ConfigError(f"malformed entry ({type(exc).__name__}: {exc})", where=where) from exc


@cache
def load_rules() -> tuple[Rule, ...]:
    """The shipped table, compiled once."""
    text = resources.files("unmask.core.identifiers").joinpath("linking_ids.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text)
    return tuple(_rule(i, e) for i, e in enumerate(entries))


def _char_cost(char: str) -> int:
    """How common a character is in HTML and scripts, roughly (lower = rarer = a better pivot)."""
    if char in "etaoinsrhlcdu \"'/=.<>();,:-\n":
        return 10
    if char in "mfpgwybjv0123456789":
        return 6
    if char.isupper() or char in "kxqz":
        return 3
    return 4


def _pivot(anchor: str) -> int:
    """Offset of the anchor's rarest three characters, which the prefilter looks for."""
    costs = [
        _char_cost(anchor[i]) * _char_cost(anchor[i + 1]) * _char_cost(anchor[i + 2])
        for i in range(len(anchor) - 2)
    ]
    return costs.index(min(costs))


def _triple(a: int, b: int, c: int) -> int:
    return a << 14 | b << 7 | c


@dataclass(frozen=True)
class RuleSet:
    """The rules of one place, with the prefilter built from their anchors.

    The prefilter looks up every three adjacent characters of the text (as 21-bit codes of ASCII, with
    numpy) in a table of the anchors' pivot triples, then confirms each candidate with ``str.startswith``:
    one vectorised pass whatever the number of anchors. Anchors of one or two characters use ``str.find``.
    """

    rules: tuple[Rule, ...]
    by_anchor: dict[str, tuple[Rule, ...]]
    by_triple: dict[int, tuple[tuple[str, int], ...]]
    """Triple code → (anchor, offset of the triple in the anchor)."""
    triple_table: np.ndarray[Any, np.dtype[np.bool_]]
    pair_table: np.ndarray[Any, np.dtype[np.bool_]]
    """The triples' first two characters, indexed as a little-endian 16-bit word (a first, cheap pass)."""
    short: tuple[str, ...]
    token_rules: tuple[Rule, ...]
    token_min: int
    token_max: int


@cache
def rule_set(where: str) -> RuleSet:
    if where not in WHERE:
        raise ValueError(f"where must be one of {sorted(WHERE)}, not {where!r}")
    rules = tuple(r for r in load_rules() if where in r.where)
    by_anchor: dict[str, list[Rule]] = {}
    for rule in rules:
        for anchor in rule.anchors:
            if not anchor.isascii():
                raise ConfigError(f"anchor {anchor!r} is not ASCII", where="linking_ids.yaml")
            by_anchor.setdefault(anchor, []).append(rule)
    by_triple: dict[int, list[tuple[str, int]]] = {}
    for anchor in by_anchor:
        if len(anchor) > 2:
            k = _pivot(anchor)
            code = _triple(*(ord(c) for c in anchor[k : k + 3]))
            by_triple.setdefault(code, []).append((anchor, k))
    table = np.zeros(1 << 21, dtype=np.bool_)
    table[list(by_triple)] = True
    pairs = np.zeros(1 << 16, dtype=np.bool_)
    pairs[[(code >> 14) | ((code >> 7) & 0x7F) << 8 for code in by_triple]] = True
    token_rules = tuple(r for r in rules if r.token)
    return RuleSet(
        rules=rules,
        by_anchor={a: tuple(rs) for a, rs in by_anchor.items()},
        by_triple={code: tuple(pairs) for code, pairs in by_triple.items()},
        triple_table=table,
        pair_table=pairs,
        short=tuple(a for a in by_anchor if len(a) <= 2),
        token_rules=token_rules,
        token_min=min((r.token[0] for r in token_rules if r.token), default=0),
        token_max=max((r.token[1] for r in token_rules if r.token), default=0),
    )


# ---------------------------------------------------------------------------------- extraction

_ALNUM = bytes(97 if chr(i).isascii() and chr(i).isalnum() else 32 for i in range(256))
_SPACE = re.compile(r"\s+")


def _context(text: str, start: int, end: int) -> str:
    snippet = text[max(0, start - CONTEXT) : min(len(text), end + CONTEXT)]
    return _SPACE.sub(" ", snippet).strip()[: 2 * CONTEXT + 160]


def _anchor_hits(text: str, raw: bytes, rs: RuleSet, max_hits: int) -> list[tuple[int, str]]:
    """(position, anchor) of every anchor occurrence, in text order, at most ``max_hits``."""
    hits: list[tuple[int, str]] = []
    for anchor in rs.short:
        pos = text.find(anchor)
        while pos >= 0 and len(hits) < max_hits:
            hits.append((pos, anchor))
            pos = text.find(anchor, pos + 1)
    n = len(raw)
    if rs.by_triple and n > 2:
        # pass 1: pairs, read as 16-bit words at even and at odd offsets (no copy, no arithmetic)
        even = np.frombuffer(raw, dtype="<u2", count=n // 2)
        odd = np.frombuffer(raw, dtype="<u2", count=(n - 1) // 2, offset=1)
        candidates = np.concatenate(
            (np.flatnonzero(rs.pair_table[even]) * 2, np.flatnonzero(rs.pair_table[odd]) * 2 + 1)
        )
        candidates = candidates[candidates < n - 2]
        # pass 2: the third character, on the few candidates only
        data = np.frombuffer(raw, dtype=np.uint8)
        codes = data[candidates].astype(np.uint32) << 14
        codes |= data[candidates + 1].astype(np.uint32) << 7
        codes |= data[candidates + 2]
        keep = rs.triple_table[codes]
        where, codes = candidates[keep], codes[keep]
        order = np.argsort(where, kind="stable")
        for pos, code in zip(where[order].tolist(), codes[order].tolist(), strict=True):
            for anchor, k in rs.by_triple[code]:
                if text.startswith(anchor, pos - k) and pos >= k:
                    hits.append((pos - k, anchor))
            if len(hits) >= max_hits:
                break
    hits.sort()
    return hits[:max_hits]


def _anchored(text: str, raw: bytes, rs: RuleSet, max_hits: int) -> Iterator[tuple[int, Rule, re.Match[str]]]:
    n = len(text)
    seen: set[tuple[int, int]] = set()
    for pos, anchor in _anchor_hits(text, raw, rs, max_hits):
        for rule in rs.by_anchor[anchor]:
            lo = max(0, pos - rule.before)
            hi = min(n, pos + rule.after + 1)
            if rule.back is not None:
                run = rule.back.match(text[lo:pos][::-1])
                lo = pos - (run.end() if run else 0)
            for pattern in rule.patterns:
                matches = (
                    pattern.finditer(text, lo, hi) if rule.back is None else [pattern.match(text, lo, hi)]
                )
                for match in matches:
                    if match is None:
                        continue
                    if not match.start() <= pos < match.end():
                        continue  # another anchor's match, maybe cut by this window: found from its own
                    key = (rule.index, match.start())
                    if key not in seen:
                        seen.add(key)
                        yield match.start(), rule, match


def _tokens(text: str, raw: bytes, rs: RuleSet, max_hits: int) -> Iterator[tuple[int, Rule, re.Match[str]]]:
    if not rs.token_rules:
        return
    shape = raw.translate(_ALNUM)
    needle = b"a" * rs.token_min
    n = len(shape)
    start = shape.find(needle)
    hits = 0
    while start >= 0 and hits < max_hits:
        end = shape.find(b" ", start + rs.token_min)
        if end < 0:
            end = n
        length = end - start
        if length <= rs.token_max:
            hits += 1
            token = text[start:end]
            for rule in rs.token_rules:
                assert rule.token is not None
                if rule.token[0] <= length <= rule.token[1]:
                    for pattern in rule.patterns:
                        match = pattern.fullmatch(token)
                        if match is not None:
                            yield start, rule, match
        start = shape.find(needle, end)


def _collect(text: str, candidates: Iterable[tuple[int, Rule, re.Match[str]]], limit: int) -> list[LinkingId]:
    found: list[tuple[int, int, LinkingId]] = []
    for start, rule, match in candidates:
        value = rule.value(match)
        if value is None:
            continue
        span_end = start + (match.end() - match.start())
        found.append(
            (
                start,
                rule.index,
                LinkingId(rule.kind, value, rule.name, start, _context(text, start, span_end)),
            )
        )
    found.sort(key=lambda item: (item[0], item[1]))
    out: dict[tuple[str, str], LinkingId] = {}
    for _start, _index, ident in found:
        if (ident.kind, ident.value) not in out:
            out[(ident.kind, ident.value)] = ident
            if len(out) >= limit:
                break
    return list(out.values())


def extract_linking_ids(
    text: str, *, where: str = "html", limit: int = MAX_IDS, max_anchor_hits: int = MAX_ANCHOR_HITS
) -> list[LinkingId]:
    """Linking IDs in ``text`` (a page, a script, a Tag Manager container or a TXT record).

    Deduplicated by (kind, value), in first-seen order, at most ``limit``.
    """
    rs = rule_set(where)
    raw = text.encode("ascii", "replace")  # one byte per character: offsets stay those of the text
    candidates = [*_anchored(text, raw, rs, max_anchor_hits), *_tokens(text, raw, rs, max_anchor_hits)]
    return _collect(text, candidates, limit)


def extract_from_txt(records: Iterable[str], *, limit: int = MAX_IDS) -> list[LinkingId]:
    """Linking IDs in DNS TXT records (verification tokens, wallets…), deduplicated over all records."""
    out: dict[tuple[str, str], LinkingId] = {}
    for record in records:
        for ident in extract_linking_ids(record, where="txt", limit=limit):
            out.setdefault((ident.kind, ident.value), ident)
            if len(out) >= limit:
                return list(out.values())
    return list(out.values())


def naive_extract(text: str, *, where: str = "html", limit: int = MAX_IDS) -> list[LinkingId]:
    """The reference: every pattern of every rule over the whole text (slow; for tests and the benchmark)."""
    rs = rule_set(where)

    def candidates() -> Iterator[tuple[int, Rule, re.Match[str]]]:
        for rule in rs.rules:
            for pattern in rule.naive:
                for match in pattern.finditer(text):
                    yield match.start(), rule, match

    return _collect(text, candidates(), limit)
