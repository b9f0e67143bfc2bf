"""Census benchmark: the full-scale demo platform on loopback, and a sequential requests+BeautifulSoup peer.

    .venv/bin/python bench/census_bench.py [--scale 1.0] [--latency-ms 20] [--concurrency 8]
                                           [--peer-scale 0.02] [--skip-peer]

Prints: wall time and peak memory of a complete census (``unmask census crawl --delay 0``) of the demo
platform served with realistic latency, requests per item against the minimum the site's sitemaps and
listings allow, and the same census by a straightforward sequential crawler (listing pages, then every
item page, parsed with BeautifulSoup) on the same site and latency, with the ratio. The peer runs on a
smaller scale (it needs one request per item); both crawlers are timed on that scale for the ratio.
Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform as host_platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from bs4 import BeautifulSoup

from unmask.demo.platform import DemoPlatform
from unmask.demo.server import spawn

UNMASK = [sys.executable, "-m", "unmask"]


def run_census(url: str, concurrency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        case = Path(tmp) / "case"
        subprocess.run([*UNMASK, "init", str(case)], check=True, capture_output=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        started = time.perf_counter()
        proc = subprocess.run(
            [*UNMASK, "census", "crawl", url, "--case", str(case), "--adapter", "demo",
             "--delay", "0", "--concurrency", str(concurrency), "--json"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        summary = json.loads(proc.stdout)
        stats_started = time.perf_counter()
        figures = json.loads(
            subprocess.run(
                [*UNMASK, "stats", "--case", str(case), "--json"], check=True, capture_output=True, text=True
            ).stdout
        )
        stats_seconds = time.perf_counter() - stats_started
    return {
        "seconds": seconds,
        "peak_mib": max(peak_kib, before) / 1024,
        "summary": summary,
        "stats_seconds": stats_seconds,
        "figures": figures,
    }


def peer_crawl(base: str) -> dict[str, Any]:
    """The straightforward way: walk each listing, fetch every item page, parse it with BeautifulSoup."""
    session = requests.Session()
    items: dict[str, dict[str, Any]] = {}
    requests_made = 0
    started = time.perf_counter()
    for listing in ("/videos", "/photos", "/albums"):
        url: str | None = base + listing
        while url:
            resp = session.get(url, timeout=30)
            requests_made += 1
            if resp.status_code != 200:
                break
            soup = BeautifulSoup(resp.text, "html.parser")
            for card in soup.select("article.card"):
                link = card.select_one("h3.card-title a") or card.select_one("a.thumb")
                if link is None:
                    continue
                href = str(link["href"]).split("?")[0]
                page = session.get(base + href, timeout=30)
                requests_made += 1
                if page.status_code != 200:
                    continue
                item = BeautifulSoup(page.text, "html.parser")
                title = item.select_one("h1.title")
                items[href] = {
                    "title": title.get_text(strip=True) if title else None,
                    "persons": [a.get_text(strip=True) for a in item.select("div.models a.model")],
                    "tags": [a.get_text(strip=True) for a in item.select("ul.tags a.tag")],
                }
            nxt = soup.select_one('a[rel="next"]')
            url = base + str(nxt["href"]) if nxt is not None else None
    return {"seconds": time.perf_counter() - started, "items": len(items), "requests": requests_made}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--peer-scale", type=float, default=0.02)
    ap.add_argument("--skip-peer", action="store_true")
    args = ap.parse_args()

    print(f"machine: {host_platform.platform()}, python {host_platform.python_version()}, "
          f"{__import__('os').cpu_count()} cores")  # fmt: skip
    platform = DemoPlatform(scale=args.scale)
    expected = platform.expected_figures()
    minimum = platform.minimum_requests()
    with spawn(scale=args.scale, latency_ms=args.latency_ms) as server:
        server.wait_ready()
        full = run_census(server.url + "/", args.concurrency)
    fig = full["figures"]
    items = fig["videos"] + fig["photos"] + fig["galleries"]
    exact = all(
        fig[k] == expected[k] for k in ("videos", "photos", "galleries", "views", "uploaders", "targets")
    )
    print(f"\nfull census, scale {args.scale}, server latency {args.latency_ms:.0f} ms, "
          f"--delay 0 --concurrency {args.concurrency}")  # fmt: skip
    print(f"  items           {items:,} (videos {fig['videos']:,}, photos {fig['photos']:,}, "
          f"galleries {fig['galleries']:,}); figures exact: {exact}")  # fmt: skip
    print(f"  wall time       {full['seconds']:.1f} s  (target ≤ 600 s)")
    print(f"  peak memory     {full['peak_mib']:.0f} MiB (crawler process; target ≤ 1024 MiB)")
    print(f"  requests        {fig['requests']:,}; minimum the site allows {minimum:,}; "
          f"ratio {fig['requests'] / minimum:.3f} (target ≤ 1.1)")  # fmt: skip
    print(f"  requests/item   {fig['requests_per_item']:.4f}")
    print(f"  unmask stats    {full['stats_seconds']:.2f} s, start-up included (target ≤ 3 s)")
    if args.skip_peer:
        return
    with spawn(scale=args.peer_scale, latency_ms=args.latency_ms) as server:
        server.wait_ready()
        ours = run_census(server.url + "/", args.concurrency)
        peer = peer_crawl(server.url)
    print(f"\npeer comparison, scale {args.peer_scale}, same server latency")
    ours_items = ours["figures"]["videos"] + ours["figures"]["photos"] + ours["figures"]["galleries"]
    print(
        f"  unmask          {ours['seconds']:.1f} s, {ours['figures']['requests']:,} requests, "
        f"{ours_items:,} items"
    )
    print(
        f"  requests+bs4    {peer['seconds']:.1f} s, {peer['requests']:,} requests, {peer['items']:,} items"
    )
    print(f"  speed-up        {peer['seconds'] / ours['seconds']:.1f}x")


if __name__ == "__main__":
    main()
