"""Fetch-layer benchmark: what the body policy costs, and what a hostile server can make one URL cost.

    .venv/bin/python bench/fetch_bench.py [--budget 5]

Prints:
  * the body policy's throughput (head and window checks, as a response streams in 64 KB chunks) on an
    HTML page, a gzip sitemap (judged inside) and a 32 MiB body;
  * the peak RSS of a process that fetches a brotli, a gzip and a deflate bomb (each expands to more
    than 1 GB of text) through the Fetcher, each cut at the 32 MiB cap;
  * the wall time of one URL whose server drips its headers one byte a second, with --budget seconds
    of fetch.url_budget and three retries.

Everything runs on loopback. Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers.raw_server import RawServer, dripping, reply

from unmask.core.case import Case
from unmask.core.fetch import Fetcher, FetchError, Scope
from unmask.core.fetch.decoding import brotli
from unmask.core.fetch.policy import BodyCheck, BodyRule

CHUNK = 64 * 1024


def throughput(body: bytes, rounds: int, size: int | None = None) -> float:
    """MB/s (of ``size``, default the body's length) of the body check over ``body`` in 64 KB chunks."""
    started = time.perf_counter()
    for _ in range(rounds):
        check = BodyCheck(BodyRule("identity"), 1 << 30)
        for start in range(0, len(body), CHUNK):
            assert check.feed(body[start : start + CHUNK]) is None
        assert check.finish() is None
    return (size or len(body)) * rounds / (time.perf_counter() - started) / 1e6


def bombs() -> dict[str, bytes]:
    block = b" " * (64 << 20)
    out = {}
    for name, wbits in (("gzip", 16 + zlib.MAX_WBITS), ("deflate", zlib.MAX_WBITS)):
        z = zlib.compressobj(1, zlib.DEFLATED, wbits)
        out[name] = b"".join(z.compress(block) for _ in range(20)) + z.flush()  # 1.25 GiB
    if brotli is not None:
        c = brotli.Compressor(quality=5, lgwin=24)
        out["br"] = b"".join(bytes(c.process(block)) for _ in range(100)) + bytes(c.finish())  # 6.25 GiB
    return out


FETCH = """
import asyncio, json, resource, sys
from pathlib import Path
from unmask.core.case import Case
from unmask.core.fetch import Fetcher, Scope
case = Case.open(Path(sys.argv[1])); case.config.fetch.delay = 0.0
async def go():
    async with Fetcher.for_case(case, purpose="bench", scope=Scope.for_site(sys.argv[2])) as f:
        r = await f.get(sys.argv[2] + sys.argv[3], obey_robots=False)
        return len(r.body), r.truncated
size, cut = asyncio.run(go())
print(json.dumps({"bytes": size, "truncated": cut,
                  "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def drip_cost(case: Case, budget: float) -> float:
    fetch = case.config.fetch
    fetch.delay, fetch.url_budget, fetch.retries, fetch.backoff_base = 0.0, budget, 3, 0.1
    with RawServer() as srv:
        srv.route("/drip", dripping(b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * 10_000, every=1.0))

        async def go() -> float:
            started = time.monotonic()
            async with Fetcher.for_case(case, purpose="bench", scope=Scope.for_site(srv.base)) as f:
                with contextlib.suppress(FetchError):
                    await f.get(srv.url("/drip"), obey_robots=False)
            return time.monotonic() - started

        return asyncio.run(go())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--budget", type=float, default=5.0)
    args = parser.parse_args()
    page = b"<!DOCTYPE html><html><body>" + b"<p>an invented catalogue entry, 12,345 views</p>\n" * 2000
    sitemap = b'<?xml version="1.0"?><urlset>' + b"<url><loc>https://x.test/v/1</loc></url>\n" * 20_000
    big = page * (32 * 1024 * 1024 // len(page))
    print(f"body policy, HTML page ({len(page) // 1024} KB): {throughput(page, 200):,.0f} MB/s")
    packed = throughput(gzip.compress(sitemap), 20, len(sitemap))
    print(f"body policy, gzip sitemap ({len(sitemap) // 1024} KB inside): {packed:,.0f} MB/s of XML")
    print(f"body policy, 32 MiB text: {throughput(big, 3):,.0f} MB/s")
    with tempfile.TemporaryDirectory() as tmp, RawServer() as srv:
        subprocess.run(
            [sys.executable, "-m", "unmask", "init", f"{tmp}/case"], check=True, capture_output=True
        )
        for coding, body in bombs().items():
            fields = [("Content-Type", "text/html"), ("Content-Encoding", coding)]
            srv.route(f"/{coding}", reply(body, fields))
            out = subprocess.run(
                [sys.executable, "-c", FETCH, f"{tmp}/case", srv.base, f"/{coding}"],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            result = json.loads(out.stdout)
            print(
                f"{coding} bomb ({len(body):,} bytes): kept {result['bytes']:,} decoded bytes "
                f"({result['truncated']}), peak RSS {result['maxrss'] / 2**20:.0f} MiB"
            )
        case = Case.open(Path(tmp) / "case")
        cost = drip_cost(case, args.budget)
        print(f"headers dripped 1 byte/s, url_budget {args.budget:g} s, 3 retries: {cost:.1f} s")
        case.close()


if __name__ == "__main__":
    main()
