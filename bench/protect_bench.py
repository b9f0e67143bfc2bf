"""Protect benchmark: protected names over a million titles, and a scan of a case through protect's index.

    .venv/bin/python bench/protect_bench.py [--titles 1000000] [--names 10000] [--hits 1000]
                                            [--store-items 100000] [--seed 1]

10,000 invented protected persons (two words each); a million titles of six invented words, ``--hits`` of
them carrying a protected name in an altered form (order swapped, slug, run together, accents, camel
case). Prints the automaton's build time, normalisation (core.text.match_words) per second, matching of
normalised titles per second (the scan's inner loop: batches through one automaton), and checks every
planted name was found and nothing else. Then a case store of ``--store-items`` items (SQLite) is scanned
twice through the incremental index: the first scan normalises and indexes every text, the second only
reads. Target: matching at least 1,000,000 normalised titles a second against 10,000 names.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
import time
from pathlib import Path

from unmask.core.text import match_words
from unmask.protect.matcher import Matcher

BATCH = 5000
ALTER = (
    lambda a, b: f"{a} {b}",
    lambda a, b: f"{b}, {a}",
    lambda a, b: f"{a.lower()}-{b.lower()}-hd",
    lambda a, b: f"{a}{b}",
    lambda a, b: f"#{a}{b}_official",
    lambda a, b: f"{a.replace('e', 'é')} {b.upper()}",
)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9))).capitalize()


def _titles(
    rng: random.Random, count: int, names: list[tuple[str, str]], hits: int
) -> tuple[list[str], set[int]]:
    planted = set(rng.sample(range(count), hits))
    titles = []
    for i in range(count):
        words = [_word(rng).lower() for _ in range(6)]
        if i in planted:
            first, last = rng.choice(names)
            words[2] = rng.choice(ALTER)(first, last)
        titles.append(" ".join(words).capitalize())
    return titles, planted


def _store_scan(items: int, names: list[tuple[str, str]], rng: random.Random) -> None:
    from sqlalchemy import insert

    from unmask.core.case import Case
    from unmask.core.store.models import CrawlRun, Item, Platform
    from unmask.protect.scan import scan
    from unmask.protect.watchlist import ProtectedPerson, Watchlist

    with tempfile.TemporaryDirectory() as folder:
        case = Case.init(Path(folder) / "case")
        watchlist = Watchlist(case.root)
        watchlist.add([ProtectedPerson(f"{a} {b}") for a, b in names])
        watchlist.save()
        titles, planted = _titles(rng, items, names, max(1, items // 1000))
        with case.store.session() as s:
            platform = Platform(base_url="http://127.0.0.1:9/", name="bench")
            s.add(platform)
            s.flush()
            run = CrawlRun(platform_id=platform.id, start_url=platform.base_url)
            s.add(run)
            s.flush()
            rows = [
                {"platform_id": platform.id, "kind": "video", "platform_item_id": str(i), "title": t,
                 "url": f"http://127.0.0.1:9/v/{i}", "first_seen_run": run.id, "last_seen_run": run.id}
                for i, t in enumerate(titles)
            ]  # fmt: skip
            s.execute(insert(Item), rows)
        for label in ("first scan (normalise + index)", "second scan (index read)"):
            started = time.perf_counter()
            result = scan(case)
            seconds = time.perf_counter() - started
            print(
                f"{label}: {items:,} items ({result.stats.texts:,} texts, "
                f"{result.stats.normalised:,} normalised) "
                f"in {seconds:.1f} s = {items / seconds:,.0f} items/s; {len(result.matches)} matches "
                f"({len(planted)} planted)"
            )
        case.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--titles", type=int, default=1_000_000)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--hits", type=int, default=1000)
    parser.add_argument("--store-items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    names = [
        (f"{_word(rng)}{rng.choice('aeiou')}x", f"{_word(rng)}{rng.choice('aeiou')}q")
        for _ in range(args.names)
    ]

    started = time.perf_counter()
    matcher = Matcher([[f"{a} {b}"] for a, b in names])
    print(
        f"automaton: {args.names:,} names, {matcher.spellings:,} spellings, "
        f"built in {time.perf_counter() - started:.2f} s"
    )

    titles, planted = _titles(rng, args.titles, names, args.hits)
    started = time.perf_counter()
    normalised = [match_words(t) for t in titles]
    seconds = time.perf_counter() - started
    print(f"normalisation: {len(titles):,} titles in {seconds:.2f} s = {len(titles) / seconds:,.0f} titles/s")

    found: set[int] = set()
    best = float("inf")
    for _ in range(3):
        found.clear()
        started = time.perf_counter()
        for start in range(0, len(normalised), BATCH):
            found.update(start + hit.text for hit in matcher.hits(normalised[start : start + BATCH]))
        best = min(best, time.perf_counter() - started)
    rate = len(normalised) / best
    print(
        f"matching (normalised titles, best of 3): {best:.3f} s = {rate:,.0f} titles/s (target >= 1,000,000)"
    )
    print(f"planted: {len(planted)}, found: {len(found & planted)}, found elsewhere: {len(found - planted)}")
    if args.store_items:
        _store_scan(args.store_items, names, rng)
    ok = found == planted and rate >= 1_000_000
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
