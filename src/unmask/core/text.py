"""Text every stage reads: counts, durations, dates, relative dates, months and years as platforms
display them, and the key names are matched by.

Every function returns ``None`` for anything it cannot read and never raises. Inputs are cut to
``MAX_INPUT`` characters first, so a hostile multi-megabyte "value" costs no more than a short one.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from itertools import pairwise, permutations, product

from unidecode import unidecode

MAX_INPUT = 256
MAX_COUNT = 10**15
MAX_DURATION = 366 * 24 * 3600.0
MIN_YEAR, MAX_YEAR = 1900, 2200
"""What the parsers read at all. What is *plausible* for an item is narrower: ``PLAUSIBLE_RANGES``."""


def _clip(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value[:MAX_INPUT].split())
    return text or None


def _invert(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    return {word: key for key, words in table.items() for word in words}


# --------------------------------------------------------------------------------------------- counts

DECIMAL_COMMA_LANGUAGES: frozenset[str] = frozenset(
    {"de", "fr", "es", "it", "pt", "nl", "ru", "pl", "cs", "sk", "sl", "hr", "sr", "bg", "ro", "hu", "tr",
     "uk", "be", "el", "da", "sv", "nb", "nn", "no", "fi", "et", "lv", "lt", "id", "vi", "az", "kk"}
)  # fmt: skip
"""Languages whose numbers use a decimal comma (``12,3K``); every other language uses a point."""

COUNT_MULTIPLIERS: dict[int, tuple[str, ...]] = {
    10**3: ("k", "thousand", "tsd", "tausend", "mil", "тыс", "천", "千"),
    10**4: ("万", "萬", "만"),
    10**6: ("m", "mm", "mio", "mn", "mln", "million", "millions", "millionen", "millón", "millones",
            "milhão", "milhões", "milione", "milioni", "miljoen", "млн", "百万"),
    10**8: ("億", "亿", "억"),
    10**9: ("b", "bn", "md", "mrd", "mld", "milliard", "milliards", "milliarde", "milliarden", "billion",
            "млрд"),
}  # fmt: skip
"""Suffixes that scale a displayed count (matched case-insensitively, a trailing dot allowed)."""

_MULTIPLIER = _invert({str(k): v for k, v in COUNT_MULTIPLIERS.items()})
_NUMBER = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[ '’]\d{3}(?!\d))+(?:[.,]\d+)?|\d+(?:[.,]\d+)*)(?:\s?([^\W\d_]+)\.?)?"
)


def _decimal_mark(locale: str | None) -> str | None:
    if not locale:
        return None
    language = locale.replace("_", "-").split("-")[0].lower()
    return "," if language in DECIMAL_COMMA_LANGUAGES else "."


def _guess_decimal(number: str, scaled: bool) -> str | None:
    """The decimal mark of ``number`` (digits and . , only) when the locale is unknown."""
    marks = [ch for ch in number if ch in ".,"]
    if not marks:
        return None
    if len(set(marks)) == 2:
        return marks[-1]
    if len(marks) > 1:
        return None  # one mark repeated: thousands separators
    if scaled:
        return marks[0]  # "12,3K", "1.2M"
    digits_after = len(number) - number.rindex(marks[0]) - 1
    return None if digits_after == 3 else marks[0]


def _to_float(number: str, decimal: str | None) -> float | None:
    number = re.sub(r"[ '’]", "", number)
    if decimal is not None and number.count(decimal) > 1:
        decimal = None  # the page disagrees with the locale: the repeated mark groups thousands
    group = "".join(ch for ch in ".," if ch != decimal)
    cleaned = number.translate({ord(ch): None for ch in group})
    if decimal:
        cleaned = cleaned.replace(decimal, ".")
    try:
        return float(cleaned)
    except ValueError:
        return None


def _multiplier(word: str | None) -> int:
    if not word:
        return 1
    lowered = word.lower()
    for candidate in (lowered, lowered[:1] if not lowered.isascii() else ""):
        if candidate in _MULTIPLIER:
            return int(_MULTIPLIER[candidate])
    return 1


MINUS_SIGNS = "-\u2212\ufe63\uff0d"
"""Hyphen-minus, minus sign, small and full-width hyphen-minus."""


def _negative(text: str, start: int) -> bool:
    """A minus sign (not a hyphen inside a word or a range) stands just before the number at ``start``."""
    before = text[:start].rstrip(" ")
    if not before or before[-1] not in MINUS_SIGNS:
        return False
    return len(before) == 1 or not before[-2].isalnum()


def read_count(value: object, locale: str | None = None) -> int | None:
    """A displayed count with its sign, as the page states it: ``"-5"`` -> -5 (``parse_count`` refuses it).

    For extraction, which records a refused value instead of dropping it unseen. None when unreadable or
    beyond ±``MAX_COUNT``.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if abs(value) <= MAX_COUNT else None
    if isinstance(value, float):
        return round(value) if math.isfinite(value) and abs(value) <= MAX_COUNT else None
    text = _clip(value)
    if text is None:
        return None
    text = text.replace("\u00a0", " ")
    match = _NUMBER.search(text)
    if match is None:
        return None
    number, word = match.group(1), match.group(2)
    scale = _multiplier(word)
    decimal = _decimal_mark(locale)
    if decimal is None:
        decimal = _guess_decimal(number.replace(" ", ""), scale > 1)
    amount = _to_float(number, decimal)
    if amount is None:
        return None
    total = amount * scale * (-1 if _negative(text, match.start()) else 1)
    return round(total) if math.isfinite(total) and abs(total) <= MAX_COUNT else None


def parse_count(value: object, locale: str | None = None) -> int | None:
    """A displayed count: ``"12.3K views"`` -> 12300, ``"1.234.567"`` -> 1234567, ``"1,2 Mio."`` -> 1200000.

    Integers pass through. ``locale`` (``"de"``, ``"fr-FR"``…) fixes the decimal mark; without it a
    single mark followed by exactly three digits groups thousands, otherwise it is decimal. A negative
    count (``"-5"``) is refused, not read as 5.
    """
    count = read_count(value, locale)
    return count if count is not None and 0 <= count <= MAX_COUNT else None


def parse_int(value: object) -> int | None:
    """The first run of digits (thousands separators ignored): ``"#1,234"`` -> 1234."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _clip(value)
    match = re.search(r"\d+(?:[.,' ]\d{3})*", text.replace("\u00a0", " ")) if text else None
    if match is None:
        return None
    number = int(re.sub(r"\D", "", match.group(0)))
    return number if number <= MAX_COUNT else None


# ------------------------------------------------------------------------------------------ durations

DURATION_UNITS: dict[float, tuple[str, ...]] = {
    1.0: ("s", "sec", "secs", "second", "seconds", "sek", "sekunde", "sekunden", "seconde", "secondes",
          "segundo", "segundos", "secondo", "secondi", "seconden", "сек", "秒"),
    60.0: ("m", "min", "mins", "minute", "minutes", "minuten", "minuto", "minutos", "minuti", "minuut",
           "мин", "分", "分钟"),
    3600.0: ("h", "hr", "hrs", "hour", "hours", "std", "stunde", "stunden", "heure", "heures", "hora",
             "horas", "ora", "ore", "uur", "ч", "час", "часа", "часов", "時間", "小时"),
}  # fmt: skip
_DURATION_UNIT = _invert({str(k): v for k, v in DURATION_UNITS.items()})

_CLOCK = re.compile(r"(?<![\d:])(\d{1,4}):([0-5]?\d)(?::([0-5]?\d))?(?:[.,](\d+))?(?![\d:])")
_ISO_DURATION = re.compile(
    r"P(?:(?P<w>\d+(?:[.,]\d+)?)W)?(?:(?P<d>\d+(?:[.,]\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:[.,]\d+)?)H)?(?:(?P<m>\d+(?:[.,]\d+)?)M)?(?:(?P<s>\d+(?:[.,]\d+)?)S)?)?",
    re.IGNORECASE,
)
_ISO_SECONDS = {"w": 604800.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_UNIT_AMOUNT = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\W\d_]+)\.?")
_PLAIN_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def _bounded(seconds: float) -> float | None:
    return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_DURATION else None


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _iso_duration(text: str) -> float | None:
    match = _ISO_DURATION.fullmatch(text)
    if match is None or not any(match.groupdict().values()):
        return None
    return sum(_number(v) * _ISO_SECONDS[k] for k, v in match.groupdict().items() if v)


def _clock_duration(text: str) -> float | None:
    match = _CLOCK.search(text)
    if match is None:
        return None
    first, second, third, fraction = match.groups()
    parts = [int(first), int(second)] + ([int(third)] if third else [])
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds + (float(f"0.{fraction}") if fraction else 0.0)


def _unit_duration(text: str) -> float | None:
    total, found = 0.0, False
    for amount, word in _UNIT_AMOUNT.findall(text):
        unit = _DURATION_UNIT.get(word.lower())
        if unit is not None:
            total += _number(amount) * float(unit)
            found = True
    return total if found else None


def parse_duration(value: object) -> float | None:
    """Seconds: ``"12:34"``, ``"1:02:03"``, ``"PT1H2M3S"``, ``"45s"``, ``"12 min"``, ``"1h 2m"``, ``754``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _bounded(float(value))
    text = _clip(value)
    if text is None:
        return None
    if _PLAIN_NUMBER.fullmatch(text):
        return _bounded(float(text))
    seconds = _iso_duration(text.replace(" ", ""))
    if seconds is None:
        seconds = _clock_duration(text)
    if seconds is None:
        seconds = _unit_duration(text)
    return _bounded(seconds) if seconds is not None else None


# ---------------------------------------------------------------------------------------------- dates

MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("jan", "january", "januar", "jänner", "janvier", "enero", "ene", "gennaio", "gen", "janeiro",
        "januari"),
    2: ("feb", "february", "februar", "février", "fevrier", "fév", "fev", "febrero", "febbraio", "fevereiro",
        "februari"),
    3: ("mar", "march", "märz", "maerz", "mär", "mars", "marzo", "março", "marco", "maart", "mrt"),
    4: ("apr", "april", "avril", "avr", "abril", "abr", "aprile"),
    5: ("may", "mai", "mayo", "maggio", "mag", "maio", "mei"),
    6: ("jun", "june", "juni", "juin", "junio", "giugno", "giu", "junho"),
    7: ("jul", "july", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho"),
    8: ("aug", "august", "août", "aout", "agosto", "ago", "augustus"),
    9: ("sep", "sept", "september", "septembre", "septiembre", "settembre", "set", "setembro"),
    10: ("oct", "october", "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro", "out"),
    11: ("nov", "november", "novembre", "noviembre", "novembro"),
    12: ("dec", "december", "dezember", "dez", "décembre", "decembre", "déc", "diciembre", "dic", "dicembre",
         "dezembro"),
}  # fmt: skip
_MONTH = {word: month for month, words in MONTH_NAMES.items() for word in words}


def month_words(text: str) -> list[int]:
    """The months (1–12) named by the words of a text ("Oct 2024", "4. Oktober"), in order."""
    return [_MONTH[w] for w in (m.group(0).lower() for m in _WORD.finditer(text)) if w in _MONTH]


_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_YMD = re.compile(r"(?<!\d)(\d{4})[./](\d{1,2})[./](\d{1,2})(?!\d)")
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})")
_NUMERIC_DATE = re.compile(r"(?<![\d.])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?![\d])")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_WORD = re.compile(r"[^\W\d_]+")
_DAY = re.compile(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th|er|e|º|\.)?(?!\d)", re.IGNORECASE)
YEAR_RE = re.compile(r"(?<!\d)(\d{4})(?!\d)")
"""A four-digit year standing alone."""


def _date(year: int, month: int, day: int) -> dt.date | None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _ints(match: re.Match[str], *groups: int) -> tuple[int, ...]:
    return tuple(int(match.group(g)) for g in groups)


def _numeric_date(text: str, dayfirst: bool | None) -> dt.date | None:
    match = _NUMERIC_DATE.search(text)
    if match is None:
        return None
    first, _, second, year_text = match.groups()
    a, b, year = int(first), int(second), int(year_text)
    if len(year_text) == 2:
        year += 2000 if year < 70 else 1900
    if dayfirst is None:
        dayfirst = match.group(2) == "." or a > 12
    day, month = (a, b) if dayfirst else (b, a)
    return _date(year, month, day)


def _named_month_date(text: str) -> dt.date | None:
    month = next(iter(month_words(text)), None)
    year = YEAR_RE.search(text)
    if month is None or year is None:
        return None
    day = _DAY.search(text[: year.start()] + " " + text[year.end() :])
    return _date(int(year.group(1)), month, int(day.group(1))) if day else None


def iso_day(value: object) -> str | None:
    """A stored day as outputs write it: a date's ISO form, else the first ten characters of its text
    (a day read back as text from SQLite); None stays None."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)[:10]


def parse_date(value: object, *, dayfirst: bool | None = None) -> dt.date | None:
    """A calendar date from ISO dates/datetimes, ``"Mar 4, 2021"``, ``"4 March 2021"``, ``"04.03.2021"``…

    ``dayfirst`` decides ``"03/04/2021"``; by default dotted dates are day-first (``04.03.2021`` is
    4 March), slashed ones month-first unless the first number is over 12. Datetimes keep the date as
    written (the platform's local date), the time zone is not applied.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _clip(value)
    if text is None:
        return None
    for pattern in (_ISO_DATE, _YMD, _CJK_DATE):
        match = pattern.search(text)
        if match is not None:
            return _date(*_ints(match, 1, 2, 3))
    if (found := _numeric_date(text, dayfirst)) is not None:
        return found
    compact = _COMPACT_DATE.fullmatch(text)
    if compact is not None:
        return _date(*_ints(compact, 1, 2, 3))
    return _named_month_date(text)


# ------------------------------------------------------------------------------------- relative dates

RELATIVE_UNITS: dict[str, tuple[str, ...]] = {
    "second": ("s", "sec", "secs", "second", "seconds", "sek", "sekunde", "sekunden", "seconde",
               "secondes", "segundo", "segundos", "secondo", "secondi", "seconden", "секунду", "секунды",
               "секунд", "秒"),
    "minute": ("m", "min", "mins", "minute", "minutes", "minuten", "minuto", "minutos", "minuti", "minuut",
               "минуту", "минуты", "минут", "分"),
    "hour": ("h", "hr", "hrs", "hour", "hours", "stunde", "stunden", "std", "heure", "heures", "hora",
             "horas", "ora", "ore", "uur", "час", "часа", "часов", "時間"),
    "day": ("d", "day", "days", "tag", "tage", "tagen", "jour", "jours", "día", "días", "dia", "dias",
            "giorno", "giorni", "dag", "dagen", "день", "дня", "дней", "日"),
    "week": ("w", "wk", "wks", "week", "weeks", "woche", "wochen", "semaine", "semaines", "semana",
             "semanas", "settimana", "settimane", "weken", "неделю", "недели", "недель", "週", "週間"),
    "month": ("mo", "mos", "month", "months", "monat", "monate", "monaten", "mois", "mes", "meses", "mese",
              "mesi", "maand", "maanden", "месяц", "месяца", "месяцев", "か月", "ヶ月", "カ月", "ヵ月",
              "ケ月"),
    "year": ("y", "yr", "yrs", "year", "years", "jahr", "jahre", "jahren", "an", "ans", "année", "années",
             "año", "años", "ano", "anos", "anno", "anni", "jaar", "jaren", "год", "года", "лет", "年"),
}  # fmt: skip
_RELATIVE_UNIT = _invert(RELATIVE_UNITS)

ONE_WORDS: frozenset[str] = frozenset(
    {"a", "an", "one", "last", "ein", "eine", "einer", "einem", "einen", "un", "une", "uno", "una", "um",
     "uma", "один", "одну", "одна"}
)  # fmt: skip
"""Words that stand for "1" before a unit ("a week ago", "vor einer Woche", "hace un mes")."""

DAY_WORDS: dict[int, tuple[str, ...]] = {
    0: ("today", "now", "just now", "heute", "gerade", "aujourd'hui", "à l'instant", "hoy", "ahora", "oggi",
        "hoje", "vandaag", "сегодня", "今日", "今", "たった今"),
    1: ("yesterday", "gestern", "hier", "ayer", "ieri", "ontem", "gisteren", "вчера", "昨日"),
    2: ("vorgestern", "avant-hier", "anteayer", "l'altro ieri", "anteontem", "eergisteren", "позавчера",
        "一昨日"),
}  # fmt: skip
_DAY_WORD = sorted(((w, d) for d, words in DAY_WORDS.items() for w in words), key=lambda p: -len(p[0]))

_TOKEN = re.compile(r"\d+|[^\W\d_]+")
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _minus_months(day: dt.date, months: int) -> dt.date | None:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    if year < MIN_YEAR:
        return None
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _ago(reference: dt.datetime, amount: int, unit: str) -> dt.date | None:
    if unit == "month":
        return _minus_months(reference.date(), amount)
    if unit == "year":
        return _minus_months(reference.date(), amount * 12)
    try:
        return (reference - dt.timedelta(seconds=amount * _UNIT_SECONDS[unit])).date()
    except OverflowError:
        return None


def _amount(word: str) -> int | None:
    if word.isdigit():
        return int(word) if len(word) <= 6 else None
    return 1 if word.lower() in ONE_WORDS else None


def _relative_amount(text: str) -> tuple[int, str] | None:
    tokens = _TOKEN.findall(text)
    for word, next_word in pairwise(tokens):
        unit = _RELATIVE_UNIT.get(next_word.lower().removesuffix("前"))
        amount = _amount(word) if unit is not None else None
        if amount is not None and unit is not None:
            return amount, unit
    return None


def _day_word(text: str) -> int | None:
    lowered = text.lower().replace("’", "'")
    for word, days in _DAY_WORD:
        if word.isascii() or not word.isalpha():
            if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered):
                return days
        elif word in lowered:
            return days
    return None


def parse_relative_date(value: object, reference: dt.datetime | dt.date) -> dt.date | None:
    """The date a relative phrase points at, counted back from ``reference``.

    ``"3 weeks ago"``, ``"yesterday"``, ``"5 hours ago"``, ``"vor 3 Wochen"``, ``"il y a 3 semaines"``,
    ``"hace 3 semanas"``, ``"3週間前"``… Months and years are calendar months and years (the day is
    clamped at the month's end). A ``date`` reference counts from its noon.
    """
    text = _clip(value)
    if text is None:
        return None
    if not isinstance(reference, dt.datetime):
        if not isinstance(reference, dt.date):
            return None
        reference = dt.datetime.combine(reference, dt.time(12))
    found = _relative_amount(text)
    if found is not None:
        return _ago(reference, *found)
    days = _day_word(text)
    return _ago(reference, days, "day") if days is not None else None


# ---------------------------------------------------------------------------------------------- names
def name_key(name: str) -> str:
    """The key a person's or uploader's name is matched by: case-folded, whitespace collapsed, bounded."""
    return " ".join(name.casefold().split())[:500]


# ------------------------------------------------------------------------------------------ plausibility

PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "views": (0, 1e11),
    "photo_count": (0, 100_000),
    "duration": (1.0, 72 * 3600.0),
}
"""What an item's numbers may be: no negative views and no more than 100 billion (the most watched video
anywhere has about 16 billion); a gallery of at most 100,000 photos; a video from one second to three days
(a zero length is a placeholder; longer is a stream's archive or garbage)."""
EARLIEST_UPLOAD = dt.date(1991, 1, 1)
"""Nothing was uploaded to a website before the web existed: earlier dates (1900-01-01, 1970-01-01) are
placeholders or errors."""
UPLOAD_SLACK = dt.timedelta(days=1)
"""A platform's local date may run a day ahead of the crawler's (time zones); later dates are impossible."""


def implausible(name: str, value: object, today: dt.date) -> str | None:
    """Why an item's ``name`` field cannot be ``value`` on a page read on ``today``; None when it can."""
    if name == "upload_date" and isinstance(value, dt.date):
        day = value.date() if isinstance(value, dt.datetime) else value
        if day < EARLIEST_UPLOAD:
            return f"before {EARLIEST_UPLOAD.isoformat()}"
        if day > today + UPLOAD_SLACK:
            return f"after the page was read ({today.isoformat()})"
        return None
    bounds = PLAUSIBLE_RANGES.get(name)
    if bounds is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    low, high = bounds
    if not math.isfinite(value):
        return "not a finite number"
    if value < low:
        return "negative" if value < 0 else f"below {low:g}"
    if value > high:
        return f"above {high:,.0f}"
    return None


# ------------------------------------------------------------------------------- words, for matching

MAX_MATCH_INPUT = 4096
"""Characters of one value read for matching (a hostile multi-megabyte title costs no more)."""
_MATCH_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
"""A word as names are matched: a run of capitals (``HD``), a capital and lower-case letters, or digits."""
_UMLAUTS = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}
MAX_ORDERED_WORDS = 4
"""Names of up to this many words match in every word order; longer ones as written and reversed."""
MAX_SPELLINGS = 64


def fold(text: str) -> str:
    """NFKC, case-folded and ASCII-folded (``Zoë Ångström`` → ``zoe angstrom``)."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKC", text).casefold()
    return folded if folded.isascii() else unidecode(folded).lower()


def match_words(text: str) -> str:
    """The one normalisation names are matched by, for both sides: NFKC, Cyrillic, Greek and CJK
    transliterated and diacritics removed (unidecode), words split at separators, slugs, camel case and
    letter/digit changes, case-folded; the words joined by single spaces.

    ``Zoë Ångström`` → ``zoe angstrom``; ``#JanetDoerwald_HD`` → ``janet doerwald hd``;
    ``janet-doerwald-2024`` → ``janet doerwald 2024``; ``Жанна Петрова`` → ``zhanna petrova``.
    """
    text = text[:MAX_MATCH_INPUT]
    if not text.isascii():
        text = unidecode(unicodedata.normalize("NFKC", text))
    return " ".join(_MATCH_WORD.findall(text)).lower()


def _word_forms(word: str) -> set[str]:
    """The normalised forms of one written word of a name: split as :func:`match_words` splits it and run
    together (``McDonald`` → ``mc donald``, ``mcdonald``), German umlauts also as ae/oe/ue."""
    written = {word}
    if any(ch in _UMLAUTS for ch in word):
        written.add("".join(_UMLAUTS.get(ch, ch) for ch in word))
    forms: set[str] = set()
    for spelling in written:
        words = match_words(spelling)
        if words:
            forms |= {words, words.replace(" ", "")}
    return forms


def name_spellings(name: str) -> set[str]:
    """Every normalised word sequence (as :func:`match_words` gives) that writes ``name``: its words in
    any order (names of up to ``MAX_ORDERED_WORDS`` words; longer ones as written and reversed), each word
    split or run together, the whole name run together too. ``Janet Doerwald`` → ``janet doerwald``,
    ``doerwald janet``, ``janetdoerwald``, ``doerwaldjanet``."""
    written = [w for w in re.split(r"[\s,;]+", name[:MAX_INPUT]) if w]
    units = [sorted(forms) for forms in map(_word_forms, written) if forms]
    if not units:
        return set()
    if len(units) <= MAX_ORDERED_WORDS:
        orders: Iterable[tuple[list[str], ...]] = permutations(units)
    else:
        orders = (tuple(units), tuple(reversed(units)))
    out: set[str] = set()
    for order in orders:
        for combination in product(*order):
            spaced = " ".join(combination)
            out |= {spaced, spaced.replace(" ", "")}
            if len(out) >= MAX_SPELLINGS:
                return out
    return out
