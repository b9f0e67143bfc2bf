"""The TXT linking-ID source: the shared extractor over the scan's TXT records."""

from __future__ import annotations

import asyncio

from tests.infra.source_context import SourceContext
from unmask.infra.base import Observation, ScanOptions
from unmask.infra.linking import TxtLinkingIds


def test_txt_source_reads_the_scans_txt_records() -> None:
    ctx = SourceContext("invented-tube.test", options=ScanOptions(dns_only=True))
    ctx.observations += [
        Observation("dns.txt", "v=spf1 -all", "invented-tube.test", "dns"),
        Observation("dns.txt", "yandex-verification: 0a1b2c3d4e5f6a7b", "invented-tube.test", "dns"),
        Observation("dns.txt", "MS=ms12345678", "other.invented-tube.test", "dns"),  # another name: not read
    ]

    async def go() -> list[object]:
        return [item async for item in TxtLinkingIds().run(ctx)]

    (item,) = asyncio.run(go())
    assert isinstance(item, Observation)
    assert (item.kind, item.value, item.subject) == (
        "linking_id",
        "yandex_verification:0a1b2c3d4e5f6a7b",
        "invented-tube.test",
    )
    assert item.detail is not None and item.detail["where"] == "txt"
