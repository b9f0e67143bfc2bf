"""SHA-256 of files as they stream past, with the digests of chosen prefixes taken on the way.

A seal records each evidence file's SHA-256 and size at sealing time. Evidence files only grow (a WARC
being written, the custody log), so a later check compares the first SIZE bytes of the file with the
seal: one read of the file answers every seal at once, whatever their number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

CHUNK = 1 << 20
"""Bytes read at a time: large enough for disk speed, small enough for constant memory."""


class PrefixHasher:
    """SHA-256 of a byte stream, plus the SHA-256 of its first N bytes for each N asked."""

    def __init__(self, prefixes: Iterable[int] = ()) -> None:
        self._hash = hashlib.sha256()
        self._todo = sorted(set(prefixes))
        self.position = 0
        self.prefixes: dict[int, str] = {}
        self._take()

    def _take(self) -> None:
        while self._todo and self._todo[0] == self.position:
            self.prefixes[self._todo.pop(0)] = self._hash.hexdigest()

    def update(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        while view:
            room = self._todo[0] - self.position if self._todo else len(view)
            piece = view[:room]
            self._hash.update(piece)
            self.position += len(piece)
            view = view[len(piece) :]
            self._take()

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def hash_file(
    path: Path, prefixes: Iterable[int] = (), on_bytes: Callable[[int], None] | None = None
) -> PrefixHasher:
    """Read PATH once; the hasher holds its SHA-256, size (``position``) and the prefixes asked."""
    hasher = PrefixHasher(prefixes)
    for chunk in read_chunks(path):
        hasher.update(chunk)
        if on_bytes is not None:
            on_bytes(len(chunk))
    return hasher


def read_chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes, CHUNK at a time."""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_BASE32 = re.compile(r"[A-Z2-7]+")
_B32_TO_INT = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")


def _base32(encoded: str, size: int) -> bytes:
    """RFC 4648 base32 (upper case, padded) to SIZE bytes, through int() (C speed, unlike base64's)."""
    data = encoded.rstrip("=")
    extra = len(data) * 5 - size * 8
    if not _BASE32.fullmatch(data) or not 0 <= extra < 5:
        raise ValueError("not base32 of that size")
    return (int(data.translate(_B32_TO_INT), 32) >> extra).to_bytes(size, "big")


def parse_digest(value: str) -> tuple[str, bytes] | None:
    """A WARC digest header (``sha256:BASE32``, or hex, or base64) as (algorithm, raw digest)."""
    algorithm, sep, encoded = value.strip().partition(":")
    algorithm = algorithm.lower().replace("-", "")
    if not sep or algorithm not in ("sha1", "sha256", "sha512"):
        return None
    size = hashlib.new(algorithm).digest_size
    for decode in (_base32, _hex, _base64):
        try:
            raw = decode(encoded, size)
        except (ValueError, binascii.Error):
            continue
        if len(raw) == size:
            return algorithm, raw
    return None


def _hex(encoded: str, size: int) -> bytes:
    return bytes.fromhex(encoded)


def _base64(encoded: str, size: int) -> bytes:
    return base64.b64decode(encoded, validate=True)
