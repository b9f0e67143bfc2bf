"""The one privacy policy every output takes: who is named, who is a pseudonym, what free text hides.

Roles, not strings: a name is looked up with the role it has in the case.

- ``DEPICTED``: a person the platform's items show. A pseudonym unless the investigator's public-figure
  list names them (``analyze --public-figures`` records a list in the case; ``--public-figures FILE`` adds
  one for a single command). The platform's own labels ("celebrity", adapter flags) are advisory only
  and never unmask anyone.
- ``UPLOADER``: an account's handle, shown as it is unless it contains a hidden name
  (``JanetDoerwaldFan``); then it is a pseudonym of its own (``Uploader-…``).
- ``OWNER``: a person from registers and imports (owner, officer, company contact in the entity graph).
  Named, everywhere alike, unless the same person is also a hidden depicted person of the case.
- ``PROTECTED``: persons an NGO or the investigator protects (``unmask protect add``; kept apart from the
  store in ``protect/watchlist.yaml``, mode 0600). Never named in any output, not even with
  ``--real-names``: their names in any word order and spelling are hidden wherever they occur.

Free text (titles, tags, URLs, run messages) has every hidden name replaced by its pseudonym wherever it
occurs, matched on a normalised form: percent-decoded (``zo%C3%AB-%C3%A5ngstr%C3%B6m``), NFKC, case-folded,
ASCII-folded (``zoe-angstrom``), words joined or separated by anything (``JanetDoerwald_HD``,
``#JanetDoerwald``). One Aho–Corasick automaton over the normalised text finds every name at once; a text
without a hit costs a few string operations in C.

A pseudonym is ``Person-`` and 8 hex digits of an HMAC-SHA256 under the case secret of the name's
normalised key (:func:`name_key`): the same person gets the same pseudonym in every output and every
spelling, and it cannot be reversed without the case folder. ``--real-names`` (or
``privacy.pseudonymize: false`` in case.yaml) opts out for depicted persons and uploaders.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import functools
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import ahocorasick
import yaml

from unmask.core.errors import UnmaskError
from unmask.core.text import fold, name_spellings

if TYPE_CHECKING:
    from unmask.core.case import Case
    from unmask.core.store import Store


class Role(StrEnum):
    DEPICTED = "depicted"
    UPLOADER = "uploader"
    OWNER = "owner"
    PROTECTED = "protected"


LONG_NAME = 6
"""A normalised name of at least this many letters and digits is found anywhere in a text (inside
``JanetDoerwaldFan`` too); a shorter one only as whole words, so that ``Bo Rin`` does not hit ``boring``."""
MIN_NAME = 2
"""Shorter normalised names (one letter) are never searched for in free text."""
PUBLIC_FIGURES_META = "privacy.public_figures"
"""The case_meta key under which the investigator's public-figure list (names and aliases) is kept."""
ALIAS_SEPARATORS = re.compile(r"[|;]")

_NOT_ALNUM = re.compile(r"[\W_]+")
_ESCAPES = re.compile(r"(?:%(?:25)*[0-9A-Fa-f]{2})+")
_ESCAPE = re.compile(r"%(?:25)*([0-9A-Fa-f]{2})")
_ALNUM = re.compile(r"[A-Za-z0-9]")
_WORD_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]|(?<=[a-z])[A-Z]|(?<=[A-Za-z])[0-9]|(?<=[0-9])[A-Za-z]")


# -- normalised forms -------------------------------------------------------------------------------


def decode_escapes(text: str, rounds: int = 3) -> str:
    """Percent-escapes decoded (twice-encoded ones too)."""
    for _ in range(rounds):
        if "%" not in text:
            break
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    return text


def name_key(name: str) -> str:
    """The one normalised key of a name: escapes decoded, folded, letters and digits only.

    ``Janet Doerwald``, ``janet-doerwald``, ``JanetDoerwald`` and ``janet%20doerwald`` share one key.
    """
    return _NOT_ALNUM.sub("", fold(decode_escapes(name)))


def pseudonym(name: str, secret: str, *, prefix: str = "Person") -> str:
    """``Person-`` and 8 hex digits of an HMAC of the name's key under the case secret."""
    return _label(name_key(name), secret, prefix)


def _label(key: str, secret: str, prefix: str = "Person") -> str:
    digest = hmac.new(secret.encode("utf-8"), key.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{prefix}-{digest[:8]}"


# -- finding names in free text ---------------------------------------------------------------------


def _units(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, character) of each character of the text as read: a run of percent-escapes that
    decodes to one character is one character."""
    pos = 0
    for m in _ESCAPES.finditer(text):
        yield from ((i, i + 1, text[i]) for i in range(pos, m.start()))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        begin = m.start()
        for esc in _ESCAPE.finditer(text, m.start(), m.end()):
            out = decoder.decode(bytes([int(esc.group(1), 16)]))
            if out:
                yield from ((begin, esc.end(), ch) for ch in out)
                begin = esc.end()
        yield from ((begin, m.end(), ch) for ch in decoder.decode(b"", final=True))
        pos = m.end()
    yield from ((i, i + 1, text[i]) for i in range(pos, len(text)))


def _kind(ch: str) -> int:
    """0 separator, 1 lower-case or uncased letter, 2 upper-case letter, 3 digit."""
    if ch.isdigit():
        return 3
    if ch.isupper():
        return 2
    if ch.isalnum():
        return 1
    return 0


def _read_units(text: str) -> tuple[list[int], list[int], str, list[bool]]:
    """The normalised letters of a text, each with the span of the text it came from and whether a
    word starts there (after a separator, at a lower→upper or letter↔digit change)."""
    starts: list[int] = []
    ends: list[int] = []
    letters: list[str] = []
    starts_word: list[bool] = []
    previous = 0
    for start, end, ch in _units(text):
        kind = _kind(ch)
        folded = _NOT_ALNUM.sub("", fold(ch)) if kind else ""
        if not folded:
            previous = 0
            continue
        boundary = previous == 0 or (previous == 1 and kind == 2) or ((previous == 3) != (kind == 3))
        for n, letter in enumerate(folded):
            starts.append(start)
            ends.append(end)
            letters.append(letter)
            starts_word.append(boundary and n == 0)
        previous = kind
    return starts, ends, "".join(letters), starts_word


class NameMatcher:
    """Every occurrence of a set of names in free text, in any of the spellings the module describes."""

    def __init__(
        self, names: Mapping[str, str] | Iterable[str], label: Callable[[str], str] | None = None
    ) -> None:
        """``names``: normalised key → what replaces it; or the keys alone and ``label``, which gives a key's
        replacement when the key is first found (a case of 50,000 depicted persons then computes no
        50,000 pseudonyms for a text that names none)."""
        if isinstance(names, Mapping):
            given = dict(names)
            self._label: Callable[[str], str] = given.__getitem__
            keys: Iterable[str] = given
        elif label is None:
            raise TypeError("NameMatcher: keys without a label")
        else:
            self._label, keys = label, names
        self._replacement: dict[str, str] = {}
        self._automaton: Any = None
        automaton = ahocorasick.Automaton()
        for key in keys:
            if len(key) >= MIN_NAME:
                automaton.add_word(key, key)
        if len(automaton):
            automaton.make_automaton()
            self._automaton = automaton

    def __bool__(self) -> bool:
        return self._automaton is not None

    def _screen(self, text: str) -> bool:
        """Whether any name's key occurs in the text's normalised form (a superset of real hits)."""
        compact = _NOT_ALNUM.sub("", fold(decode_escapes(text)))
        return next(self._automaton.iter(compact), None) is not None

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """(start, end, key) of each occurrence, leftmost and longest first, never overlapping."""
        if self._automaton is None or not text or not self._screen(text):
            return []
        if text.isascii() and "%" not in text:  # the common case, read with regular expressions
            starts = [m.start() for m in _ALNUM.finditer(text)]
            ends = [i + 1 for i in starts]
            joined = "".join(text[i] for i in starts).lower()
            word_starts = {m.start() for m in _WORD_START.finditer(text)}
            starts_word = [i in word_starts for i in starts]
        else:
            starts, ends, joined, starts_word = _read_units(text)
        found: list[tuple[int, int, str]] = []
        for last, key in self._automaton.iter(joined):
            first = last - len(key) + 1
            if len(key) < LONG_NAME and not (
                starts_word[first] and (last + 1 == len(joined) or starts_word[last + 1])
            ):
                continue
            found.append((first, last + 1, key))
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        out: list[tuple[int, int, str]] = []
        reach = 0
        for first, end, key in found:
            if first >= reach:
                out.append((starts[first], ends[end - 1], key))
                reach = end
        return out

    def label(self, key: str) -> str:
        """What replaces the name of this key."""
        replacement = self._replacement.get(key)
        if replacement is None:
            replacement = self._replacement[key] = self._label(key)
        return replacement

    def replace(self, text: str) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        parts: list[str] = []
        pos = 0
        for start, end, key in spans:
            parts += [text[pos:start], self.label(key)]
            pos = end
        return "".join(parts) + text[pos:]


# -- a forum's free text: probable names withheld ------------------------------------------------------

WITHHELD = "[name?]"
"""What a forum title shows in place of a word that may be a person's name (``forum_text``)."""


class MaskRule(StrEnum):
    """Why a word of a forum's free text was withheld (shown with the text)."""

    UNKNOWN = "unknown word"
    """Not a word of request titles (core/title_words.yaml): any name, in any case or script."""
    HANDLE = "handle"
    """A handle or tag: ``@mara_q``, ``mara99``, ``#MaraQuellstein``."""
    NAME_WORD = "capitalised name word"
    """An ordinary word that is also a name (Will, Rose, Stone): beside another such word (in any case),
    or capitalised beside a withheld word or inside a sentence."""


@dataclass(frozen=True)
class Shown:
    """A forum's free text as an output shows it, and the rules that withheld words of it."""

    text: str | None
    rules: tuple[str, ...] = ()


_TOKEN = re.compile(r"[@#]?\w+(?:['’]\w+)*")
_NUMBERISH = re.compile(
    r"\d+(?:[.,]\d+)*(?:k|m|p|i|fps|gb|mb|tb|min|mins|s|h|hr|hrs|x|th|st|nd|rd|yo|y|yr|yrs|am|pm|d|mo|v)?",
    re.IGNORECASE,
)
_CAMEL = re.compile(r"[a-z][A-Z]")
_URL_HEAD = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*")
_JOINS = re.compile(r"[\s\-.'’]{1,3}")
_SENTENCE_BREAK = frozenset(".!?:;[](){}|-–—\"'“”/,")


@functools.cache
def _title_data() -> dict[str, frozenset[str]]:
    text = (Path(__file__).parent / "title_words.yaml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=yaml.BaseLoader)  # every word a string (on, off, no, yes too)
    return {key: frozenset(str(w) for w in words) for key, words in data.items()}


@functools.cache
def title_words() -> tuple[frozenset[str], frozenset[str]]:
    """(words never names, ordinary words that are also names) from core/title_words.yaml."""
    data = _title_data()
    return data["words"] - data["also_names"], data["also_names"]


def url_words() -> frozenset[str]:
    """What a forum's URL paths and queries say besides titles (core/title_words.yaml ``url_words``)."""
    return _title_data()["url_words"]


def _forms(word: str) -> Iterator[str]:
    """A folded word and the forms a listed word may take in it (possessive, plural, no apostrophe)."""
    word = word.replace("’", "'")
    yield word
    bare = word[:-2] if word.endswith("'s") else word
    bare = bare.replace("'", "")
    yield bare
    if len(bare) > 3 and bare.endswith("s"):
        yield bare[:-1]
        if bare.endswith("ies"):
            yield bare[:-3] + "y"
        if bare.endswith("es"):
            yield bare[:-2]


_KEEP, _ALSO = "keep", "also"


@functools.lru_cache(maxsize=65_536)
def _word_class(token: str, in_url: bool = False) -> str:
    """keep (a listed word, a number), also (a word that is also a name) or the MaskRule that withholds it."""
    raw = token.lstrip("@#")
    if token.startswith("@"):
        return MaskRule.HANDLE
    if _NUMBERISH.fullmatch(raw) or (in_url and (len(raw) == 1 or fold(raw) in url_words())):
        return _KEEP
    words, also = title_words()
    for form in _forms(fold(raw)):
        if form in also:
            return _ALSO
        if form in words:
            return _KEEP
    if "_" in raw or any(ch.isdigit() for ch in raw) or _CAMEL.search(raw):
        return MaskRule.HANDLE
    return MaskRule.UNKNOWN


def withhold_names(text: str, fixed: list[tuple[int, int, str]], *, in_url: bool = False) -> Shown:
    """Every word of ``text`` that may be a person's name replaced by :data:`WITHHELD` (adjacent ones by
    one marker), except inside ``fixed`` spans (start, end, what they show: pseudonyms and public
    figures' names). The rules that withheld words come with the text. ``in_url``: a URL's path and
    query (their own words and one-letter keys kept)."""
    fixed = sorted(fixed)
    starts = [s for s, _e, _shown in fixed]

    def fixed_within(begin: int, end: int) -> bool:
        """Whether a fixed span overlaps text[begin:end] (spans sorted and apart: two look-ups)."""
        k = bisect.bisect_right(starts, begin) - 1
        if k >= 0 and fixed[k][1] > begin:
            return True
        k += 1
        return k < len(fixed) and fixed[k][0] < end

    tokens = [m for m in _TOKEN.finditer(text) if not fixed_within(m.start(), m.end())]
    if not tokens and not fixed:
        return Shown(text)
    kinds = [  # an initial ("J. Doerwald") is a name word
        _ALSO
        if len(m.group()) == 1 and m.group().isupper() and text[m.end() : m.end() + 1] == "."
        else _word_class(m.group(), in_url)
        for m in tokens
    ]
    capital = [m.group().lstrip("@#")[:1].isupper() for m in tokens]
    alpha = [i for i, m in enumerate(tokens) if i and m.group().isalpha()]
    title_case = len(alpha) >= 2 and sum(capital[i] for i in alpha) >= 0.6 * len(alpha)
    joined = [
        bool(_JOINS.fullmatch(text[a.end() : b.start()])) and not fixed_within(a.end(), b.start())
        for a, b in pairwise(tokens)
    ]

    def starts_sentence(i: int) -> bool:
        before = text[max(0, tokens[i].start() - 40) : tokens[i].start()].rstrip()
        return tokens[i].start() == 0 or not before or before[-1] in _SENTENCE_BREAK

    def next_to(i: int, test: Callable[[int], bool]) -> bool:
        """Joined to a neighbouring token that passes ``test``."""
        return bool(
            (i > 0 and joined[i - 1] and test(i - 1)) or (i + 1 < len(tokens) and joined[i] and test(i + 1))
        )

    def capital_name_word(j: int) -> bool:
        return kinds[j] == _ALSO and capital[j]

    def name_word(j: int) -> bool:
        return kinds[j] == _ALSO

    masked: list[str | None] = [k if k not in (_KEEP, _ALSO) else None for k in kinds]
    for i in range(len(tokens)):  # two name words in a row (any case), or a capitalised one inside a sentence
        if name_word(i) and (
            next_to(i, name_word) or (capital[i] and not (title_case or starts_sentence(i)))
        ):
            masked[i] = MaskRule.NAME_WORD
    changed = True
    while changed:  # beside a withheld word
        changed = False
        for i in range(len(tokens)):
            if masked[i] is None and capital_name_word(i) and next_to(i, lambda j: masked[j] is not None):
                masked[i], changed = MaskRule.NAME_WORD, True
    pieces = sorted(
        fixed + [(m.start(), m.end(), WITHHELD) for m, rule in zip(tokens, masked, strict=True) if rule]
    )
    out: list[str] = []
    pos = 0
    for start, end, shown in pieces:
        gap = text[pos:start]
        if shown == WITHHELD and out and out[-1] == WITHHELD and _JOINS.fullmatch(gap):
            pos = end
            continue
        out += [gap, shown]
        pos = end
    out.append(text[pos:])
    rules = tuple(sorted({str(r) for r in masked if r}))
    return Shown("".join(out), rules)


# -- public-figure lists ----------------------------------------------------------------------------


def read_public_figures(path: Path) -> list[str]:
    """The names and aliases of a public-figure CSV (columns ``name``, optional ``aliases`` separated by
    ``|`` or ``;``). Errors name the file and line."""
    names: list[str] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip().casefold() for h in reader.fieldnames or []]
            if "name" not in header:
                raise UnmaskError("no `name` column in the header", where=f"{path}:1")
            reader.fieldnames = header
            for row in reader:
                if None in row:
                    raise UnmaskError("more fields than the header names", where=f"{path}:{reader.line_num}")
                name = (row.get("name") or "").strip()
                if not name:
                    raise UnmaskError("empty name", where=f"{path}:{reader.line_num}")
                aliases = ALIAS_SEPARATORS.split(row.get("aliases") or "")
                names += [a.strip() for a in [name, *aliases] if a.strip()]
    except OSError as exc:
        raise UnmaskError(f"cannot read the public-figure list ({exc.strerror})", where=str(path)) from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise UnmaskError(f"malformed public-figure list ({exc})", where=str(path)) from exc
    return names


def recorded_public_figures(store: Store) -> list[str]:
    """The public-figure names recorded in the case (``analyze --public-figures``)."""
    from sqlalchemy import select

    from unmask.core.store.models import CaseMeta

    with store.session() as s:
        raw = s.scalar(select(CaseMeta.value).where(CaseMeta.key == PUBLIC_FIGURES_META))
    return list(json.loads(raw)) if raw else []


def record_public_figures(store: Store, names: Iterable[str]) -> list[str]:
    """Add names to the case's public-figure list; returns the whole list."""
    from unmask.core.store.models import CaseMeta

    merged = sorted({*recorded_public_figures(store), *names})
    with store.session() as s:
        row = {"key": PUBLIC_FIGURES_META, "value": json.dumps(merged, ensure_ascii=False)}
        stmt = store.insert()(CaseMeta.__table__).values(**row)
        s.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": row["value"]}))
    return merged


# -- the policy -------------------------------------------------------------------------------------


@dataclass
class PrivacyPolicy:
    """How every output shows persons and free text: :meth:`for_case` (or :meth:`for_store`) builds one."""

    secret: str
    pseudonymize: bool = True
    """False with ``--real-names`` or ``privacy.pseudonymize: false``: depicted persons, uploaders named."""
    public_figures: frozenset[str] = frozenset()
    """Normalised keys of the investigator's public figures (names and aliases)."""
    depicted: frozenset[str] = frozenset()
    """Normalised keys of every depicted person of the case (read from the store)."""
    protected: frozenset[str] = frozenset()
    """Normalised keys of protected persons: never named (filled by the protect stage)."""
    _matcher: NameMatcher | None = field(default=None, repr=False)
    _cache: dict[tuple[str, Role], str] = field(default_factory=dict, repr=False)
    _public_matcher: NameMatcher | None = field(default=None, repr=False)
    _forum_cache: dict[tuple[str, bool], Shown] = field(default_factory=dict, repr=False)

    @classmethod
    def for_store(
        cls,
        store: Store | None,
        *,
        secret: str,
        pseudonymize: bool = True,
        public_figures: Iterable[str] = (),
        protected: Iterable[str] = (),
    ) -> PrivacyPolicy:
        names = list(public_figures)
        depicted: frozenset[str] = frozenset()
        if store is not None:
            names += recorded_public_figures(store)
            depicted = frozenset(_depicted_keys(store))
        return cls(
            secret=secret,
            pseudonymize=pseudonymize,
            public_figures=frozenset(k for k in map(name_key, names) if k),
            depicted=depicted,
            protected=frozenset(protected_keys(protected)),
        )

    @classmethod
    def for_case(
        cls, case: Case, *, real_names: bool = False, public_figure_files: Iterable[Path] = ()
    ) -> PrivacyPolicy:
        """The case's policy: its secret and settings, its recorded public-figure list, the given files."""
        extra = [name for path in public_figure_files for name in read_public_figures(path)]
        return cls.for_store(
            case.store,
            secret=case.config.secret,
            pseudonymize=case.config.privacy.pseudonymize and not real_names,
            public_figures=extra,
            protected=protected_names(case),
        )

    # -- who is hidden ------------------------------------------------------------------------------

    @property
    def hidden(self) -> frozenset[str]:
        """Keys of the names no output shows: protected persons, and depicted persons who are not public
        figures (unless names were asked for)."""
        if not self.pseudonymize:
            return self.protected
        return self.protected | (self.depicted - self.public_figures)

    @property
    def fingerprint(self) -> str:
        """Changes whenever the policy would show some name differently (stored analyses carry it)."""
        parts = [str(self.pseudonymize), *sorted(self.public_figures), "|", *sorted(self.protected)]
        return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]

    def is_public(self, name: str) -> bool:
        """On the investigator's public-figure list (and not protected)."""
        key = name_key(name)
        return key in self.public_figures and key not in self.protected

    def is_hidden(self, name: str, role: Role) -> bool:
        key = name_key(name)
        if role is Role.PROTECTED or key in self.protected:
            return True
        if not self.pseudonymize:  # only protected names are hidden, wherever they occur in a name
            return bool(self.protected) and bool(self.matcher.spans(name))
        if role is Role.DEPICTED:
            return key not in self.public_figures
        if role is Role.OWNER:
            return key in self.depicted and key not in self.public_figures
        return bool(self.matcher.spans(name))  # an uploader handle that contains a hidden name

    # -- what is shown ------------------------------------------------------------------------------

    def name(self, name: str | None, role: Role) -> str | None:
        """The name as an output shows it: the name itself, or the pseudonym of its role."""
        if name is None:
            return None
        cached = self._cache.get((name, role))
        if cached is None:
            if not self.is_hidden(name, role):
                cached = name
            elif role is Role.UPLOADER:
                cached = pseudonym(name, self.secret, prefix="Uploader")
            else:
                cached = pseudonym(name, self.secret)
            if len(self._cache) < 100_000:
                self._cache[(name, role)] = cached
        return cached

    @property
    def matcher(self) -> NameMatcher:
        if self._matcher is None:
            self._matcher = NameMatcher(self.hidden, functools.partial(_label, secret=self.secret))
        return self._matcher

    def redact(self, text: str | None) -> str | None:
        """Free text with every hidden name (any spelling) replaced by its pseudonym."""
        if not text:
            return text
        matcher = self.matcher
        return matcher.replace(text) if matcher else text

    @property
    def public_matcher(self) -> NameMatcher:
        """The public figures' names (that are not protected), found in any spelling."""
        if self._public_matcher is None:
            keys = self.public_figures - self.protected
            self._public_matcher = NameMatcher({k: k for k in keys})
        return self._public_matcher

    def forum_text(self, text: str | None) -> Shown:
        """A forum's free text (a thread title, label, section, price span) as every public output shows
        it. Safe by default: a forum names depicted persons the case may not know (lowercase, handles,
        diacritics), so besides the hidden names (pseudonyms), every word that may be a name is withheld
        (:data:`WITHHELD`, with its :class:`MaskRule`), unless it is part of a public figure's name or
        ``--real-names`` was given (then only protected persons are hidden)."""
        return self._forum_shown(text)

    def forum_url(self, url: str | None) -> str | None:
        """A forum's URL as every public output shows it: its path and query (a thread's slug) through
        :meth:`forum_text`'s rules; scheme and host as they are."""
        if not url:
            return url
        head = _URL_HEAD.match(url)
        cut = head.end() if head else 0
        return url[:cut] + (self._forum_shown(url[cut:], in_url=True).text or "")

    def _forum_shown(self, text: str | None, *, in_url: bool = False) -> Shown:
        if not text:
            return Shown(text)
        if not self.pseudonymize:
            return Shown(self.redact(text))
        shown = self._forum_cache.get((text, in_url))
        if shown is None:
            matcher = self.matcher
            fixed = [(s, e, matcher.label(k)) for s, e, k in matcher.spans(text)] if matcher else []
            public = self.public_matcher
            if public:
                fixed += [
                    (s, e, text[s:e])
                    for s, e, _k in public.spans(text)
                    if not any(a < e and s < b for a, b, _ in fixed)
                ]
            shown = withhold_names(text, fixed, in_url=in_url)
            if len(self._forum_cache) < 100_000:
                self._forum_cache[(text, in_url)] = shown
        return shown

    def redact_all(self, value: Any) -> Any:
        """Every string inside a JSON-like value redacted (for messages and stored results)."""
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, list | tuple):
            return [self.redact_all(v) for v in value]
        if isinstance(value, dict):
            return {k: self.redact_all(v) for k, v in value.items()}
        return value


def _depicted_keys(store: Store) -> Iterator[str]:
    from sqlalchemy import select

    from unmask.core.store.models import Person

    with store.session() as s:
        for (name,) in s.execute(select(Person.name).distinct()):
            key = name_key(str(name))
            if key:
                yield key


PROTECT_DIR = "protect"
"""The case's folder of protected persons (0700): the watchlist and what protect found, never the store."""
WATCHLIST_NAME = "watchlist.yaml"


def watchlist_path(root: Path) -> Path:
    return root / PROTECT_DIR / WATCHLIST_NAME


def read_watchlist(path: Path) -> list[dict[str, Any]]:
    """The protected persons of a watchlist file: ``[{"name": str, "aliases": [str], …}]`` (none when the
    file does not exist). A file that cannot be read stops the command: no output may go out without it."""
    if not path.exists():
        return []
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10,000 persons in a blink
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except OSError as exc:
        raise UnmaskError(f"cannot read the protected persons ({exc.strerror})", where=str(path)) from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise UnmaskError("the protected persons' file is not valid YAML", where=str(path)) from exc
    persons = (raw or {}).get("persons") if isinstance(raw, dict | type(None)) else None
    if not isinstance(persons, list) or not all(
        isinstance(p, dict) and isinstance(p.get("name"), str) and isinstance(p.get("aliases", []), list)
        for p in persons
    ):
        raise UnmaskError("malformed protected persons' file (persons: [{name, aliases}])", where=str(path))
    return persons


def protected_names(case: Case) -> list[str]:
    """Names and aliases of the case's protected persons (``unmask protect``)."""
    return [
        str(name)
        for person in read_watchlist(watchlist_path(case.root))
        for name in (person["name"], *person.get("aliases", []))
    ]


def protected_keys(names: Iterable[str]) -> Iterator[str]:
    """The keys a protected name is hidden by: every word order and spelling of it (core.text)."""
    for name in names:
        yield from (k for k in (name_key(s) for s in name_spellings(decode_escapes(name))) if k)
        if key := name_key(name):
            yield key


class RedactingFilter:
    """A ``logging`` filter that redacts every record's message with a policy (crawl logs, run messages)."""

    def __init__(self, policy: PrivacyPolicy) -> None:
        self.policy = policy

    def filter(self, record: Any) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: logging reports it itself
            return True
        redacted = self.policy.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True
