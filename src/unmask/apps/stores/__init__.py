"""App stores: one short class per store on :class:`unmask.apps.stores.base.Store`.

A store answers one question per storefront: is the listing there (``listed``), not in this storefront
(``unavailable``: a 404, ``resultCount: 0``), or can it not be told (``unknown``: a captcha, a redirect,
an error)? A 404 in one country is never asked again without the country: that answer would be
another country's.
"""

from __future__ import annotations

from unmask.apps.stores.apple import AppleStore
from unmask.apps.stores.base import Listing, Store
from unmask.apps.stores.play import PlayStore

STORES: dict[str, type[Store]] = {s.name: s for s in (PlayStore, AppleStore)}

__all__ = ["STORES", "AppleStore", "Listing", "PlayStore", "Store"]
