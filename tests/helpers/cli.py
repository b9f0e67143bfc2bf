"""Run the real `unmask` command in a subprocess (Scrapy's reactor runs once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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
