"""What the NGO keeps of each notice (protect/notices.json via unmask.protect.notices), and the re-check
after the deadline: is each URL gone (404 or 410)?"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

from unmask.core.case import Case
from unmask.core.errors import FetchRefused
from unmask.core.fetch import Fetcher, FetchError, Scope
from unmask.protect.notices import NoticeRecord, UrlCheck, load_notices, save_notices
from unmask.takedown.notice import Notice

GONE = frozenset({404, 410})


def record(root: Path, notices: list[Notice], folders: list[Path], persons: list[str]) -> list[NoticeRecord]:
    records = load_notices(root)
    known = {r.id: r for r in records}
    added = []
    for notice, folder in zip(notices, folders, strict=True):
        entry = NoticeRecord(
            notice.id,
            notice.recipient.kind,
            notice.recipient.name,
            notice.recipient.email,
            list(notice.urls),
            list(persons),
            notice.created_at,
            str(folder),
            notice.deadline,
        )
        if entry.id in known:
            records.remove(known[entry.id])
        records.append(entry)
        added.append(entry)
    save_notices(root, records)
    return added


def mark_sent(root: Path, ids: list[str], when: str) -> None:
    records = load_notices(root)
    for entry in records:
        if entry.id in ids:
            entry.sent_at = when
    save_notices(root, records)


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


async def _check(case: Case, urls: list[str]) -> dict[str, UrlCheck]:
    scope = Scope.for_sources(urls, allow_private=case.config.fetch.allow_private_addresses)
    out: dict[str, UrlCheck] = {}
    async with Fetcher.for_case(case, purpose="takedown-check", scope=scope) as fetcher:
        for url in urls:
            try:
                response = await fetcher.get(url)
            except (FetchError, FetchRefused) as exc:
                out[url] = UrlCheck(_now(), None, False, str(exc)[:300])
                continue
            out[url] = UrlCheck(_now(), response.status, response.status in GONE)
    return out


def recheck(case: Case, *, everything: bool = False) -> list[NoticeRecord]:
    """Check again the URLs of every sent notice whose deadline has passed (``everything``: every notice)."""
    records = load_notices(case.root)
    now = _now()
    due = [r for r in records if everything or (r.sent_at and r.deadline <= now)]
    urls = list(dict.fromkeys(u for r in due for u in r.urls))
    if not urls:
        return []
    checks = asyncio.run(_check(case, urls))
    for entry in due:
        entry.checks = {u: checks[u] for u in entry.urls}
    save_notices(case.root, records)
    return due
