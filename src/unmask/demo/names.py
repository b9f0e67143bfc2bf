"""Invented names and neutral words for the synthetic demo platform.

Every person name is assembled from the syllable tables below, never taken from a list of real
names; a name that happens to spell a common real first name is rejected. Titles, tags and
categories are neutral, non-explicit words.
"""

from __future__ import annotations

import random
import re

# Syllables chosen to look invented (rare letter pairs), so that assembled names read as fictional.
FIRST_ONSETS: tuple[str, ...] = (
    "za", "vel", "qui", "thes", "oru", "kae", "nym", "brix", "dau", "fen", "ily", "xan",
    "ulv", "syl", "rho", "tav", "wen", "yss", "cor", "lum", "phae", "gri", "ozi", "jev",
)  # fmt: skip
FIRST_MIDDLES: tuple[str, ...] = ("", "", "", "ra", "li", "ve", "no", "sa", "ti", "ro", "qu", "zy")
FIRST_CODAS: tuple[str, ...] = (
    "vix", "nel", "dis", "wyn", "lor", "siel", "qua", "dra", "miv", "tys", "nox", "zel",
    "eth", "ova", "yra", "quin", "rix", "vane", "uen", "essa",
)  # fmt: skip
LAST_ONSETS: tuple[str, ...] = (
    "vor", "quen", "brask", "ozz", "pell", "yar", "zant", "kev", "drul", "imb", "trov",
    "xel", "umb", "gav", "nir", "sorv", "fex", "thyl", "wrel", "aud",
)  # fmt: skip
LAST_CODAS: tuple[str, ...] = (
    "wick", "ove", "mere", "vane", "ix", "ani", "escu", "oza", "ith", "arro", "olde",
    "unn", "ask", "emy", "qvist", "andel", "yth", "orra",
)  # fmt: skip

# Handles of uploader accounts: a neutral word and a syllable, or a syllable pair, plus digits.
HANDLE_WORDS: tuple[str, ...] = (
    "night", "lens", "pixel", "frame", "studio", "echo", "vista", "nova", "orbit", "drift",
    "static", "signal", "comet", "harbor", "ember", "velvet", "quartz", "cobalt", "atlas", "prism",
)  # fmt: skip

ADJECTIVES: tuple[str, ...] = (
    "quiet", "late", "early", "sunny", "rainy", "golden", "blue", "long", "short", "bright",
    "calm", "windy", "cozy", "busy", "open", "hidden", "slow", "fresh", "weekend", "winter",
    "summer", "autumn", "spring", "morning", "evening", "midnight", "city", "seaside",
)  # fmt: skip
NOUNS: tuple[str, ...] = (
    "studio", "interview", "night", "city", "walk", "session", "garden", "office", "beach",
    "drive", "kitchen", "rooftop", "library", "market", "station", "harbor", "balcony",
    "gallery", "concert", "rehearsal", "picnic", "backstage", "lounge", "podcast", "workshop",
    "lake", "forest", "cafe", "park", "premiere", "photoshoot", "road trip",
)  # fmt: skip
TAGS: tuple[str, ...] = (
    "studio", "outdoor", "interview", "night", "city", "indoor", "music", "dance", "travel",
    "portrait", "vintage", "summer", "winter", "talk", "close-up", "behind-the-scenes", "rain",
    "sunset", "beach", "office", "garden", "rooftop", "car", "kitchen", "party", "festival",
    "stage", "classic", "remake", "short", "long", "hd", "4k", "compilation", "slow-motion",
    "black-and-white", "retro", "live", "morning", "evening",
)  # fmt: skip
CATEGORIES: tuple[str, ...] = (
    "Interviews", "Music", "Outdoor", "Studio", "Events", "Travel", "Fashion", "Sports",
    "Cinema", "Lifestyle", "Gaming", "Comedy",
)  # fmt: skip

# Common real first names an assembled name must never spell (checked case-insensitively).
REAL_FIRST_NAMES: frozenset[str] = frozenset(
    (
        "anna",
        "maria",
        "emma",
        "olivia",
        "sophia",
        "mia",
        "lena",
        "lina",
        "nora",
        "sara",
        "sarah",
        "laura",
        "julia",
        "eva",
        "zara",
        "kate",
        "kara",
        "lora",
        "lara",
        "mira",
        "vera",
        "nina",
        "rosa",
        "rita",
        "tina",
        "lisa",
        "elsa",
        "ella",
        "ava",
        "isla",
        "emily",
        "james",
        "john",
        "michael",
        "david",
        "robert",
        "daniel",
        "thomas",
        "paul",
        "mark",
        "peter",
        "adam",
        "leo",
        "luca",
        "max",
        "noah",
        "taylor",
        "jordan",
        "morgan",
        "alex",
        "sam",
        "chris",
    )
)  # fmt: skip

_SLUG_STRIP = re.compile(r"[^a-z0-9]+")


_SLUGS: dict[str, str] = {}


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: ``"Late night, part 2"`` → ``"late-night-part-2"``."""
    slug = _SLUGS.get(text)
    if slug is None:
        slug = _SLUG_STRIP.sub("-", text.lower()).strip("-")
        if len(_SLUGS) < 100_000:
            _SLUGS[text] = slug
    return slug


def first_name(rng: random.Random) -> str:
    """An invented first name: onset + optional middle + coda, never a common real first name."""
    while True:
        name = rng.choice(FIRST_ONSETS) + rng.choice(FIRST_MIDDLES) + rng.choice(FIRST_CODAS)
        if name not in REAL_FIRST_NAMES:
            return name.capitalize()


def last_name(rng: random.Random) -> str:
    """An invented surname: onset + coda."""
    return (rng.choice(LAST_ONSETS) + rng.choice(LAST_CODAS)).capitalize()


def person_name(rng: random.Random) -> str:
    """An invented full name such as ``"Velrovix Quenmere"``."""
    return f"{first_name(rng)} {last_name(rng)}"


def _alternation(parts: tuple[str, ...]) -> str:
    return "|".join(re.escape(p) for p in sorted(set(parts), key=len, reverse=True))


_PERSON_NAME = re.compile(
    rf"(?:{_alternation(FIRST_ONSETS)})(?:{_alternation(FIRST_MIDDLES)})?(?:{_alternation(FIRST_CODAS)})"
    rf" (?:{_alternation(LAST_ONSETS)})(?:{_alternation(LAST_CODAS)})",
    re.IGNORECASE,
)


def is_invented_name(name: str) -> bool:
    """True when ``name`` decomposes into this module's syllable tables (what ``person_name`` builds)."""
    first = name.split(" ", 1)[0].lower()
    return bool(_PERSON_NAME.fullmatch(name)) and first not in REAL_FIRST_NAMES


def uploader_handle(rng: random.Random) -> str:
    """An invented account handle such as ``"pixel_zel"`` or ``"quenvix88"``; already a valid slug."""
    style = rng.random()
    if style < 0.4:
        handle = f"{rng.choice(HANDLE_WORDS)}_{rng.choice(FIRST_CODAS)}"
    elif style < 0.8:
        handle = rng.choice(LAST_ONSETS) + rng.choice(FIRST_CODAS)
    else:
        handle = rng.choice(HANDLE_WORDS) + rng.choice(LAST_ONSETS)
    if rng.random() < 0.5:
        handle += str(rng.randint(1, 99))
    return handle


_TITLE_TAILS: tuple[str, ...] = ("diary", "notes", "clip", "moments", "highlights")


def title(rng: random.Random) -> str:
    """A neutral title such as ``"Rainy rooftop session"`` or ``"Interview at the harbor, part 2"``."""
    return title_from_bits(rng.getrandbits(64))


def title_from_bits(bits: int) -> str:
    """The title that 64 random bits select (cheaper than seeding a ``random.Random`` per item)."""
    bits, pattern = divmod(bits, 6)
    bits, adjective = divmod(bits, len(ADJECTIVES))
    bits, noun = divmod(bits, len(NOUNS))
    bits, other = divmod(bits, len(NOUNS))
    bits, number = divmod(bits, 35)
    first, second, third = ADJECTIVES[adjective], NOUNS[noun], NOUNS[other]
    if pattern == 0 or (pattern in (1, 2) and noun == other):
        text = f"{first} {second}"
    elif pattern == 1:
        text = f"{first} {second} {third}"
    elif pattern == 2:
        text = f"{second} at the {third}"
    elif pattern == 3:
        text = f"{first} {second}, part {2 + number % 5}"
    elif pattern == 4:
        text = f"{second} {_TITLE_TAILS[number % len(_TITLE_TAILS)]}"
    else:
        text = f"{first} {second}, vol. {1 + number % 9}"
    return text[0].upper() + text[1:]


def photo_title(rng: random.Random) -> str:
    """A short neutral photo caption such as ``"Golden balcony"``."""
    return photo_title_from_bits(rng.getrandbits(64))


def photo_title_from_bits(bits: int) -> str:
    adjective, noun = divmod(bits % (len(ADJECTIVES) * len(NOUNS)), len(NOUNS))
    return f"{ADJECTIVES[adjective]} {NOUNS[noun]}".capitalize()
