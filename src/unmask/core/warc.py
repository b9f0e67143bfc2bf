"""Read a WARC file once, in constant memory: every record's offset, type, target and digest checks.

The reader walks the gzip members itself (one record per member, as every WARC writer of the project
writes them) so that each record is named by the byte offset of its member in the file, the offset a
capture row stores. Block and payload digests are recomputed as the bytes stream past; the raw bytes go
to a callback too, so the same read also hashes the file for the seals (``evidence verify``). Asked to,
it keeps a record's HTTP headers and the first bytes of its payload (``core.captures`` reads a stored
page back with it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

CHUNK = 1 << 20
"""Bytes read (and decompressed) at a time."""
MAX_HEADER_BYTES = 256 * 1024
"""A WARC or HTTP header block longer than this is damage, not a record."""


class WarcDamage(Exception):
    """The file cannot be read on from here (broken gzip, a header that never ends, truncation)."""

    def __init__(self, offset: int, problem: str) -> None:
        self.offset = offset
        self.problem = problem
        super().__init__(f"{offset}: {problem}")


@dataclass
class WarcRecord:
    offset: int
    """Byte offset in the file of the gzip member (or, uncompressed, of the record) where it starts."""
    type: str
    target_uri: str | None
    record_id: str | None
    payload_sha256: str | None
    """Hex SHA-256 of the HTTP payload (body after the HTTP headers); None for non-HTTP records."""
    payload_length: int | None
    problems: list[str] = field(default_factory=list)
    http_status: str | None = None
    """The HTTP status line (only when the payload was asked for: ``keep_payload``)."""
    http_headers: dict[str, str] = field(default_factory=dict)
    """The HTTP headers, names in lower case, the first of each kept (only with ``keep_payload``)."""
    payload: bytes = b""
    """The first ``keep_payload`` bytes of the HTTP payload, as stored (content coding not removed)."""


class _Stream:
    """The decompressed bytes of a WARC file, read forward, knowing where each gzip member began."""

    def __init__(self, raw: IO[bytes], gzipped: bool, on_raw: Callable[[bytes], None]) -> None:
        self.raw = raw
        self.gzipped = gzipped
        self.on_raw = on_raw
        self.buf = b""
        self.start = 0
        """Decompressed position of buf[0]."""
        self.produced = 0
        """Decompressed bytes produced so far."""
        self.raw_fed = 0
        self.pending = b""
        self.inflater: zlib._Decompress | None = None
        self.members: deque[tuple[int, int]] = deque()
        """(decompressed position, raw offset) of each gzip member begun and not yet passed."""
        self.raw_eof = False

    def _read_raw(self) -> bytes:
        if self.raw_eof:
            return b""
        data = self.raw.read(CHUNK)
        if not data:
            self.raw_eof = True
            return b""
        self.on_raw(data)
        return data

    def _more(self) -> bool:
        """Decompress some more into buf; False at the clean end of the file."""
        if not self.gzipped:
            data = self._read_raw()
            self.buf += data
            self.produced += len(data)
            return bool(data)
        while True:
            if self.inflater is None:
                if not self.pending:
                    self.pending = self._read_raw()
                    if not self.pending:
                        return False
                self.members.append((self.produced, self.raw_fed))
                self.inflater = zlib.decompressobj(31)
            if self.inflater.unconsumed_tail:
                data = self.inflater.unconsumed_tail
            else:
                if not self.pending:
                    self.pending = self._read_raw()
                    if not self.pending:
                        raise WarcDamage(self.members[-1][1], "the file ends inside a gzip member")
                data, self.pending = self.pending, b""
                self.raw_fed += len(data)
            try:
                out = self.inflater.decompress(data, CHUNK)
            except zlib.error as exc:
                raise WarcDamage(self.members[-1][1], f"damaged gzip data ({exc})") from exc
            if self.inflater.eof:
                unused = self.inflater.unused_data
                self.raw_fed -= len(unused)
                self.pending = unused + self.pending
                self.inflater = None
            if out:
                self.buf += out
                self.produced += len(out)
                return True

    def read_until(self, marker: bytes, limit: int) -> bytes | None:
        """Bytes up to and including MARKER; None at the clean end of the file."""
        searched = 0
        while True:
            found = self.buf.find(marker, max(0, searched - len(marker)))
            if found >= 0:
                end = found + len(marker)
                out, self.buf = self.buf[:end], self.buf[end:]
                self.start += end
                return out
            searched = len(self.buf)
            if searched > limit:
                raise WarcDamage(self.offset_of(self.start)[0], "a header block that does not end")
            if not self._more():
                if self.buf.strip(b"\r\n"):
                    raise WarcDamage(self.offset_of(self.start)[0], "the file ends inside a record header")
                self.start += len(self.buf)
                self.buf = b""
                return None

    def read(self, count: int) -> Iterator[bytes]:
        """COUNT bytes, in pieces of at most CHUNK."""
        while count > 0:
            if not self.buf and not self._more():
                raise WarcDamage(self.offset_of(self.start)[0], "the file ends inside a record")
            piece = self.buf[:count]
            self.buf = self.buf[len(piece) :]
            self.start += len(piece)
            count -= len(piece)
            yield piece

    def offset_of(self, position: int) -> tuple[int, bool]:
        """Raw offset of the member holding decompressed POSITION, and whether POSITION starts it."""
        if not self.gzipped:
            return position, True
        while len(self.members) > 1 and self.members[1][0] <= position:
            self.members.popleft()
        if not self.members:
            return self.raw_fed, True
        begins, offset = self.members[0]
        return offset, begins == position


def _headers(block: bytes) -> tuple[str, dict[str, str]]:
    lines = block.decode("utf-8", errors="replace").split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers.setdefault(name.strip().lower(), value.strip())
    return lines[0].strip(), headers


def _digest_problem(
    kind: str, declared: str | None, parsed: tuple[str, bytes] | None, hashers: dict[str, hashlib._Hash]
) -> str | None:
    if declared is None:
        return f"no WARC-{kind}-Digest"
    if parsed is None:
        return f"unreadable WARC-{kind}-Digest {declared[:80]!r}"
    algorithm, expected = parsed
    if hashers[algorithm].digest() != expected:
        return f"{kind.lower()} digest does not match the record's bytes"
    return None


def read_records(
    raw: IO[bytes], *, gzipped: bool, on_raw: Callable[[bytes], None], keep_payload: int = 0
) -> Iterator[WarcRecord]:
    """Every record of the file in order, checked. Raises WarcDamage where the file cannot be read on.

    ``keep_payload``: also keep each HTTP record's headers and the first that many bytes of its payload
    (memory stays bounded by it, whatever the record's size)."""
    stream = _Stream(raw, gzipped, on_raw)
    while True:
        begins = stream.start
        head = stream.read_until(b"\r\n\r\n", MAX_HEADER_BYTES)
        if head is None:
            return
        head = head.lstrip(b"\r\n")
        offset, at_member_start = stream.offset_of(begins)
        version, headers = _headers(head[:-4])
        if not version.startswith("WARC/"):
            raise WarcDamage(offset, f"not a WARC record (starts {version[:40]!r})")
        try:
            length = int(headers.get("content-length", ""))
        except ValueError:
            raise WarcDamage(offset, "a record without a valid Content-Length") from None
        record_type = headers.get("warc-type", "")
        declared_block = headers.get("warc-block-digest")
        declared_payload = headers.get("warc-payload-digest")
        block_digest = parse_digest(declared_block) if declared_block else None
        payload_digest = parse_digest(declared_payload) if declared_payload else None
        algorithms = {"sha256"} | {parsed[0] for parsed in (block_digest, payload_digest) if parsed}
        block = {name: hashlib.new(name) for name in algorithms}
        http = record_type in ("response", "request") and headers.get("content-type", "").startswith(
            "application/http"
        )
        payload = {name: hashlib.new(name) for name in algorithms} if http else {}
        http_head = b""
        in_payload = not http
        payload_length = 0
        kept: list[bytes] = []
        room = keep_payload if http else 0
        for piece in stream.read(length):
            for hasher in block.values():
                hasher.update(piece)
            if not in_payload:
                http_head += piece
                end = http_head.find(b"\r\n\r\n")
                if end < 0:
                    if len(http_head) > MAX_HEADER_BYTES:
                        in_payload = True  # no HTTP header end: all of it counts as header
                    continue
                piece = http_head[end + 4 :]
                in_payload = True
            if payload:
                for hasher in payload.values():
                    hasher.update(piece)
                payload_length += len(piece)
            if room > 0 and piece:
                kept.append(piece[:room])
                room -= len(kept[-1])
        trailer = b"".join(stream.read(4))
        problems = []
        if not at_member_start:
            problems.append("record does not start a gzip member")
        if trailer != b"\r\n\r\n":
            problems.append("record does not end with CRLF CRLF (wrong Content-Length?)")
        problem = _digest_problem("Block", declared_block, block_digest, block)
        if problem:
            problems.append(problem)
        if http and declared_payload is not None:
            problem = _digest_problem("Payload", declared_payload, payload_digest, payload)
            if problem:
                problems.append(problem)
        record = WarcRecord(
            offset=offset,
            type=record_type,
            target_uri=headers.get("warc-target-uri"),
            record_id=headers.get("warc-record-id"),
            payload_sha256=payload["sha256"].hexdigest() if http else None,
            payload_length=payload_length if http else None,
            problems=problems,
        )
        if keep_payload and http:
            end = http_head.find(b"\r\n\r\n")
            record.http_status, record.http_headers = _headers(http_head[: end if end >= 0 else None])
            record.payload = b"".join(kept)
        yield record


# -- WARC digest headers -------------------------------------------------------------------------

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
