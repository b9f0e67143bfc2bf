"""An APK's zip, read with bounded work: every entry that is read expands to at most a cap.

Entries are located the way apkInspector (and so androguard) locates them: the central directory gives
the local header, whose sizes win unless they are zero; a compression method that is neither stored nor
deflate is read as a tampered one (deflate if it inflates cleanly, else stored). Here the inflation is
bounded: an entry that expands past its cap is refused (a zip bomb), and so is an archive whose entries
read in all expand past the archive's cap.
"""

from __future__ import annotations

import io
import logging
import struct
import zlib
from dataclasses import dataclass, field

from unmask.core.errors import UnmaskError

ZIP_MAGIC = b"PK\x03\x04"
LOCAL_HEADER_SIZE = 30


class ApkInputError(UnmaskError):
    """The input is not an APK that can be read (truncated, not a zip, really HTML, too large)."""


class EntryTooLarge(Exception):
    """An entry expands past its cap (a zip bomb) or the archive's budget is spent."""


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    method: int
    compressed_size: int
    uncompressed_size: int
    """As declared (may lie)."""
    data_offset: int


def describe(data: bytes) -> str:
    """What bytes that are not a zip look like, for the one-line error."""
    head = data[:512].lstrip().lower()
    if not data:
        return "an empty file"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head or b"<body" in head:
        return "an HTML page"
    if head.startswith(b"<"):
        return "XML or markup"
    if data[:4] == b"dex\n":
        return "a bare dex file"
    return "not a zip archive"


@dataclass
class Archive:
    """A zip held in memory; ``read`` inflates one entry within its cap and the archive's budget."""

    data: bytes
    entries: dict[str, Entry]
    budget: int
    """Bytes the entries read may still expand to."""
    tampered: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, data: bytes, *, budget: int, where: str) -> Archive:
        if data[:4] != ZIP_MAGIC:
            raise ApkInputError(f"not an APK: {describe(data)}", where=where)
        try:
            entries = _entries(data)
        except Exception as exc:  # apkInspector raises anything on a broken directory
            raise ApkInputError(
                f"not a readable APK (truncated or broken zip: {exc})"[:300], where=where
            ) from None
        if not entries:
            raise ApkInputError("not a readable APK (truncated or broken zip: no entries)", where=where)
        return cls(data, entries, budget)

    def names(self) -> list[str]:
        return list(self.entries)

    def size_of(self, name: str) -> int:
        return self.entries[name].uncompressed_size

    def read(self, name: str, cap: int) -> bytes:
        """The entry's bytes; EntryTooLarge when it expands past ``cap`` or the archive's budget."""
        entry = self.entries[name]
        limit = min(cap, self.budget)
        start = entry.data_offset
        if entry.method == 0 or (entry.method != 8 and entry.compressed_size == entry.uncompressed_size):
            if entry.uncompressed_size > limit:
                raise EntryTooLarge(f"{name} is {entry.uncompressed_size} bytes (cap {limit})")
            out = self.data[start : start + entry.uncompressed_size]
        else:
            raw = self.data[start : start + entry.compressed_size]
            try:
                out = _inflate(raw, limit, name)
            except zlib.error:
                if entry.method == 8:
                    raise EntryTooLarge(f"{name} does not inflate (broken deflate data)") from None
                out = self.data[start : start + min(entry.uncompressed_size, limit)]
                self.tampered.append(f"{name}: compression method {entry.method} read as stored")
            else:
                if entry.method != 8:
                    self.tampered.append(f"{name}: compression method {entry.method} read as deflate")
        self.budget -= len(out)
        return out


def _inflate(raw: bytes, limit: int, name: str) -> bytes:
    inflater = zlib.decompressobj(-15)
    out = inflater.decompress(raw, limit + 1)
    if len(out) > limit:
        raise EntryTooLarge(f"{name} expands past {limit} bytes (a zip bomb?)")
    return out


def _entries(data: bytes) -> dict[str, Entry]:
    from apkInspector.headers import CentralDirectory, EndOfCentralDirectoryRecord

    logging.getLogger().disabled, was = True, logging.getLogger().disabled  # apkInspector logs to root
    try:
        stream = io.BytesIO(data)
        eocd = EndOfCentralDirectoryRecord.parse(stream)
        directory = CentralDirectory.parse(stream, eocd)
    finally:
        logging.getLogger().disabled = was
    out: dict[str, Entry] = {}
    for name, cd in directory.entries.items():
        offset = cd.relative_offset_of_local_file_header
        if offset + LOCAL_HEADER_SIZE > len(data) or data[offset : offset + 4] != ZIP_MAGIC:
            continue
        (_v, _flag, method, _t, _d, _crc, csize, usize, nlen, xlen) = struct.unpack(
            "<HHHHHIIIHH", data[offset + 4 : offset + LOCAL_HEADER_SIZE]
        )
        if csize == 0 or usize == 0:
            csize, usize = cd.compressed_size, cd.uncompressed_size
        out[name] = Entry(name, method, csize, usize, offset + LOCAL_HEADER_SIZE + nlen + xlen)
    return out
