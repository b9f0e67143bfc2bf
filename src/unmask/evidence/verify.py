"""`unmask evidence verify`: check everything a seal and the store claim, reading each file once.

- every WARC record's block and payload digests;
- each capture row against its WARC record (a response record starts at its offset, for its URL, with its
  payload SHA-256 and length, and its length ends at a record boundary);
- every manifest: each sealed file's first SIZE bytes still hash to the sealed SHA-256, the capture rows up
  to the sealed id still hash to the sealed digest;
- every timestamp token: over its manifest's exact bytes, with the nonce asked, signed by a TSA whose chain
  leads to `evidence.tsa_roots` at the token's genTime;
- the custody log's hash chain.

Each failure names a file of the case (and a byte offset where one applies). Memory stays constant: files
are streamed, capture rows come from the store ordered by file and offset.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from unmask.core.case import Case
from unmask.core.store.models import Capture
from unmask.core.warc import WarcDamage, read_records
from unmask.evidence import custody
from unmask.evidence.digests import CHUNK, PrefixHasher, read_chunks
from unmask.evidence.manifest import (
    MANIFEST_SUFFIX,
    ROWS_PER_FETCH,
    TIMESTAMPS_SUFFIX,
    custody_path,
    evidence_files,
    relative,
    rows_digests,
    seals_dir,
)
from unmask.evidence.tsa import check_token, load_roots

Progress = Callable[[int, int], None]


@dataclass
class Failure:
    file: str
    offset: int | None
    problem: str

    def __str__(self) -> str:
        where = self.file if self.offset is None else f"{self.file}:{self.offset}"
        return f"{where}: {self.problem}"


@dataclass
class VerifyResult:
    failures: list[Failure] = field(default_factory=list)
    checked: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            (
                "files",
                "bytes",
                "warc_files",
                "warc_records",
                "captures",
                "manifests",
                "timestamps",
                "failed_timestamps",
                "custody_entries",
                "unsealed_files",
            ),
            0,
        )
    )

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, file: str, offset: int | None, problem: str) -> None:
        self.failures.append(Failure(file, offset, problem))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "failures": [{"file": f.file, "offset": f.offset, "problem": f.problem} for f in self.failures],
            "checked": self.checked,
        }


@dataclass
class Sealed:
    """What one manifest claims about one file."""

    manifest: str
    size: int
    sha256: str


@dataclass
class CaptureRef:
    id: int
    url: str
    offset: int
    length: int | None
    payload_sha256: str | None
    payload_length: int | None


def is_warc(name: str) -> bool:
    return name.endswith((".warc.gz", ".warc"))


class _Verifier:
    def __init__(self, case: Case, progress: Progress | None) -> None:
        self.case = case
        self.progress = progress
        self.result = VerifyResult()
        self.sealed_files: dict[str, list[Sealed]] = {}
        self.sealed_rows: list[tuple[str, dict[str, Any]]] = []
        self.done_bytes = 0
        self.total_bytes = 0

    # -- manifests and tokens ---------------------------------------------------------------------

    def read_manifests(self) -> None:
        folder = seals_dir(self.case)
        if not folder.is_dir():
            return
        for path in sorted(folder.glob(f"*{MANIFEST_SUFFIX}")):
            name = relative(self.case, path)
            try:
                content = json.loads(path.read_bytes())
                files = content["files"]
                rows = content["captures"]
                for item in files:
                    sealed = Sealed(name, int(item["bytes"]), str(item["sha256"]))
                    self.sealed_files.setdefault(str(item["path"]), []).append(sealed)
                self.sealed_rows.append((name, rows))
            except (ValueError, KeyError, TypeError):
                self.result.fail(name, None, "not a readable manifest (JSON with files and captures)")
                continue
            self.result.checked["manifests"] += 1

    def check_tokens(self) -> None:
        folder = seals_dir(self.case)
        if not folder.is_dir():
            return
        roots = load_roots([self.case.root / p for p in self.case.config.evidence.tsa_roots])
        for path in sorted(folder.glob(f"*{TIMESTAMPS_SUFFIX}")):
            name = relative(self.case, path)
            try:
                record = json.loads(path.read_bytes())
                manifest_path = folder / Path(str(record["manifest"])).name
                stamps = list(record["timestamps"])
            except (ValueError, KeyError, TypeError):
                self.result.fail(name, None, "not a readable timestamp record")
                continue
            try:
                manifest = manifest_path.read_bytes()
            except OSError:
                self.result.fail(relative(self.case, manifest_path), None, f"missing (timestamped in {name})")
                continue
            for stamp in stamps:
                if not stamp.get("ok"):
                    self.result.checked["failed_timestamps"] += 1
                    continue
                token = self.case.root / str(stamp.get("token"))
                token_name = str(stamp.get("token"))
                try:
                    reply = token.read_bytes()
                except OSError:
                    self.result.fail(token_name, None, f"missing (listed in {name})")
                    continue
                nonce = stamp.get("nonce")
                problem = check_token(reply, manifest, int(nonce) if nonce is not None else None, roots)
                if problem:
                    self.result.fail(
                        token_name, None, f"{problem} ({manifest_path.name}, {stamp.get('tsa')})"
                    )
                self.result.checked["timestamps"] += 1

    # -- files ---------------------------------------------------------------------------------------

    def _advance(self, count: int) -> None:
        self.done_bytes += count
        if self.progress is not None:
            self.progress(self.done_bytes, self.total_bytes)

    def _compare(self, name: str, hasher: PrefixHasher) -> None:
        for sealed in self.sealed_files.get(name, []):
            if hasher.position < sealed.size:
                self.result.fail(
                    name,
                    None,
                    f"shorter than sealed in {sealed.manifest} ({hasher.position} < {sealed.size} bytes)",
                )
            elif hasher.prefixes.get(sealed.size) != sealed.sha256:
                self.result.fail(
                    name, None, f"changed since {sealed.manifest} (SHA-256 of its sealed bytes differs)"
                )
        if name not in self.sealed_files:
            self.result.checked["unsealed_files"] += 1

    def _hasher(self, name: str) -> PrefixHasher:
        return PrefixHasher(s.size for s in self.sealed_files.get(name, []))

    def _update(self, hasher: PrefixHasher) -> Callable[[bytes], None]:
        def feed(data: bytes) -> None:
            hasher.update(data)
            self._advance(len(data))

        return feed

    def check_plain(self, path: Path) -> None:
        name = relative(self.case, path)
        hasher = self._hasher(name)
        feed = self._update(hasher)
        for chunk in read_chunks(path):
            feed(chunk)
        self._count(hasher)
        self._compare(name, hasher)

    def _count(self, hasher: PrefixHasher) -> None:
        self.result.checked["files"] += 1
        self.result.checked["bytes"] += hasher.position

    def check_warc(self, path: Path, captures: Iterator[CaptureRef]) -> None:
        """One read of a WARC: file hash, every record's digests, and its capture rows (by offset)."""
        name = relative(self.case, path)
        hasher = self._hasher(name)
        feed = self._update(hasher)
        fail = self.result.fail
        head = next(captures, None)
        ends: list[tuple[int, int]] = []  # (end offset, capture id) waiting for a record to start there
        with path.open("rb") as fh:
            try:
                for record in read_records(fh, gzipped=path.name.endswith(".gz"), on_raw=feed):
                    self.result.checked["warc_records"] += 1
                    for problem in record.problems:
                        fail(name, record.offset, f"{record.type or 'record'}: {problem}")
                    while ends and ends[0][0] <= record.offset:
                        end, capture_id = heapq.heappop(ends)
                        if end < record.offset:
                            fail(
                                name,
                                end,
                                f"capture {capture_id}: its length does not end at a record boundary",
                            )
                    while head is not None and head.offset < record.offset:
                        fail(name, head.offset, f"capture {head.id} ({head.url}): no record starts here")
                        head = next(captures, None)
                    while head is not None and head.offset == record.offset:
                        self._match(name, head, record)
                        if head.length is not None:
                            heapq.heappush(ends, (head.offset + head.length, head.id))
                        head = next(captures, None)
            except WarcDamage as damage:
                fail(name, damage.offset, damage.problem)
                while chunk := fh.read(CHUNK):
                    feed(chunk)
                left = (0 if head is None else 1) + sum(1 for _ in captures)
                if left:
                    fail(name, damage.offset, f"{left} capture rows after this point could not be checked")
                head, ends = None, []
        for end, capture_id in ends:
            if end != hasher.position:
                fail(name, end, f"capture {capture_id}: its length does not end at a record boundary")
        while head is not None:
            fail(name, head.offset, f"capture {head.id} ({head.url}): beyond the last record of the file")
            head = next(captures, None)
        self.result.checked["warc_files"] += 1
        self._count(hasher)
        self._compare(name, hasher)

    def _match(self, name: str, capture: CaptureRef, record: Any) -> None:
        self.result.checked["captures"] += 1
        label = f"capture {capture.id} ({capture.url})"
        if record.type != "response":
            self.result.fail(
                name, capture.offset, f"{label}: the record here is a {record.type}, not a response"
            )
            return
        if record.target_uri != capture.url:
            self.result.fail(name, capture.offset, f"{label}: the record here is for {record.target_uri}")
        if record.payload_sha256 != capture.payload_sha256:
            self.result.fail(
                name, capture.offset, f"{label}: payload SHA-256 in the store differs from the record's"
            )
        if capture.payload_length is not None and record.payload_length != capture.payload_length:
            self.result.fail(
                name,
                capture.offset,
                f"{label}: payload length in the store ({capture.payload_length}) differs from the record's "
                f"({record.payload_length})",
            )

    def capture_groups(self) -> Iterator[tuple[str, Iterator[CaptureRef]]]:
        """Capture rows with a WARC record, grouped by file (in the store's order), ordered by offset."""
        c = Capture.__table__.c
        query = (
            select(c.warc_file, c.id, c.url, c.warc_offset, c.warc_length, c.payload_sha256, c.payload_length)
            .where(c.warc_file.is_not(None))
            .order_by(c.warc_file, c.warc_offset)
        )
        with self.case.store.engine.connect() as conn:
            rows = conn.execution_options(stream_results=True, yield_per=ROWS_PER_FETCH).execute(query)
            for warc_file, group in itertools.groupby(rows, key=lambda r: r[0]):
                yield (
                    str(warc_file),
                    (CaptureRef(r[1], r[2], int(r[3] or 0), r[4], r[5], r[6]) for r in group),
                )

    def check_files(self) -> None:
        present = {relative(self.case, p): p for p in evidence_files(self.case)}
        self.total_bytes = sum(p.stat().st_size for p in present.values())
        evidence = self.case.evidence_dir
        done: set[str] = set()
        for warc_file, captures in self.capture_groups():
            path = (evidence / warc_file).resolve()
            name = relative(self.case, evidence / warc_file)
            if not path.is_relative_to(evidence.resolve()):
                self.result.fail(name, None, "capture rows point outside the evidence folder")
                continue
            if name not in present:
                count = sum(1 for _ in captures)
                self.result.fail(name, None, f"missing; {count} capture rows point into it")
                done.add(name)
                continue
            self.check_warc(present[name], captures)
            done.add(name)
        for name, path in sorted(present.items()):
            if name in done:
                continue
            if path.parent == self.case.warc_dir and is_warc(path.name):
                self.check_warc(path, iter(()))
            else:
                self.check_plain(path)
        for name, sealed in sorted(self.sealed_files.items()):
            if name not in present and name not in done:
                self.result.fail(name, None, f"missing (sealed in {sealed[0].manifest})")

    # -- capture rows and custody log ------------------------------------------------------------

    def check_rows(self) -> None:
        by_columns: dict[tuple[str, ...], list[tuple[str, dict[str, Any]]]] = {}
        for name, rows in self.sealed_rows:
            by_columns.setdefault(tuple(rows.get("columns", ())), []).append((name, rows))
        for columns, sealed in by_columns.items():
            try:
                digests = rows_digests(self.case.store, columns, [int(rows["max_id"]) for _, rows in sealed])
            except (KeyError, ValueError, TypeError) as exc:
                for name, _ in sealed:
                    self.result.fail(name, None, f"seals capture columns the store does not have ({exc})")
                continue
            for name, rows in sealed:
                now = digests[int(rows["max_id"])]
                if now.count != rows.get("count") or now.sha256 != rows.get("sha256"):
                    self.result.fail(
                        name,
                        None,
                        f"capture rows up to id {rows['max_id']} differ from the seal "
                        f"({now.count} rows now, {rows.get('count')} sealed)",
                    )

    def check_custody(self) -> None:
        path = custody_path(self.case)
        name = relative(self.case, path)
        for offset, problem in custody.chain_problems(path):
            self.result.fail(name, offset, problem)
        self.result.checked["custody_entries"] = sum(1 for _ in custody.read_log(path))


def verify(case: Case, progress: Progress | None = None) -> VerifyResult:
    """Check the case's evidence; failures are the answer, not errors (bad settings still raise)."""
    verifier = _Verifier(case, progress)
    verifier.read_manifests()
    verifier.check_tokens()
    verifier.check_files()
    verifier.check_rows()
    verifier.check_custody()
    return verifier.result
