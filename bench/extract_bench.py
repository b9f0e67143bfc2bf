"""Extraction on hostile pages: time and peak memory per page, for the bounds of docs/extraction.md.

    .venv/bin/python bench/extract_bench.py [--repeat 3]

Each case is one page a platform could serve to make extraction unbounded (nested microdata, a million
sibling items, huge text properties, many itemrefs, pages of '<' or unclosed scripts for the web-archive
reader, 5,000 anchors with 4 KB paths). Each runs in a fresh process so its peak RSS is its own; the best of
``--repeat`` runs counts (other work on a shared machine only slows a run down). Target: every page within
5 s and 1 GiB on the 2-core machine; before the bounds, 400 nested items took 15 s and 100,000 never ended.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable

BASE = "http://site.test"


def _nested(levels: int) -> str:
    item = (
        '<div itemprop="about" itemscope itemtype="https://schema.org/VideoObject">'
        '<span itemprop="name">x</span>'
    )
    return "<html><body>" + item * levels + "</div>" * levels + "</body></html>"


def _pages() -> dict[str, Callable[[], str]]:
    return {
        "microdata, 400 nested items": lambda: _nested(400),
        "microdata, 100,000 nested items": lambda: _nested(100_000),
        "microdata, 100,000 sibling items": lambda: (
            "<html><body>"
            + '<div itemscope itemtype="https://schema.org/Thing"><span itemprop="name">x</span></div>'
            * 100_000
            + "</body></html>"
        ),
        "microdata, 20 text properties of 50,000 elements": lambda: (
            "<html><body><div itemscope "
            'itemtype="https://schema.org/VideoObject">'
            + ('<div itemprop="description">' + "<b>x</b>" * 50_000 + "</div>") * 20
            + "</div></body></html>"
        ),
        "microdata, 500 items x 20 itemrefs to 5,000 properties": lambda: (
            '<html><body><div id="big">'
            + '<p itemprop="name">x</p>' * 5_000
            + "</div>"
            + ('<div itemscope itemref="' + " ".join(["big"] * 20) + '"></div>') * 500
            + "</body></html>"
        ),
        "JSON-LD, 2 MB of broken JSON": lambda: (
            '<script type="application/ld+json">{"a": [' + '"x", ' * 350_000 + "</script>"
        ),
        "anchors, 5,000 with 4 KB paths": lambda: (
            "<html><body>"
            + "".join(f'<a href="/{"sitemap." * 500}{i}">x</a>' for i in range(5_000))
            + "</body></html>"
        ),
        "history, 4 MB of '<'": lambda: "<" * 4_000_000,
        "history, 500,000 unclosed <script>": lambda: "<script>" * 500_000,
        "history, 2 MB of '1-2 '": lambda: "1-2 " * 500_000,
    }


def _one(name: str) -> dict[str, float]:
    import datetime as dt

    from unmask.analysis.history import extract_page
    from unmask.census.extract.generic import GenericExtractor
    from unmask.census.model import PageKind

    html = _pages()[name]()
    started = time.perf_counter()
    if name.startswith("history"):
        extract_page(html, BASE + "/")
    else:
        ex = GenericExtractor(BASE)
        for kind in (PageKind.ITEM, PageKind.LISTING):
            ex.extract(
                kind, f"{BASE}/videos", html.encode(), encoding=None, fetched_at=dt.datetime(2026, 11, 1)
            )
    seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "rss_mib": rss, "mb": len(html) / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(args.one)))
        return
    print(f"{'page':58} {'MB':>6} {'seconds':>8} {'peak MiB':>9}")
    for name in _pages():
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(out.stdout))
        best = min(runs, key=lambda r: r["seconds"])
        print(f"{name:58} {best['mb']:6.1f} {best['seconds']:8.2f} {max(r['rss_mib'] for r in runs):9.0f}")


if __name__ == "__main__":
    main()
