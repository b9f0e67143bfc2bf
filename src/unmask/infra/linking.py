"""Linking IDs in the domain's DNS TXT records: the infrastructure source over the shared extractor."""

from __future__ import annotations

from collections.abc import AsyncIterator

from unmask.core.identifiers import extract_from_txt
from unmask.infra.base import Failure, Observation, ScanContext, Source


class TxtLinkingIds(Source):
    """Linking IDs in the domain's DNS TXT records (verification tokens, wallets…): no connection, so it
    runs with ``--dns-only`` too."""

    name = "txt_ids"
    after = ("dns",)

    async def run(self, ctx: ScanContext) -> AsyncIterator[Observation | Failure]:
        for ident in extract_from_txt(ctx.values("dns.txt", ctx.domain)):
            detail = {"name": ident.name, "where": "txt", "context": ident.context}
            yield Observation("linking_id", ident.key, ctx.domain, self.name, detail)
