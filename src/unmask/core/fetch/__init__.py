"""The one fetch layer: every HTTP request in unmask goes through ``Transport``.

* ``policy`` — what may be requested and read (media refusal);
* ``transport`` — one exchange with httpx, streamed, capped, recorded;
* ``recorder`` — WARC files and capture rows (evidence);
* ``client`` — ``Fetcher`` for modules: politeness, robots.txt, retries, redirects;
* ``scrapy_bridge`` — the same Transport as Scrapy's download handler, for the census crawler.
"""

from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.exchange import BinaryAllowance, FetchRequest, FetchResponse
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.transport import FetchError, Transport

__all__ = [
    "BinaryAllowance",
    "EvidenceRecorder",
    "FetchError",
    "FetchRequest",
    "FetchResponse",
    "Fetcher",
    "Transport",
]
