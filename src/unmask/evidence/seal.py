"""`unmask evidence seal`: write a manifest and timestamp its exact bytes with each configured TSA.

Files of one seal, side by side in evidence/seals/ (one folder level, as WACZ wants extra files):
  seal-YYYYMMDD-HHMMSS.manifest.json      the manifest (the bytes the TSAs sign)
  seal-YYYYMMDD-HHMMSS.tsaN.tsr           TSA N's TimeStampResp (DER; `openssl ts -verify -in` reads it)
  seal-YYYYMMDD-HHMMSS.tsaN.chain.pem     the certificates TSA N's token carries
  seal-YYYYMMDD-HHMMSS.timestamps.json    every TSA asked, with time, nonce, serial or why it failed,
                                          and the library versions that asked
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.evidence.digests import sha256_bytes
from unmask.evidence.manifest import MANIFEST_SUFFIX, TIMESTAMPS_SUFFIX, build_manifest, relative, seals_dir
from unmask.evidence.tsa import Timestamp, TimestampFailed, check_url, library_versions, request_timestamp


@dataclass
class SealResult:
    manifest: Path
    sha256: str
    files: int
    captures: int
    timestamps: list[Timestamp] = field(default_factory=list)

    def as_dict(self, case: Case) -> dict[str, Any]:
        """The contract's JSON (`evidence seal --json`); failed TSAs in their own list."""
        return {
            "manifest": relative(case, self.manifest),
            "sha256": self.sha256,
            "files": self.files,
            "captures": self.captures,
            "timestamps": [{"tsa": t.tsa, "time": t.time, "token": t.token} for t in self.timestamps if t.ok],
            "failed_timestamps": [{"tsa": t.tsa, "error": t.error} for t in self.timestamps if not t.ok],
        }


def _write(path: Path, data: bytes) -> None:
    """Write a new file whole or not at all (never over an existing one)."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("xb") as fh:
            fh.write(data)
        tmp.rename(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UnmaskError(f"cannot write the seal ({exc.strerror})", where=str(path)) from exc


def _stem(folder: Path) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("seal-%Y%m%d-%H%M%S")
    stem, n = stamp, 1
    while any(folder.glob(f"{stem}.*")):
        n += 1
        stem = f"{stamp}-{n}"
    return stem


def _pem(certificates: list[bytes]) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    return b"".join(x509.load_der_x509_certificate(der).public_bytes(Encoding.PEM) for der in certificates)


def seal(
    case: Case,
    tsa_urls: list[str] | None = None,
    *,
    sealed_by: str = "evidence seal",
    on_bytes: Callable[[int], None] | None = None,
) -> SealResult:
    """Seal the case's evidence now: manifest first, then one timestamp per TSA (failures recorded)."""
    urls = [check_url(u) for u in (case.config.evidence.tsa if tsa_urls is None else tsa_urls)]
    folder = seals_dir(case)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnmaskError(f"cannot make the seals folder ({exc.strerror})", where=str(folder)) from exc
    data, content = build_manifest(case, sealed_by=sealed_by, on_bytes=on_bytes)
    stem = _stem(folder)
    manifest = folder / f"{stem}{MANIFEST_SUFFIX}"
    _write(manifest, data)
    timestamps: list[Timestamp] = []
    for n, url in enumerate(urls, start=1):
        try:
            granted = request_timestamp(
                url, data, settings=case.config.fetch, timeout=case.config.evidence.tsa_timeout
            )
        except TimestampFailed as exc:
            timestamps.append(Timestamp(tsa=url, ok=False, error=str(exc)))
            continue
        token = folder / f"{stem}.tsa{n}.tsr"
        chain = folder / f"{stem}.tsa{n}.chain.pem"
        _write(token, granted.reply)
        _write(chain, _pem(granted.certificates))
        timestamps.append(
            Timestamp(
                tsa=url,
                ok=True,
                time=granted.time.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                token=relative(case, token),
                chain=relative(case, chain),
                nonce=str(granted.nonce),
                serial=str(granted.serial),
                policy=granted.policy,
            )
        )
    record = {
        "manifest": manifest.name,
        "sha256": sha256_bytes(data),
        "libraries": library_versions(),
        "timestamps": [t.as_dict() for t in timestamps],
    }
    _write(
        folder / f"{stem}{TIMESTAMPS_SUFFIX}",
        (json.dumps(record, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    )
    return SealResult(
        manifest=manifest,
        sha256=sha256_bytes(data),
        files=len(content["files"]),
        captures=content["captures"]["count"],
        timestamps=timestamps,
    )


def seal_after_run(case: Case, run: str) -> SealResult | None:
    """What a stage's command calls when its run ends: a seal when the case asks for one
    (`evidence.seal_after_run`), else nothing."""
    if not case.config.evidence.seal_after_run:
        return None
    return seal(case, sealed_by=run)
