"""`unmask owners import`: files into the graph, all or nothing.

All files of one command are written in one transaction by one :class:`GraphWriter`, so they may
refer to each other (GLEIF level 1 and level 2 files). A fatal problem (malformed record, reference
to an unknown record, a percentage outside 0–100) rolls everything back and names file and line,
unless ``keep_going``: then the bad records are skipped and listed, the rest imported. Warnings
(owners of one asset above 100.5 %, duplicate statements) never stop an import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Table, and_, func, insert, select, update

from unmask.core.errors import UnmaskError
from unmask.core.store.db import Store
from unmask.core.store.models import utcnow
from unmask.owners.importers import Format, get_format
from unmask.owners.specs import Problem, Record, dumps
from unmask.owners.tables import OwnerEdge, OwnerEntity, OwnerImport
from unmask.owners.writer import GraphWriter

ROUNDING = 100.5
"""Owners of one asset may sum up to this much before it is worth a warning (rounding)."""
MAX_LISTED = 20
BULK_BYTES = 64 << 20
"""Imports larger than this build the graph's indexes once at the end (SQLite)."""


class ImportFailed(UnmaskError):
    """A file with fatal problems: nothing was imported."""

    def __init__(self, problems: list[tuple[str, Problem]]) -> None:
        first_path, first = problems[0]
        where = f"{first_path}:{first.line}" if first.line else first_path
        more = f" (and {len(problems) - 1} more problems; nothing imported)" if len(problems) > 1 else ""
        super().__init__(f"{first.message}{more or '; nothing imported'}", where=where)
        self.problems = problems


@dataclass
class FileResult:
    path: str
    format: str
    import_id: int | None = None
    entities: int = 0
    edges: int = 0
    skipped: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.path,
            "format": self.format,
            "import_id": self.import_id,
            "entities": self.entities,
            "edges": self.edges,
            "skipped": [p.as_dict() for p in self.skipped],
            "warnings": [p.as_dict() for p in self.warnings],
        }


Progress = Callable[[str, int], None]
"""Called with (file, records read so far) every few thousand records."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def import_files(
    store: Store,
    paths: list[Path],
    *,
    format_name: str | None = None,
    keep_going: bool = False,
    progress: Progress | None = None,
) -> list[FileResult]:
    formats: list[tuple[Path, Format]] = []
    for path in paths:
        if not path.is_file():
            raise UnmaskError("no such file", where=str(path))
        formats.append((path, get_format(format_name, path)))
    results: list[FileResult] = []
    fatal: list[tuple[str, Problem]] = []
    import_table: Table = OwnerImport.__table__  # type: ignore[assignment]
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        writer: GraphWriter | None = None
        for path, fmt in formats:
            res = FileResult(str(path), fmt.name)
            digest = _sha256(path)
            earlier = conn.execute(
                select(import_table.c.id).where(
                    import_table.c.sha256 == digest, import_table.c.status == "ok"
                )
            ).first()
            if earlier is not None:
                raise UnmaskError(
                    f"this file was already imported (import {earlier.id}, same SHA-256); nothing imported",
                    where=str(path),
                )
            res.import_id = conn.execute(
                insert(import_table).values(
                    path=str(path),
                    format=fmt.name,
                    sha256=digest,
                    started_at=utcnow(),
                    entities=0,
                    edges=0,
                    skipped=0,
                    status="ok",
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            if writer is None:
                writer = GraphWriter(conn, res.import_id)
            else:
                writer.flush()
                writer.import_id = res.import_id
            if path.stat().st_size > BULK_BYTES:
                writer.defer_indexes()
            entities0, edges0, marked0 = writer.entities, writer.edges, writer.marked
            count = 0
            read_all = True
            for record in _decoded(fmt.records(path), path):
                if isinstance(record, Problem):
                    if record.fatal:
                        res.skipped.append(record)
                        fatal.append((str(path), record))
                        if not keep_going and len(fatal) >= MAX_LISTED:
                            read_all = False
                            break
                    else:
                        res.warnings.append(record)
                    continue
                writer.add(record)  # after a fatal problem still written, to find further ones; rolled back
                count += 1
                if progress is not None and count % 20_000 == 0:
                    progress(str(path), count)
            if read_all and not count:  # nothing in the file was a record of this format: not an import
                first = next((p for p in res.skipped if p.fatal), None)
                why = f" (line {first.line}: {first.message})" if first is not None and first.line else ""
                raise UnmaskError(
                    f"no {fmt.name} record in this file{why}; nothing imported", where=str(path)
                )
            for problem in writer.finish():
                (res.skipped if problem.fatal else res.warnings).append(problem)
                if problem.fatal:
                    fatal.append((str(path), problem))
            writer.problems = []
            if fatal and not keep_going:
                break
            res.entities, res.edges = writer.entities - entities0, writer.edges - edges0
            if res.skipped and not (res.entities or res.edges or writer.marked - marked0):
                first = res.skipped[0]
                raise UnmaskError(
                    f"every record was skipped (line {first.line}: {first.message}); nothing imported",
                    where=str(path),
                )
            res.warnings.extend(_over_100(conn, res.import_id))
            conn.execute(
                update(import_table)
                .where(import_table.c.id == res.import_id)
                .values(
                    finished_at=utcnow(),
                    entities=res.entities,
                    edges=res.edges,
                    skipped=len(res.skipped),
                    warnings=dumps([p.as_dict() for p in res.warnings + res.skipped]),
                )
            )
            results.append(res)
        if fatal and not keep_going:
            raise ImportFailed(fatal)  # leaving the block rolls the transaction back
    _refresh_statistics(store)
    return results


def _decoded(records: Iterator[Record], path: Path) -> Iterator[Record]:
    """The records of a file, or one error naming the file when it is not UTF-8 text."""
    try:
        yield from records
    except UnicodeDecodeError as exc:
        raise UnmaskError(f"not UTF-8 text ({exc.reason}); nothing imported", where=str(path)) from None


STATISTICS_TABLES = ("owner_entity", "owner_identifier", "owner_edge")


def _refresh_statistics(store: Store) -> None:
    """Table statistics after an import, so the planner uses the src/dst indexes for graph walks (without
    them SQLite prefers the low-selectivity kind index). A sampled ANALYZE: fast on millions of rows."""
    with store.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=2000")
            for table in STATISTICS_TABLES:
                conn.exec_driver_sql(f"ANALYZE {table}")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"ANALYZE {', '.join(STATISTICS_TABLES)}")


def _over_100(conn: Any, import_id: int | None) -> list[Problem]:
    """Assets whose current direct owners in this import sum above 100.5 % (imported as given)."""
    total = func.sum(OwnerEdge.share_min)
    rows = conn.execute(
        select(OwnerEdge.dst_id, total, func.min(OwnerEdge.line), OwnerEntity.source_id)
        .join(OwnerEntity, OwnerEntity.id == OwnerEdge.dst_id)
        .where(
            and_(
                OwnerEdge.import_id == import_id,
                OwnerEdge.kind == "ownership",
                OwnerEdge.component.is_(False),
                OwnerEdge.replaced.is_(False),
                OwnerEdge.direct.is_not(False),
                OwnerEdge.end_date.is_(None),
            )
        )
        .group_by(OwnerEdge.dst_id, OwnerEntity.source_id)
        .having(total > ROUNDING)
    )
    return [
        Problem(
            line, f"owners of {source_id!r} sum to {value:g}% (above 100%; imported as given)", fatal=False
        )
        for _dst, value, line, source_id in rows
    ]
