"""Fixtures of the evidence tests: cases with real WARC captures, a local TSA, the independent checkers."""

from __future__ import annotations

import datetime as dt
import gzip
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers.cli import venv_script
from tests.helpers.tsa import LocalTsa
from unmask.core.case import Case
from unmask.core.fetch.exchange import Exchange, FetchRequest
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.store.models import Capture

BASE = "http://shop.invalid"


def page(number: int, size: int = 2000) -> bytes:
    """An invented HTML page with its number in the title and text."""
    filler = "".join(f"<p>Listing line {i} of page {number}.</p>" for i in range(size // 30))
    head = f"<!doctype html><html><head><title>Page {number}</title></head>"
    return f"{head}<body><h1>Catalogue page {number}</h1>{filler}</body></html>".encode()


def record_pages(case: Case, count: int, *, start: int = 0, size: int = 2000) -> list[int]:
    """Record COUNT HTML responses through the real recorder (one WARC file per call); their capture ids."""
    recorder = EvidenceRecorder(case.warc_dir, case.store, purpose="census")
    ids = []
    try:
        for n in range(start, start + count):
            body = page(n, size)
            exchange = Exchange(
                request=FetchRequest(url=f"{BASE}/item/{n}"),
                requested_at=dt.datetime.now(dt.UTC),
                request_headers=[("User-Agent", "unmask-test"), ("Accept", "text/html")],
                status=200,
                reason="OK",
                response_headers=[
                    ("Content-Type", "text/html; charset=utf-8"),
                    ("Content-Length", str(len(body))),
                ],
                raw_body=body,
                elapsed_ms=1.5,
                remote_address="127.0.0.1",
            )
            ids.append(recorder.record(exchange))
    finally:
        recorder.close()
    return ids


def captures(case: Case) -> list[Capture]:
    with case.store.session() as session:
        return list(session.scalars(select(Capture).order_by(Capture.id)))


def warc_files(case: Case) -> list[Path]:
    return sorted(case.warc_dir.glob("*.warc.gz"))


def warcio_check(paths: list[Path]) -> None:
    """`warcio check` (the independent WARC checker) accepts every file."""
    assert paths
    proc = subprocess.run(
        [venv_script("warcio"), "check", *map(str, paths)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def openssl_verify(token: Path, data: Path, root: Path) -> subprocess.CompletedProcess[str]:
    """`openssl ts -verify` (the independent token checker) over DATA with ROOT as the only trust."""
    return subprocess.run(
        ["openssl", "ts", "-verify", "-data", str(data), "-in", str(token), "-CAfile", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def rewrite_member(path: Path, offset: int, change: bytes, to: bytes) -> None:
    """Replace bytes inside the record whose gzip member starts at OFFSET and recompress it (valid gzip,
    same member boundaries after it shift): the tampering a careful forger would do."""
    raw = path.read_bytes()
    rest = raw[offset:]
    import zlib

    inflater = zlib.decompressobj(31)
    record = inflater.decompress(rest)
    member_length = len(rest) - len(inflater.unused_data)
    assert change in record
    changed = gzip.compress(record.replace(change, to, 1))
    path.write_bytes(raw[:offset] + changed + raw[offset + member_length :])


@dataclass
class CrawledCase:
    root: Path
    tsa_root: Path
    summary: dict[str, Any]


@pytest.fixture(scope="session")
def crawled_case(tmp_path_factory: pytest.TempPathFactory) -> CrawledCase:
    """A real census of the demo platform (scale 0.01) by `unmask census crawl`, in a case made by
    `unmask init` that seals itself after the run with a local TSA. Read it, do not change it."""
    from tests.helpers.cli import crawl, unmask
    from unmask.demo.server import spawn

    folder = tmp_path_factory.mktemp("crawled")
    root = folder / "case"
    unmask("init", str(root))
    with LocalTsa(folder / "tsa") as tsa, spawn(seed=11, scale=0.01) as server:
        server.wait_ready()
        case = Case.open(root)
        case.config.evidence.tsa = [tsa.url]
        case.config.evidence.tsa_roots = [str(tsa.root)]
        case.config.evidence.seal_after_run = True
        case.save()
        case.close()
        summary = crawl(root, server.url)
    return CrawledCase(root, tsa.root, summary)


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[LocalTsa]:
    with LocalTsa(tmp_path / "tsa-ec", kind="ec") as server:
        yield server


def trust(case: Case, *roots: Path) -> None:
    """Make ROOTS the case's trusted TSA roots (copied into the case, as an investigator would)."""
    folder = case.root / "trust"
    folder.mkdir(exist_ok=True)
    names = []
    for n, root in enumerate(roots):
        target = folder / f"tsa-root-{n}.pem"
        shutil.copyfile(root, target)
        names.append(f"trust/{target.name}")
    case.config.evidence.tsa_roots = names
    case.save()
