"""Content codings are removed while the body streams in, never producing more than the bound."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import pytest

from unmask.core.fetch.decoding import ContentDecoder, DecodeError, brotli

HTML = b"<!DOCTYPE html><html><body>" + b"an invented page " * 400 + b"</body></html>"

ENCODERS: list[tuple[str, Callable[[bytes], bytes]]] = [
    ("identity", lambda b: b),
    ("gzip", gzip.compress),
    ("x-gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
]
if brotli is not None:
    ENCODERS.append(("br", brotli.compress))


def decode(coding: str, body: bytes, step: int, limit: int) -> tuple[bytes, ContentDecoder]:
    decoder = ContentDecoder(coding, limit)
    out = b"".join(decoder.feed(body[i : i + step]) for i in range(0, len(body), step))
    return out, decoder


@pytest.mark.parametrize("step", [1, 5, 4096, 1 << 20])
@pytest.mark.parametrize(("coding", "encode"), ENCODERS)
def test_every_coding_decodes_whatever_the_chunks(
    coding: str, encode: Callable[[bytes], bytes], step: int
) -> None:
    out, decoder = decode(coding, encode(HTML), step, 1 << 20)
    assert out == HTML and not decoder.over


@pytest.mark.parametrize(("coding", "encode"), ENCODERS)
def test_output_never_exceeds_the_bound(coding: str, encode: Callable[[bytes], bytes]) -> None:
    out, decoder = decode(coding, encode(HTML), 64, 1000)
    assert out == HTML[:1000] and decoder.over


@pytest.mark.slow
@pytest.mark.parametrize(("coding", "encode"), [e for e in ENCODERS if e[0] != "identity"])
def test_a_bomb_is_cut_at_the_bound(coding: str, encode: Callable[[bytes], bytes]) -> None:
    bomb = encode(bytes(64 * 1024 * 1024))  # 64 MiB of zeros in a few kilobytes
    assert len(bomb) < 200_000
    out, decoder = decode(coding, bomb, 65536, 1 << 20)
    assert len(out) == 1 << 20 and decoder.over


@pytest.mark.parametrize("coding", ["gzip", "deflate"] + (["br"] if brotli is not None else []))
def test_corrupt_data_is_a_decode_error(coding: str) -> None:
    with pytest.raises(DecodeError):
        decode(coding, b"\x1f\x8b\x08\x00 not really compressed at all" * 10, 7, 1 << 20)


def test_an_unknown_coding_is_never_decoded_here() -> None:
    assert ContentDecoder("zstd", 10).coding == "identity"  # the policy refuses it before reading
