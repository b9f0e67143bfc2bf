"""`unmask evidence export --format wacz`: the case's captures as one WACZ 1.1.1 package.

  archive/*.warc.gz             the case's WARC files, byte for byte (stored, not recompressed)
  indexes/index.cdxj            every recorded capture, sorted by SURT key and time
  pages/pages.jsonl             every HTML capture
  evidence/                     the seals (manifests, tokens, chains, timestamp records) and the custody log,
                                one folder level deep (deeper extra files fail `wacz validate`)
  datapackage.json              every file above with its SHA-256 and size
  datapackage-digest.json       the SHA-256 of datapackage.json

A WARC's SHA-256 in the package is the one the seals hold for evidence/warc/NAME.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from unmask import __version__
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.evidence.digests import read_chunks
from unmask.evidence.index import write_cdxj, write_pages
from unmask.evidence.manifest import custody_path, seals_dir

WACZ_VERSION = "1.1.1"


@dataclass
class WaczResult:
    path: Path
    files: int
    bytes: int
    captures: int
    pages: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "wacz": str(self.path),
            "files": self.files,
            "bytes": self.bytes,
            "captures": self.captures,
            "pages": self.pages,
        }


def refuse_inside_case(case: Case, out: Path) -> Path:
    """OUT resolved; an output inside the case folder is refused (nothing may overwrite the case)."""
    target = out.expanduser().resolve()
    if target.is_relative_to(case.root.resolve()):
        raise UnmaskError("the output is inside the case folder; write it somewhere else", where=str(out))
    if target.is_dir():
        raise UnmaskError("is a folder; give a file name ending in .wacz", where=str(out))
    if not target.parent.is_dir():
        raise UnmaskError("its folder does not exist", where=str(out))
    return target


class _Hashing:
    """A writable stream that hashes and counts what passes to the zip entry."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return self.out.write(data)


def _info(name: str) -> zipfile.ZipInfo:
    """A stored (uncompressed) entry: WARCs stay readable by byte range inside the package."""
    info = zipfile.ZipInfo(name, date_time=dt.datetime.now(dt.UTC).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    return info


def _resource_name(path: str, taken: set[str]) -> str:
    name = re.sub(r"[^a-z0-9._/-]", "-", Path(path).name.lower())
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{n}-{name}"
    taken.add(unique)
    return unique


def _entries(case: Case) -> Iterator[tuple[str, Path]]:
    """(path in the package, file) for each copied file."""
    for path in sorted(case.warc_dir.glob("*.warc*")):
        if path.is_file() and path.name.endswith((".warc.gz", ".warc")):
            yield f"archive/{path.name}", path
    folder = seals_dir(case)
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.is_file() and not path.name.endswith(".tmp"):
                yield f"evidence/{path.name}", path
    log = custody_path(case)
    if log.is_file():
        yield f"evidence/{log.name}", log


def export_wacz(case: Case, out: Path, on_bytes: Callable[[int], None] | None = None) -> WaczResult:
    target = refuse_inside_case(case, out)
    tmp = target.with_name(target.name + ".partial")
    resources: list[dict[str, Any]] = []
    taken: set[str] = set()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def add(name: str, writer: Callable[[_Hashing], Any]) -> Any:
        with archive.open(_info(name), "w", force_zip64=True) as entry:
            stream = _Hashing(entry)
            answer = writer(stream)
        resources.append(
            {
                "name": _resource_name(name, taken),
                "path": name,
                "hash": f"sha256:{stream.hash.hexdigest()}",
                "bytes": stream.size,
            }
        )
        return answer

    def copy(path: Path) -> Callable[[_Hashing], None]:
        def write(stream: _Hashing) -> None:
            for chunk in read_chunks(path):
                stream.write(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))

        return write

    try:
        with zipfile.ZipFile(tmp, "w", allowZip64=True) as archive:
            for name, path in _entries(case):
                add(name, copy(path))
            captures = add("indexes/index.cdxj", lambda s: write_cdxj(case, s))
            pages = add("pages/pages.jsonl", lambda s: write_pages(case, s))
            package = {
                "profile": "data-package",
                "resources": resources,
                "wacz_version": WACZ_VERSION,
                "title": case.config.name,
                "description": "Captures of an unmask case, with its seals and custody log (evidence/).",
                "created": now,
                "modified": now,
                "software": f"unmask {__version__}",
            }
            data = json.dumps(package, ensure_ascii=False, indent=2).encode("utf-8")
            archive.writestr(_info("datapackage.json"), data)
            digest = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(data).hexdigest()}"}
            archive.writestr(_info("datapackage-digest.json"), json.dumps(digest, indent=2).encode("utf-8"))
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UnmaskError(f"cannot write ({exc.strerror})", where=str(out)) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return WaczResult(
        path=target,
        files=len(resources) + 2,
        bytes=target.stat().st_size,
        captures=captures,
        pages=pages,
    )
