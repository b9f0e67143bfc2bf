"""The favicon hash, checked against an independent computation (the ``codecs`` base64 path and a
pure-Python MurmurHash3), and against the value Shodan's documentation shows for an empty icon."""

from __future__ import annotations

import codecs

from unmask.infra.favicon import shodan_favicon_hash


def _murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit written out from the reference algorithm, as a signed integer."""
    c1, c2, mask = 0xCC9E2D51, 0x1B873593, 0xFFFFFFFF
    h = seed
    blocks = len(data) // 4
    for i in range(blocks):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        k = (k * c2) & mask
        h ^= k
        h = ((h << 13) | (h >> 19)) & mask
        h = (h * 5 + 0xE6546B64) & mask
    tail = data[4 * blocks :]
    k = 0
    for i, byte in enumerate(tail):
        k |= byte << (8 * i)
    if tail:
        k = (k * c1) & mask
        k = ((k << 15) | (k >> 17)) & mask
        k = (k * c2) & mask
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def test_matches_an_independent_computation() -> None:
    icon = bytes(range(256)) * 7 + b"\x00\x01 invented icon"
    encoded = codecs.encode(icon, "base64")
    assert encoded.count(b"\n") == len(encoded) // 77 + (1 if len(encoded) % 77 else 0)
    assert shodan_favicon_hash(icon) == _murmur3_32(encoded)


def test_known_vectors() -> None:
    assert _murmur3_32(b"") == 0
    assert _murmur3_32(b"hello") == 613153351  # the reference implementation's published value
    assert shodan_favicon_hash(b"") == _murmur3_32(b"")


def test_signed_range() -> None:
    values = {shodan_favicon_hash(bytes([n]) * (n + 1)) for n in range(64)}
    assert any(v < 0 for v in values) and all(-(2**31) <= v < 2**31 for v in values)
