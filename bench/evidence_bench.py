"""Evidence benchmark: seal and verify a generated case of demo-like size, and raw WARC hashing speed.

    .venv/bin/python bench/evidence_bench.py [--pages 30000] [--page-bytes 9000] [--keep DIR]
        [--measure DIR]

Generates a case whose WARC files are written by the real recorder (EvidenceRecorder, SHA-256 digests,
one capture row per page) with invented catalogue pages of about PAGE_BYTES of HTML each, seals it (no
TSA: the hashing is what is timed) and runs `unmask evidence verify --json` in a fresh process (seconds,
peak memory). It also times `hash_file` over every WARC byte (the seal's part) after one read to warm
the page cache. `--keep DIR` keeps the case; `--measure DIR` times an existing case instead.
Targets: WARC hashed at ≥ 200 MB/s; verification of a full-scale demo case (its WARC is ~27 MB, some
tens of thousands of captures) in < 30 s, on the 2-core machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from unmask.core.case import Case
from unmask.core.fetch.exchange import Exchange, FetchRequest
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.evidence.digests import hash_file
from unmask.evidence.seal import seal

WORDS = ("deep", "fake", "video", "photo", "gallery", "upload", "model", "tag", "view", "like", "share")


def _page(rng: random.Random, n: int, size: int) -> bytes:
    parts = [f"<!doctype html><html><head><title>Item {n}</title></head><body><h1>Item {n}</h1><ul>"]
    length = 0
    while length < size:
        words = " ".join(rng.choices(WORDS, k=6))
        line = f"<li><a href='/item/{rng.randrange(10**6)}'>{words}</a> {rng.randrange(10**7)} views</li>"
        parts.append(line)
        length += len(line)
    parts.append("</ul></body></html>")
    return "".join(parts).encode()


def generate(root: Path, pages: int, page_bytes: int) -> Case:
    case = Case.init(root)
    rng = random.Random(7)
    recorder = EvidenceRecorder(case.warc_dir, case.store, purpose="census")
    started = time.perf_counter()
    try:
        for n in range(pages):
            body = _page(rng, n, page_bytes)
            recorder.record(
                Exchange(
                    request=FetchRequest(url=f"http://platform.invalid/item/{n}"),
                    requested_at=dt.datetime.now(dt.UTC),
                    request_headers=[("User-Agent", "unmask-bench")],
                    status=200,
                    reason="OK",
                    response_headers=[("Content-Type", "text/html; charset=utf-8")],
                    raw_body=body,
                )
            )
    finally:
        recorder.close()
    print(f"generated {pages:,} captures in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return case


def measure(case: Case) -> dict[str, object]:
    warcs = sorted(case.warc_dir.glob("*.warc.gz"))
    warc_bytes = sum(p.stat().st_size for p in warcs)
    for path in warcs:  # warm the page cache: the figures are CPU speed, not this disk's
        hash_file(path)
    started = time.perf_counter()
    for path in warcs:
        hash_file(path)
    hash_seconds = time.perf_counter() - started

    started = time.perf_counter()
    sealed = seal(case, [])
    seal_seconds = time.perf_counter() - started

    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "unmask", "evidence", "verify", "--case", str(case.root), "--json"],
        capture_output=True,
        text=True,
        check=False,
    )
    verify_seconds = time.perf_counter() - started
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    report = json.loads(proc.stdout)
    checked = report["checked"]
    return {
        "captures": sealed.captures,
        "warc_files": len(warcs),
        "warc_mb": round(warc_bytes / 1e6, 1),
        "hash_mb_per_s": round(warc_bytes / 1e6 / hash_seconds, 0),
        "seal_seconds": round(seal_seconds, 2),
        "verify_seconds": round(verify_seconds, 2),
        "verify_ok": report["ok"],
        "verify_records": checked["warc_records"],
        "verify_mb_per_s": round(checked["bytes"] / 1e6 / verify_seconds, 1),
        "verify_peak_rss_mb": round(peak / 1024, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=30_000)
    parser.add_argument("--page-bytes", type=int, default=9_000)
    parser.add_argument("--keep", type=Path)
    parser.add_argument("--measure", type=Path)
    args = parser.parse_args()
    if args.measure:
        case = Case.open(args.measure)
        print(json.dumps(measure(case), indent=2))
        return
    with tempfile.TemporaryDirectory(prefix="unmask-evidence-bench-") as tmp:
        root = args.keep or Path(tmp) / "case"
        case = generate(root, args.pages, args.page_bytes)
        print(json.dumps(measure(case), indent=2))
        case.close()


if __name__ == "__main__":
    main()
