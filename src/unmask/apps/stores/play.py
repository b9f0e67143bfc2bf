"""Google Play: the listing page per storefront (``gl=``), read with google-play-scraper's element
specs (its pure parser; never its network code, which retries a 404 without the country)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from unmask.apps.stores.base import LISTED, UNKNOWN, Listing, Store
from unmask.core.fetch import FetchResponse

MAX_BLOCKS = 200
MAX_BLOCK_CHARS = 8 * 1024 * 1024
MARK = "AF_initDataCallback"
END = ", sideChannel: {}});</"


def datasets(page: str) -> dict[str, Any]:
    """The ``ds:N`` data blocks of a Play page, found in one linear pass (google-play-scraper's own
    regular expressions backtrack quadratically on a hostile page) and bounded in number and size."""
    found: dict[str, Any] = {}
    for chunk in page.split("</script")[: MAX_BLOCKS * 4]:
        start = chunk.find(MARK)
        if start < 0:
            continue
        block = chunk[start : start + MAX_BLOCK_CHARS] + "</"
        key_at = block.find("'ds:")
        data_at = block.find("data:")
        if key_at < 0 or data_at < 0:
            continue
        key_end = block.find("'", key_at + 1)
        end = block.find(END, data_at)
        if key_end < 0 or end < 0:
            continue
        try:
            found[block[key_at + 1 : key_end]] = json.loads(block[data_at + 5 : end])
        except (ValueError, RecursionError):
            continue
        if len(found) >= MAX_BLOCKS:
            break
    return found


def parse(page: str) -> dict[str, Any]:
    """google-play-scraper's Detail fields of a listing page ({} when the page holds no listing)."""
    from google_play_scraper.constants.element import ElementSpecs

    data = datasets(page)
    if "ds:5" not in data:
        return {}
    out: dict[str, Any] = {}
    for key, spec in ElementSpecs.Detail.items():
        try:
            out[key] = spec.extract_content(data)
        except RecursionError:
            out[key] = None
    return out


class PlayStore(Store):
    name = "play"
    data_marker = MARK

    def listing_url(self, app_id: str, country: str) -> str:
        query = urlencode({"id": app_id, "hl": self.language, "gl": country.upper()})
        return f"{self.base}/store/apps/details?{query}"

    def read(self, listing: Listing, response: FetchResponse) -> None:
        fields = parse(response.text)
        if not fields.get("title"):
            listing.status = UNKNOWN
            listing.reason = "a page without listing data"
            return
        updated = fields.get("updated")
        listing.fill(
            title=fields.get("title"),
            developer=fields.get("developer"),
            developer_id=fields.get("developerId"),
            email=fields.get("developerEmail"),
            website=fields.get("developerWebsite"),
            address=fields.get("developerAddress"),
            privacy_policy=fields.get("privacyPolicy"),
            version=fields.get("version"),
            installs=fields.get("installs"),
            rating_count=fields.get("ratings"),
            released=fields.get("released"),
            updated=fields.get("lastUpdatedOn") or (str(updated) if updated is not None else None),
        )
        listing.status = LISTED
