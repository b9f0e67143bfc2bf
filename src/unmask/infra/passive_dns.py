"""Passive-DNS exports, read as a stream of :class:`PassiveRecord` (``unmask infra import-pdns``).

Accepted shapes (the format is detected; ``format=`` forces one):

``cof``  — JSON lines in the Passive DNS Common Output Format (CIRCL, Farsight-like): one object per line
           with ``rrname``, ``rrtype``, ``rdata`` (a string or a list), ``time_first``/``time_last`` (epoch
           seconds; ``zone_time_first``/``zone_time_last`` are accepted too) and optional ``count``.
``json`` — one JSON document: a list of COF objects, or a history in the SecurityTrails shape
           ``{"endpoint": "/v1/history/DOMAIN/dns/a", "records": [{"type": "a", "first_seen": "2019-01-01",
           "last_seen": "2020-05-01", "values": [{"ip": "192.0.2.1"}]}]}`` (values may carry ``ip``,
           ``ipv6``, ``host``, ``nameserver``, ``value`` or ``email``; the domain comes from ``endpoint``,
           a top-level ``domain``/``hostname``, or the ``domain=`` argument). A list of such records is
           accepted too. A JSON document is read whole (JSON lines and CSV stream line by line).
``csv``  — a header row, then one record per row; columns are found by common names: the name
           (domain, rrname, name, hostname, host, query, fqdn), the type (type, rrtype, record_type, rtype),
           the data (value, rdata, ip, ip_address, address, answer, data), first_seen / last_seen
           (also time_first/time_last, firstseen/lastseen, first/last) and an optional count.

Times may be epoch seconds or ISO dates/datetimes; they come out as naive UTC datetimes. A malformed line
raises :class:`PassiveDnsError` naming ``file:line``; the import is all or nothing unless ``keep_going``,
which records the line in ``skipped`` and goes on.
"""

from __future__ import annotations

import csv
import datetime as dt
import ipaddress
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from unmask.core.domains import normalize_host
from unmask.core.errors import UnmaskError

FORMATS = ("cof", "json", "csv")
MAX_LINE = 1024 * 1024
"""Characters of one line at most (a longer line is malformed)."""

CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "rrname": ("rrname", "domain", "name", "hostname", "host", "query", "fqdn", "qname"),
    "rrtype": ("rrtype", "type", "record_type", "rtype", "qtype"),
    "rdata": ("rdata", "value", "ip", "ip_address", "address", "answer", "data", "ipv4", "ipv6"),
    "first_seen": ("first_seen", "time_first", "firstseen", "first", "first_seen_at", "first_date"),
    "last_seen": ("last_seen", "time_last", "lastseen", "last", "last_seen_at", "last_date"),
    "count": ("count", "seen_count", "hits", "times_seen"),
}
"""Header names of each field in CSV exports, by preference."""

VALUE_KEYS = ("ip", "ipv6", "host", "nameserver", "value", "email", "hostname")
"""Keys holding the data in SecurityTrails-style ``values`` entries."""


class PassiveDnsError(UnmaskError):
    """A passive-DNS file that cannot be read, or a malformed line in it."""


@dataclass(frozen=True, slots=True)
class PassiveRecord:
    rrname: str
    rrtype: str
    rdata: str
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    count: int | None
    source: str


@dataclass(frozen=True, slots=True)
class Skipped:
    where: str
    """``file:line`` (or ``file:record N`` in a JSON document)."""
    problem: str


# ---------------------------------------------------------------------------------- values


class _Bad(ValueError):
    pass


def _time(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Bad(f"not a time: {value!r}")
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        try:
            return dt.datetime.fromtimestamp(float(value), dt.UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError) as exc:
            raise _Bad(f"not a time: {value!r}") from exc
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00")
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError as exc:
            raise _Bad(f"not a time: {value!r}") from exc
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        return parsed
    raise _Bad(f"not a time: {value!r}")


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"not a domain name: {value!r}")
    name = normalize_host(value)
    if name is None:
        raise _Bad(f"not a domain name: {value!r}")
    return name


def _rdata(rrtype: str, value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise _Bad(f"no data: {value!r}")
    text = value.strip()
    if rrtype in ("A", "AAAA"):
        try:
            address = ipaddress.ip_address(text)
        except ValueError as exc:
            raise _Bad(f"not an IP address: {text!r}") from exc
        if (rrtype == "A") != (address.version == 4):
            raise _Bad(f"{rrtype} record with {text!r}")
        return str(address)
    if rrtype in ("CNAME", "NS", "PTR", "DNAME"):
        return _name(text)
    return text


def _count(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise _Bad(f"not a count: {value!r}") from exc


def _records(
    rrname: Any, rrtype: Any, rdata: Any, first: Any, last: Any, count: Any, source: str
) -> Iterator[PassiveRecord]:
    if not isinstance(rrtype, str) or not rrtype.strip():
        raise _Bad(f"no record type: {rrtype!r}")
    kind = rrtype.strip().upper()
    name = _name(rrname)
    values = rdata if isinstance(rdata, list) else [rdata]
    if not values:
        raise _Bad("no data")
    first_seen, last_seen, n = _time(first), _time(last), _count(count)
    for value in values:
        yield PassiveRecord(name, kind, _rdata(kind, value), first_seen, last_seen, n, source)


# ---------------------------------------------------------------------------------- formats


def detect_format(path: Path) -> str:
    """``cof`` (JSON lines), ``json`` (one document) or ``csv``, from the first non-blank line."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            for line in handle:
                stripped = line.strip()
                if not stripped:
                    continue
                if stripped.startswith("["):
                    return "json"
                if stripped.startswith("{"):
                    try:
                        first = json.loads(stripped)
                    except json.JSONDecodeError:
                        return "json"  # an object spread over several lines
                    return "cof" if isinstance(first, dict) and "rrname" in first else "json"
                return "csv"
    except OSError as exc:
        raise PassiveDnsError(f"cannot read ({exc.strerror})", where=str(path)) from exc
    raise PassiveDnsError("empty file", where=str(path))


@dataclass
class PassiveDnsReader:
    """Iterate over the records of one export; ``skipped`` lists what ``keep_going`` passed over."""

    path: Path
    format: str | None = None
    keep_going: bool = False
    source: str | None = None
    domain: str | None = None
    """The domain of a SecurityTrails-style history whose document does not name it."""
    skipped: list[Skipped] = field(default_factory=list)

    def __iter__(self) -> Iterator[PassiveRecord]:
        fmt = self.format or detect_format(self.path)
        if fmt not in FORMATS:
            raise PassiveDnsError(
                f"unknown format {fmt!r} (known: {', '.join(FORMATS)})", where=str(self.path)
            )
        source = self.source or fmt
        try:
            if fmt == "cof":
                yield from self._cof(source)
            elif fmt == "json":
                yield from self._json(source)
            else:
                yield from self._csv(source)
        except OSError as exc:
            raise PassiveDnsError(f"cannot read ({exc.strerror})", where=str(self.path)) from exc
        except UnicodeDecodeError as exc:
            raise PassiveDnsError("not UTF-8 text", where=str(self.path)) from exc

    def _bad(self, where: str, problem: str) -> None:
        if not self.keep_going:
            raise PassiveDnsError(problem, where=where)
        self.skipped.append(Skipped(where, problem))

    def _cof(self, source: str) -> Iterator[PassiveRecord]:
        with self.path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = f"{self.path}:{number}"
                try:
                    if len(line) > MAX_LINE:
                        raise _Bad("line too long")
                    try:
                        obj = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise _Bad(f"not JSON ({exc.msg})") from exc
                    records = list(self._cof_object(obj, source))
                except _Bad as exc:
                    self._bad(where, str(exc))
                    continue
                yield from records

    @staticmethod
    def _cof_object(obj: Any, source: str) -> Iterator[PassiveRecord]:
        if not isinstance(obj, dict):
            raise _Bad("expected a JSON object")
        first = obj.get("time_first", obj.get("zone_time_first"))
        last = obj.get("time_last", obj.get("zone_time_last"))
        yield from _records(
            obj.get("rrname"), obj.get("rrtype"), obj.get("rdata"), first, last, obj.get("count"), source
        )

    def _json(self, source: str) -> Iterator[PassiveRecord]:
        try:
            with self.path.open(encoding="utf-8-sig") as handle:
                doc = json.load(handle)
        except json.JSONDecodeError as exc:
            raise PassiveDnsError(f"not JSON ({exc.msg})", where=f"{self.path}:{exc.lineno}") from exc
        domain = self.domain
        items: Any = doc
        if isinstance(doc, dict):
            domain = domain or _domain_of(doc)
            items = doc.get("records")
            if not isinstance(items, list):
                raise PassiveDnsError(
                    "expected a list of records (or a 'records' list)", where=str(self.path)
                )
        elif not isinstance(doc, list):
            raise PassiveDnsError("expected a list of records (or a 'records' list)", where=str(self.path))
        for number, item in enumerate(items, 1):
            where = f"{self.path}:record {number}"
            try:
                if isinstance(item, dict) and "rrname" in item:
                    records = list(self._cof_object(item, source))
                else:
                    records = list(_history_record(item, domain, source))
            except _Bad as exc:
                self._bad(where, str(exc))
                continue
            yield from records

    def _csv(self, source: str) -> Iterator[PassiveRecord]:
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise PassiveDnsError("empty file", where=str(self.path))
            columns = _csv_columns(header)
            missing = [f for f in ("rrname", "rdata") if f not in columns]
            if missing:
                expected = ", ".join(CSV_COLUMNS[missing[0]])
                raise PassiveDnsError(
                    f"no {missing[0]} column in the header (expected one of: {expected})",
                    where=f"{self.path}:1",
                )
            for row in reader:
                where = f"{self.path}:{reader.line_num}"
                if not any(cell.strip() for cell in row):
                    continue
                try:
                    if len(row) != len(header):
                        raise _Bad(f"{len(row)} columns, the header has {len(header)}")

                    def cell(name: str, row: list[str] = row) -> str | None:
                        index = columns.get(name)
                        return row[index] if index is not None else None

                    rrtype = cell("rrtype") or _guess_type(cell("rdata"))
                    records = list(
                        _records(
                            cell("rrname"),
                            rrtype,
                            cell("rdata"),
                            cell("first_seen"),
                            cell("last_seen"),
                            cell("count"),
                            source,
                        )
                    )
                except _Bad as exc:
                    self._bad(where, str(exc))
                    continue
                yield from records


def _csv_columns(header: list[str]) -> dict[str, int]:
    names = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in header]
    columns: dict[str, int] = {}
    for field_name, aliases in CSV_COLUMNS.items():
        for alias in aliases:
            if alias in names and names.index(alias) not in columns.values():
                columns[field_name] = names.index(alias)
                break
    return columns


def _guess_type(rdata: str | None) -> str:
    """A CSV without a type column: an IP tells A or AAAA; anything else is rejected."""
    try:
        address = ipaddress.ip_address((rdata or "").strip())
    except ValueError as exc:
        raise _Bad(f"no type column and {rdata!r} is not an IP address") from exc
    return "A" if address.version == 4 else "AAAA"


def _domain_of(doc: Mapping[str, Any]) -> str | None:
    for key in ("domain", "hostname", "rrname"):
        if isinstance(doc.get(key), str):
            return str(doc[key])
    endpoint = doc.get("endpoint")
    if isinstance(endpoint, str) and "/history/" in endpoint:
        return endpoint.split("/history/", 1)[1].split("/", 1)[0] or None
    return None


_HISTORY_TYPES = {"ipv4": "A", "ipv6": "AAAA"}


def _history_record(item: Any, domain: str | None, source: str) -> Iterator[PassiveRecord]:
    if not isinstance(item, dict):
        raise _Bad("expected a JSON object")
    if domain is None:
        raise _Bad("no domain: the document names none (pass the domain)")
    rrtype = str(item.get("type") or "").split("/")[-1]
    rrtype = _HISTORY_TYPES.get(rrtype.lower(), rrtype)
    values = item.get("values")
    if not isinstance(values, list) or not values:
        raise _Bad("no values")
    data: list[Any] = []
    for value in values:
        if isinstance(value, dict):
            found = next((value[k] for k in VALUE_KEYS if value.get(k) not in (None, "")), None)
            data.append(found)
        else:
            data.append(value)
    yield from _records(domain, rrtype, data, item.get("first_seen"), item.get("last_seen"), None, source)


def read_passive_dns(
    path: Path,
    *,
    format: str | None = None,
    keep_going: bool = False,
    source: str | None = None,
    domain: str | None = None,
) -> Iterator[PassiveRecord]:
    """The records of one export (see the module's documentation for the shapes accepted)."""
    return iter(PassiveDnsReader(path, format, keep_going, source, domain))
