"""The mapping tables of ``owners/data/kinds.yaml``: source types → edge kinds and schemata."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

DATA = Path(__file__).resolve().parent.parent / "data"


@functools.cache
def table(name: str) -> dict[str, Any]:
    with (DATA / "kinds.yaml").open(encoding="utf-8") as fh:
        tables: dict[str, dict[str, Any]] = yaml.safe_load(fh)
    return tables[name]


@functools.lru_cache(maxsize=4096)
def key(value: str) -> str:
    """A type name as the tables spell it: lower-case, without hyphens, underscores or spaces."""
    return value.lower().replace("-", "").replace("_", "").replace(" ", "")
