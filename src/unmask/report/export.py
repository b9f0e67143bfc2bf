"""`unmask export`: the case's census as CSV, Parquet, plain JSON or a Datasette-ready SQLite file.

Every table is a stream of rows (server-side cursors on PostgreSQL, ``yield_per`` batches), written
as it is read, so a case with millions of items exports in bounded memory. Persons and free text go
through the case's privacy policy (unmask.core.privacy): depicted persons who are not on the
investigator's public-figure list appear only as their pseudonym, in the persons columns and wherever
the platform repeats their names (titles, tags, URLs, uploader handles, run messages). Files are written
atomically, never over the case's own files, CSV cells neutralised (unmask.core.output).
Documented in docs/exports.md.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

import unmask
from unmask.analysis.figures import FigureOptions, compute_figures
from unmask.census.schema import EXPORTED
from unmask.core.case import Case
from unmask.core.errors import UnmaskError
from unmask.core.output import (
    CsvWriter,
    ExportFormat,
    atomic_write,
    export_format,
    export_formats,
    in_case,
    output_target,
)
from unmask.core.privacy import PrivacyPolicy, Role
from unmask.core.store.models import (
    Capture,
    CrawlRun,
    Item,
    ItemLabel,
    ItemPerson,
    ItemSource,
    Person,
    Platform,
    Uploader,
)

FORMATS = tuple(export_formats("census"))
SEP = " | "
"""Joins several values in one cell (persons, tags, evidence) — one value per table row stays a row."""

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    """text | integer | real | boolean | date | datetime"""


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[], Iterator[Row]]
    primary_key: str | None = None
    indexes: tuple[str, ...] = ()
    references: dict[str, tuple[str, str]] = field(default_factory=dict)
    """column → (table, column), declared as foreign keys in the SQLite file (Datasette links them)."""


@dataclass
class ExportOptions:
    platform: str | None = None
    """Base URL of one platform; None = every platform in the case."""
    pseudonymize: bool = True
    secret: str = ""
    include_removed: bool = False
    batch: int = 2000
    privacy: PrivacyPolicy | None = None
    """How persons and free text are shown; None = the case's policy with ``pseudonymize`` applied."""


@dataclass
class ExportResult:
    format: str
    path: Path
    tables: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "path": str(self.path), "tables": self.tables}


def _cols(spec: str) -> tuple[Column, ...]:
    """'name:type name:type …' → columns (keeps the table declarations below readable)."""
    return tuple(Column(*part.split(":")) for part in spec.split())


# -- the tables -------------------------------------------------------------------------------------


def item_persons(ids: Sequence[int]) -> Select[int, int, str]:
    """The depicted persons of these items: (item key, person key, stored name), by item then person."""
    return (
        select(ItemPerson.item_id, Person.id, Person.name)
        .join(Person, Person.id == ItemPerson.person_id)
        .where(ItemPerson.item_id.in_(ids))
        .order_by(ItemPerson.item_id, Person.id)
    )


def item_labels(ids: Sequence[int]) -> Select[int, str, str]:
    """The labels (tags, categories …) of these items: (item key, kind, value), by item, kind, value."""
    return (
        select(ItemLabel.item_id, ItemLabel.kind, ItemLabel.value)
        .where(ItemLabel.item_id.in_(ids))
        .order_by(ItemLabel.item_id, ItemLabel.kind, ItemLabel.value)
    )


class _Source:
    """Reads the case's tables as row streams, with the export's scope and privacy applied."""

    def __init__(
        self, session: Session, opts: ExportOptions, platform_ids: list[int] | None, policy: PrivacyPolicy
    ) -> None:
        self.s = session
        self.opts = opts
        self.platform_ids = platform_ids
        self.policy = policy
        self.redact = policy.redact

    def _scope(self, q: Any, platform_col: Any) -> Any:
        return q.where(platform_col.in_(self.platform_ids)) if self.platform_ids is not None else q

    def _item_filter(self) -> list[Any]:
        conds: list[Any] = []
        if not self.opts.include_removed:
            conds.append(Item.removed_at.is_(None))
        if self.platform_ids is not None:
            conds.append(Item.platform_id.in_(self.platform_ids))
        return conds

    def _stream(self, q: Any) -> Iterator[Sequence[Any]]:
        """Batches of rows from a server-side cursor (PostgreSQL) or a lazily read SQLite cursor."""
        result = self.s.execute(q, execution_options={"yield_per": self.opts.batch})
        yield from result.partitions()

    def _grouped(self, q: Any) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {}
        for row in self.s.execute(q):
            out.setdefault(row[0], []).append(row[1:])
        return out

    def items(self) -> Iterator[Row]:
        """One row per item: its keys, then the exported fields of the item schema, then provenance."""
        stored = [f for f in EXPORTED if f.store in ("column", "uploader")]
        selected = [
            (Uploader.name if f.part == "name" else Uploader.url)
            if f.store == "uploader"
            else Item.__table__.c[f.column or ""]
            for f in stored
        ]
        q = (
            select(
                Item.id,
                Platform.base_url,
                Item.kind,
                Item.platform_item_id,
                Item.url,
                *selected,
                Item.first_seen_at,
                Item.last_seen_at,
                Item.removed_at,
            )
            .join(Platform, Platform.id == Item.platform_id)
            .outerjoin(Uploader, Uploader.id == Item.uploader_id)
            .where(*self._item_filter())
            .order_by(Item.id)
        )
        redact, policy = self.redact, self.policy
        for part in self._stream(q):
            ids = [r[0] for r in part]
            persons = self._grouped(item_persons(ids))
            labels = self._grouped(item_labels(ids))
            sources = self._grouped(
                select(ItemSource.item_id, Capture.id, Capture.warc_file, Capture.warc_offset)
                .join(Capture, Capture.id == ItemSource.capture_id)
                .where(ItemSource.item_id.in_(ids))
                .order_by(ItemSource.item_id, Capture.id)
            )
            for iid, base, kind, pid, url, *values, first, last, gone in part:
                by_field = dict(zip((f.name for f in stored), values, strict=True))
                cells: list[Any] = []
                for f in EXPORTED:
                    value = by_field.get(f.name)
                    if f.store == "persons":
                        names = (policy.name(n, Role.DEPICTED) or "" for _, n in persons.get(iid, ()))
                        cells.append(SEP.join(sorted(names)))
                    elif f.store == "label":
                        texts = [redact(v) or "" for k, v in labels.get(iid, ()) if k == f.label]
                        cells.append(SEP.join(texts))
                    elif f.store == "uploader":  # a handle may carry a hidden name; its URL too
                        cells.append(policy.name(value, Role.UPLOADER) if f.part == "name" else redact(value))
                    elif f.type in ("text", "url") and f.store == "column":
                        cells.append(redact(value))
                    else:
                        cells.append(value)
                src = sources.get(iid, [])
                yield (
                    iid, base, kind, redact(pid), redact(url), *cells, first, last, gone,
                    SEP.join(str(c) for c, _, _ in src),
                    SEP.join(f"{f}@{o}" for _, f, o in src if f is not None),
                )  # fmt: skip

    def item_sources(self) -> Iterator[Row]:
        q = (
            select(ItemSource.item_id, ItemSource.capture_id, ItemSource.run_id, ItemSource.fields)
            .join(Item, Item.id == ItemSource.item_id)
            .where(*self._item_filter())
            .order_by(ItemSource.item_id, ItemSource.capture_id)
        )
        for part in self._stream(q):
            yield from (tuple(r) for r in part)

    def _counted(self, entity: type[Person] | type[Uploader]) -> tuple[Any, tuple[Any, ...]]:
        """Persons or uploaders joined to the exported items, and their videos, photos and video views."""
        video, photo = Item.kind == "video", Item.kind == "photo"
        counts = (
            func.count(case((video, Item.id))),
            func.count(case((photo, Item.id))),
            func.coalesce(func.sum(case((video, Item.views))), 0),
        )
        if entity is Person:
            q = (
                select(Person.id)
                .outerjoin(ItemPerson, ItemPerson.person_id == Person.id)
                .outerjoin(Item, and_(Item.id == ItemPerson.item_id, *self._item_filter()))
            )
        else:
            q = select(Uploader.id).outerjoin(
                Item, and_(Item.uploader_id == Uploader.id, *self._item_filter())
            )
        return q.join(Platform, Platform.id == entity.platform_id), counts

    def persons(self) -> Iterator[Row]:
        q, counts = self._counted(Person)
        q = self._scope(
            q.add_columns(Platform.base_url, Person.name, Person.public_figure, Person.url, *counts)
            .group_by(Person.id, Platform.base_url, Person.name, Person.public_figure, Person.url)
            .order_by(Person.id),
            Person.platform_id,
        )
        for part in self._stream(q):
            for pid, base, name, label, url, videos, photos, views in part:
                shown = self.policy.name(name, Role.DEPICTED)
                public = self.policy.is_public(name)
                yield pid, base, shown, public, label, self.redact(url), videos, photos, views

    def uploaders(self) -> Iterator[Row]:
        q, counts = self._counted(Uploader)
        q = self._scope(
            q.add_columns(Platform.base_url, Uploader.name, Uploader.url, *counts)
            .group_by(Uploader.id, Platform.base_url, Uploader.name, Uploader.url)
            .order_by(Uploader.id),
            Uploader.platform_id,
        )
        for part in self._stream(q):
            for uid, base, name, url, videos, photos, views in part:
                yield (
                    uid,
                    base,
                    self.policy.name(name, Role.UPLOADER),
                    self.redact(url),
                    videos,
                    photos,
                    views,
                )

    def captures(self) -> Iterator[Row]:
        q = select(
            Capture.id, Capture.run_id, Capture.purpose, Capture.method, Capture.url, Capture.requested_at,
            Capture.status, Capture.content_type, Capture.payload_sha256, Capture.payload_length,
            Capture.truncated, Capture.refused, Capture.error, Capture.warc_file, Capture.warc_offset,
            Capture.warc_length,
        ).order_by(Capture.id)  # fmt: skip
        if self.platform_ids is not None:
            runs = select(CrawlRun.id).where(CrawlRun.platform_id.in_(self.platform_ids))
            q = q.where(Capture.run_id.in_(runs))
        for part in self._stream(q):
            for r in part:
                # url, refused and error may spell a name (a person page's URL)
                yield (*r[:4], self.redact(r[4]), *r[5:11], self.redact(r[11]), self.redact(r[12]), *r[13:])

    def runs(self) -> Iterator[Row]:
        requests = (
            select(func.count()).where(Capture.run_id == CrawlRun.id).correlate(CrawlRun).scalar_subquery()
        )
        q = self._scope(
            select(
                CrawlRun.id,
                Platform.base_url,
                CrawlRun.start_url,
                CrawlRun.started_at,
                CrawlRun.finished_at,
                CrawlRun.status,
                CrawlRun.phase,
                CrawlRun.incremental,
                CrawlRun.sessions,
                requests,
                CrawlRun.message,
            )
            .join(Platform, Platform.id == CrawlRun.platform_id)
            .order_by(CrawlRun.id),
            CrawlRun.platform_id,
        )
        for part in self._stream(q):
            for r in part:
                yield (*r[:2], self.redact(r[2]), *r[3:10], self.redact(r[10]))


ITEM_COLUMNS = (
    *_cols("item_id:integer platform:text kind:text platform_item_id:text url:text"),
    *(Column(f.export or f.name, f.export_type or "text") for f in EXPORTED),
    *_cols("first_seen:datetime last_seen:datetime removed_at:datetime capture_ids:text evidence_warc:text"),
)
"""The items table: keys, the exported fields of the item schema (census/fields.yaml), provenance."""

FIGURE_COLUMNS = _cols(
    "videos:integer photos:integer galleries:integer hours:real views:integer uploaders:integer "
    "targets:integer first_upload:date last_upload:date items:integer removed:integer requests:integer "
    "requests_per_item:real pseudonymized:boolean"
)


def _tables(src: _Source, figures: dict[str, Any]) -> list[Table]:
    def const(rows: list[Row]) -> Callable[[], Iterator[Row]]:
        return lambda: iter(rows)

    return [
        Table(
            "items",
            "One row per video, photo or gallery (metadata only); evidence names the captures its fields "
            "came from.",
            ITEM_COLUMNS,
            src.items,
            primary_key="item_id",
            indexes=("platform", "kind", "upload_date", "uploader", "views", "removed_at"),
        ),
        Table(
            "item_sources",
            "Provenance: capture capture_id gave the listed fields of item item_id.",
            _cols("item_id:integer capture_id:integer run_id:integer fields:text"),
            src.item_sources,
            indexes=("item_id", "capture_id"),
            references={"item_id": ("items", "item_id"), "capture_id": ("captures", "capture_id")},
        ),
        Table(
            "persons",
            "Depicted persons (pseudonyms unless on the investigator's public-figure list or real names were "
            "requested), with their exported videos, photos and video views. public_figure: on the "
            "investigator's list; platform_label: the platform marks the person as public (advisory only).",
            _cols(
                "person_id:integer platform:text name:text public_figure:boolean platform_label:boolean "
                "url:text videos:integer photos:integer views:integer"
            ),
            src.persons,
            primary_key="person_id",
            indexes=("name", "videos"),
        ),
        Table(
            "uploaders",
            "Accounts that upload, with their exported videos, photos and video views.",
            _cols(
                "uploader_id:integer platform:text name:text url:text videos:integer photos:integer "
                "views:integer"
            ),
            src.uploaders,
            primary_key="uploader_id",
            indexes=("name", "videos"),
        ),
        Table(
            "monthly",
            "Uploads per month (present items, as `unmask stats`).",
            _cols("month:text videos:integer photos:integer videos_cumulative:integer"),
            const(
                [(m["month"], m["videos"], m["photos"], m["videos_cumulative"]) for m in figures["monthly"]]
            ),
            primary_key="month",
        ),
        Table(
            "figures",
            "The headline figures (present items, as `unmask stats`).",
            FIGURE_COLUMNS,
            const([tuple(figures[c.name] for c in FIGURE_COLUMNS)]),
        ),
        Table(
            "captures",
            "The evidence index: every HTTP exchange and where its WARC record is (warc_file, warc_offset).",
            _cols(
                "capture_id:integer run_id:integer purpose:text method:text url:text requested_at:datetime "
                "status:integer content_type:text sha256:text length:integer truncated:text refused:text "
                "error:text warc_file:text warc_offset:integer warc_length:integer"
            ),
            src.captures,
            primary_key="capture_id",
            indexes=("url", "sha256", "run_id", "requested_at"),
            references={"run_id": ("runs", "run_id")},
        ),
        Table(
            "runs",
            "Census runs (all sessions of a resumed run are one run).",
            _cols(
                "run_id:integer platform:text start_url:text started_at:datetime finished_at:datetime "
                "status:text phase:text incremental:boolean sessions:integer requests:integer message:text"
            ),
            src.runs,
            primary_key="run_id",
        ),
    ]


# -- values -----------------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    """A value for a text format (CSV cell, JSON, SQLite): ISO dates, booleans as such."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _coerce(value: Any, col: Column) -> Any:
    """A value of the column's type whatever the database driver returned (SQLite returns strings)."""
    if value is None:
        return None
    if col.type == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10])
    if col.type == "datetime" and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if col.type == "boolean":
        return bool(value)
    if col.type == "integer":
        return int(value)
    if col.type == "real":
        return float(value)
    return value


def _typed(table: Table) -> Iterator[Row]:
    cols = table.columns
    for row in table.rows():
        yield tuple(_coerce(v, c) for v, c in zip(row, cols, strict=True))


# -- writers ----------------------------------------------------------------------------------------


def _write_csv(table: Table, path: Path) -> int:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = CsvWriter(fh)
        writer.header(c.name for c in table.columns)
        for row in _typed(table):
            writer.row(row)
    return writer.rows


def _write_parquet(table: Table, path: Path, batch: int) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {
        "text": pa.string(),
        "integer": pa.int64(),
        "real": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us"),
    }
    schema = pa.schema([(c.name, types[c.type]) for c in table.columns])
    n = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        for chunk in _chunks(_typed(table), batch):
            columns = list(zip(*chunk, strict=True))
            arrays = [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            n += len(chunk)
        if n == 0:
            writer.write_table(schema.empty_table())
    return n


SQL_TYPES = {"text": "TEXT", "integer": "INTEGER", "real": "REAL", "boolean": "INTEGER", "date": "TEXT",
             "datetime": "TEXT"}  # fmt: skip


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _write_sqlite_table(db: sqlite3.Connection, table: Table, batch: int) -> int:
    defs = []
    for c in table.columns:
        d = f"{_q(c.name)} {SQL_TYPES[c.type]}"
        if c.name == table.primary_key:
            d += " PRIMARY KEY"
        if c.name in table.references:
            other, col = table.references[c.name]
            d += f" REFERENCES {_q(other)}({_q(col)})"
        defs.append(d)
    db.execute(f"CREATE TABLE {_q(table.name)} ({', '.join(defs)})")
    insert = f"INSERT INTO {_q(table.name)} VALUES ({', '.join('?' * len(table.columns))})"
    n = 0
    for chunk in _chunks(_typed(table), batch):
        db.executemany(insert, [tuple(int(v) if isinstance(v, bool) else _text(v) for v in r) for r in chunk])
        n += len(chunk)
    for col in table.indexes:
        db.execute(f"CREATE INDEX {_q(f'idx_{table.name}_{col}')} ON {_q(table.name)}({_q(col)})")
    return n


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _write_json(
    tables: list[Table],
    figures: dict[str, Any],
    meta: Callable[[dict[str, int]], dict[str, Any]],
    fh: IO[str],
) -> dict[str, int]:
    counts: dict[str, int] = {}
    fh.write('{\n"figures": ' + json.dumps(figures, ensure_ascii=False, default=_text))
    for table in tables:
        if table.name == "figures":
            counts[table.name] = 1
            continue
        names = [c.name for c in table.columns]
        fh.write(f",\n{json.dumps(table.name)}: [")
        n = 0
        for row in _typed(table):
            line = json.dumps(dict(zip(names, row, strict=True)), ensure_ascii=False, default=_text)
            fh.write(("\n" if n == 0 else ",\n") + line)
            n += 1
        fh.write("\n]" if n else "]")
        counts[table.name] = n
    fh.write(',\n"metadata": ' + json.dumps(meta(counts), ensure_ascii=False) + "\n}\n")
    return counts


META_TABLE = Table(
    "metadata",
    "What this export is: case, time, unmask version, scope, whether persons are pseudonymized.",
    _cols("key:text value:text"),
    lambda: iter(()),
    primary_key="key",
)


def _meta_table(meta: dict[str, Any]) -> Table:
    rows = [(k, str(v)) for k, v in meta.items()]
    return Table(META_TABLE.name, META_TABLE.description, META_TABLE.columns, lambda: iter(rows), "key")


# -- the export -------------------------------------------------------------------------------------


def default_path(case: Case, fmt: ExportFormat, now: dt.datetime | None = None) -> Path:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return case.root / "exports" / f"unmask-{stamp}{fmt.default_suffix}"


def export_case(
    case: Case, fmt_name: str, path: Path | None = None, opts: ExportOptions | None = None
) -> ExportResult:
    """Write the case's tables in ``fmt_name`` to ``path`` (a folder for csv/parquet, a file otherwise)."""
    fmt = export_format("census", fmt_name)
    opts = opts or ExportOptions(pseudonymize=case.config.privacy.pseudonymize, secret=case.config.secret)
    store = case.store
    platform_ids: list[int] | None = None
    if opts.platform:
        with store.session() as s:
            platform_ids = list(s.scalars(select(Platform.id).where(Platform.base_url == opts.platform)))
        if not platform_ids:
            raise UnmaskError("no such platform in the case", where=opts.platform)
    path = output_target(path or default_path(case, fmt), case, folder=fmt.folder)
    policy = opts.privacy or PrivacyPolicy.for_store(
        store, secret=opts.secret or case.config.secret, pseudonymize=opts.pseudonymize
    )
    exported_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
    figures = compute_figures(store, FigureOptions(platform=opts.platform, privacy=policy))

    def meta(counts: dict[str, int]) -> dict[str, Any]:
        return {
            "case": case.config.name,
            "exported_at": exported_at.isoformat(),
            "unmask_version": unmask.__version__,
            "format": fmt.name,
            "pseudonymized": "yes" if policy.pseudonymize else "no",
            "platform": opts.platform or "all",
            "removed_items": "included" if opts.include_removed else "excluded",
            **{f"rows.{name}": n for name, n in counts.items()},
        }

    with store.session() as s:
        if store.dialect == "postgresql":  # one snapshot for every table, even while a crawl writes
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        tables = _tables(_Source(s, opts, platform_ids, policy), figures)
        counts = _write(fmt, path, tables, figures, meta, opts.batch, private=in_case(path, case))
    return ExportResult(fmt.name, path, counts)


def _write(
    fmt: ExportFormat,
    path: Path,
    tables: list[Table],
    figures: dict[str, Any],
    meta: Callable[[dict[str, int]], dict[str, Any]],
    batch: int,
    *,
    private: bool,
) -> dict[str, int]:
    """Every file written atomically (a failure leaves no temporary file and no half-written table)."""
    counts: dict[str, int] = {}
    if fmt.folder:
        for table in [*tables, META_TABLE]:
            if table is META_TABLE:
                table = _meta_table(meta(counts))
            with atomic_write(path / f"{table.name}{fmt.extension}", private=private) as tmp:
                n = _write_csv(table, tmp) if fmt.name == "csv" else _write_parquet(table, tmp, batch)
            if table.name != META_TABLE.name:
                counts[table.name] = n
        return counts
    with atomic_write(path, private=private) as tmp:
        if fmt.name == "json":
            with tmp.open("w", encoding="utf-8") as fh:
                counts = _write_json(tables, figures, meta, fh)
        else:
            db = sqlite3.connect(tmp)
            try:
                for table in tables:
                    counts[table.name] = _write_sqlite_table(db, table, batch)
                _write_sqlite_table(db, _meta_table(meta(counts)), batch)
                db.execute("CREATE TABLE table_descriptions (table_name TEXT PRIMARY KEY, description TEXT)")
                db.executemany(
                    "INSERT INTO table_descriptions VALUES (?, ?)",
                    [(t.name, t.description) for t in [*tables, META_TABLE]],
                )
                db.commit()
            finally:
                db.close()
    return counts
