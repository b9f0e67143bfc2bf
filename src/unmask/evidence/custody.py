"""The custody log: one JSON line per command that changed the case, each line chained to the one before.

evidence/custody.jsonl, append-only. A line holds the time, the command line (secrets removed), the
unmask version, how the command ended, what changed (rows added or removed per table, evidence files
added, grown or removed), the row counts after it, and the SHA-256 of the previous line's bytes; a seal
covers the log like every other evidence file.

A command that changes the case says so with one decorator, which is the whole hook:

    @app.command("crawl")
    @custody.logged("census crawl", run=True)
    def crawl_cmd(url: str, case: CaseOpt = None, ...) -> None: ...

``run=True`` marks a run that fetched: when the case asks for it (`evidence.seal_after_run`), the
evidence is sealed right after the command and the seal's manifest is named in the log line.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from unmask import __version__
from unmask.core.secrets import REDACTED, redact_text

LOG_NAME = "custody.jsonl"
MAX_LISTED_FILES = 50

F = TypeVar("F", bound=Callable[..., Any])

_SECRET_OPTIONS = frozenset({"--token", "--password", "--secret", "--api-key", "--apikey", "--key", "--auth"})


def redact_command(argv: list[str]) -> list[str]:
    """A command line as the log keeps it: values of secret options and credentials in URLs removed."""
    out: list[str] = []
    hide_next = False
    for argument in argv:
        if hide_next:
            out.append(REDACTED)
            hide_next = False
            continue
        name, sep, _ = argument.partition("=")
        if name.lower() in _SECRET_OPTIONS:
            if sep:
                out.append(f"{name}={REDACTED}")
            else:
                out.append(argument)
                hide_next = True
            continue
        out.append(redact_text(argument))
    return out


def line_hash(line: bytes) -> str:
    """The SHA-256 a line is chained by: over its bytes without the line end."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


@dataclass
class LogLine:
    offset: int
    number: int
    raw: bytes
    entry: dict[str, Any] | None
    """None when the line is not a JSON object."""


def read_log(path: Path) -> Iterator[LogLine]:
    """Every line of the log with its byte offset, streamed."""
    if not path.is_file():
        return
    offset = 0
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, start=1):
            try:
                entry = json.loads(raw)
            except ValueError:
                entry = None
            yield LogLine(offset, number, raw, entry if isinstance(entry, dict) else None)
            offset += len(raw)


def chain_problems(path: Path) -> Iterator[tuple[int, str]]:
    """(byte offset, problem) for each line that breaks the log: not JSON, or not chained to the last."""
    previous: LogLine | None = None
    for line in read_log(path):
        if line.entry is None:
            yield line.offset, f"line {line.number} is not a JSON object"
        else:
            if previous is None and line.entry.get("prev") is not None:
                yield line.offset, "the first line chains to a line before it (lines removed from the start?)"
            elif previous is not None and line.entry.get("prev") != line_hash(previous.raw):
                yield (
                    previous.offset,
                    f"line {previous.number} is not the line that line {line.number} chained "
                    "(changed, inserted or removed since)",
                )
            if line.entry.get("seq") != line.number:
                yield line.offset, f"line {line.number} says it is entry {line.entry.get('seq')!r}"
        if not line.raw.endswith(b"\n"):
            yield line.offset, f"line {line.number} is cut short (no line end)"
        previous = line


def _last_line(fh: Any) -> tuple[bytes | None, int]:
    """The last line of an open log and the number of lines."""
    fh.seek(0)
    last, count = None, 0
    for raw in fh:
        last, count = raw, count + 1
    return last, count


def append(evidence_dir: Path, entry: dict[str, Any]) -> dict[str, Any]:
    """Append ENTRY (seq and prev added) under an exclusive lock; returns what was written."""
    path = evidence_dir / LOG_NAME
    evidence_dir.mkdir(parents=True, exist_ok=True)
    with path.open("a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            last, count = _last_line(fh)
            if last is not None and not last.endswith(b"\n"):
                fh.write(b"\n")  # a line cut short stays visible to verify; the next starts on its own line
            full = {"seq": count + 1, **entry, "prev": line_hash(last) if last is not None else None}
            fh.write(json.dumps(full, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n")
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    return full


# -- what a command changed -------------------------------------------------------------------------


@dataclass
class Snapshot:
    evidence_dir: Path
    rows: dict[str, int]
    files: dict[str, int]


def snapshot(root: Path) -> Snapshot | None:
    """Row counts per table and evidence file sizes of the case at ROOT (None: no case there)."""
    from sqlalchemy import func, inspect, select, table

    from unmask.core.case import CONFIG_NAME, Case

    if not (root / CONFIG_NAME).is_file():
        return None
    case = Case.open(root)
    try:
        engine = case.store.engine
        rows: dict[str, int] = {}
        with engine.connect() as conn:
            for name in sorted(inspect(conn).get_table_names()):
                if name != "alembic_version":
                    rows[name] = int(conn.execute(select(func.count()).select_from(table(name))).scalar_one())
        files: dict[str, int] = {}
        evidence = case.evidence_dir
        for folder, _dirs, names in os.walk(evidence):
            for name in names:
                path = Path(folder) / name
                with contextlib.suppress(OSError):
                    files[path.relative_to(root).as_posix()] = path.stat().st_size
        return Snapshot(evidence, rows, files)
    finally:
        case.close()


def _listed(paths: list[str]) -> list[str]:
    paths = sorted(paths)
    if len(paths) > MAX_LISTED_FILES:
        return [*paths[:MAX_LISTED_FILES], f"… and {len(paths) - MAX_LISTED_FILES} more"]
    return paths


def changes(before: Snapshot | None, after: Snapshot) -> dict[str, Any]:
    old = before or Snapshot(after.evidence_dir, {}, {})
    rows = {
        name: after.rows.get(name, 0) - old.rows.get(name, 0)
        for name in sorted(set(old.rows) | set(after.rows))
        if after.rows.get(name, 0) != old.rows.get(name, 0)
    }
    return {
        "rows": rows,
        "files_added": _listed([p for p in after.files if p not in old.files]),
        "files_grown": _listed(
            [p for p, size in after.files.items() if p in old.files and size != old.files[p]]
        ),
        "files_removed": _listed([p for p in old.files if p not in after.files]),
    }


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    code = getattr(exc, "exit_code", None)
    if isinstance(code, int) and type(exc).__name__ == "Exit":
        return "ok" if code == 0 else f"exit {code}"
    return f"error: {exc}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _warn(message: str) -> None:
    sys.stderr.write(f"unmask: {message}\n")


def _seal_after(root: Path, action: str) -> str | None:
    from unmask.core.case import Case
    from unmask.core.errors import UnmaskError
    from unmask.evidence.seal import seal_after_run

    case = Case.open(root)
    try:
        result = seal_after_run(case, action)
    except UnmaskError as exc:
        _warn(f"the run's seal failed: {exc}")
        return f"failed: {exc}"
    finally:
        case.close()
    if result is None:
        return None
    failed = [t for t in result.timestamps if not t.ok]
    for t in failed:
        _warn(f"timestamp from {t.tsa} failed: {t.error}")
    return result.manifest.relative_to(root).as_posix()


@dataclass(frozen=True)
class LogHooks:
    """How a family of commands is logged. The default keeps the command line with its secrets removed,
    seals after a run when asked, logs a failure only when it changed something and turns a failure to
    log into a warning (and exit 1 when the command itself succeeded)."""

    command_line: Callable[[list[str]], list[str]] = redact_command
    """The command line as the log keeps it."""
    outcome: Callable[[BaseException | None], str] = _outcome
    notes: list[str] | None = None
    """Where the command notes what it changed, in words (cleared as it starts): the line's ``note``
    ("nothing changed" when empty); a failed command is then logged only when it noted something."""
    catch_log_errors: bool = True
    """False: a failure to snapshot or append passes through as it is."""


DEFAULT_HOOKS = LogHooks()


def record_command(
    root: Path,
    action: str,
    before: Snapshot | None,
    exc: BaseException | None,
    *,
    run: bool,
    hooks: LogHooks = DEFAULT_HOOKS,
) -> None:
    """Append the log line for one command on the case at ROOT: every command that completed, and every
    one that failed after changing something (with notes: after noting something); nothing when there is
    no case."""
    sealed = _seal_after(root, action) if run and exc is None else None
    after = snapshot(root)
    if after is None:
        return
    changed = changes(before, after)
    if exc is not None and hooks.notes is None and not any(changed.values()):
        return  # a command that failed and changed nothing (bad input) is not in the log
    if exc is not None and hooks.notes is not None and not hooks.notes:
        return  # a command with notes that failed before noting anything
    entry: dict[str, Any] = {
        "time": _now(),
        "command": hooks.command_line(["unmask", *sys.argv[1:]]),
        "action": action,
        "unmask_version": __version__,
        "outcome": hooks.outcome(exc),
    }
    if hooks.notes is not None:
        entry["note"] = "; ".join(hooks.notes) or "nothing changed"
    entry["changed"] = changed
    entry["counts"] = after.rows
    if sealed:
        entry["seal"] = sealed
    append(after.evidence_dir, entry)


def case_root(value: Any) -> Path:
    return (Path(value) if value else Path.cwd()).resolve()


def logged(
    action: str, *, case_param: str = "case", run: bool = False, hooks: LogHooks = DEFAULT_HOOKS
) -> Callable[[F], F]:
    """Decorate a command that changes the case: its run is appended to the custody log.

    ACTION names the command ("census crawl"); CASE_PARAM is the parameter holding the case folder
    (None: the current folder); HOOKS say how the line is written (:class:`LogHooks`). A command that ends
    in an error is logged too when a case is there, since it may have changed it before it failed. The
    command's own errors pass through unchanged."""

    def wrap(command: F) -> F:
        @functools.wraps(command)
        def run_logged(*args: Any, **kwargs: Any) -> Any:
            root = case_root(kwargs.get(case_param))
            try:
                before = snapshot(root)
            except Exception:  # an unopenable case: the command reports it in its own words
                return command(*args, **kwargs)
            if hooks.notes is not None:
                hooks.notes.clear()
            failure: BaseException | None = None
            try:
                return command(*args, **kwargs)
            except BaseException as exc:
                failure = exc
                raise
            finally:
                if not hooks.catch_log_errors:
                    record_command(root, action, before, failure, run=run, hooks=hooks)
                else:
                    try:
                        record_command(root, action, before, failure, run=run, hooks=hooks)
                    except Exception as exc:  # the log must not hide the command's own outcome
                        _warn(f"could not append to the custody log ({exc})")
                        if failure is None:
                            raise SystemExit(1) from exc

        return run_logged  # type: ignore[return-value]

    return wrap
