"""Everything an output needs to be safe: where it may go, how it is written, how its text is shown.

- :func:`output_target` checks a user's ``-o`` before anything is written: never into the case's store,
  settings (``case.yaml``, which holds the secret), evidence, logs or lock; never an existing folder where
  a file is meant (or a file where a folder is); only a folder that exists or can be made and is writable.
  Each refusal is one line naming the path.
- :func:`atomic_write` writes through a temporary file in the target's own folder, moved into place with
  ``os.replace`` only when complete; on any failure the temporary file is removed and the target is as it
  was. Inside a case the file is 0600; elsewhere it gets the user's usual mode.
- :class:`CsvWriter` is the one CSV writer of the product: every text cell that a spreadsheet would read
  as a formula (``=`` ``+`` ``-`` ``@``, tab, CR, their fullwidth forms, also after leading whitespace)
  gets a leading apostrophe.
- :func:`display_text`, :func:`term` and :func:`html_text`: platform text as a terminal or a page shows it,
  with bidi controls and other invisible format characters removed, never as rich markup, always escaped.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import html
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from unmask.core.errors import UnmaskError

if TYPE_CHECKING:
    from unmask.core.case import Case

FILE_MODE = 0o600
DIR_MODE = 0o700

# -- where an output may go -------------------------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _resolved(path: Path) -> Path:
    try:
        return path.expanduser().resolve()
    except (OSError, RuntimeError) as exc:
        raise UnmaskError(f"cannot resolve the output path ({exc})", where=str(path)) from exc


def protected_reason(path: Path, case: Case | None) -> str | None:
    """Why writing ``path`` would damage the case (None when it would not)."""
    if case is None:
        return None
    target = _resolved(path)
    for what, protected in case.protected_paths():
        protected = _resolved(protected)
        if _inside(target, protected):
            return f"would overwrite the case's {what}"
    return None


def output_target(path: Path, case: Case | None = None, *, folder: bool = False) -> Path:
    """The resolved output path, checked: not into the case's own files, the right kind, writable."""
    target = _resolved(path)
    if (why := protected_reason(target, case)) is not None:
        raise UnmaskError(f"refused: {why}; choose another -o", where=str(path))
    if folder:
        if target.exists() and not target.is_dir():
            raise UnmaskError("a folder is needed here, this is a file", where=str(path))
        _writable_folder(target)
        return target
    if target.is_dir():
        raise UnmaskError("is a folder; give a file name", where=str(path))
    if target.exists() and not os.access(target, os.W_OK):
        raise UnmaskError("the file is not writable", where=str(path))
    _writable_folder(target.parent)
    return target


def _writable_folder(folder: Path) -> None:
    """The folder exists (made if missing) and new files can be made in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnmaskError(f"cannot create the folder ({exc.strerror or exc})", where=str(folder)) from exc
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise UnmaskError("the folder is not writable", where=str(folder))
    try:  # access() says yes to root everywhere: make (and remove) a file to be sure
        fd, probe = tempfile.mkstemp(prefix=".unmask-probe-", dir=folder)
    except OSError as exc:
        raise UnmaskError(f"cannot write here ({exc.strerror or exc})", where=str(folder)) from exc
    os.close(fd)
    os.unlink(probe)


# -- atomic writes ----------------------------------------------------------------------------------


def _user_mode() -> int:
    """The mode a new file gets under the process's umask (as it was before a case tightened it)."""
    return 0o666 & ~_ORIGINAL_UMASK


def _read_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_ORIGINAL_UMASK = _read_umask()


def private_umask() -> None:
    """From now on every file this process makes is 0600 and every folder 0700 (a case is open)."""
    os.umask(0o077)


@contextlib.contextmanager
def atomic_write(path: Path, *, private: bool = False) -> Iterator[Path]:
    """A temporary path beside ``path``; moved onto ``path`` when the block ends without error, removed
    otherwise. ``private``: the file stays 0600 (inside a case)."""
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise UnmaskError(f"cannot write ({exc.strerror or exc})", where=str(path)) from exc
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, FILE_MODE if private else _user_mode())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise UnmaskError(f"cannot write ({exc.strerror or exc})", where=str(path)) from exc
        raise


def write_text(path: Path, text: str, *, private: bool = False) -> None:
    with atomic_write(path, private=private) as tmp:
        tmp.write_text(text, encoding="utf-8")


def in_case(path: Path, case: Case | None) -> bool:
    return case is not None and _inside(_resolved(path), _resolved(case.root))


# -- the one CSV writer -----------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\ufe62", "\ufe63", "\ufe6b")
"""What a spreadsheet may read as the start of a formula (ASCII, fullwidth and small forms)."""
CONTROL_STARTS = ("\t", "\r", "\n", "\x00")


def neutralise(value: str) -> str:
    """A cell a spreadsheet shows as text: a leading apostrophe before anything formula-like."""
    if value.startswith(CONTROL_STARTS) or value.lstrip().startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_value(value: Any) -> Any:
    """A value as a CSV cell: ISO dates, true/false, empty for none, text neutralised."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, str):
        return neutralise(value)
    return value


class CsvWriter:
    """``csv.writer`` with every cell passed through :func:`csv_value`."""

    def __init__(self, fh: IO[str]) -> None:
        self._writer = csv.writer(fh)
        self.rows = 0

    def header(self, names: Iterable[str]) -> None:
        self._writer.writerow(list(names))

    def row(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_value(v) for v in values])
        self.rows += 1


def write_csv(
    path: Path, header: Iterable[str], rows: Iterable[Iterable[Any]], *, private: bool = False
) -> int:
    """One CSV file, atomically; returns the number of data rows."""
    with atomic_write(path, private=private) as tmp, tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = CsvWriter(fh)
        writer.header(header)
        for row in rows:
            writer.row(row)
    return writer.rows


# -- text shown in a terminal or a page -------------------------------------------------------------

_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000e0000-\U000e007f]"
)
"""Control characters (terminal escapes), bidi controls and embeddings, zero-width and other invisible
format characters, variation selectors, tag characters, Hangul fillers."""
_SPACES = str.maketrans("\t\n\r", "   ")
_LINES = str.maketrans("\t\r\n", "  \ue000")


def display_text(value: Any, *, lines: bool = False) -> str:
    """Text as shown: invisible and control characters removed; tabs and line breaks become spaces
    (``lines``: line breaks stay)."""
    text = "" if value is None else str(value)
    if text.isascii() and text.isprintable():
        return text
    text = _INVISIBLE.sub("", text.translate(_LINES if lines else _SPACES))
    if not text.isascii():
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.replace("\ue000", "\n") if lines else text


def term(value: Any) -> str:
    """Text for a rich console string that may hold markup of our own: cleaned and markup-escaped."""
    from rich.markup import escape

    return escape(display_text(value))


def html_text(value: Any) -> str:
    """Text for an HTML page: cleaned and escaped (quotes too)."""
    return html.escape(display_text(value), quote=True)


# -- the one table of export formats ----------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    scope: str
    """census (`unmask export`) or graph (`unmask owners export`)."""
    name: str
    folder: bool
    """-o is a folder (one file per table) rather than a file."""
    extension: str
    default_suffix: str
    help: str


@functools.cache
def export_formats(scope: str) -> dict[str, ExportFormat]:
    """The export formats of one scope, from export_formats.yaml."""
    import yaml

    raw = yaml.safe_load((Path(__file__).parent / "export_formats.yaml").read_text(encoding="utf-8"))
    return {name: ExportFormat(scope, name, **spec) for name, spec in raw[scope].items()}


def export_format(scope: str, name: str) -> ExportFormat:
    """A format by name (case and spaces ignored); an unknown one is a one-line error."""
    formats = export_formats(scope)
    found = formats.get(name.strip().lower())
    if found is None:
        raise UnmaskError(
            f"unknown export format {name!r} (choose from {', '.join(formats)})", where="--format"
        )
    return found
