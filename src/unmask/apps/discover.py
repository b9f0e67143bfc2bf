"""Find the apps a platform promotes in the pages the case stored: links to store listings and mirrors,
direct APK downloads (recorded, never fetched), ``market:``/``intent:`` links, deep links into an app,
Apple's Smart App Banner and App Links metadata, and the app names banners give.

No request is made: the pages are read back from the case's WARC files (census pages, and web-archive
replays of the platform's pages from `unmask history`) through ``core.captures``, each page bounded in
size. Every promotion keeps
the capture that showed it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from unmask.apps import storage
from unmask.apps.links import AppLink, classify, could_be_download, is_banner_text, meta_app
from unmask.core.captures import stored_body
from unmask.core.store.models import App, ArchiveCapture, Capture
from unmask.core.urls import absolute

MAX_PAGE_BYTES = 8 * 1024 * 1024
MAX_LINKS_PER_PAGE = 20_000
PLATFORM = {"apple": "ios"}


@dataclass(frozen=True, slots=True)
class Page:
    capture_id: int
    url: str
    """The page's own URL (for an archive replay: the URL the archive captured)."""
    when: dt.datetime
    body: bytes


@dataclass(frozen=True, slots=True)
class Found:
    link: AppLink
    href: str
    name: str | None


def _pages(case: Any, limit: int) -> Iterator[Page]:
    with case.store.session() as session:
        rows = session.execute(
            select(
                Capture.id,
                Capture.url,
                Capture.requested_at,
                Capture.warc_file,
                Capture.warc_offset,
                Capture.warc_length,
                Capture.purpose,
            )
            .where(
                Capture.status == 200,
                Capture.warc_file.is_not(None),
                Capture.content_type.ilike("%html%"),
                Capture.purpose != "apps",
            )
            .order_by(Capture.id)
            .limit(limit)
        ).all()
        originals = dict(
            session.execute(
                select(ArchiveCapture.capture_id, ArchiveCapture.original).where(
                    ArchiveCapture.capture_id.is_not(None)
                )
            ).all()
        )
    for capture_id, url, when, warc_file, offset, length, purpose in rows:
        page_url = originals.get(capture_id) if purpose == "history" else url
        body = stored_body(case.evidence_dir, warc_file, offset or 0, MAX_PAGE_BYTES, length=length)
        if body and page_url:
            yield Page(capture_id, page_url, when, body)


def links_of(page: Page) -> Iterator[Found]:
    """The app links of one page, with the name a link's text, image or title gives when it reads like an
    invitation to install (or links a store)."""
    import lxml.html

    try:
        doc = lxml.html.document_fromstring(page.body)
    except (ValueError, lxml.etree.ParserError):
        return
    count = 0
    for element in doc.iter("a", "area", "link", "iframe", "meta"):
        if count >= MAX_LINKS_PER_PAGE:
            return
        count += 1
        if element.tag == "meta":
            for attribute in ("name", "property"):
                key = element.get(attribute)
                if key:
                    link = meta_app(attribute, key, element.get("content") or "")
                    if link is not None:
                        yield Found(link, f"meta {key}={element.get('content')}", None)
            continue
        href = element.get("href") or element.get("src")
        if not href:
            continue
        relative = ":" not in href.split("/", 1)[0]
        if relative and not href.lstrip().startswith("//") and not could_be_download(href):
            continue  # a path on the same site: only a download could promote an app
        target = absolute(href, page.url) if relative else href.strip()
        if target is None:
            continue
        link = classify(target)
        if link is not None:
            yield Found(link, target, _name(element, link))


def _name(element: Any, link: AppLink) -> str | None:
    if element.tag != "a":
        return None
    texts = [" ".join(element.text_content().split())]
    texts += [img.get("alt") or "" for img in element.iter("img")]
    texts += [element.get("title") or "", element.get("aria-label") or ""]
    for text in texts:
        text = text.strip()[:200]
        if text and (is_banner_text(text) or link.store):
            return text
    return None


def discover(case: Any) -> dict[str, Any]:
    """Read the stored pages and record every promotion found (idempotent: a page's link once)."""
    settings = case.config.apps
    pages = 0
    new = 0
    found_rows: list[dict[str, Any]] = []
    for page in _pages(case, settings.discover_max_pages):
        pages += 1
        site = (page.url.split("/", 3)[2] if "://" in page.url else page.url).lower()
        found = list(links_of(page))
        if not found:
            continue
        with case.store.session() as session:
            for item in found:
                app: App | None = None
                if item.link.app_id:
                    app = storage.upsert_app(
                        session, item.link.app_id, platform=PLATFORM.get(item.link.kind, "android")
                    )
                    if item.name and not app.name:
                        app.name = item.name
                added = storage.add_promotion(
                    session,
                    app,
                    site=site[:255],
                    page_url=page.url,
                    link=item.href,
                    kind=item.link.kind,
                    capture_id=page.capture_id,
                    seen_at=page.when,
                )
                if added:
                    new += 1
                    found_rows.append(
                        {
                            "app": item.link.app_id,
                            "kind": item.link.kind,
                            "link": item.href,
                            "page_url": page.url,
                            "capture_id": page.capture_id,
                            "name": item.name,
                        }
                    )
    return {"pages": pages, "promotions": new, "apps": found_rows}
