"""The case's private protect/ folder (0700): its files are 0600, written atomically, never in the store."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from unmask.core.errors import UnmaskError
from unmask.core.output import DIR_MODE, atomic_write
from unmask.core.privacy import PROTECT_DIR

T = TypeVar("T")


def private_path(root: Path, name: str) -> Path:
    return root / PROTECT_DIR / name


def write_private(path: Path, text: str) -> None:
    folder = path.parent
    try:
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(folder, DIR_MODE)
    except OSError as exc:
        raise UnmaskError(f"cannot make the folder ({exc.strerror})", where=str(folder)) from exc
    with atomic_write(path, private=True) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path, key: str, records: list[dict[str, Any]]) -> None:
    write_private(path, json.dumps({key: records}, ensure_ascii=False, indent=1))


def read_json(path: Path, key: str, what: str, make: Callable[[dict[str, Any]], T]) -> list[T]:
    """The records under ``key`` of a private JSON file, each made by ``make``; none when it is missing."""
    if not path.exists():
        return []
    try:
        return [make(dict(item)) for item in json.loads(path.read_text(encoding="utf-8"))[key]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UnmaskError(f"cannot read {what} ({exc})", where=str(path)) from exc
