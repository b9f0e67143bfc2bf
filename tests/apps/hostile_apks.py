"""Hostile APKs for the bad-input tests, built from the real fixtures: truncated, HTML, zip bombs,
a dex that claims millions of classes, a manifest with entity expansion."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "apks"
BASE = FIXTURES / "com.politedroid_4.apk"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="&lol9;"/>
"""


def rebuilt(replace: dict[str, bytes], *, base: Path = BASE, drop: tuple[str, ...] = ()) -> bytes:
    """The base APK with entries replaced or added (deflated), others copied as they are."""
    out = io.BytesIO()
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in replace or info.filename in drop:
                continue
            dst.writestr(info, src.read(info.filename))
        for name, data in replace.items():
            dst.writestr(name, data)
    return out.getvalue()


def truncated() -> bytes:
    data = BASE.read_bytes()
    return data[: len(data) // 2]


def html_page() -> bytes:
    return b"<!DOCTYPE html><html><head><title>Download</title></head><body>Get the app!</body></html>"


def zip_bomb(entry: str, size: int) -> bytes:
    """``entry`` is ``size`` zero bytes deflated (a thousandth of that on disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(BASE) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != entry:
                dst.writestr(info, src.read(info.filename))
        info = zipfile.ZipInfo(entry)
        info.compress_type = zipfile.ZIP_DEFLATED
        with dst.open(info, "w", force_zip64=True) as fh:
            block = bytes(1024 * 1024)
            for _ in range(size // len(block)):
                fh.write(block)
    return out.getvalue()


def dex(class_names: list[str], *, claim: int | None = None) -> bytes:
    """A minimal dex: string_ids, type_ids and class_defs for ``class_names`` (slash form). ``claim``
    writes another class count into the header than the file holds."""
    strings = sorted(f"L{name};" for name in class_names)
    header = 0x70
    string_ids_off = header
    type_ids_off = string_ids_off + 4 * len(strings)
    class_defs_off = type_ids_off + 4 * len(strings)
    data_off = class_defs_off + 32 * len(strings)
    blobs = bytearray()
    offsets = []
    for s in strings:
        offsets.append(data_off + len(blobs))
        raw = s.encode("utf-8")
        blobs += _uleb(len(raw)) + raw + b"\x00"
    body = bytearray(header)
    body[0:8] = b"dex\n035\x00"
    struct.pack_into("<4I", body, 0x38, len(strings), string_ids_off, len(strings), type_ids_off)
    struct.pack_into("<2I", body, 0x60, claim if claim is not None else len(strings), class_defs_off)
    body += b"".join(struct.pack("<I", o) for o in offsets)
    body += b"".join(struct.pack("<I", i) for i in range(len(strings)))
    body += b"".join(
        struct.pack("<8I", i, 1, 0xFFFFFFFF, 0, 0xFFFFFFFF, 0, 0, 0) for i in range(len(strings))
    )
    body += blobs
    struct.pack_into("<I", body, 0x20, len(body))
    return bytes(body)


def _uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def with_dex(dex_bytes: bytes, name: str = "classes2.dex") -> bytes:
    return rebuilt({name: dex_bytes})


def nested(inner: bytes, name: str = "assets/plugin.apk") -> bytes:
    return rebuilt({name: inner})
