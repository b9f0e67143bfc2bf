"""Reading an export as rows of cells: its encoding, its delimiter, bad bytes named by line."""

from __future__ import annotations

import codecs
import csv
import io
import re

from unmask.analysis.audience.values import (
    AudienceError,
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def decode(data: bytes, where: str) -> str:
    """Text of a file in UTF-8 (BOM or not), UTF-16 (with BOM) or Latin-1/cp1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    elif data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[len(codecs.BOM_UTF8) :]
    else:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise AudienceError(
                "not a text file (NUL bytes; UTF-16 without a byte-order mark, or binary): "
                "save it as CSV in UTF-8, UTF-16 with BOM, or Latin-1",
                where=f"{where}:{line}",
            )
        encoding, body = "utf-8", data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16" or data.startswith(codecs.BOM_UTF8):
            line = body[: exc.start].count(b"\n") + 1
            raise AudienceError(
                f"not valid {encoding.upper()} ({exc.reason})", where=f"{where}:{line}"
            ) from exc
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            text = body.decode("latin-1")
    if bad := _CONTROL.search(text):
        raise AudienceError(
            "not a text file (control characters): wrong encoding or not a CSV export",
            where=f"{where}:{text.count(chr(10), 0, bad.start()) + 1}",
        )
    return text


def _delimiter(text: str) -> str:
    """The one of tab, ; and , that splits the first lines into the same number (≥ 2) of columns."""
    sample = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_width = ",", 0
    for candidate in ("\t", ";", ","):
        rows = list(csv.reader(sample, delimiter=candidate))
        width = len(rows[0]) if rows else 0
        agree = sum(1 for row in rows if len(row) == width)
        if width >= 2 and agree >= 0.8 * len(rows) and width > best_width:
            best, best_width = candidate, width
    return best


def read_rows(text: str, where: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, [cell.strip() for cell in row]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise AudienceError(f"not a readable CSV ({exc})", where=f"{where}:{start}") from exc
    return rows
