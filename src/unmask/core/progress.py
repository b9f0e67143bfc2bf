"""Progress of a command's work over a known total (domains scanned, apps checked, bytes verified): one
callback, one home for every display of it.

A stage takes a :class:`Progress` callback and calls it after each step with how many steps (or bytes)
are done of how many. :func:`progress_display` gives the callback every command passes: it draws a bar on
stderr (the terminal) and, when the command runs as a job of the web workbench, writes the same count to
the job's progress file (named by the environment variable :data:`PROGRESS_FILE_ENV`), which the job's
page reads back with :func:`read_progress` and shows as a bar with done/total.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.progress import Progress as Bars

from unmask.core.errors import UnmaskError
from unmask.core.output import write_text

PROGRESS_FILE_ENV = "UNMASK_PROGRESS_FILE"
"""Set by the web workbench for each job: where the job's command writes its progress."""
WRITE_EVERY = 0.25
"""Seconds between two writes of the progress file (the last step is always written)."""
MAX_FILE = 4096
MAX_INFO = 200


class Progress(Protocol):
    """Told after each step of a stage's work: ``done`` of ``total`` steps, ``info`` what the last one was."""

    def __call__(self, done: int, total: int, info: str = "") -> None: ...


@dataclass(frozen=True)
class Count:
    """A command's progress as its job's page shows it."""

    label: str
    done: int
    total: int
    info: str = ""
    unit: str = "steps"
    """steps | bytes"""

    def text(self) -> str:
        """Done of total as a person reads it: ``3 / 7``, ``12.5 / 40.0 MB``."""
        if self.unit == "bytes":
            return f"{self.done / 1e6:,.1f} / {self.total / 1e6:,.1f} MB"
        return f"{self.done:,} / {self.total:,}"


class ProgressFile:
    """The job's progress file: the latest :class:`Count` as JSON, replaced whole (never half written)."""

    def __init__(self, path: Path, label: str, unit: str = "steps") -> None:
        self.path = path
        self.label = label
        self.unit = unit
        self._last = 0.0

    def __call__(self, done: int, total: int, info: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self._last < WRITE_EVERY:
            return
        self._last = now
        count = Count(self.label, done, total, info[:MAX_INFO], self.unit)
        try:
            write_text(self.path, json.dumps(asdict(count), ensure_ascii=False))
        except UnmaskError:  # progress is a display: a full disk never ends the job
            return


def read_progress(path: Path) -> Count | None:
    """The count a job's command wrote last (None: none yet, or unreadable)."""
    try:
        with path.open("rb") as fh:
            data = json.loads(fh.read(MAX_FILE))
        count = Count(
            str(data["label"]),
            int(data["done"]),
            int(data["total"]),
            str(data.get("info", "")),
            "bytes" if data.get("unit") == "bytes" else "steps",
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return count if count.done >= 0 and count.total >= 0 else None


@contextmanager
def progress_display(
    label: str, *, show: bool, console: Console | None = None, unit: str = "steps"
) -> Iterator[Progress]:
    """The callback a command hands its stage: a bar on stderr when ``show`` (``console``: the command's
    own stderr console), and the job's progress file when the environment names one. ``unit``: ``steps``
    (counted: 3/7) or ``bytes`` (sizes, speed and time left)."""
    named = os.environ.get(PROGRESS_FILE_ENV)
    to_file = ProgressFile(Path(named), label, unit) if named else None
    counted: tuple[ProgressColumn, ...] = (MofNCompleteColumn(), TimeElapsedColumn())
    if unit == "bytes":
        counted = (DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    columns = (
        TextColumn(label, markup=False),
        BarColumn(),
        *counted,
        TextColumn("{task.fields[info]}", markup=False),
    )
    bars = Bars(*columns, console=console or Console(stderr=True), transient=True, disable=not show)
    task = bars.add_task(label, total=None, info="")

    def step(done: int, total: int, info: str = "") -> None:
        bars.update(task, completed=done, total=total, info=info)
        if to_file is not None:
            to_file(done, total, info)

    with bars:
        yield step
