"""Asking the scan's data services (RDAP, certificate transparency): JSON answers through the case's
Fetcher, and the names no public service may be asked about.

Data services are not the investigated site: they are asked through the case's Fetcher unpinned
(``ctx.data_fetcher``; every answer recorded as evidence), never with ``--dns-only``, and a source that
asks one sets ``service`` so the base gives up on it when it stops answering (unmask.infra.base).
"""

from __future__ import annotations

import json
from typing import Any

from unmask.core.fetch.client import Fetcher
from unmask.core.fetch.exchange import FetchResponse
from unmask.infra.base import LookupFailed, http_failure


async def fetch_json(
    fetcher: Fetcher | None, url: str, *, label: str, accept: str, max_bytes: int
) -> tuple[Any, FetchResponse]:
    """GET a JSON answer from a data service (RDAP, certificate transparency) through the case's Fetcher.

    Raises a :data:`LOOKUP_ERRORS` exception: ``http N`` for any status but 200, ``LABEL: answer too
    large`` past ``max_bytes``, ``LABEL: malformed JSON``.
    """
    if fetcher is None:
        raise LookupFailed(f"{label}: no fetcher for data sources")
    response = await fetcher.get(url, headers=[("Accept", accept)], obey_robots=False)
    if response.status != 200:
        raise http_failure(response.status)
    if response.truncated or len(response.body) > max_bytes:
        raise LookupFailed(f"{label}: answer too large")
    try:
        return json.loads(response.body), response
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LookupFailed(f"{label}: malformed JSON") from exc


SPECIAL_USE_TLDS = frozenset(
    {"test", "invalid", "localhost", "example", "local", "internal", "onion", "arpa"}
)
"""Names no public data source knows (RFC 6761 and kin): never sent to a public RDAP or CT service."""


def special_use(name: str) -> bool:
    return name.lower().rstrip(".").rsplit(".", 1)[-1] in SPECIAL_USE_TLDS
