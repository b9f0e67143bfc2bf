"""Stored captures read back: the body of a capture row's response record, as the fetch layer handed it
to its caller (content coding removed), bounded.

A capture row names its record by ``warc_file`` (relative to the case's evidence folder, ``warc/…``) and
``warc_offset`` (the gzip member where its response record starts). The record is read with the one WARC
reader of the project (``core.warc``, which ``evidence verify`` uses too), its payload's content coding
removed by the fetch layer's bounded decoder: a page that expands without end costs at most ``limit``.
Stages that read pages they stored (``apps discover``) use this; nothing here makes a request.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO

from unmask.core.fetch.decoding import ContentDecoder, DecodeError
from unmask.core.warc import WarcDamage, read_records

MAX_BODY_BYTES = 8 * 1024 * 1024
"""The most bytes of one stored body read back unless the caller asks for fewer or more."""


def warc_path(evidence_dir: Path, warc_file: str) -> Path | None:
    """The WARC file a capture row names, or None when the name points outside the evidence folder."""
    root = evidence_dir.resolve()
    path = (root / warc_file).resolve()
    return path if root in path.parents else None


def stored_body(
    evidence_dir: Path,
    warc_file: str,
    offset: int,
    limit: int = MAX_BODY_BYTES,
    *,
    length: int | None = None,
) -> bytes | None:
    """The decoded body of the response record at ``offset`` in ``warc_file``, at most ``limit`` bytes;
    None when there is no readable response record there (a damaged file, a refused or missing body is
    an empty one). ``length``: the capture row's ``warc_length`` (only those bytes are read)."""
    path = warc_path(evidence_dir, warc_file)
    if path is None:
        return None
    try:
        with path.open("rb") as fh:
            fh.seek(offset)
            raw: IO[bytes] = io.BytesIO(fh.read(length)) if length else fh
            records = read_records(raw, gzipped=path.name.endswith(".gz"), on_raw=_ignore, keep_payload=limit)
            record = next(records, None)
    except (OSError, WarcDamage):
        return None
    if record is None or record.type != "response":
        return None
    coding = record.http_headers.get("content-encoding", "identity").strip().lower() or "identity"
    decoder = ContentDecoder(coding, limit)
    try:
        return decoder.feed(record.payload)
    except DecodeError:
        return None


def _ignore(_raw: bytes) -> None:
    return None
