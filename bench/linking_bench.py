"""Linking-ID extraction benchmark: `extract_linking_ids` against the naive one-regex-per-pattern loop.

    .venv/bin/python bench/linking_bench.py [--mb 20] [--pages 20] [--seed 1] [--repeat 3]

Generates realistic pages (markup and visible text, large inline minified scripts, a base64 data URI,
CSS with @media rules, e-mail-like asset names such as logo@2x.png, IDs from the table's own examples
sprinkled in), then times both extractors over the same pages in the same run, checks both find the
same set of IDs on every page, and prints MB/s for each and the ratio (the fast path is timed
``--repeat`` times and the best run counts, as other work on a shared machine only ever slows a run down).
Target: ≥ 50 MB/s of HTML on the 2-core machine.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import time

from unmask.core.identifiers import extract_linking_ids, load_rules, naive_extract

WORDS = [
    "function", "return", "var", "this", "window", "document", "length", "push", "prototype", "null",
    "undefined", "video", "player", "thumb", "views", "upload", "category", "models", "latest", "popular",
]  # fmt: skip


def _identifier(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_letters) for _ in range(rng.randint(1, 3)))


def minified_js(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        a, b, c = _identifier(rng), _identifier(rng), _identifier(rng)
        piece = rng.choice(
            [
                f"function {a}({b},{c}){{return {b}.{rng.choice(WORDS)}({c}|0x{rng.randrange(1 << 16):x})}}",
                f'var {a}="{rng.choice(WORDS)}-{rng.randrange(10**6)}",{b}={a}.split("/");',
                f"{a}.{rng.choice(WORDS)}={b}&&{c}[{rng.randrange(100)}]||{{}};",
                f'if({a}!=={b}){{{c}("{rng.choice(WORDS)}","{rng.choice(WORDS)}");}}',
                f'{a}.src="https://cdn.invented-cdn.test/{rng.choice(WORDS)}/{rng.randrange(10**9)}.js";',
            ]
        )
        parts.append(piece)
        total += len(piece)
    return "".join(parts)


def markup(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        n = rng.randrange(10**6)
        piece = rng.choice(
            [
                f'<div class="thumb-{n % 97}"><a href="/video/{n}-{rng.choice(WORDS)}">'
                f'<img src="/t/{n}.jpg" srcset="/t/{n}@2x.jpg 2x" alt="{rng.choice(WORDS)}"></a>'
                f"<span>{n % 9999} views</span></div>\n",
                f"<p>{' '.join(rng.choice(WORDS) for _ in range(rng.randint(5, 30)))}.</p>\n",
                f'<li class="cat"><a href="/category/{rng.choice(WORDS)}?page={n % 50}">'
                f"{rng.choice(WORDS).title()}</a></li>\n",
            ]
        )
        parts.append(piece)
        total += len(piece)
    return "".join(parts)


def page(rng: random.Random, size: int, examples: list[str]) -> str:
    css = "".join(f"@media (max-width:{w}px){{.c{w}{{display:none}}}}" for w in range(300, 1300, 40))
    blob = "data:image/png;base64," + "".join(
        rng.choice(string.ascii_letters + "+/") for _ in range(size // 20)
    )
    chunks = [
        f"<!doctype html><html><head><title>Invented tube</title><style>{css}</style>",
        f"<script>{minified_js(rng, size // 2)}</script>",
        f'</head><body><img src="{blob}">',
        markup(rng, size // 3),
    ]
    for _ in range(12):
        at = rng.randrange(len(chunks))
        chunks.insert(at, f"\n{rng.choice(examples)}\n")
    return "".join(chunks) + "</body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=20.0, help="total megabytes of HTML")
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the fast path; the best counts")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    examples = [e.text for rule in load_rules() if "html" in rule.where for e in rule.examples]
    size = int(args.mb * 1_000_000 / args.pages)
    pages = [page(rng, size, examples) for _ in range(args.pages)]
    total_mb = sum(len(p.encode("utf-8")) for p in pages) / 1_000_000

    extract_linking_ids(pages[0])  # compile the table outside the timing
    fast_s = float("inf")
    fast: list[set[str]] = []
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        fast = [{i.key for i in extract_linking_ids(p)} for p in pages]
        fast_s = min(fast_s, time.perf_counter() - started)
    started = time.perf_counter()
    naive = [{i.key for i in naive_extract(p)} for p in pages]
    naive_s = time.perf_counter() - started

    same = fast == naive
    found = sum(len(f) for f in fast)
    print(f"pages: {len(pages)}, {total_mb:.1f} MB of HTML, {found} IDs found")
    print(f"extract_linking_ids: {total_mb / fast_s:8.1f} MB/s ({fast_s:.3f} s)")
    print(f"naive loop:          {total_mb / naive_s:8.1f} MB/s ({naive_s:.3f} s)")
    print(f"ratio: {naive_s / fast_s:.1f}x; same IDs on every page: {same}")
    if not same:
        for n, (a, b) in enumerate(zip(fast, naive, strict=True)):
            if a != b:
                print(f"page {n}: only fast {sorted(a - b)}, only naive {sorted(b - a)}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
