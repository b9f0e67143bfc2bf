"""Who holds a case's crawl lock (``.crawl.lock``, ``.forum-crawl.lock``): the one reading of the lock file,
for the crawl that takes the lock (``runner.crawl_lock``) and for readers that only look (``stats``), kept
free of Scrapy so that looking stays cheap."""

from __future__ import annotations

import os
from pathlib import Path


def lock_path(case_root: Path, what: str = "crawl") -> Path:
    return case_root / f".{what.replace(' ', '-')}.lock"


def lock_holder(case_root: Path, what: str = "crawl") -> int:
    """The pid of the live process on this machine that holds the lock, or 0 (no lock, or one left by a
    process that is gone)."""
    try:
        pid = int(lock_path(case_root, what).read_text().strip() or "0")
        if pid > 0:
            os.kill(pid, 0)
    except (OSError, ValueError):
        return 0
    return max(pid, 0)
