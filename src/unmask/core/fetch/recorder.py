"""Evidence recorder: every exchange goes to a WARC file and a capture row, in that order.

A capture row is committed only after its WARC record is written and flushed, so every row points at a
complete record. Each process writes its own WARC files (name with time and pid), so a process killed
mid-write leaves at worst a partial last record in its own file, never a corrupt earlier one.

:meth:`EvidenceRecorder.record_async` (what the Transport awaits) does the work in a writer thread, off
the event loop: the exchanges waiting there are written together (their WARC records, one flush, then
their capture rows in one transaction), and each caller gets its capture id once its row is committed.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import datetime as dt
import hashlib
import io
import os
import queue
import threading
from collections import Counter
from pathlib import Path
from typing import IO, Any

from sqlalchemy import insert, select
from warcio.recordbuilder import RecordBuilder
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from unmask import __version__
from unmask.core.fetch.exchange import Exchange
from unmask.core.fetch.policy import refusal_code
from unmask.core.store import Store
from unmask.core.store.models import Capture


class Sha256WARCWriter(WARCWriter):
    """warcio writes SHA-1 digests by default; evidence uses SHA-256."""

    @staticmethod
    def _create_digester() -> Any:
        from warcio.utils import Digester

        return Digester("sha256")


def _warc_date(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _hex_digest(warc_digest: str | None, payload: bytes) -> str:
    """The payload's SHA-256 in hex: read from the record's ``sha256:BASE32`` digest when it has one."""
    if warc_digest and warc_digest.startswith("sha256:"):
        return base64.b32decode(warc_digest[7:]).hex()
    return hashlib.sha256(payload).hexdigest()


MAX_GROUP = 256
"""Exchanges the writer thread writes together at most (one flush, one transaction)."""
QUEUE_BOUND = 4096
"""Exchanges waiting for the writer thread at most (callers await their own, so this is rarely met)."""

_Job = tuple[Exchange, "concurrent.futures.Future[int]"]
_INSERT_CAPTURES = insert(Capture).returning(Capture.id, sort_by_parameter_order=True)
"""Capture rows, their ids in the order of the rows (SQLite and PostgreSQL both return them)."""


class EvidenceRecorder:
    """Writes exchanges to rotating gzip WARC files and capture rows in the case store."""

    def __init__(
        self,
        warc_dir: Path,
        store: Store,
        *,
        purpose: str = "census",
        run_id: int | None = None,
        rotate_bytes: int = 1024 * 1024 * 1024,
        writer_name: str | None = None,
    ) -> None:
        self.warc_dir = warc_dir
        self.writer_name = writer_name
        """Names this writer's WARC files (a census worker's name); the process id when None."""
        self.store = store
        self.purpose = purpose
        self.run_id = run_id
        self.rotate_bytes = rotate_bytes
        self._lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._writer: Sha256WARCWriter | None = None
        self._path: Path | None = None
        self._serial = 0
        self.records = 0
        self._queue: queue.Queue[_Job | None] = queue.Queue(QUEUE_BOUND)
        self._thread: threading.Thread | None = None

    # -- WARC files -------------------------------------------------------------------------------

    def _open(self) -> None:
        self.warc_dir.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S")
        writer = self.writer_name or str(os.getpid())
        self._path = self.warc_dir / f"unmask-{stamp}-{writer}-{self._serial:05d}.warc.gz"
        self._file = open(self._path, "ab")  # noqa: SIM115 - kept open across records
        self._writer = Sha256WARCWriter(self._file, gzip=True, warc_version="WARC/1.1")
        info = {
            "software": f"unmask/{__version__} (warcio)",
            "format": "WARC File Format 1.1",
            "isPartOf": self.purpose,
        }
        self._writer.write_record(self._writer.create_warcinfo_record(self._path.name, info))
        self._file.flush()

    def _ensure_file(self) -> tuple[Sha256WARCWriter, IO[bytes], Path]:
        if self._file is None or (self._file.tell() >= self.rotate_bytes):
            self._close_file()
            self._open()
        assert self._writer is not None and self._file is not None and self._path is not None
        return self._writer, self._file, self._path

    def close(self) -> None:
        """Stop the writer thread (after what it holds is written) and close the WARC file."""
        thread = self._thread
        if thread is not None:
            self._queue.put(None)
            thread.join()
            self._thread = None
        with self._lock:
            self._close_file()

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
        self._file = None
        self._writer = None

    # -- recording --------------------------------------------------------------------------------

    def _write_warc(self, ex: Exchange) -> tuple[str, int, int, str]:
        writer, fh, path = self._ensure_file()
        builder: RecordBuilder = writer
        when = _warc_date(ex.requested_at)
        target = ex.request.url
        split = target.split("/", 3)
        req_path = "/" + (split[3] if len(split) > 3 else "")
        req_headers = StatusAndHeaders(
            f"{ex.request.method} {req_path} {ex.http_version}", ex.request_headers, is_http_request=True
        )
        address = {"WARC-IP-Address": ex.remote_address} if ex.remote_address else {}
        request = builder.create_warc_record(
            target,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=req_headers,
            warc_headers_dict=dict(address),
        )
        request.rec_headers.replace_header("WARC-Date", when)
        offset = fh.tell()
        extra = dict(address)
        if ex.truncated:
            extra["WARC-Truncated"] = ex.truncated
        if ex.refused:
            extra["WARC-Truncated"] = "unspecified"
            extra["WARC-Unmask-Refused"] = ex.refused
        status_line = f"{ex.status} {ex.reason}".strip()
        resp_headers = StatusAndHeaders(status_line, ex.response_headers, protocol=ex.http_version)
        response = builder.create_warc_record(
            target,
            "response",
            payload=io.BytesIO(ex.raw_body),
            length=len(ex.raw_body),
            http_headers=resp_headers,
            warc_headers_dict=extra,
        )
        response.rec_headers.replace_header("WARC-Date", when)
        writer.write_request_response_pair(request, response)
        digest = _hex_digest(response.rec_headers.get_header("WARC-Payload-Digest"), ex.raw_body)
        return f"warc/{path.name}", offset, fh.tell() - offset, digest

    def record(self, ex: Exchange) -> int:
        """Archive the exchange and return its capture id."""
        with self._lock:
            row = self._write(ex)
            self._flush()
            (capture_id,) = self._insert([row])
            self.records += 1
            return capture_id

    def _insert(self, rows: list[dict[str, Any]]) -> list[int]:
        """Capture rows in one transaction (one statement, not the ORM's unit of work); their ids in order."""
        with self.store.session() as session:
            found = session.connection().execute(_INSERT_CAPTURES, rows)
            return [int(capture_id) for capture_id in found.scalars()]

    async def record_async(self, ex: Exchange) -> int:
        """Archive the exchange in the writer thread (off the event loop); its capture id."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="warc-writer", daemon=True)
            self._thread.start()
        done: concurrent.futures.Future[int] = concurrent.futures.Future()
        self._queue.put((ex, done))
        return await asyncio.wrap_future(done)

    def _run(self) -> None:
        """The writer thread: take what waits (up to ``MAX_GROUP``), write it, commit it, answer."""
        while True:
            first = self._queue.get()
            if first is None:
                return
            group = [first]
            stop = False
            while len(group) < MAX_GROUP:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                group.append(job)
            self._write_group(group)
            if stop:
                return

    def _write_group(self, group: list[_Job]) -> None:
        try:
            with self._lock:
                rows = [self._write(ex) for ex, _done in group]
                self._flush()
                ids = self._insert(rows)  # rows only once their records are flushed
                self.records += len(group)
        except Exception as exc:  # each caller gets the failure of its exchange's recording
            for _ex, done in group:
                done.set_exception(exc)
            return
        for (_ex, done), capture_id in zip(group, ids, strict=True):
            done.set_result(capture_id)

    def _flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def _write(self, ex: Exchange) -> dict[str, Any]:
        """Write the exchange's WARC records (not flushed yet) and make its capture row (not inserted)."""
        warc_file = warc_offset = warc_length = digest = None
        if ex.status is not None:
            warc_file, warc_offset, warc_length, digest = self._write_warc(ex)
        return {
            "run_id": self.run_id,
            "purpose": self.purpose,
            "url": ex.request.url,
            "method": ex.request.method,
            "requested_at": ex.requested_at,
            "elapsed_ms": ex.elapsed_ms,
            "status": ex.status,
            "content_type": ex.header("content-type"),
            "payload_sha256": digest,
            "payload_length": len(ex.raw_body) if ex.status is not None else None,
            "truncated": ex.truncated,
            "refused": ex.refused,
            "error": ex.error,
            "warc_file": warc_file,
            "warc_offset": warc_offset,
            "warc_length": warc_length,
            "remote_address": ex.remote_address,
        }


def refusal_counts(store: Store, *, run_id: int | None = None, purpose: str | None = None) -> Counter[str]:
    """How many requests and responses the fetch layer refused, by code (``policy.CODES``), from the
    capture rows: for the methodology. Refusals that are not the policy's (robots.txt) count as ``other``."""
    query = select(Capture.refused).where(Capture.refused.is_not(None))
    if run_id is not None:
        query = query.where(Capture.run_id == run_id)
    if purpose is not None:
        query = query.where(Capture.purpose == purpose)
    counts: Counter[str] = Counter()
    with store.session() as session:
        for reason in session.scalars(query.execution_options(yield_per=1000)):
            counts[refusal_code(reason) or "other"] += 1
    return counts
