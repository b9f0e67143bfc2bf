"""Census benchmark: unmask beside a bare Scrapy spider on a standards-based site, the full-scale demo, and
a sequential requests+BeautifulSoup peer.

    .venv/bin/python bench/census_bench.py [--items 2500] [--latency-ms 40] [--concurrency 16] [--rounds 2]
                                           [--clients httpx,aiohttp]
                                           [--demo-scale 1.0] [--skip-demo] [--skip-standards]
                                           [--peer-scale 0.02] [--skip-peer] [--profile FILE]

1. **Standards site** (``bench/sites/standards.py``): robots.txt → a plain sitemap of ``--items`` item URLs
   without metadata → item pages described by JSON-LD, every response after ``--latency-ms``. In each
   round, back to back on the same server: the bare spider (``bench/bare_spider.py``: Scrapy
   ``SitemapSpider`` + extruct, 16 connections, no evidence, no store), then ``unmask census crawl URL
   --delay 0 --concurrency 16`` (every response to WARC and the store). Prints wall and CPU time of each
   process, unmask's peak memory, and unmask's time divided by the spider's (target ≤ 1.0).
   ``--profile FILE`` runs one more unmask crawl under cProfile and prints its top lines.
2. **Demo**: ``unmask demo --json`` at ``--demo-scale`` (full scale: 157,319 items): wall time of its census
   and of the whole command, peak memory, and whether the figures are exact (target: census ≤ 120 s,
   ≤ 1 GB).
3. **Peer**: a sequential requests + BeautifulSoup crawler against unmask on the demo platform at
   ``--peer-scale`` (it needs one request per item), 20 ms latency.
Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host_platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import yaml
from bs4 import BeautifulSoup

from unmask.demo.platform import DemoPlatform
from unmask.demo.server import listen, spawn

UNMASK = [sys.executable, "-m", "unmask"]
HERE = Path(__file__).resolve().parent


def timed(command: list[str]) -> dict[str, Any]:
    """Run ``command``; its wall seconds and stdout (``children_usage`` gives its CPU and memory)."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({proc.returncode}): {err[-2000:]}")
    return {"seconds": seconds, "stdout": out}


@contextmanager
def children_usage() -> Iterator[dict[str, float]]:
    """CPU seconds and peak memory of the child processes that end inside the block."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage: dict[str, float] = {}
    yield usage
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage["cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    usage["peak_mib"] = after.ru_maxrss / 1024  # the largest child so far (unmask's, when it ran last)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.1f} (5 min {five:.1f})"


@contextmanager
def standards_site(items: int, latency_ms: float) -> Iterator[str]:
    sock = listen()
    try:
        proc = subprocess.Popen(
            [sys.executable, str(HERE / "sites" / "standards.py"), "--fd", str(sock.fileno()),
             "--items", str(items), "--latency-ms", repr(latency_ms)],
            pass_fds=(sock.fileno(),), stdout=subprocess.PIPE,
        )  # fmt: skip
    finally:
        sock.close()
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().decode().strip()  # printed once it listens
        if not url:
            raise RuntimeError("the standards site did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def bare_round(base: str, concurrency: int) -> dict[str, Any]:
    with children_usage() as usage:
        run = timed([sys.executable, str(HERE / "bare_spider.py"), base, "--concurrency", str(concurrency)])
    return {**run, **usage, "items": json.loads(run["stdout"])["items"]}


def set_http_client(case: Path, client: str) -> None:
    """``fetch.http_client`` in the case's case.yaml."""
    path = case / "case.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    config.setdefault("fetch", {})["http_client"] = client
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def unmask_round(base: str, concurrency: int, client: str, profile: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
        case = Path(tmp) / "case"
        subprocess.run([*UNMASK, "init", str(case)], check=True, capture_output=True)
        set_http_client(case, client)
        head = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "unmask"] if profile else UNMASK
        with children_usage() as usage:
            run = timed([*head, "census", "crawl", base + "/", "--case", str(case), "--delay", "0",
                         "--concurrency", str(concurrency), "--json"])  # fmt: skip
        summary = json.loads(run["stdout"])
        figures = json.loads(
            subprocess.run(
                [*UNMASK, "stats", "--case", str(case), "--json"], check=True, capture_output=True, text=True
            ).stdout
        )
        warc_bytes = sum(p.stat().st_size for p in (case / "evidence" / "warc").glob("*.warc.gz"))
    return {**run, **usage, "summary": summary, "figures": figures, "warc_mib": warc_bytes / 2**20}


def standards(args: argparse.Namespace) -> None:
    print(f"\n1. standards site: {args.items:,} item pages (plain sitemap, JSON-LD), "
          f"{args.latency_ms:.0f} ms latency, {args.concurrency} connections")  # fmt: skip
    with standards_site(args.items, args.latency_ms) as base:
        for n in range(1, args.rounds + 1):
            print(f"  round {n} ({load()})")
            bare = bare_round(base, args.concurrency)
            print(f"    bare Scrapy + extruct  {bare['seconds']:6.2f} s wall  "
                  f"{bare['cpu_seconds']:6.2f} s CPU  {bare['items']:,} items")  # fmt: skip
            for client in args.clients.split(","):
                ours = unmask_round(base, args.concurrency, client)
                s, fig = ours["summary"], ours["figures"]
                exact = fig["videos"] == args.items and s["status"] == "complete"
                print(f"    unmask ({client:<7})       {ours['seconds']:6.2f} s wall  "
                      f"{ours['cpu_seconds']:6.2f} s CPU  {fig['videos']:,} items, {s['status']}, "
                      f"{s['requests']:,} requests, {ours['warc_mib']:.1f} MiB WARC, "
                      f"peak {ours['peak_mib']:.0f} MiB; exact: {exact}")  # fmt: skip
                ratio = ours["cpu_seconds"] / bare["cpu_seconds"]
                print(f"    unmask / bare          {ours['seconds'] / bare['seconds']:6.2f} wall  "
                      f"{ratio:6.2f} CPU   (target ≤ 1.0 wall)")  # fmt: skip
        if args.profile:
            unmask_round(base, args.concurrency, args.clients.split(",")[-1], profile=args.profile)
            print(f"\n  cProfile of one more unmask crawl ({args.profile}), cumulative, unmask's functions:")
            stats = pstats.Stats(str(args.profile))
            stats.sort_stats("cumulative").print_stats(r"unmask/(core/fetch|census)/", 25)


def demo(args: argparse.Namespace) -> None:
    print(f"\n2. unmask demo at scale {args.demo_scale} (its own defaults: no latency, 8 connections)")
    platform = DemoPlatform(scale=args.demo_scale)
    expected = platform.expected_figures()
    with tempfile.TemporaryDirectory(prefix="unmask-bench-demo-") as tmp, children_usage() as usage:
        run = timed([*UNMASK, "demo", "--case", str(Path(tmp) / "case"), "--scale", repr(args.demo_scale),
                     "--json"])  # fmt: skip
    result = json.loads(run["stdout"])
    crawl, fig = result["crawl"], result["figures"]
    keys = ("videos", "photos", "galleries", "views", "uploaders", "targets")
    exact = all(fig[k] == expected[k] for k in keys)
    items = fig["videos"] + fig["photos"] + fig["galleries"]
    print(f"  items           {items:,}; figures exact: {exact}; {crawl['status']}")
    print(f"  census          {crawl['seconds']:.1f} s wall (target ≤ 120 s), {crawl['requests']:,} requests "
          f"(minimum {platform.minimum_requests():,})")  # fmt: skip
    print(f"  whole command   {run['seconds']:.1f} s wall, {usage['cpu_seconds']:.1f} s CPU (every process), "
          f"peak {usage['peak_mib']:.0f} MiB (target ≤ 1,024 MiB)")  # fmt: skip


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


def peer(args: argparse.Namespace) -> None:
    print("\n3. against a sequential requests + BeautifulSoup crawler, demo platform at scale "
          f"{args.peer_scale}, 20 ms latency")  # fmt: skip
    with spawn(scale=args.peer_scale, latency_ms=20.0) as server:
        server.wait_ready()
        with tempfile.TemporaryDirectory(prefix="unmask-bench-") as tmp:
            case = Path(tmp) / "case"
            subprocess.run([*UNMASK, "init", str(case)], check=True, capture_output=True)
            ours = timed([*UNMASK, "census", "crawl", server.url + "/", "--case", str(case),
                          "--adapter", "demo", "--delay", "0", "--concurrency", "8", "--json"])  # fmt: skip
        summary = json.loads(ours["stdout"])
        theirs = peer_crawl(server.url)
    print(f"  unmask          {ours['seconds']:.1f} s, {summary['requests']:,} requests, "
          f"{summary['items_present']:,} items")  # fmt: skip
    print(f"  requests+bs4    {theirs['seconds']:.1f} s, {theirs['requests']:,} requests, "
          f"{theirs['items']:,} items")  # fmt: skip
    print(f"  speed-up        {theirs['seconds'] / ours['seconds']:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=2500)
    ap.add_argument("--latency-ms", type=float, default=40.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--clients", default="httpx,aiohttp", help="fetch.http_client values to run unmask with")
    ap.add_argument("--profile", type=Path, default=None)
    ap.add_argument("--demo-scale", type=float, default=1.0)
    ap.add_argument("--peer-scale", type=float, default=0.02)
    ap.add_argument("--skip-standards", action="store_true")
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--skip-peer", action="store_true")
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE)
    print(f"machine: {host_platform.platform()}, python {host_platform.python_version()}, "
          f"{os.cpu_count()} cores, {load()}; commit {commit.stdout.strip() or '?'}")  # fmt: skip
    if not args.skip_standards:
        standards(args)
    if not args.skip_demo:
        demo(args)
    if not args.skip_peer:
        peer(args)


if __name__ == "__main__":
    main()
