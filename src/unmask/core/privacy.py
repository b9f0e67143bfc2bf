"""Pseudonyms for depicted persons who are not public figures.

Every export and report shows such persons as a stable, case-specific pseudonym unless the user opts
out. The pseudonym is an HMAC of the name under the case's secret: the same person gets the same
pseudonym throughout a case, and it cannot be reversed without the case folder.
"""

from __future__ import annotations

import hashlib
import hmac


def pseudonym(name: str, secret: str) -> str:
    key = " ".join(name.casefold().split()).encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), key, hashlib.sha256).hexdigest()
    return f"Person-{digest[:8]}"


def display_name(name: str, public_figure: bool | None, *, secret: str, pseudonymize: bool) -> str:
    """The name to show: real for public figures (or when the user opted out), a pseudonym otherwise."""
    if not pseudonymize or public_figure is True:
        return name
    return pseudonym(name, secret)
