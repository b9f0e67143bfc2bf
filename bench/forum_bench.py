"""Forum benchmark: a forum census of 50,000 threads on loopback, and price extraction throughput.

    .venv/bin/python bench/forum_bench.py [--threads 50000] [--latency-ms 20] [--concurrency 16]
                                          [--posts 50000] [--skip-crawl] [--profile FILE]

1. Serves the demo forum's world (XenForo 2 markup, ``unmask.demo.forum``) with ``--threads`` threads from
   a child process (uvicorn, every response delayed ``--latency-ms``), runs ``unmask forum crawl URL
   --delay 0 --concurrency N`` on it in a fresh case and prints wall time, peak memory, requests, and
   whether the figures match the forum's ground truth. Target: under 5 minutes for 50,000 threads.
   ``--profile FILE`` runs the crawler under cProfile (its figures are then not the benchmark's) and prints
   the profile's top lines.
2. Times ``find_prices`` + ``payment_rails`` over ``--posts`` first posts of the same generator (one
   process, one core). Target: at least 20,000 first posts a second.

Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform as host_platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from unmask.demo.forum import ForumWorld, XenForoSite

UNMASK = [sys.executable, "-m", "unmask"]
SEED = 17


def _serve(sock: socket.socket, threads: int, latency_ms: float) -> None:
    import uvicorn

    site = XenForoSite(ForumWorld(seed=SEED, threads=threads))
    delay = latency_ms / 1000

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode()
        reply = site.respond(scope["path"], f"http://{host}")
        if delay:
            await asyncio.sleep(delay)
        headers = [(b"content-type", reply.content_type), (b"content-length", str(len(reply.body)).encode())]
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        await send({"type": "http.response.body", "body": reply.body})

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def crawl(threads: int, latency_ms: float, concurrency: int, profile: Path | None = None) -> dict[str, Any]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=_serve, args=(sock, threads, latency_ms))
    server.start()
    time.sleep(1.0)
    try:
        with tempfile.TemporaryDirectory(prefix="unmask-forum-bench-") as tmp:
            case = Path(tmp) / "case"
            subprocess.run([*UNMASK, "init", str(case)], check=True, capture_output=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.perf_counter()
            profiled = [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "unmask"]
            head = profiled if profile else UNMASK
            proc = subprocess.run(
                [*head, "forum", "crawl", f"http://127.0.0.1:{port}/forum/", "--case", str(case),
                 "--delay", "0", "--concurrency", str(concurrency), "--json"],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            peak_mib = after.ru_maxrss / 1024
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            figures = json.loads(
                subprocess.run(
                    [*UNMASK, "forum", "stats", "--case", str(case), "--json"],
                    check=True, capture_output=True, text=True,
                ).stdout
            )  # fmt: skip
    finally:
        server.terminate()
        server.join()
    truth = ForumWorld(seed=SEED, threads=threads).truth()
    same = all(figures[k] == truth[k] for k in ("threads", "kinds", "sections", "monthly"))
    return {
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_mib),
        "crawler_cpu_seconds": round(cpu, 1),  # what the crawl costs on a machine that is not shared
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "summary": json.loads(proc.stdout),
        "figures_match_truth": same,
        "threads_per_second": round(figures["threads"] / seconds, 1),
    }


def extraction(posts: int) -> dict[str, Any]:
    from unmask.forum.prices import find_prices, payment_rails

    texts = [t.first_post for t in ForumWorld(seed=SEED, threads=posts).threads]
    find_prices(texts[0])  # compile the vocabulary outside the timing
    best = 0.0
    found = 0
    for _ in range(3):
        started = time.perf_counter()
        found = 0
        for text in texts:
            prices = find_prices(text)
            payment_rails(text, prices)
            found += len(prices)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return {"posts": len(texts), "prices_found": found, "posts_per_second": round(best)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=50_000)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--posts", type=int, default=50_000)
    ap.add_argument("--skip-crawl", action="store_true")
    ap.add_argument("--profile", type=Path, default=None, help="profile the crawler (cProfile) into FILE")
    args = ap.parse_args()
    out: dict[str, Any] = {
        "machine": f"{host_platform.platform()}, Python {host_platform.python_version()}",
        "extraction": extraction(args.posts),
    }
    if not args.skip_crawl:
        out["crawl"] = crawl(args.threads, args.latency_ms, args.concurrency, args.profile)
    print(json.dumps(out, indent=2))
    if args.profile:
        import pstats

        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
