"""Stored captures read back with the one WARC reader: the body as the fetch layer handed it to its
caller, content coding removed, bounded, and nothing read outside the case's evidence."""

from __future__ import annotations

import asyncio
import gzip

from sqlalchemy import select

from tests.helpers.hostile import HostileServer, gzipped
from unmask.core.captures import stored_body
from unmask.core.case import Case
from unmask.core.fetch import Fetcher, Scope
from unmask.core.store.models import Capture

PAGE = b"<!doctype html><html><body>" + b"<p>an invented catalogue line</p>" * 2000 + b"</body></html>"


def record(case: Case, server: HostileServer, *paths: str) -> dict[str, Capture]:
    case.config.fetch.delay = 0.0

    async def go() -> None:
        async with Fetcher.for_case(case, purpose="test", scope=Scope.for_site(server.base)) as fetcher:
            for path in paths:
                await fetcher.get(server.url(path), obey_robots=False)

    asyncio.run(go())
    with case.store.session() as session:
        rows = list(session.scalars(select(Capture).where(Capture.warc_file.is_not(None))))
        for row in rows:
            session.expunge(row)
    return {row.url.rsplit("/", 1)[-1]: row for row in rows}


def test_a_stored_page_reads_back_as_its_caller_got_it(sqlite_case: Case) -> None:
    with HostileServer() as server:
        server.static("/plain", PAGE)
        server.route("/coded", gzipped(PAGE))
        captures = record(sqlite_case, server, "/plain", "/coded")
    evidence = sqlite_case.evidence_dir
    for name in ("plain", "coded"):
        capture = captures[name]
        assert capture.warc_file and capture.warc_offset is not None
        assert stored_body(evidence, capture.warc_file, capture.warc_offset) == PAGE
    coded = captures["coded"]
    assert coded.payload_length == len(gzip.compress(PAGE)), "the evidence keeps the bytes as received"
    assert coded.warc_file and coded.warc_offset is not None
    assert stored_body(evidence, coded.warc_file, coded.warc_offset, limit=100) == PAGE[:100]
    whole = stored_body(evidence, coded.warc_file, coded.warc_offset, length=coded.warc_length)
    assert whole == PAGE, "read with the row's length: only the record's own bytes"


def test_nothing_is_read_outside_the_evidence_or_off_a_response_record(sqlite_case: Case) -> None:
    with HostileServer() as server:
        server.static("/plain", PAGE)
        capture = record(sqlite_case, server, "/plain")["plain"]
    assert capture.warc_file and capture.warc_offset is not None
    evidence = sqlite_case.evidence_dir
    outside = "../" * 3 + "etc/passwd"
    assert stored_body(evidence, outside, 0) is None
    assert stored_body(evidence, "warc/missing.warc.gz", 0) is None
    assert stored_body(evidence, capture.warc_file, 0) is None, "offset 0 is the warcinfo record"
    assert stored_body(evidence, capture.warc_file, capture.warc_offset + 1) is None, "not a record start"
