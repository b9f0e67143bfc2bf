"""A forum's free text in public outputs (PrivacyPolicy.forum_text): no depicted person's name shows unless
public or asked for, in any writing a request title uses; the request's kind and price words stay.

The titles come from a seeded generator of realistic request titles over invented names only (first and
last names assembled from syllables, names with diacritics and in Cyrillic, and invented names that are
also ordinary words: "Will Stone", "Rose White").
"""

from __future__ import annotations

import random
import re

import pytest

from unmask.core.privacy import WITHHELD, MaskRule, PrivacyPolicy, name_key, pseudonym, title_words
from unmask.core.text import fold
from unmask.demo.names import person_name

ACCENTED = ("Zoë Ångström", "Mirela Čapková", "Ségolène Quirvaux", "Ødny Brasklund", "Jördis Vællemark")
CYRILLIC = ("Жанна Квиллова", "Зоряна Брелик")
WORD_NAMES = ("Will Stone", "Rose White", "Amber Price", "Grace Hill", "Mark Young")

TEMPLATES = (
    "[PAID] Looking for {name} deepfake",
    "[PAID] {name} video, will pay {price}",
    "looking for {lower} deepfake, will pay {price}",
    "LOOKING FOR {upper} VIDEO {price}",
    "WTB {name} clip ({m} min, 1080p)",
    "Anyone have {name}?",
    "Request: {name} from my gym",
    "{name}'s leaked pics?",
    "need {lower} nudes asap",
    "Paying {price} For A {name} Deepfake",
    "@{handle} pics please",
    "#{camel} full set, {price}",
    "{camel} {m} min 4k",
    "can someone make one of {initial}. {last}? {price} btc",
    "{first} from {place} - {price}",
    "Looking For {name} Deepfake",
    "req: {slug} (paid)",
)
PRICES = ("$50", "$1.5k", "0.002 BTC", "100 usd", "50-150 EUR", "€45", "2.5 XMR")


def _handle(rng: random.Random, first: str, last: str) -> str:
    return rng.choice((f"{first.lower()}_{last[:1].lower()}{rng.randint(1, 99)}", f"{first}{last}_fan"))


def request_titles(seed: int, n: int) -> list[tuple[str, str]]:
    """(title, the name it names): invented names written as request titles write them."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        name = rng.choice(
            [
                *(person_name(rng) for _ in range(3)),
                *(rng.choice(g) for g in (ACCENTED, CYRILLIC, WORD_NAMES)),
            ]
        )
        first, last = name.split(" ", 1)
        values = {
            "name": name,
            "lower": name.lower(),
            "upper": name.upper(),
            "first": first,
            "last": last,
            "initial": first[0],
            "camel": f"{first}{last}".replace(" ", ""),
            "slug": re.sub(r"\W+", "-", name.lower()),
            "handle": _handle(rng, first, last),
            "place": person_name(rng).split(" ")[1],
            "price": rng.choice(PRICES),
            "m": rng.randint(2, 30),
        }
        out.append((rng.choice(TEMPLATES).format(**values), name))
    return out


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", fold(text)))


def _words_in_order(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", fold(text))


def _name_parts(name: str) -> set[str]:
    return {w for w in _words(name) if len(w) > 1}


def test_no_name_of_a_depicted_person_shows_in_a_generated_request_title() -> None:
    policy = PrivacyPolicy(secret="k")  # a forum-only case: no census persons, no public-figure list
    for title, name in request_titles(seed=17, n=3000):
        shown = policy.forum_text(title)
        assert shown.text is not None
        words, also = title_words()
        leaked = (_name_parts(name) - words - also) & _words(shown.text)
        assert not leaked, (title, shown.text)
        assert " ".join(re.findall(r"[a-z0-9]+", fold(name))) not in " ".join(_words_in_order(shown.text))
        assert WITHHELD in shown.text and shown.rules, title
        assert set(shown.rules) <= {str(r) for r in MaskRule}


def test_the_words_that_make_a_request_a_request_stay() -> None:
    policy = PrivacyPolicy(secret="k")
    shown = policy.forum_text(
        "[PAID] Looking for Mara Quellstein deepfake, will pay $50 or 0.002 BTC (12 min, 4k)"
    )
    assert shown.text == "[PAID] Looking for [name?] deepfake, will pay $50 or 0.002 BTC (12 min, 4k)"
    assert shown.rules == (MaskRule.UNKNOWN,)
    for text in (
        "Paid Requests",
        "Verified Creators Lounge",
        "Commissions open",
        "Render times on a 5 year old GPU",
    ):
        assert policy.forum_text(text).text == text


@pytest.mark.parametrize(
    ("title", "shown", "rule"),
    [
        ("@mara_q99 pics please", "[name?] pics please", MaskRule.HANDLE),
        ("#MaraQuellstein full set", "[name?] full set", MaskRule.HANDLE),
        ("Will Stone video", "[name?] video", MaskRule.NAME_WORD),
        ("WILL PAY 0.002 BTC for Rose White", "WILL PAY 0.002 BTC for [name?]", MaskRule.NAME_WORD),
        ("Need a video of Rose, will pay", "Need a video of [name?], will pay", MaskRule.NAME_WORD),
        ("Looking For Amber Quellstein Deepfake", "Looking For [name?] Deepfake", MaskRule.UNKNOWN),
    ],
)
def test_handles_and_words_that_are_also_names_are_withheld(title: str, shown: str, rule: MaskRule) -> None:
    got = PrivacyPolicy(secret="k").forum_text(title)
    assert got.text == shown
    assert str(rule) in got.rules


def test_ordinary_words_that_are_also_names_stay_in_lower_case() -> None:
    policy = PrivacyPolicy(secret="k")
    assert (
        policy.forum_text("Need a video of my ex, will pay $50").text == "Need a video of my ex, will pay $50"
    )
    assert policy.forum_text("Will pay $20 for a custom").text == "Will pay $20 for a custom"


def test_public_figures_are_named_and_known_depicted_persons_get_their_pseudonym() -> None:
    policy = PrivacyPolicy(
        secret="k",
        public_figures=frozenset({name_key("Taylor Brightwell")}),
        depicted=frozenset({name_key("Janet Doerwald"), name_key("Taylor Brightwell")}),
    )
    shown = policy.forum_text("Taylor Brightwell and Janet Doerwald and Mara Quellstein, $40")
    assert shown.text == f"Taylor Brightwell and {pseudonym('Janet Doerwald', 'k')} and [name?], $40"


def test_real_names_show_every_name_but_a_protected_one() -> None:
    policy = PrivacyPolicy(secret="k", pseudonymize=False, protected=frozenset({name_key("Zoë Ångström")}))
    shown = policy.forum_text("Mara Quellstein or zoe angstrom, $40")
    assert shown.text == f"Mara Quellstein or {pseudonym('Zoë Ångström', 'k')}, $40"


def test_a_protected_person_is_hidden_even_as_a_public_figure() -> None:
    key = name_key("Zoë Ångström")
    policy = PrivacyPolicy(secret="k", public_figures=frozenset({key}), protected=frozenset({key}))
    assert "ngstr" not in (policy.forum_text("ZOË ÅNGSTRÖM deepfake").text or "")


def test_a_hostile_title_costs_bounded_work() -> None:
    title = "Looking for " + "Quellstein-" * 20_000 + "video"
    shown = PrivacyPolicy(secret="k").forum_text(title)
    assert shown.text == "Looking for [name?]-video"
    many = PrivacyPolicy(secret="k", depicted=frozenset({name_key("Janet Doerwald")}))
    shown = many.forum_text("Janet Doerwald and Mara " * 5_000)  # thousands of known names in one title
    assert shown.text == f"{pseudonym('Janet Doerwald', 'k')} and [name?] " * 5_000
