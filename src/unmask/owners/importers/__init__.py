"""Ownership importers: one table of formats, each a generator of graph records with file/line provenance.

A format is detected from the file's content (its first records or CSV header), falling back on the
extension; ``--format`` forces one. Every importer yields :class:`~unmask.owners.specs.NodeSpec`,
:class:`~unmask.owners.specs.EdgeSpec`, :class:`~unmask.owners.specs.Mark`,
:class:`~unmask.owners.specs.Retire` and :class:`~unmask.owners.specs.Problem` values, streaming.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask.core.errors import UnmaskError
from unmask.owners.importers import bods, csv_notes, ftm, gleif, opencorporates
from unmask.owners.importers.source import head
from unmask.owners.specs import Record


@dataclass(frozen=True, slots=True)
class Format:
    name: str
    description: str
    records: Callable[[Path], Iterator[Record]]
    json_sniff: Callable[[dict[str, Any]], bool] | None = None
    csv_sniff: Callable[[set[str]], bool] | None = None


FORMATS: tuple[Format, ...] = (
    Format(
        "bods",
        "BODS 0.4 records or 0.2/0.3 statements (JSON array or JSON lines)",
        bods.records,
        json_sniff=lambda r: "recordType" in r or "statementType" in r,
    ),
    Format(
        "gleif",
        "GLEIF level 1, level 2 relationships and reporting exceptions (JSON, golden-copy CSV)",
        gleif.records,
        json_sniff=lambda r: "LEI" in r or "Relationship" in r or "ExceptionCategory" in r or "lei" in r,
        csv_sniff=lambda cols: "LEI" in cols or "Relationship.StartNode.NodeID" in cols,
    ),
    Format(
        "ftm",
        "FollowTheMoney entities as JSON lines (Aleph, OpenSanctions exports)",
        ftm.records,
        json_sniff=lambda r: "schema" in r and ("properties" in r or "id" in r),
    ),
    Format(
        "opencorporates",
        "OpenCorporates API responses saved as JSON",
        opencorporates.records,
        json_sniff=lambda r: isinstance(r.get("results"), dict) or "api_version" in r,
    ),
    Format(
        "csv",
        "notes from registries: CSV owner, asset, percentage, source (+ owner_id, asset_id, kind …)",
        csv_notes.records,
        csv_sniff=lambda cols: {"owner", "asset"} <= {c.lower() for c in cols},
    ),
)
BY_NAME = {f.name: f for f in FORMATS}


class UnknownFormat(UnmaskError):
    pass


def detect(path: Path) -> Format:
    """The format of a file, from its first record or header."""
    try:
        sample = head(path)
    except UnicodeDecodeError:
        raise UnknownFormat("not a UTF-8 text file", where=str(path)) from None
    except OSError as exc:
        raise UnknownFormat(f"cannot read ({exc.strerror})", where=str(path)) from None
    text = sample.lstrip()
    if text.startswith(("[", "{")):
        first = _first_json_object(text)
        if first is not None:
            for fmt in FORMATS:
                if fmt.json_sniff is not None and fmt.json_sniff(first):
                    return fmt
        raise UnknownFormat("JSON of no known ownership format; pass --format", where=str(path))
    header = next(csv.reader(io.StringIO(text.splitlines()[0] if text else "")), [])
    cols = {c.strip() for c in header}
    for fmt in FORMATS:
        if fmt.csv_sniff is not None and fmt.csv_sniff(cols):
            return fmt
    raise UnknownFormat(
        f"cannot tell the format (known: {', '.join(BY_NAME)}); pass --format", where=str(path)
    )


def _first_json_object(text: str) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    pos = 0
    if text.startswith("["):
        pos = 1
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
    try:
        value, _ = decoder.raw_decode(text, pos)
    except ValueError:
        line = text.splitlines()[0]
        try:
            value = json.loads(line)
        except ValueError:
            return None
    if isinstance(value, dict):
        if isinstance(value.get("records"), list) and value["records"]:
            inner = value["records"][0]
            return inner if isinstance(inner, dict) else None
        if isinstance(value.get("data"), list) and value["data"]:
            inner = value["data"][0]
            return inner if isinstance(inner, dict) else None
        return value
    return None


def get_format(name: str | None, path: Path) -> Format:
    if name is None:
        return detect(path)
    try:
        return BY_NAME[name]
    except KeyError:
        raise UnknownFormat(f"unknown format {name!r} (known: {', '.join(BY_NAME)})") from None
