"""A protected person's own photos as PDQ hashes, computed on this machine, compared with hashes a trusted
partner provides (StopNCII-style: nothing about the person leaves the NGO's machine).

- ``protect add NAME --photo FILE``: the photo is read here, hashed (PDQ, ``pdqhash``) and forgotten; it is
  never copied into the case or the store. Only the hash goes into the private watchlist
  (``protect/watchlist.yaml``, 0600).
- ``protect compare FILE``: the partner's file holds one PDQ hash a line (64 hex digits), optionally
  followed by whitespace and a reference of the partner's (an id, a case number); ``#`` starts a comment.
  A partner hash within :data:`MATCH_DISTANCE` bits (Hamming distance, of 256) of a person's photo hash
  is a match, the convention of Meta's reference implementation (ThreatExchange, python-threatexchange
  ``signal_type/pdq/pdq_utils.py``: ``PDQ_CONFIDENT_MATCH_THRESHOLD = 31``, a match when the distance is
  at most it). Photos whose PDQ quality is below :data:`MIN_QUALITY` (the same source's
  ``QUALITY_THRESHOLD = 50``: too featureless to match on) are refused.

Platform media are never fetched to compute hashes: unmask stores no media at all.
Hashes are written as Meta's reference implementation writes them (the 16 16-bit words from the last to
the first, each as 4 hex digits), so that a partner's hashes from any PDQ implementation compare.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask.core.errors import UnmaskError

MATCH_DISTANCE = 31
"""A partner hash at most this many bits (of 256) from a photo hash is a match (ThreatExchange's
PDQ_CONFIDENT_MATCH_THRESHOLD)."""
MIN_QUALITY = 50
"""PDQ quality below which a photo is too featureless to match on (ThreatExchange's QUALITY_THRESHOLD)."""
MAX_PHOTO_BYTES = 64 * 1024 * 1024
MAX_PIXELS = 80_000_000
MAX_HASH_FILE_BYTES = 256 * 1024 * 1024
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class PhotoHash:
    hash: str
    """64 hex digits (PDQ, 256 bits)."""
    quality: int


def hash_photo(path: Path) -> PhotoHash:
    """The PDQ hash of an image file on this machine. One-line errors name the file."""
    try:
        import numpy as np
        import pdqhash
        from PIL import Image, UnidentifiedImageError
    except ImportError as exc:
        raise UnmaskError(
            f"photo hashes need the optional packages pdqhash and pillow (pip install 'unmask[photo]'): {exc}"
        ) from exc
    try:
        if path.stat().st_size > MAX_PHOTO_BYTES:
            raise UnmaskError(f"larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MiB", where=str(path))
        with Image.open(path) as image:
            if image.width * image.height > MAX_PIXELS:
                raise UnmaskError(f"more than {MAX_PIXELS:,} pixels", where=str(path))
            pixels = np.asarray(image.convert("RGB"))
    except OSError as exc:
        if isinstance(exc, UnidentifiedImageError):
            raise UnmaskError("not an image this machine can read", where=str(path)) from exc
        raise UnmaskError(f"cannot read the photo ({exc.strerror or exc})", where=str(path)) from exc
    except Image.DecompressionBombError as exc:
        raise UnmaskError(f"more than {MAX_PIXELS:,} pixels", where=str(path)) from exc
    bits, quality = pdqhash.compute(pixels)
    value = 0
    for bit in bits:  # the first element is the hash's highest bit (the reference's word 15, bit 15)
        value = (value << 1) | int(bit)
    if quality < MIN_QUALITY:
        raise UnmaskError(
            f"the photo's PDQ quality is {quality} (below {MIN_QUALITY}: too featureless to match on)",
            where=str(path),
        )
    return PhotoHash(f"{value:064x}", int(quality))


def distance(a: str, b: str) -> int:
    """Hamming distance of two PDQ hashes (hex)."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class PartnerHash:
    hash: str
    reference: str
    line: int


def read_partner_hashes(path: Path) -> Iterator[PartnerHash]:
    """The hashes of a partner's file (one a line, a reference after whitespace). Errors name file:line."""
    try:
        if path.stat().st_size > MAX_HASH_FILE_BYTES:
            raise UnmaskError(f"larger than {MAX_HASH_FILE_BYTES // (1024 * 1024)} MiB", where=str(path))
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, 1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                value, _, reference = text.partition(" ") if " " in text else text.partition("\t")
                value = value.strip().lower().removeprefix("0x")
                if not _HASH.fullmatch(value):
                    raise UnmaskError("not a PDQ hash (64 hex digits)", where=f"{path}:{number}")
                yield PartnerHash(value, reference.strip()[:200], number)
    except OSError as exc:
        raise UnmaskError(f"cannot read ({exc.strerror})", where=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise UnmaskError("not UTF-8 text", where=str(path)) from exc


@dataclass(frozen=True)
class PhotoMatch:
    person: str
    """The protected person (private: the user's terminal and the NGO's own report only)."""
    reference: str
    line: int
    distance: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "person": self.person,
            "reference": self.reference,
            "line": self.line,
            "distance": self.distance,
        }


def compare(
    persons: Iterable[tuple[str, list[str]]],
    partner: Iterable[PartnerHash],
    *,
    threshold: int = MATCH_DISTANCE,
) -> tuple[list[PhotoMatch], int]:
    """Every (person, partner hash) pair within ``threshold`` bits, nearest first; and how many partner
    hashes were read. ``persons``: (name, photo hashes)."""
    ours = [(name, int(h, 16)) for name, hashes in persons for h in hashes]
    matches: list[PhotoMatch] = []
    read = 0
    for item in partner:
        read += 1
        theirs = int(item.hash, 16)
        for name, value in ours:
            d = (value ^ theirs).bit_count()
            if d <= threshold:
                matches.append(PhotoMatch(name, item.reference, item.line, d))
    matches.sort(key=lambda m: (m.distance, m.line, m.person))
    return matches, read
