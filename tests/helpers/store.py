"""Reading a case's SQLite store directly, as an investigator's own tools would."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def sql(case: Path, query: str, *args: object) -> list[tuple[Any, ...]]:
    """The rows of ``query`` on the store of the case folder ``case`` (SQLite)."""
    con = sqlite3.connect(case / "unmask.db")
    try:
        return con.execute(query, args).fetchall()
    finally:
        con.close()
