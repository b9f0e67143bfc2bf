"""Class names and strings of a dex file, read straight from its tables with bounds on every count.

Only what the app route needs: the class definitions (``class_defs`` → ``type_ids`` → ``string_ids``),
as Exodus Privacy matches them (slash form without the ``L…;``: ``com/example/Tracker``), and the string
table (for embedded URLs and domains). Every offset and count is checked against the file before it is
used, so a dex that claims millions of classes it does not hold costs nothing; a cap bounds the work on
one that really holds them.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

DEX_MAGIC = b"dex\n"
HEADER_SIZE = 0x70


class DexError(Exception):
    """Not a dex file, or tables outside the file."""


@dataclass(frozen=True, slots=True)
class DexTables:
    data: bytes
    string_ids_size: int
    string_ids_off: int
    type_ids_size: int
    type_ids_off: int
    class_defs_size: int
    class_defs_off: int

    @classmethod
    def parse(cls, data: bytes) -> DexTables:
        if len(data) < HEADER_SIZE or data[:4] != DEX_MAGIC:
            raise DexError("not a dex file")
        s_size, s_off, t_size, t_off = struct.unpack_from("<4I", data, 0x38)
        c_size, c_off = struct.unpack_from("<2I", data, 0x60)
        tables = cls(data, s_size, s_off, t_size, t_off, c_size, c_off)
        for name, off, size, width in (
            ("string_ids", s_off, s_size, 4),
            ("type_ids", t_off, t_size, 4),
            ("class_defs", c_off, c_size, 32),
        ):
            if size and (off < HEADER_SIZE or off + size * width > len(data)):
                raise DexError(f"{name} ({size} entries at {off}) lie outside the file ({len(data)} bytes)")
        return tables

    def string(self, index: int) -> str | None:
        """The string with this index (MUTF-8, read leniently), or None when it lies outside the file."""
        if not 0 <= index < self.string_ids_size:
            return None
        (off,) = struct.unpack_from("<I", self.data, self.string_ids_off + 4 * index)
        if off >= len(self.data):
            return None
        pos = off
        for _ in range(5):  # uleb128 length in UTF-16 units: skipped, the NUL ends the string
            if pos >= len(self.data):
                return None
            byte = self.data[pos]
            pos += 1
            if byte < 0x80:
                break
        end = self.data.find(b"\x00", pos)
        if end < 0:
            return None
        return self.data[pos:end].decode("utf-8", errors="replace")

    def class_names(self, limit: int) -> Iterator[str]:
        """Defined classes in slash form (``com/example/Tracker``), at most ``limit``."""
        count = min(self.class_defs_size, limit)
        for i in range(count):
            (class_idx,) = struct.unpack_from("<I", self.data, self.class_defs_off + 32 * i)
            if class_idx >= self.type_ids_size:
                continue
            (descriptor,) = struct.unpack_from("<I", self.data, self.type_ids_off + 4 * class_idx)
            name = self.string(descriptor)
            if name and name.startswith("L") and name.endswith(";"):
                yield name[1:-1]

    def strings(self, limit: int) -> Iterator[str]:
        for i in range(min(self.string_ids_size, limit)):
            text = self.string(i)
            if text is not None:
                yield text
