"""The WARC reader: SHA-256 digests everywhere, every record's digests checked, damage named by offset."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from tests.evidence.conftest import captures, record_pages, rewrite_member, warc_files, warcio_check
from unmask.core.case import Case
from unmask.core.warc import WarcDamage, read_records
from unmask.evidence.digests import PrefixHasher, hash_file


def _records(path: Path) -> list:
    with path.open("rb") as fh:
        return list(read_records(fh, gzipped=True, on_raw=lambda _: None))


def test_the_recorder_writes_sha256_block_and_payload_digests_that_warcio_accepts(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 3)
    [path] = warc_files(sqlite_case)
    warcio_check([path])
    import gzip

    text = gzip.decompress(path.read_bytes()).decode()
    assert text.count("WARC-Block-Digest: sha256:") == 7  # warcinfo + 3 responses + 3 requests
    assert text.count("WARC-Payload-Digest: sha256:") == 6
    assert "sha1:" not in text


def test_each_capture_row_points_at_its_response_record_with_its_payload_hash(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 4)
    [path] = warc_files(sqlite_case)
    by_offset = {r.offset: r for r in _records(path)}
    for capture in captures(sqlite_case):
        record = by_offset[capture.warc_offset]
        assert (record.type, record.target_uri) == ("response", capture.url)
        assert (record.payload_sha256, record.payload_length) == (
            capture.payload_sha256,
            capture.payload_length,
        )
        assert capture.warc_offset + capture.warc_length in {*by_offset, path.stat().st_size}
        assert not record.problems


def test_a_payload_byte_changed_under_valid_gzip_is_found_at_its_record(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 3)
    [path] = warc_files(sqlite_case)
    second = captures(sqlite_case)[1]
    rewrite_member(path, second.warc_offset, b"Catalogue page 1", b"Catalogue page 7")
    bad = [r for r in _records(path) if r.problems]
    assert [r.offset for r in bad] == [second.warc_offset]
    assert bad[0].problems == [
        "block digest does not match the record's bytes",
        "payload digest does not match the record's bytes",
    ]


def test_broken_gzip_is_damage_at_the_member_offset(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 3)
    [path] = warc_files(sqlite_case)
    third = captures(sqlite_case)[2]
    data = bytearray(path.read_bytes())
    data[third.warc_offset + 30] ^= 0xFF  # inside the deflate stream: not valid gzip any more
    path.write_bytes(bytes(data))
    with pytest.raises(WarcDamage) as caught:
        _records(path)
    assert caught.value.offset == third.warc_offset


def test_a_file_cut_short_is_damage(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 2)
    [path] = warc_files(sqlite_case)
    path.write_bytes(path.read_bytes()[:-20])
    with pytest.raises(WarcDamage, match="ends inside"):
        _records(path)


def test_prefix_digests_come_from_one_read(tmp_path: Path) -> None:
    import hashlib

    data = bytes(range(256)) * 5000
    path = tmp_path / "f"
    path.write_bytes(data)
    hasher = hash_file(path, prefixes=[0, 10, 300_000, len(data)])
    assert hasher.hexdigest() == hashlib.sha256(data).hexdigest()
    for size in (0, 10, 300_000, len(data)):
        assert hasher.prefixes[size] == hashlib.sha256(data[:size]).hexdigest()
    assert PrefixHasher([5]).prefixes == {}


@pytest.mark.slow
def test_reading_a_large_record_takes_constant_memory(sqlite_case: Case) -> None:
    record_pages(sqlite_case, 2, size=24_000_000)  # two 24 MB pages
    [path] = warc_files(sqlite_case)
    tracemalloc.start()
    try:
        records = _records(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.type for r in records] == ["warcinfo", "response", "request", "response", "request"]
    assert peak < 12 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while reading 48 MB of records"


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha512"])
def test_warc_digests_are_read_in_base32_hex_and_base64(algorithm: str) -> None:
    import base64
    import hashlib

    from unmask.core.warc import parse_digest

    raw = hashlib.new(algorithm, b"payload").digest()
    for encoded in (base64.b32encode(raw).decode(), raw.hex(), base64.b64encode(raw).decode()):
        assert parse_digest(f"{algorithm}:{encoded}") == (algorithm, raw)
    assert parse_digest(f"{algorithm}:{'0189' * 13}") is None  # not base32, not of the size
    assert parse_digest("md5:abc") is None and parse_digest("no digest") is None
