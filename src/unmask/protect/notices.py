"""Takedown notices as the NGO keeps track of them: ``CASE/protect/notices.json`` (0600, never the store).

`unmask takedown draft` records each package it writes (and when it was sent); a re-check after the
deadline records, per URL, whether it is gone. `unmask protect report` lists them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from unmask.protect.private import private_path, read_json, write_json

NOTICES_NAME = "notices.json"


@dataclass
class UrlCheck:
    checked_at: str
    status: int | None
    gone: bool
    error: str | None = None


@dataclass
class NoticeRecord:
    id: str
    recipient_kind: str
    """platform | hoster | search"""
    recipient: str
    email: str | None
    urls: list[str]
    persons: list[str]
    """Protected persons the notice is about (private: this file and the NGO's report only)."""
    drafted_at: str
    package: str
    """Folder the package was written to."""
    deadline: str
    sent_at: str | None = None
    checks: dict[str, UrlCheck] = field(default_factory=dict)

    @property
    def status(self) -> str:
        if self.checks and all(c.gone for c in self.checks.values()):
            return "removed"
        if self.checks:
            gone = sum(c.gone for c in self.checks.values())
            return f"{gone} of {len(self.urls)} removed"
        return "sent" if self.sent_at else "drafted"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


def notices_path(root: Path) -> Path:
    return private_path(root, NOTICES_NAME)


def _record(item: dict[str, Any]) -> NoticeRecord:
    item.pop("status", None)
    checks = {url: UrlCheck(**c) for url, c in item.pop("checks", {}).items()}
    return NoticeRecord(**item, checks=checks)


def load_notices(root: Path) -> list[NoticeRecord]:
    return read_json(notices_path(root), "notices", "the notices", _record)


def save_notices(root: Path, notices: list[NoticeRecord]) -> None:
    write_json(notices_path(root), "notices", [n.as_dict() for n in notices])
