"""Bounded work per request: decompression bombs stay small in memory, a server that drips its headers
costs at most the URL's time budget, Ctrl-C stops a crawl within seconds, and malformed HTTP is a
result, never a crash or stored media.

Memory is measured as the peak RSS of a subprocess (``ru_maxrss``), the bound is 1 GB; the figures are
printed (``pytest -s``) for docs/benchmarks.md.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.helpers.cli import UNMASK, unmask
from tests.helpers.media import by_name, media_in_evidence
from tests.helpers.raw_server import RawServer, dripping, head_bytes, reply
from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, FetchError, Scope
from unmask.core.fetch.decoding import brotli

GiB = 1024**3
RSS_BOUND = 1_000_000_000
HTML = "text/html; charset=utf-8"


def _compress(compressor: object, size: int) -> bytes:
    block = b" " * (64 << 20)  # whitespace: text, so the policy reads on and the bound must hold
    out = [compressor.compress(block) for _ in range(size // len(block))]  # type: ignore[attr-defined]
    return b"".join(out) + compressor.flush()  # type: ignore[attr-defined]


class _Brotli:
    def __init__(self) -> None:
        assert brotli is not None
        self.c = brotli.Compressor(quality=5, lgwin=24)

    def compress(self, data: bytes) -> bytes:
        return bytes(self.c.process(data))

    def flush(self) -> bytes:
        return bytes(self.c.finish())


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    """Each a body that expands to more than the 1 GB bound (whitespace), in a few KB to a few MB."""
    out = {
        "gzip": _compress(zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS), 5 * GiB // 4),
        "deflate": _compress(zlib.compressobj(1, zlib.DEFLATED, zlib.MAX_WBITS), 5 * GiB // 4),
    }
    if brotli is not None:
        out["br"] = _compress(_Brotli(), 6 * GiB)  # the case: a few KB, 6 GB decoded
    return out


@pytest.fixture
def bomb_server(bombs: dict[str, bytes]) -> Iterator[RawServer]:
    with RawServer() as srv:
        for coding, body in bombs.items():
            srv.route(f"/bomb-{coding}", reply(body, [("Content-Type", HTML), ("Content-Encoding", coding)]))
        yield srv


FETCH_BOMBS = """
import asyncio, json, sys
from pathlib import Path
from unmask.core.case import Case
from unmask.core.fetch import Fetcher, Scope
case = Case.open(Path(sys.argv[1])); case.config.fetch.delay = 0.0
async def go():
    out = {}
    async with Fetcher.for_case(case, purpose="bombs", scope=Scope.for_site(sys.argv[2])) as f:
        for path in sys.argv[3:]:
            r = await f.get(sys.argv[2] + path, obey_robots=False)
            out[path] = [len(r.body), r.truncated]
    return out
result = asyncio.run(go())
# this process's own peak (VmHWM is per address space; ru_maxrss would include the forking test
# worker's size from before exec)
hwm = [l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")][0]
result["maxrss"] = int(hwm.split()[1]) * 1024
print(json.dumps(result))
"""


@pytest.mark.slow
def test_decompression_bombs_stay_under_the_memory_bound(
    bomb_server: RawServer, bombs: dict[str, bytes], new_case: Path
) -> None:
    paths = [f"/bomb-{coding}" for coding in bombs]
    proc = subprocess.run(
        [sys.executable, "-c", FETCH_BOMBS, str(new_case), bomb_server.base, *paths],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    cap = 32 * 1024 * 1024
    for path in paths:
        assert result[path] == [cap, "length"], path  # cut at the cap and marked, never more decoded
    sizes = {coding: len(body) for coding, body in bombs.items()}
    print(f"\nbombs {sizes} bytes; fetcher peak RSS {result['maxrss'] / 1e6:.0f} MB")
    assert result["maxrss"] <= RSS_BOUND


@pytest.mark.slow
def test_a_census_of_bomb_pages_stays_under_the_memory_bound(
    bomb_server: RawServer, bombs: dict[str, bytes], new_case: Path
) -> None:
    base = bomb_server.base
    locs = "".join(f"<url><loc>{base}/bomb-{coding}</loc></url>" for coding in bombs)
    sitemap = (
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    )
    bomb_server.route("/sitemap.xml", reply(sitemap.encode(), [("Content-Type", "application/xml")]))
    robots = f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n".encode()
    bomb_server.route("/robots.txt", reply(robots, [("Content-Type", "text/plain")]))
    args = [*UNMASK, "census", "crawl", base + "/", "--case", str(new_case), "--delay", "0", "--json"]
    # started from a small launcher: a child forked from the (large) test worker would count the worker's
    # size in its ru_maxrss from before exec
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_OF_CHILD, *args], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    peak = int(proc.stderr.strip().splitlines()[-1])
    print(f"\ncensus crawl of {len(bombs)} bomb pages: peak RSS {peak / 1e6:.0f} MB")
    assert peak <= RSS_BOUND


PEAK_OF_CHILD = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
sys.stderr.write(code.stderr.decode(errors="replace")[-3000:] + "\\n")
sys.stderr.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024) + "\\n")
sys.exit(code.returncode)
"""


# -- time ------------------------------------------------------------------------------------------


def budget_case(case: Case, budget: float) -> Case:
    fetch = case.config.fetch
    fetch.delay = 0.0
    fetch.url_budget = budget
    fetch.total_timeout = budget
    fetch.retries = 3
    fetch.backoff_base = 0.1
    return case


@pytest.mark.parametrize(
    "handler",
    [
        dripping(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + b"X-Slow: " + b"a" * 100, every=1.0),
        dripping(head_bytes(Content_Type=HTML, Content_Length="100000") + b"<html>" + b"a" * 1000, every=0.5),
    ],
    ids=["headers-one-byte-a-second", "body-one-byte-every-half-second"],
)
@pytest.mark.slow
def test_a_dripping_server_costs_at_most_the_url_budget(sqlite_case: Case, handler: object) -> None:
    budget = 3.0
    with RawServer() as srv:
        srv.route("/drip", handler)  # type: ignore[arg-type]

        async def go() -> FetchError:
            async with Fetcher.for_case(
                budget_case(sqlite_case, budget), purpose="t", scope=Scope.for_site(srv.base)
            ) as f:
                with pytest.raises(FetchError) as failed:
                    await f.get(srv.url("/drip"), obey_robots=False)
            return failed.value

        failed = asyncio.run(go())
        attempts = srv.hits["/drip"]
    # the server would drip for minutes: the URL's budget ended it, leaving no time for the 3 retries a
    # failure would get otherwise (what a dripping URL costs: bench/fetch_bench.py)
    assert failed.kind in ("budget", "timeout"), failed
    assert attempts == 1, attempts


def test_retry_after_beyond_the_budget_is_not_waited_for(sqlite_case: Case) -> None:
    with RawServer() as srv:
        srv.route(
            "/busy",
            reply(b"busy", [("Content-Type", "text/plain"), ("Retry-After", "60")], status="503 Busy"),
        )

        async def go() -> int:
            async with Fetcher.for_case(
                budget_case(sqlite_case, 5.0), purpose="t", scope=Scope.for_site(srv.base)
            ) as f:
                return (await f.get(srv.url("/busy"), obey_robots=False)).status

        waits: list[float] = []
        sleep = asyncio.sleep

        async def recorded(seconds: float) -> None:
            waits.append(seconds)
            await sleep(seconds)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("unmask.core.fetch.client.asyncio.sleep", recorded)
            assert asyncio.run(go()) == 503
        assert srv.hits["/busy"] == 1
        assert not [w for w in waits if w >= 1], waits  # the 60 s were not waited for


def drip_site(srv: RawServer, items: int) -> None:
    base = srv.base
    locs = "".join(f"<url><loc>{base}/video/slow-{i}</loc></url>" for i in range(items))
    sitemap = (
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>'
    )
    srv.route("/sitemap.xml", reply(sitemap.encode(), [("Content-Type", "application/xml")]))
    robots = f"User-agent: *\nAllow: /\nSitemap: {base}/sitemap.xml\n".encode()
    srv.route("/robots.txt", reply(robots, [("Content-Type", "text/plain")]))
    srv.prefix("/video/", dripping(b"HTTP/1.1 200 OK\r\n" + b"X-Drip: " + b"a" * 10_000, every=1.0))


def set_fetch(case: Path, **values: object) -> None:
    path = case / "case.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["fetch"].update(values)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


@pytest.mark.slow
def test_a_census_of_dripping_pages_costs_at_most_the_budget_per_url(new_case: Path) -> None:
    budget = 4.0
    set_fetch(new_case, url_budget=budget, retries=3, backoff_base=0.1)
    with RawServer() as srv:
        drip_site(srv, items=4)
        args = ("--case", str(new_case), "--delay", "0", "--concurrency", "4", "--json")
        summary = json.loads(unmask("census", "crawl", srv.base + "/", *args, timeout=120).stdout)
    # four dripping URLs, each given up when its budget was spent (retries included): failures, not a
    # crawl that waits for them (what a dripping URL costs: bench/fetch_bench.py)
    assert summary["failed"] == 4, summary


@pytest.mark.slow
def test_ctrl_c_stops_a_crawl_with_requests_in_flight_within_seconds(new_case: Path) -> None:
    with RawServer() as srv:
        drip_site(srv, items=6)  # the default budget would hold each for minutes
        args = ("--case", str(new_case), "--delay", "0", "--concurrency", "4")
        proc = subprocess.Popen(
            [*UNMASK, "census", "crawl", srv.base + "/", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(600):  # until item requests are in flight (a guard of a minute, no speed target)
            if sum(n for path, n in srv.hits.items() if path.startswith("/video/")) >= 2:
                break
            assert proc.poll() is None, "the crawl stopped before it reached the items"
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        try:
            # stopped, with requests in flight that the server would hold for minutes; a hang fails here
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    status = unmask("stats", "--case", str(new_case), "--json", check=False)
    assert status.returncode == 0, status.stderr[-2000:]


# -- malformed HTTP ---------------------------------------------------------------------------------


MP4 = by_name("mp4")
TEXT = b"<!DOCTYPE html><html><body>" + b"an invented page " * 50 + b"</body></html>"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        # the length promises more than comes: the text kept, marked cut
        ("long-length", head_bytes(Content_Type=HTML, Content_Length="100000", Connection="close") + TEXT),
        # the length promises less: the rest (media) is never read as this body
        (
            "short-length",
            head_bytes(Content_Type=HTML, Content_Length=str(len(TEXT)), Connection="close")
            + TEXT
            + MP4.data,
        ),
        # both a length and chunked: smuggling
        (
            "length-and-chunked",
            head_bytes(
                Content_Type=HTML, Content_Length="40", Transfer_Encoding="chunked", Connection="close"
            )
            + f"{len(MP4.data):x}\r\n".encode()
            + MP4.data
            + b"\r\n0\r\n\r\n",
        ),
        # a chunk size far beyond what is sent
        (
            "huge-chunk",
            head_bytes(Content_Type=HTML, Transfer_Encoding="chunked", Connection="close")
            + b"ffffffffff\r\n"
            + MP4.data,
        ),
        # two status lines
        (
            "two-heads",
            head_bytes(Content_Type=HTML, Connection="close")
            + head_bytes(Content_Type="video/mp4")
            + MP4.data,
        ),
        # headers never end
        ("endless-headers", b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * 200_000),
        # not HTTP at all
        ("not-http", MP4.data),
    ],
)
def test_malformed_http_is_a_result_and_never_stores_media(sqlite_case: Case, name: str, raw: bytes) -> None:
    from tests.helpers.raw_server import raw_response

    with RawServer() as srv:
        srv.route("/x", raw_response(raw))

        async def go() -> str:
            sqlite_case.config.fetch.retries = 0
            sqlite_case.config.fetch.delay = 0.0
            async with Fetcher.for_case(sqlite_case, purpose="t", scope=Scope.for_site(srv.base)) as f:
                try:
                    resp = await f.get(srv.url("/x"), obey_robots=False)
                except (FetchError, FetchRefused) as exc:
                    return type(exc).__name__
                assert MP4.data[100:200] not in resp.body
                return f"{resp.status} {resp.truncated}"

        outcome = asyncio.run(asyncio.wait_for(go(), 60))
    assert not media_in_evidence(sqlite_case.root, [MP4]), outcome
    if name == "long-length":
        assert outcome == "200 disconnect"
    if name == "short-length":
        assert outcome == "200 None"
