"""Content codings removed as the body streams in, with a bound on the output of every coding.

A few kilobytes of gzip, deflate or brotli can expand to gigabytes: each decoder is given the most
bytes it may produce in all and never produces more (zlib's ``max_length``, brotli's
``output_buffer_limit``), so a bomb costs at most that bound in memory, whatever the coding.
"""

from __future__ import annotations

import zlib
from typing import Any

try:  # brotli is optional: advertised (Accept-Encoding) only when it can be decoded
    import brotli
except ImportError:  # pragma: no cover - depends on the environment
    brotli = None

CODINGS: frozenset[str] = frozenset({"identity", "gzip", "x-gzip", "deflate"} | ({"br"} if brotli else set()))
ACCEPT_ENCODING = "gzip, deflate, br" if brotli is not None else "gzip, deflate"
RAW_DEFLATE_PROBE = 64 * 1024
"""Input kept from the start of a deflate body, to try it again as raw deflate (as some servers send)."""


class DecodeError(Exception):
    """The body is not valid in its content coding."""


class ContentDecoder:
    """Removes one content coding from a streamed body; in all, at most ``limit`` bytes come out.

    ``over`` turns true when the body holds more than ``limit`` decoded bytes (the rest is not decoded).
    """

    def __init__(self, coding: str, limit: int) -> None:
        self.coding = coding if coding in CODINGS else "identity"
        self.limit = limit
        self.produced = 0
        self.over = False
        self._zlib: Any = None
        self._brotli: Any = None
        self._probe = b""
        if self.coding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self.coding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        elif self.coding == "br":
            self._brotli = brotli.Decompressor()

    @property
    def finished(self) -> bool:
        """The coded stream ended (bytes after its end are ignored)."""
        if self._zlib is not None:
            return bool(self._zlib.eof)
        if self._brotli is not None:
            return bool(self._brotli.is_finished())
        return False

    def feed(self, data: bytes) -> bytes:
        """The decoded bytes of the next piece of the body (none once the limit is reached)."""
        if not data or self.over or self.finished:
            return b""
        room = self.limit - self.produced
        if room <= 0:
            self.over = True
            return b""
        try:
            out = self._decode(data, room)
        except (zlib.error, ValueError) as exc:
            raise DecodeError(f"corrupt {self.coding} data after {self.produced} decoded bytes") from exc
        except Exception as exc:  # brotli.error is not a subclass of anything more specific
            if brotli is not None and isinstance(exc, brotli.error):
                raise DecodeError(f"corrupt br data after {self.produced} decoded bytes") from exc
            raise
        if len(out) > room:
            out, self.over = out[:room], True
        self.produced += len(out)
        return out

    def _decode(self, data: bytes, room: int) -> bytes:
        if self._zlib is not None:
            return self._inflate(data, room)
        if self._brotli is not None:
            out = bytes(self._brotli.process(data, output_buffer_limit=room))
            if not self._brotli.can_accept_more_data():  # output waiting beyond the limit
                self.over = True
            return out
        if len(data) > room:
            self.over = True
        return data[:room]

    def _inflate(self, data: bytes, room: int) -> bytes:
        if self.coding == "deflate" and len(self._probe) < RAW_DEFLATE_PROBE and self.produced == 0:
            self._probe += data
        try:
            out = bytes(self._zlib.decompress(data, room))
        except zlib.error:
            if self.coding != "deflate" or self.produced or len(self._probe) > RAW_DEFLATE_PROBE:
                raise
            self.coding = "raw-deflate"  # deflate without the zlib wrapper, as some servers send
            self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
            out = bytes(self._zlib.decompress(self._probe, room))
        if self._zlib.unconsumed_tail:  # output stopped at the limit with input left
            self.over = True
        return out
