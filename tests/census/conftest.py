"""End-to-end census helpers: the real CLI in a subprocess (Scrapy's reactor runs once per process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from unmask.demo.server import SpawnedServer, spawn

UNMASK = [sys.executable, "-m", "unmask"]


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


@pytest.fixture
def new_case(tmp_path: Path) -> Path:
    path = tmp_path / "case"
    unmask("init", str(path))
    return path


@pytest.fixture
def demo_server() -> Iterator[SpawnedServer]:
    with spawn(seed=11, scale=0.01) as server:
        server.wait_ready()
        yield server
