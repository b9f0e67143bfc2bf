"""Storing a parsed export: one transaction, all of it or nothing, an earlier import of the same file
refused or (``replace``) replaced.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from unmask.analysis.audience.layouts import ImportOptions, parse_file
from unmask.analysis.audience.values import (
    AudienceError,
)
from unmask.core.store import Store
from unmask.core.store.models import AudienceCountry, AudienceImport, AudienceVisits, SiteRank

INSERT_CHUNK = 5000


@dataclass
class ImportResult:
    import_id: int
    file: str
    sha256: str
    layout: str
    rows: int
    domains: list[str]
    replaced: int | None
    """The id of the earlier import of the same file that this one replaced."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def import_file(store: Store, path: Path, options: ImportOptions | None = None) -> ImportResult:
    """Import one export in one transaction: all of it, or (on any error) nothing."""
    options = options or ImportOptions()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudienceError(f"cannot read the file ({exc.strerror})", where=str(path)) from exc
    digest = hashlib.sha256(data).hexdigest()
    parsed = parse_file(path, data, options)
    replaced = None
    with store.session() as session:
        earlier = session.scalar(select(AudienceImport).where(AudienceImport.sha256 == digest))
        if earlier is not None:
            if not options.replace:
                raise AudienceError(
                    f"this file was already imported (import {earlier.id}, {earlier.file_name}, "
                    f"{earlier.imported_at:%Y-%m-%d %H:%M} UTC); pass --replace to import it again",
                    where=str(path),
                )
            replaced = earlier.id
            for table in (AudienceVisits, AudienceCountry, SiteRank):
                session.execute(delete(table).where(table.import_id == earlier.id))
            session.delete(earlier)
            session.flush()
        record = AudienceImport(file_name=path.name, sha256=digest, layout=parsed.layout, rows=parsed.rows)
        session.add(record)
        session.flush()
        _bulk(session, AudienceVisits, [
            {"import_id": record.id, "domain": r.domain, "month": r.month, "visits": r.visits}
            for r in parsed.visits
        ])  # fmt: skip
        _bulk(session, AudienceCountry, [
            {"import_id": record.id, "domain": r.domain, "period": r.period, "country": r.country,
             "share": r.share, "visits": r.visits}
            for r in parsed.countries
        ])  # fmt: skip
        _bulk(session, SiteRank, [
            {"import_id": record.id, "list_name": r.list_name, "list_date": r.list_date, "domain": r.domain,
             "rank": r.rank}
            for r in parsed.ranks
        ])  # fmt: skip
        import_id = record.id
    return ImportResult(import_id, str(path), digest, parsed.layout, parsed.rows, parsed.domains, replaced)


def _bulk(session: Any, table: type[Any], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), INSERT_CHUNK):
        session.execute(insert(table), rows[start : start + INSERT_CHUNK])
