"""Reading import files as streams of records with their line numbers.

JSON arrays, JSON lines and CSV are read piece by piece: a 1 GB file is never loaded whole. A record
that cannot be parsed is a :class:`Malformed` item in the stream (with its line), so the importer can
report it and, with ``--keep-going``, go on with the next record.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 20
_WRAPPED = re.compile(
    r'^\s*\{\s*(?:"[^"]*"\s*:\s*(?:"[^"]*"|[0-9.]+|null|true|false)\s*,\s*)*"(?:records|data)"\s*:\s*\['
)
MAX_RECORD = 64 << 20


@dataclass(slots=True)
class Malformed:
    line: int
    message: str


@dataclass(slots=True)
class Item:
    """One parsed record and the line it starts on (1-based)."""

    line: int
    value: Any


def open_text(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def head(path: Path, size: int = 65536) -> str:
    with open_text(path) as fh:
        return fh.read(size)


def json_records(path: Path) -> Iterator[Item | Malformed]:
    """Records of a JSON array (top level, or under ``records``/``data``), or of JSON lines."""
    start = head(path, 4096).lstrip()
    wrapped = _WRAPPED.search(head(path)) if start.startswith("{") else None
    if start.startswith("["):
        yield from _array_records(path)
    elif wrapped is not None:  # {"records": [ … ]} as GLEIF's golden-copy JSON: streamed too
        yield from _array_records(path, wrapped.end() - 1)
    elif start.startswith("{") and _is_single_document(path):
        with open_text(path) as fh:
            doc = json.load(fh)
        inner = next((doc[k] for k in ("records", "data") if isinstance(doc.get(k), list)), None)
        for index, value in enumerate(inner if inner is not None else [doc]):
            yield Item(1 if inner is None else index + 1, value)
    else:
        yield from json_lines(path)


def _is_single_document(path: Path) -> bool:
    """A file holding one JSON object (an API response) rather than JSON lines."""
    with open_text(path) as fh:
        first = fh.readline()
        try:
            json.loads(first)
        except ValueError:
            return True
        rest = fh.read(4096).strip()
    return not rest


def json_lines(path: Path) -> Iterator[Item | Malformed]:
    with open_text(path) as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield Item(number, json.loads(line))
            except ValueError as exc:
                yield Malformed(number, f"malformed JSON line ({exc.args[0].split(':')[0]})")


def _array_records(path: Path, start: int = 0) -> Iterator[Item | Malformed]:
    decoder = json.JSONDecoder()
    with open_text(path) as fh:
        buf = fh.read(max(CHUNK, start + 1))
        pos = buf.index("[", start) + 1
        line = 1 + buf.count("\n", 0, pos)
        eof = False
        while True:
            # skip whitespace and the separator
            while True:
                while pos < len(buf) and buf[pos] in " \t\r\n,":
                    if buf[pos] == "\n":
                        line += 1
                    pos += 1
                if pos < len(buf) or eof:
                    break
                buf, pos = buf[pos:] + fh.read(CHUNK), 0
                eof = pos >= len(buf)
            if pos >= len(buf):
                yield Malformed(line, "the JSON array is not closed")
                return
            if buf[pos] == "]":
                return
            try:
                value, end = decoder.raw_decode(buf, pos)
            except ValueError as exc:
                if not eof and len(buf) - pos < MAX_RECORD:
                    more = fh.read(CHUNK)
                    if more:
                        buf = buf[pos:] + more
                        pos = 0
                        continue
                    eof = True
                    continue
                yield Malformed(line, f"malformed JSON ({exc.args[0].split(':')[0]})")
                return
            yield Item(line, value)
            line += buf.count("\n", pos, end)
            pos = end
            if pos > CHUNK:
                buf, pos = buf[pos:], 0


def csv_rows(path: Path) -> Iterator[Item | Malformed]:
    """Rows of a CSV file with a header, as dicts; the line is the row's first line."""
    with open_text(path) as fh:
        reader = csv.DictReader(fh)
        try:
            for row in reader:
                if None in row:
                    yield Malformed(reader.line_num, "more fields than the header has")
                    continue
                yield Item(reader.line_num, row)
        except csv.Error as exc:
            yield Malformed(reader.line_num, f"malformed CSV ({exc})")


def plain(value: Any) -> Any:
    """GLEIF golden-copy JSON wraps values as {"$": value}; unwrap them."""
    if isinstance(value, dict):
        if set(value) == {"$"}:
            return value["$"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
