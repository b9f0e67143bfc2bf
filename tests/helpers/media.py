"""Synthetic media payloads for smuggling tests, and a search of a case's evidence for their bytes.

Each payload starts the way its format starts (the container's or the stream's own first bytes) and goes
on with seeded random bytes, as compressed media does; ``needles`` are distinctive pieces of it. No
payload is a real picture or recording.
"""

from __future__ import annotations

import contextlib
import gzip
import random
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

try:
    import brotli
except ImportError:  # pragma: no cover
    brotli = None


def _noise(name: str, size: int) -> bytes:
    return random.Random(name).randbytes(size)


@dataclass(frozen=True)
class Payload:
    name: str
    data: bytes
    ctype: str
    """The format's own media type."""

    @property
    def needles(self) -> list[bytes]:
        """Pieces of the payload that no stored text contains: from its middle and its end (random bytes)."""
        middle = len(self.data) // 2
        return [self.data[middle : middle + 48], self.data[-48:]]


def _box(kind: bytes, body: bytes) -> bytes:
    return (8 + len(body)).to_bytes(4, "big") + kind + body


def _ts(name: str) -> bytes:
    noise = _noise(name, 184 * 40)
    packets = [b"\x47\x40\x00\x10" + bytes(184 - 4) + noise[:4]]  # PAT first, as segments start
    packets += [
        b"\x47\x01\x00" + bytes([0x10 | (i % 16)]) + noise[i * 184 : i * 184 + 184] for i in range(40)
    ]
    return b"".join(packets)


def payloads() -> list[Payload]:
    """One payload per format the census must never store, plus variants (see issue 11)."""
    n = 6000
    out = [
        Payload("mpeg-ts", _ts("mpeg-ts"), "video/mp2t"),
        Payload(
            "quicktime-moov", _box(b"moov", _box(b"mvhd", bytes(100)) + _noise("moov", n)), "video/quicktime"
        ),
        Payload(
            "quicktime-wide-mdat", _box(b"wide", b"") + _box(b"mdat", _noise("mdat", n)), "video/quicktime"
        ),
        Payload(
            "fmp4-styp",
            _box(b"styp", b"msdh\x00\x00\x00\x00msdhmsix") + _box(b"moof", _noise("styp", n)),
            "video/iso.segment",
        ),
        Payload(
            "mp4", _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41") + _noise("mp4", n), "video/mp4"
        ),
        Payload(
            "mpeg-ps",
            b"\x00\x00\x01\xba\x44\x00\x04\x00\x04\x01\x01\x89\xc3\xf8" + _noise("ps", n),
            "video/mpeg",
        ),
        Payload(
            "h264", b"\x00\x00\x00\x01\x67\x42\xc0\x1e\x95\xa0\x50\x7c" + _noise("h264", n), "video/h264"
        ),
        Payload(
            "aac-adts",
            b"".join(b"\xff\xf1\x50\x80\x02\x1f\xfc" + _noise(f"adts{i}", 64) for i in range(90)),
            "audio/aac",
        ),
        Payload("mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00\xff\xfb\x90\x64" + _noise("mp3", n), "audio/mpeg"),
        Payload("mp3-frames", b"\xff\xfb\x90\x64\x00\x0f\xf0\x00" + _noise("mp3f", n), "audio/mpeg"),
        Payload("tiff", b"II*\x00\x08\x00\x00\x00" + _noise("tiff", n), "image/tiff"),
        Payload(
            "jpeg2000",
            b"\x00\x00\x00\x0cjP  \r\n\x87\n" + _box(b"ftyp", b"jp2 ") + _noise("jp2", n),
            "image/jp2",
        ),
        Payload(
            "bmp",
            b"BM" + (54 + n).to_bytes(4, "little") + bytes(4) + (54).to_bytes(4, "little") + _noise("bmp", n),
            "image/bmp",
        ),
        Payload(
            "jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + _noise("jpeg", n), "image/jpeg"
        ),
        Payload("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + _noise("png", n), "image/png"),
        Payload("gif", b"GIF89a\x40\x01\xf0\x00\xf7\x00\x00" + _noise("gif", n), "image/gif"),
        Payload("webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01" + _noise("webm", n), "video/webm"),
        Payload("ogg", b"OggS\x00\x02" + bytes(8) + _noise("ogg", n), "audio/ogg"),
        Payload("flac", b"fLaC\x00\x00\x00\x22" + _noise("flac", n), "audio/flac"),
        Payload(
            "wav",
            b"RIFF" + (36 + n).to_bytes(4, "little") + b"WAVEfmt \x10\x00\x00\x00" + _noise("wav", n),
            "audio/wav",
        ),
        Payload("avif", _box(b"ftyp", b"avif\x00\x00\x00\x00avifmif1miaf") + _noise("avif", n), "image/avif"),
        Payload("heic", _box(b"ftyp", b"heic\x00\x00\x00\x00mif1heic") + _noise("heic", n), "image/heic"),
    ]
    return out


def by_name(name: str) -> Payload:
    return next(p for p in payloads() if p.name == name)


JPEG_200K = Payload(
    "jpeg-200k",
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01" + _noise("jpeg-200k", 200_000),
    "image/jpeg",
)


def mjpeg_part(payload: Payload = by_name("jpeg")) -> bytes:
    return (
        b"--frame\r\nContent-Type: image/jpeg\r\n"
        + f"Content-Length: {len(payload.data)}\r\n\r\n".encode()
        + payload.data
        + b"\r\n"
    )


# -- searching the evidence ----------------------------------------------------------------------


def _decodings(raw: bytes) -> Iterator[bytes]:
    yield raw
    for wbits in (16 + zlib.MAX_WBITS, zlib.MAX_WBITS, -zlib.MAX_WBITS):
        with contextlib.suppress(zlib.error):
            yield zlib.decompressobj(wbits).decompress(raw, 64 << 20)
    if brotli is not None:
        with contextlib.suppress(brotli.error):
            yield brotli.Decompressor().process(raw, output_buffer_limit=64 << 20)


def evidence_bytes(case: Path) -> Iterator[tuple[str, bytes]]:
    """Every WARC file of a case as one decompressed stream, then every record payload decoded every
    way it might have been encoded (gzip, deflate, brotli), twice over (an encoded gzip container)."""
    for path in sorted((case / "evidence" / "warc").glob("*.warc.gz")):
        with gzip.open(path, "rb") as fh:
            yield path.name, fh.read()
        with path.open("rb") as fh:
            for record in ArchiveIterator(fh):
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                raw = record.raw_stream.read()
                for once in _decodings(raw):
                    yield uri, once
                    for twice in _decodings(once):
                        yield uri, twice


def media_in_evidence(case: Path, items: Iterable[Payload]) -> list[tuple[str, str]]:
    """(payload, where) for every needle of ``items`` found in the case's evidence."""
    needles = [(p.name, n) for p in items for n in p.needles]
    found = []
    for where, blob in evidence_bytes(case):
        for name, needle in needles:
            if needle in blob:
                found.append((name, where))
    return found
