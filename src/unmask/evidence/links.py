"""Stable references to captures, for reports and notices.

A reference identifies a capture without the case at hand (capture id, URL, time, SHA-256 of the
payload, WARC file and offset) and carries the replay URL that opens that exact capture while
`unmask evidence serve` runs on its port (`evidence.serve_port`, 8642 unless the case says otherwise):

    from unmask.evidence.links import reference
    ref = reference(capture, port=case.config.evidence.serve_port)
    f'<a href="{ref.replay_url}" title="{ref.label}">capture {ref.capture_id}</a>'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from unmask.core.config import EvidenceSettings

DEFAULT_PORT = EvidenceSettings().serve_port


class CaptureLike(Protocol):
    """What a reference reads from a capture (a core.store.models.Capture row, or anything alike)."""

    @property
    def id(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def requested_at(self) -> dt.datetime: ...
    @property
    def payload_sha256(self) -> str | None: ...
    @property
    def warc_file(self) -> str | None: ...
    @property
    def warc_offset(self) -> int | None: ...


@dataclass(frozen=True)
class CaptureReference:
    capture_id: int
    url: str
    time: str
    """When it was fetched (ISO 8601, UTC)."""
    sha256: str | None
    """SHA-256 of the payload as received (the WARC record's payload digest)."""
    warc_file: str | None
    """The WARC file, relative to the case folder (evidence/warc/…)."""
    warc_offset: int | None
    replay_url: str
    """Opens this capture in ReplayWeb.page while `unmask evidence serve` runs."""

    @property
    def label(self) -> str:
        """One line that identifies the capture when the replay server is not running."""
        digest = f"SHA-256 {self.sha256}" if self.sha256 else "no payload"
        where = f", {self.warc_file} @ {self.warc_offset}" if self.warc_file else ""
        return f"capture {self.capture_id} of {self.url} at {self.time}, {digest}{where}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "label": self.label}


def replay_url(capture_id: int, port: int = DEFAULT_PORT) -> str:
    return f"http://127.0.0.1:{port}/capture/{capture_id}"


def reference(capture: CaptureLike, *, port: int = DEFAULT_PORT) -> CaptureReference:
    when = capture.requested_at
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return CaptureReference(
        capture_id=capture.id,
        url=capture.url,
        time=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        sha256=capture.payload_sha256,
        warc_file=f"evidence/{capture.warc_file}" if capture.warc_file else None,
        warc_offset=capture.warc_offset,
        replay_url=replay_url(capture.id, port),
    )
