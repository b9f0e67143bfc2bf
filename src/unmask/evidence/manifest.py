"""The seal's manifest: every evidence file with its SHA-256 and size, and a digest of the capture rows.

The manifest's exact bytes are what the timestamp authorities sign. Evidence files only grow or stay as
they are, and capture rows are only ever added, so a manifest stays checkable after later runs: a file's
first SIZE bytes must still hash to the sealed SHA-256, and the capture rows up to the sealed highest id
must still hash to the sealed digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.engine import make_url

from unmask import __version__
from unmask.core.case import Case
from unmask.core.store import Store
from unmask.core.store.models import Capture
from unmask.evidence.digests import hash_file

FORMAT = "unmask-evidence-manifest/1"
SEALS = "seals"
"""Folder of the evidence folder that holds manifests, tokens and their records (one level, no deeper)."""
MANIFEST_SUFFIX = ".manifest.json"
TIMESTAMPS_SUFFIX = ".timestamps.json"
CUSTODY_LOG = "custody.jsonl"

CAPTURE_COLUMNS = (
    "id",
    "run_id",
    "purpose",
    "url",
    "method",
    "requested_at",
    "status",
    "content_type",
    "payload_sha256",
    "payload_length",
    "truncated",
    "refused",
    "error",
    "warc_file",
    "warc_offset",
    "warc_length",
    "remote_address",
)
"""The capture columns a manifest digests, one canonical JSON array per row in id order. The list is
written into each manifest, so a column added later does not change what an older seal covers."""

ROWS_PER_FETCH = 5000


def seals_dir(case: Case) -> Path:
    return case.evidence_dir / SEALS


def custody_path(case: Case) -> Path:
    return case.evidence_dir / CUSTODY_LOG


def relative(case: Case, path: Path) -> str:
    """A case file's name as manifests and failures give it: relative to the case folder, with '/'."""
    return path.relative_to(case.root).as_posix()


def evidence_files(case: Case) -> Iterator[Path]:
    """Every regular file under the evidence folder, in a stable order (temporary files left out)."""
    root = case.evidence_dir
    if not root.is_dir():
        return
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if name.endswith((".tmp", ".partial")) or path.is_symlink() or not path.is_file():
                continue
            yield path


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def capture_rows(store: Store, columns: Iterable[str]) -> Iterator[tuple[int, bytes]]:
    """(id, canonical bytes) of every capture row in id order, streamed."""
    table = Capture.__table__
    wanted = list(columns)
    unknown = [name for name in wanted if name not in table.c]
    if unknown:
        raise KeyError(", ".join(unknown))
    query = select(*[table.c[name] for name in wanted]).order_by(table.c.id)
    id_at = wanted.index("id")
    with store.engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=ROWS_PER_FETCH).execute(query)
        for row in result:
            line = json.dumps([_value(v) for v in row], ensure_ascii=False, separators=(",", ":"))
            yield row[id_at], line.encode("utf-8") + b"\n"


@dataclass
class RowsDigest:
    count: int
    max_id: int
    sha256: str


def rows_digests(store: Store, columns: Iterable[str], upto: Iterable[int]) -> dict[int, RowsDigest]:
    """The digest of the capture rows with id ≤ N for each N in UPTO, and for all rows (key -1)."""
    marks = sorted(set(upto))
    out: dict[int, RowsDigest] = {}
    hasher = hashlib.sha256()
    count = max_id = 0
    for row_id, line in capture_rows(store, columns):
        while marks and row_id > marks[0]:
            out[marks.pop(0)] = RowsDigest(count, max_id, hasher.hexdigest())
        hasher.update(line)
        count += 1
        max_id = row_id
    for mark in marks:
        out[mark] = RowsDigest(count, max_id, hasher.hexdigest())
    out[-1] = RowsDigest(count, max_id, hasher.hexdigest())
    return out


def case_description(case: Case) -> dict[str, Any]:
    """What identifies the case and how its evidence was gathered; never a secret (no keys, passwords,
    cookies, headers or credentials in URLs)."""
    config = case.config
    url = make_url(case.database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        database: dict[str, Any] = {"kind": "sqlite", "file": Path(url.database or "").name}
    else:
        database = {"kind": backend, "host": url.host, "port": url.port, "database": url.database}
    return {
        "name": config.name,
        "folder": case.root.name,
        "database": database,
        "fetch": {
            "user_agent": config.fetch.user_agent,
            "delay": config.fetch.delay,
            "concurrency": config.fetch.concurrency,
            "obey_robots": config.fetch.obey_robots,
            "verify_tls": config.fetch.verify_tls,
            "max_response_bytes": config.fetch.max_response_bytes,
            "proxy": make_proxy_url(config.fetch.proxy) if config.fetch.proxy else None,
        },
        "privacy": {"pseudonymize": config.privacy.pseudonymize},
    }


def make_proxy_url(proxy: str) -> str:
    """A proxy URL without its credentials (scheme://host:port)."""
    parts = urlsplit(proxy)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"


def build_manifest(
    case: Case, *, sealed_by: str, on_bytes: Callable[[int], None] | None = None
) -> tuple[bytes, dict[str, Any]]:
    """The manifest's exact bytes and its content."""
    files = []
    for path in evidence_files(case):
        hasher = hash_file(path, on_bytes=on_bytes)
        files.append({"path": relative(case, path), "sha256": hasher.hexdigest(), "bytes": hasher.position})
    rows = rows_digests(case.store, CAPTURE_COLUMNS, ())[-1]
    content = {
        "format": FORMAT,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "sealed_by": sealed_by,
        "unmask_version": __version__,
        "case": case_description(case),
        "files": files,
        "captures": {
            "columns": list(CAPTURE_COLUMNS),
            "count": rows.count,
            "max_id": rows.max_id,
            "sha256": rows.sha256,
        },
    }
    data = (json.dumps(content, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return data, content
