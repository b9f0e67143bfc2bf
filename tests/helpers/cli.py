"""Run the real `unmask` command in a subprocess (Scrapy's reactor runs once per process), or in this process
for set-up that needs no process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from unittest import mock

UNMASK = [sys.executable, "-m", "unmask"]


def venv_script(name: str) -> str:
    """A console script beside this interpreter (the venv bin is not on PATH under `make test`)."""
    return str(Path(sys.executable).parent / name)


def unmask(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run([*UNMASK, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and proc.returncode != 0:
        raise AssertionError(f"unmask {' '.join(args)} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc


def unmask_here(*args: str) -> str:
    """Run `unmask ARGS` in this process, for set-up that needs no process of its own (no crawl: Scrapy's
    reactor runs once per process): Typer's CliRunner on the real application, with the command line
    that the custody log records set as a process would have it. Its output; an error if it failed."""
    from typer.testing import CliRunner

    from unmask.cli import app

    with mock.patch.object(sys, "argv", ["unmask", *args]):
        result = CliRunner().invoke(app, list(args))
    if result.exit_code != 0:
        raise AssertionError(f"unmask {' '.join(args)} exited {result.exit_code}:\n{result.output[-3000:]}")
    return result.output


def unmask_json(*args: str) -> Any:
    proc = unmask(*args, "--json")
    return json.loads(proc.stdout)


def crawl(case: Path, url: str, *extra: str) -> dict[str, Any]:
    result: dict[str, Any] = unmask_json(
        "census", "crawl", url, "--case", str(case), "--delay", "0", "--concurrency", "4", *extra
    )
    return result


def stats(case: Path) -> dict[str, Any]:
    result: dict[str, Any] = unmask_json("stats", "--case", str(case))
    return result
