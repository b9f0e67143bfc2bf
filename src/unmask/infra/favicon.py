"""The favicon hash in the form Shodan indexes it (``http.favicon.hash``).

Shodan hashes the icon's bytes base64-encoded the way Python's ``base64.encodebytes`` writes them (a newline
after every 76 characters and at the end) with MurmurHash3 x86 32-bit, seed 0, as a *signed* integer.
"""

from __future__ import annotations

import base64

import mmh3


def shodan_favicon_hash(data: bytes) -> int:
    """MurmurHash3 (32-bit, signed) of the icon's base64 with newlines every 76 characters."""
    return int(mmh3.hash(base64.encodebytes(data)))
