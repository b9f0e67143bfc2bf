"""Apple's App Store: the lookup service per storefront (``country=``); ``resultCount: 0`` is a listing
that is not in this storefront."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from unmask.apps.stores.base import LISTED, UNAVAILABLE, UNKNOWN, Listing, Store
from unmask.core.fetch import FetchResponse

APPLE_ID_PREFIX = "apple:"


class AppleStore(Store):
    name = "apple"
    data_marker = '"resultCount"'

    def listing_url(self, app_id: str, country: str) -> str:
        key = app_id.removeprefix(APPLE_ID_PREFIX)
        param = "id" if key.isdigit() else "bundleId"
        return f"{self.base}/lookup?{urlencode({param: key, 'country': country.lower()})}"

    def read(self, listing: Listing, response: FetchResponse) -> None:
        try:
            data = json.loads(response.body)
        except (ValueError, RecursionError):
            listing.status, listing.reason = UNKNOWN, "an answer that is not JSON"
            return
        results = data.get("results") if isinstance(data, dict) else None
        count = data.get("resultCount") if isinstance(data, dict) else None
        if count == 0 or results == []:
            listing.status, listing.reason = UNAVAILABLE, "resultCount 0 in this storefront"
            return
        if not isinstance(results, list) or not isinstance(results[0], dict):
            listing.status, listing.reason = UNKNOWN, "an answer without results"
            return
        app = results[0]
        listing.fill(
            title=app.get("trackName"),
            developer=app.get("artistName"),
            developer_id=app.get("artistId"),
            seller=app.get("sellerName"),
            website=app.get("sellerUrl"),
            version=app.get("version"),
            rating_count=app.get("userRatingCount"),
            released=app.get("releaseDate"),
            updated=app.get("currentVersionReleaseDate"),
        )
        bundle = app.get("bundleId")
        listing.package = str(bundle) if isinstance(bundle, str) and bundle else None
        listing.status = LISTED
