"""Takedown notices as the NGO keeps track of them: ``CASE/protect/notices.json`` (0600, never the store).

`unmask takedown draft` records each package it writes (and when it was sent); a re-check after the
deadline records, per URL, whether it is gone. `unmask protect report` lists them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from unmask.core.errors import UnmaskError
from unmask.core.output import DIR_MODE, atomic_write
from unmask.core.privacy import PROTECT_DIR

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
    return root / PROTECT_DIR / NOTICES_NAME


def load_notices(root: Path) -> list[NoticeRecord]:
    path = notices_path(root)
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))["notices"]
        out = []
        for item in raw:
            item.pop("status", None)
            checks = {url: UrlCheck(**c) for url, c in item.pop("checks", {}).items()}
            out.append(NoticeRecord(**item, checks=checks))
        return out
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnmaskError(f"cannot read the notices ({exc})", where=str(path)) from exc


def save_notices(root: Path, notices: list[NoticeRecord]) -> None:
    path = notices_path(root)
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    data = json.dumps({"notices": [n.as_dict() for n in notices]}, ensure_ascii=False, indent=1)
    with atomic_write(path, private=True) as tmp:
        tmp.write_text(data, encoding="utf-8")
