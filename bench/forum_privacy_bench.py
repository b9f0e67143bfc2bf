"""Forum titles shown safe by default (PrivacyPolicy.forum_text): request titles per second.

    .venv/bin/python bench/forum_privacy_bench.py [--titles 200000] [--seed 1]

Every title is distinct (the policy's cache does not help): a request template over an invented name
(demo.names), a price and a number, in the writings request titles use (as written, lower case, capitals,
a handle, a hashtag). Prints titles per second and checks that no title shows its name.
Target: the titles of a 50,000-thread forum (`forum threads`) in under 5 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time

from unmask.core.privacy import PrivacyPolicy
from unmask.core.text import fold
from unmask.demo.names import person_name

TEMPLATES = (
    "[PAID] Looking for {name} deepfake, will pay {price} ({n} min)",
    "looking for {lower} video #{n}, {price}",
    "WTB {upper} CLIP {n} MIN 4K {price}",
    "@{handle} pics please ({n})",
    "#{camel} full set {price} #{n}",
    "Anyone have {name}? {n} min or longer, 1080p",
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    made = []
    for i in range(args.titles):
        name = person_name(rng)
        first, last = name.split(" ", 1)
        title = rng.choice(TEMPLATES).format(
            name=name,
            lower=name.lower(),
            upper=name.upper(),
            handle=f"{first.lower()}_{last[:1].lower()}{rng.randint(1, 99)}",
            camel=name.replace(" ", ""),
            price=rng.choice(("$50", "0.002 BTC", "100 usd", "€45")),
            n=i,
        )
        made.append((title, name))
    policy = PrivacyPolicy(secret="bench")
    started = time.perf_counter()
    shown = [policy.forum_text(title).text or "" for title, _ in made]
    seconds = time.perf_counter() - started
    leaks = sum(
        1
        for (_, name), text in zip(made, shown, strict=True)
        if set(re.findall(r"[a-z]+", fold(name))) & set(re.findall(r"[a-z]+", fold(text)))
    )
    print(
        f"{args.titles:,} distinct titles in {seconds:.2f} s: {args.titles / seconds:,.0f} titles/s, "
        f"{seconds / args.titles * 1e6:.1f} µs a title; 50,000 titles: {50_000 * seconds / args.titles:.2f} s"
    )
    print(f"titles showing their name: {leaks}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
