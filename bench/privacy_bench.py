"""Name-matcher benchmark: the privacy policy's free-text redaction over a million titles.

    .venv/bin/python bench/privacy_bench.py [--titles 1000000] [--names 10000] [--hit-share 0.3] [--seed 1]

Invented names (two words each) are the hidden depicted persons; titles are six invented words, a share
of them carrying one of the names in one of the spellings platforms use (slug, joined, percent-encoded,
accented, fullwidth). Prints the time to build the automaton, titles per second over the whole set, the
cost of a title without and with a hit, and checks every planted name was replaced.
Target: a million titles in under a minute on the 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time
from urllib.parse import quote

from unmask.core.privacy import PrivacyPolicy, name_key


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 8))).capitalize()


SPELLINGS = (
    lambda n: n,
    lambda n: n.lower().replace(" ", "-"),
    lambda n: n.replace(" ", "") + "_HD",
    lambda n: "#" + n.replace(" ", ""),
    lambda n: quote(n.replace("e", "é").lower().replace(" ", "-")),
    lambda n: n.upper().translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)}),
)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=1_000_000)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--hit-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = [
        f"{_word(rng)}{rng.choice('aeiou')}x {_word(rng)}{rng.choice('aeiou')}q" for _ in range(args.names)
    ]
    policy = PrivacyPolicy(secret="bench", depicted=frozenset(name_key(n) for n in names))
    started = time.perf_counter()
    matcher = policy.matcher
    built = time.perf_counter() - started
    titles, planted = [], []
    for _ in range(args.titles):
        words = [_word(rng) for _ in range(6)]
        if rng.random() < args.hit_share:
            name = rng.choice(names)
            words.insert(rng.randrange(7), rng.choice(SPELLINGS)(name))
            planted.append(len(titles))
        titles.append(" ".join(words))
    started = time.perf_counter()
    out = [policy.redact(t) for t in titles]
    total = time.perf_counter() - started
    missed = [i for i in planted if out[i] == titles[i]]
    clean = [t for i, t in enumerate(titles[:50_000]) if i not in set(planted[:50_000])]
    started = time.perf_counter()
    for t in clean:
        matcher.replace(t)
    per_clean = (time.perf_counter() - started) / max(1, len(clean))
    hits = [titles[i] for i in planted[:20_000]]
    started = time.perf_counter()
    for t in hits:
        matcher.replace(t)
    per_hit = (time.perf_counter() - started) / max(1, len(hits))
    print(f"names {args.names:,}; automaton built in {built:.3f} s")
    print(
        f"titles {args.titles:,} ({len(planted):,} with a name): {total:.1f} s, {args.titles / total:,.0f}/s"
    )
    print(f"per title without a name {per_clean * 1e6:.1f} µs, with a name {per_hit * 1e6:.1f} µs")
    print(f"planted names left unreplaced: {len(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
