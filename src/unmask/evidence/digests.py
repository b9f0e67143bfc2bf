"""SHA-256 of files as they stream past, with the digests of chosen prefixes taken on the way.

A seal records each evidence file's SHA-256 and size at sealing time. Evidence files only grow (a WARC
being written, the custody log), so a later check compares the first SIZE bytes of the file with the
seal: one read of the file answers every seal at once, whatever their number.
"""

from __future__ import annotations

import hashlib
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
