"""The one fetch layer: every HTTP request in unmask goes through ``Transport``.

* ``policy`` (+ ``policy.yaml``) — what may be requested and stored: only bodies that are positively text
  (and, for a request that names it, one allowed binary: ``binary_allowance``);
* ``scope`` — where requests may go: the investigated site's origin and the configured data sources;
* ``decoding`` — content codings removed while streaming, with a bound on the output;
* ``transport`` — one exchange with httpx, streamed, judged, capped, recorded;
* ``recorder`` — WARC files and capture rows (evidence);
* ``client`` — ``Fetcher`` for modules: politeness, robots.txt, retries, redirects;
* ``scrapy_bridge`` — the same Transport as Scrapy's download handler, for the census crawler.
"""

from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.exchange import FetchRequest, FetchResponse
from unmask.core.fetch.policy import BinaryAllowance, Refusal, Refused, binary_allowance
from unmask.core.fetch.recorder import EvidenceRecorder
from unmask.core.fetch.scope import Origin, Scope, SiteDomain
from unmask.core.fetch.transport import FetchError, Transport

__all__ = [
    "BinaryAllowance",
    "EvidenceRecorder",
    "FetchError",
    "FetchRequest",
    "FetchResponse",
    "Fetcher",
    "Origin",
    "Refusal",
    "Refused",
    "Scope",
    "SiteDomain",
    "Transport",
    "binary_allowance",
]
