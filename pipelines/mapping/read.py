"""A vendor export read through its profile into the staging tables every landing file goes through.

After `stage_export()` the connection holds `_stage` and `_read_rejects` as pipelines.ingest.readers
leaves them for a contract file, so validation, parsing and loading (content hash, last delivery wins,
quarantine) are the contract's own. Only the contract's columns reach `_stage`; every other column of
the export is never read into a table (data minimisation). Line numbers are the export's own: the line of
a CSV or JSONL file, the row of a sheet.

A row whose value the profile's map does not know, whose time does not match the profile's format, or
whose export lacks an optional column the profile names, is left out of `_stage` and quarantined in
`_read_rejects` with the export's column name and value (one entry per such cell). A required column
missing from the export rejects the file (FileRejected), named as the export names it.

How: text in another encoding, title rows above the header and sheets are first turned into a private
temporary UTF-8 CSV (streamed, owner-only, removed afterwards); the readers of pipelines.ingest then read
it with the export's delimiter, and one SELECT maps every column (DuckDB, no loop over rows).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

from pipelines.contract import DATE, Column, Feed
from pipelines.ingest import reasons
from pipelines.ingest.readers import FileRejected, _require_text, _stage_csv, _stage_jsonl, csv_header
from pipelines.ingest.sql import clean, ident, literal
from pipelines.mapping.profile import Expression, Profile

CHUNK = 1 << 20
SHEET_ROW = "_sheet_row"  # the sheet row of each record of a workbook turned into CSV
TEMP_TABLES = ("_export", "_mapped", "_map_failures")


def stage_export(con, path: Path, profile: Profile) -> None:
    """Stage one export (see the module's text); FileRejected when it cannot be used as a whole."""
    path = Path(path)
    offset = profile.header_row - 1  # the lines above the header, which the UTF-8 copy leaves out
    try:
        if profile.format != "xlsx" and profile.encoding != "utf-16":
            _require_8bit_text(path)
        with _as_utf8(path, profile) as (readable, delim):
            present = _read(con, readable, profile, delim)
    except OSError as error:
        raise FileRejected(
            [
                (
                    None,
                    None,
                    None,
                    f"file could not be read: {error.strerror or error}",
                    reasons.UNREADABLE_FILE,
                )
            ]
        ) from None
    except FileRejected as rejected:
        raise FileRejected([_export_entry(entry, profile, offset) for entry in rejected.entries]) from None
    if profile.format != "xlsx" and offset:
        con.execute(
            f"UPDATE _stage SET _line = _line + {offset}; UPDATE _read_rejects SET line = line + {offset}"
        )
    con.execute("DROP TABLE IF EXISTS _export; ALTER TABLE _stage RENAME TO _export")
    _map(con, profile, present)


# --- reading -------------------------------------------------------------------------------------


def _export_entry(entry, profile: Profile, offset: int):
    """A rejection entry as the export says it: its line, and the column named as the profile names it."""
    line, column, value, reason, code = entry
    names = {source.lower(): source for source in profile.sources}
    if column is not None and column in names:
        column = names[column]
        if code == reasons.REQUIRED_COLUMN_MISSING:
            reason = f"required column missing: the profile reads {column} and the export has no such column"
    if line is not None and profile.format != "xlsx":
        line += offset
    elif line is not None:
        line = profile.header_row
    return line, column, value, reason, code


def _source_feed(profile: Profile, extra: tuple[str, ...] = ()) -> Feed:
    """The export's columns the profile reads, as a feed the contract readers can stage (lower-cased, as
    they match names); those of required contract columns are required."""
    required = {s.lower() for s in profile.required_sources()} | set(extra)
    names = [*extra, *dict.fromkeys(s.lower() for s in profile.sources)]
    return Feed("export", tuple(Column(n, required=n in required) for n in names), key=(names[0],))


def _read(con, readable: Path, profile: Profile, delim: str) -> set[str]:
    """Stage the UTF-8 file; the lower-cased export columns present (for JSONL: all it could have)."""
    if profile.format == "jsonl":
        _stage_jsonl(con, readable, _source_feed(profile))
        return {s.lower() for s in profile.sources}
    extra = (SHEET_ROW,) if profile.format == "xlsx" else ()
    header = {name.strip().lower() for name in csv_header(readable, delim)}
    _stage_csv(con, readable, _source_feed(profile, extra), delim)
    if extra:
        con.execute(f"UPDATE _stage SET _line = CAST({ident(SHEET_ROW)} AS BIGINT)")
    return header


def _require_8bit_text(path: Path) -> None:
    """Binary data, or UTF-16 text under a profile that names another encoding, rejects the export."""
    try:
        _require_text(path)
    except FileRejected as rejected:
        line, column, value, reason, code = rejected.entries[0]
        if "UTF-16" in reason:
            reason = 'the export is UTF-16 text: set encoding = "utf-16" in its profile'
        raise FileRejected([(line, column, value, reason, code)]) from None


@contextlib.contextmanager
def _as_utf8(path: Path, profile: Profile) -> Iterator[tuple[Path, str]]:
    """(a UTF-8 file starting at the header, its delimiter)."""
    if profile.format == "xlsx":
        with _temporary() as temp:
            _sheet_to_csv(path, profile, temp)
            yield temp, ","
        return
    delim = profile.delimiter if profile.format == "csv" else ","
    if profile.encoding in ("utf-8", "utf-8-sig") and profile.header_row == 1:
        yield path, delim  # read as it is
        return
    with _temporary() as temp:
        _transcode(path, profile, temp)
        yield temp, delim


@contextlib.contextmanager
def _temporary() -> Iterator[Path]:
    """A temporary file only its owner can read (it holds the export's data), removed afterwards."""
    handle, name = tempfile.mkstemp(prefix="schoolaudit-export-", suffix=".csv")  # mode 0600
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)


def _transcode(path: Path, profile: Profile, target: Path) -> None:
    """Copy `path` from its encoding to UTF-8 in chunks, without the lines above the header.

    A byte the encoding does not know is carried over as it is (surrogateescape), so the reader
    quarantines that one record as not valid text; UTF-16 has no such bytes to keep, it is replaced."""
    errors = "replace" if profile.encoding == "utf-16" else "surrogateescape"
    with (
        path.open(encoding=profile.encoding, errors=errors, newline="") as source,
        target.open("w", encoding="utf-8", errors="surrogateescape", newline="") as out,
    ):
        for _ in range(profile.header_row - 1):
            source.readline()
        while chunk := source.read(CHUNK):
            out.write(chunk)


def _sheet_to_csv(path: Path, profile: Profile, target: Path) -> None:
    """The sheet from its header row down as CSV, each record with its sheet row (SHEET_ROW first)."""
    import openpyxl  # only a profile of format xlsx needs it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError) as error:
        raise FileRejected(
            [
                (
                    None,
                    None,
                    None,
                    f"not an Excel workbook (.xlsx): {type(error).__name__}",
                    reasons.UNREADABLE_FILE,
                )
            ]
        ) from None
    try:
        if profile.sheet is not None and profile.sheet not in book.sheetnames:
            reason = f"the workbook has no sheet {profile.sheet!r} (it has: {', '.join(book.sheetnames)})"
            raise FileRejected([(None, None, None, reason, reasons.UNREADABLE_FILE)])
        sheet = book[profile.sheet] if profile.sheet is not None else book.worksheets[0]
        formats = {e.source.lower(): e.time_format for e in profile.expressions if e.source and e.time_format}
        with target.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            rows = sheet.iter_rows(min_row=profile.header_row, values_only=True)
            header = next(rows, None)
            if header is None:
                return  # an empty file: the CSV reader says there is no header
            names = ["" if v is None else str(v) for v in header]
            cell_formats = [formats.get(n.strip().lower()) for n in names]
            writer.writerow([SHEET_ROW, *names])
            # openpyxl reads a sheet row by row; a sheet holds at most 1,048,576 rows.
            for number, row in enumerate(rows, start=profile.header_row + 1):
                if any(v is not None and v != "" for v in row):
                    writer.writerow([number, *(_cell(v, f) for v, f in zip(row, cell_formats))])
    finally:
        book.close()


def _cell(value, time_format: str | None) -> str:
    """A cell as the text an export of it would hold: a real date in the profile's format for that column."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime(time_format) if time_format else value.isoformat()
    return str(value)


# --- mapping -------------------------------------------------------------------------------------


def _mapped_name(column: str) -> str:
    return ident(f"_m_{column}")


def _map(con, profile: Profile, present: set[str]) -> None:
    """_stage from _export: every contract column by its expression; failing cells to _read_rejects."""
    selects, failures = [], []  # failures: (condition, export column, raw value, reason, code)
    for expression in profile.expressions:
        value, found = _expression_sql(expression, present)
        selects.append(f"{value} AS {_mapped_name(expression.column.name)}")
        failures += found
    given = {e.column.name for e in profile.expressions}
    flags = [f"coalesce({cond}, false) AS _fail_{n}" for n, (cond, *_rest) in enumerate(failures)]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _mapped AS SELECT _line, {', '.join(selects + flags)}"
        + (
            ", " + ", ".join(f"{raw} AS _raw_{n}" for n, (_c, _s, raw, *_r) in enumerate(failures))
            if failures
            else ""
        )
        + " FROM _export"
    )
    entries = [
        f"""SELECT _line AS line, {literal(source)} AS "column", _raw_{n} AS value, {literal(reason)} AS reason,
                   {literal(code)} AS reason_code FROM _mapped WHERE _fail_{n}"""
        for n, (_cond, source, _raw, reason, code) in enumerate(failures)
    ]
    empty = """SELECT NULL::BIGINT AS line, NULL::VARCHAR AS "column", NULL::VARCHAR AS value,
                      NULL::VARCHAR AS reason, NULL::VARCHAR AS reason_code WHERE false"""
    con.execute(f"CREATE OR REPLACE TEMP TABLE _map_failures AS {' UNION ALL '.join(entries) or empty}")
    columns = [
        f"CAST({_mapped_name(c) if c in given else 'NULL'} AS VARCHAR) AS {ident(c)}"
        for c in profile.feed.column_names
    ]
    good = " AND ".join(f"NOT _fail_{n}" for n in range(len(failures))) or "true"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT _line, {', '.join(columns)} FROM _mapped WHERE {good}"
    )
    # A record the reader could not split keeps its line and reason, not its text: that holds the columns
    # the profile does not read, which are never stored.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _read_rejects AS
           SELECT * FROM (SELECT line, "column", NULL::VARCHAR AS value, reason, reason_code FROM _read_rejects
                          UNION ALL SELECT * FROM _map_failures)
           ORDER BY line, "column" """
    )
    con.execute("DROP TABLE _mapped; DROP TABLE _export")


def _expression_sql(e: Expression, present: set[str]) -> tuple[str, list[tuple[str, str, str, str, str]]]:
    """(SQL of the contract text, [(failure condition, export column, raw value, reason, code)])."""
    if e.value is not None:
        return literal(e.value), []
    source = e.source
    if source.lower() not in present:
        reason = f"the export has no column {source} (the profile reads {e.column.name} from it)"
        return "NULL", [("true", source, "NULL", reason, reasons.EXPORT_COLUMN_MISSING)]
    raw = ident(source.lower())
    value = raw
    if e.strip:
        value = f"CASE WHEN starts_with({raw}, {literal(e.strip)}) THEN {clean(f'substr({raw}, {len(e.strip) + 1})')} ELSE {raw} END"
    if e.has_map:
        keys = ", ".join(literal(k) for k, _ in e.mapping)
        cases = " ".join(f"WHEN {literal(k)} THEN {literal(t)}" for k, t in e.mapping)
        default = literal(e.default) if e.default is not None else "NULL"
        lowered = f"lower({value})"
        mapped = f"CASE WHEN {value} IS NULL THEN NULL ELSE (CASE {lowered} {cases} ELSE {default} END) END"
        failures = []
        if e.default is None:
            reason = f"the profile's map for {e.column.name} does not know this value"
            failures.append((f"{value} IS NOT NULL AND {lowered} NOT IN ({keys})", source, raw, reason,
                             reasons.UNMAPPED_VALUE))  # fmt: skip
        return mapped, failures
    if e.time_format:
        return _time_sql(e, value, raw)
    return value, []


def _time_sql(e: Expression, value: str, raw: str) -> tuple[str, list]:
    parsed = f"try_strptime({value}, {literal(e.time_format)})"
    fraction = ".%f" if "%f" in e.time_format else ""
    failures = [(f"{value} IS NOT NULL AND {parsed} IS NULL", e.source, raw,
                 f"does not match the profile's format {e.time_format} for {e.column.name}",
                 reasons.TIME_NOT_IN_FORMAT)]  # fmt: skip
    if e.column.kind == DATE:
        return f"strftime({parsed}, '%Y-%m-%d')", failures
    if "%z" in e.time_format or "%Z" in e.time_format:  # an instant: written in UTC
        return f"strftime(timezone('UTC', {parsed}), '%Y-%m-%dT%H:%M:%S{fraction}Z')", failures
    if e.timezone is None:  # local time in the configured zone, as the contract reads a time without offset
        return f"strftime({parsed}, '%Y-%m-%dT%H:%M:%S{fraction}')", failures
    zone = literal(e.timezone)
    instant = f"timezone({zone}, {parsed})"
    # A local time the clocks skipped (02:30 on the night summer time starts) does not exist in the zone:
    # refused, as the contract refuses it, instead of moved an hour on.
    failures.append((f"{parsed} IS NOT NULL AND timezone({zone}, {instant}) <> {parsed}", e.source, raw,
                     f"this local time does not exist in {e.timezone}: the clocks moved forward",
                     reasons.INVALID_TIMESTAMP))  # fmt: skip
    return f"strftime(timezone('UTC', {instant}), '%Y-%m-%dT%H:%M:%S{fraction}Z')", failures
