"""Reading one landing file into staging: text columns named as in the contract, with a line number.

After `stage()` the connection holds two temporary tables:

- `_stage(_line, <every column of the feed>)`: one row per record, every value trimmed text, an
  empty or absent value NULL;
- `_read_rejects(line, "column", value, reason)`: records that could not be read as a row at all
  (wrong number of CSV columns, a JSONL line that is not an object, bytes that are not UTF-8).

A file that cannot be used as a whole raises `FileRejected` with its quarantine entries.
Line numbers are what a person opening the file sees: the CSV line a record starts on (header = 1),
the JSONL line, the Parquet row (1-based).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from pipelines.contract import HEADER_REQUIRED, Feed
from pipelines.ingest.sql import clean, ident, literal, newlines, short_error

# (line, column, value, reason): one quarantine entry, as the quarantine table holds it.
Entry = tuple[int | None, str | None, str | None, str]


class FileRejected(Exception):
    """The file as a whole cannot be loaded."""

    def __init__(self, entries: list[Entry]):
        super().__init__("; ".join(entry[3] for entry in entries))
        self.entries = entries


def stage(con, path: Path, file_format: str, feed: Feed) -> None:
    reader = {"csv": _stage_csv, "jsonl": _stage_jsonl, "parquet": _stage_parquet}[file_format]
    try:
        reader(con, Path(path), feed)
    except OSError as error:  # e.g. removed or unreadable since it was listed
        raise FileRejected(
            [(None, None, None, f"file could not be read: {error.strerror or error}")]
        ) from None


def _unreadable(error: Exception) -> FileRejected:
    return FileRejected([(None, None, None, f"file could not be read: {short_error(error)}")])


def match_columns(
    names: list[str], feed: Feed, line: int | None, merge: bool = False
) -> dict[str, list[str]]:
    """Contract column -> the source names carrying it (matched trimmed and lower-cased).

    Columns the contract does not know are ignored (the spec allows extra columns). A required
    column that is absent rejects the file; so does a column named twice, unless `merge` says that
    different spellings may each carry it (JSONL keys, which can differ from line to line).
    """
    found: dict[str, list[str]] = {}
    for name in names:
        key = name.strip().lower()
        if key in feed.column_names:
            found.setdefault(key, []).append(name)
    must_exist = feed.required + HEADER_REQUIRED.get(feed.name, ())
    entries: list[Entry] = [(line, c, None, "required column missing") for c in must_exist if c not in found]
    if not merge:
        entries += [
            (line, c, None, "column appears more than once") for c, src in found.items() if len(src) > 1
        ]
    if entries:
        raise FileRejected(entries)
    return found


def _create_stage(con, feed: Feed, source: str, line: str, columns: dict[str, list[str]], as_text) -> None:
    """_stage from a source relation: one cleaned text column per contract column."""
    selected = []
    for name in feed.column_names:
        sources = [as_text(src) for src in columns.get(name, [])]
        value = (
            clean(sources[0] if len(sources) == 1 else f"coalesce({', '.join(sources)})")
            if sources
            else "NULL"
        )
        selected.append(f"CAST({value} AS VARCHAR) AS {ident(name)}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT {line} AS _line, {', '.join(selected)} FROM {source}"
    )


def _no_rejects(con) -> None:
    con.execute(
        'CREATE OR REPLACE TEMP TABLE _read_rejects (line BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR)'
    )


# --- CSV ---------------------------------------------------------------------------------------


def csv_header(path: Path) -> list[str]:
    """The header names of a CSV file (a BOM is dropped); FileRejected when there is no usable header."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
            header = next(csv.reader(stream), None)
    except csv.Error as error:
        raise FileRejected([(1, None, None, f"header line could not be read: {error}")]) from None
    if not header or not any(name.strip() for name in header):
        raise FileRejected([(1, None, None, "no header line")])
    if any("\ufffd" in name for name in header):
        raise FileRejected([(1, None, None, "header line is not valid UTF-8")])
    return header


def _stage_csv(con, path: Path, feed: Feed) -> None:
    header = csv_header(path)
    # Staging columns are named by position, so any header text is safe to read.
    positions = {name: f"c{i}" for i, name in enumerate(header)}
    columns = {c: [positions[src[0]]] for c, src in match_columns(header, feed, line=1).items()}
    read_csv_records(con, path, header)
    _create_stage(
        con,
        feed,
        "_csv_raw r JOIN _csv_lines l ON l.row_index = r.rowid",
        "l.line",
        columns,
        lambda c: f"r.{ident(c)}",
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _read_rejects AS
            SELECT line, NULL::VARCHAR AS "column", value, reason FROM ({csv_rejects_sql(len(header))})
            ORDER BY line"""
    )


def read_csv_records(con, path: Path, header: list[str]) -> None:
    """Read the records under `header` strictly into `_csv_raw(c0, c1, ...)` (every value text), with
    `_csv_lines` (the line each good row starts on) and `_csv_rejected` (records that are no row)."""
    raw_columns = [f"c{i}" for i in range(len(header))]
    con.execute("DROP TABLE IF EXISTS _csv_rejects; DROP TABLE IF EXISTS _csv_reject_scans")
    types = "{" + ", ".join(f"{literal(c)}: 'VARCHAR'" for c in raw_columns) + "}"
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _csv_raw AS SELECT * FROM read_csv({literal(str(path))},
                header = true, auto_detect = false, columns = {types},
                delim = ',', quote = '"', escape = '"', encoding = 'utf-8',
                store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_reject_scans')"""
        )
    except duckdb.Error as error:
        raise _unreadable(error) from None
    _csv_lines(con, raw_columns, header_newlines=sum(name.count("\n") for name in header))


def csv_rejects_sql(expected: int) -> str:
    """SELECT (line, value, reason) of the records `read_csv_records` could not read as a row."""
    return f"""SELECT l.line, j.text AS value,
                   CASE WHEN j.error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS')
                            THEN 'wrong number of columns: expected {expected}, found ' || j.found
                        WHEN j.error_type = 'INVALID ENCODING' THEN 'not valid UTF-8'
                        WHEN j.error_type = 'UNQUOTED VALUE' THEN 'quote not closed or misplaced'
                        WHEN j.error_type = 'LINE SIZE OVER MAXIMUM' THEN 'line too long'
                        ELSE j.message END AS reason
            FROM _csv_rejected j JOIN _csv_lines l ON l.record = j.record"""


def _csv_lines(con, raw_columns: list[str], header_newlines: int) -> None:
    """_csv_lines(row_index, record, line): the line each record starts on.

    DuckDB numbers the rejected records (header = 1, one number per record); the good rows keep their
    order in _csv_raw, so good row g is record g + 2 plus the rejected records before it. A quoted
    value with line breaks spans several lines, which pushes every later record down.
    Known limit: an empty line between records is skipped by DuckDB without a trace, so good rows
    after it are reported one line early (rejected ones keep DuckDB's exact number).
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _csv_rejected AS
            SELECT line AS record, any_value(error_type::VARCHAR) AS error_type,
                   -- one entry per missing column (Found: 3, 4, 5 ...), or per extra one
                   coalesce(min(found) FILTER (WHERE error_type = 'MISSING COLUMNS'), max(found)) AS found,
                   any_value(error_message) AS message,
                   any_value(trim(csv_line, chr(10) || chr(13))) AS text
            FROM (SELECT *, TRY_CAST(regexp_extract(error_message, 'Found: ([0-9]+)', 1) AS BIGINT) AS found
                  FROM _csv_rejects)
            GROUP BY line"""
    )
    good_newlines = " + ".join(newlines(ident(c)) for c in raw_columns)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _csv_lines AS
            WITH rejected AS (
                SELECT record, record - 1 - row_number() OVER (ORDER BY record) AS good_before,
                       {newlines("text")} AS breaks
                FROM _csv_rejected),
            events AS (
                SELECT rowid AS position, 1 AS is_good, rowid AS row_index, NULL::BIGINT AS record,
                       {good_newlines} AS breaks
                FROM _csv_raw
                UNION ALL
                SELECT good_before, 0, NULL, record, breaks FROM rejected),
            counted AS (
                -- (a FILTER clause here makes DuckDB's window orders of magnitude slower)
                SELECT *, sum(1 - is_good) OVER (ORDER BY position, is_good ROWS UNBOUNDED PRECEDING) AS rejected_before
                FROM events),
            records AS (
                SELECT row_index, coalesce(record, row_index + 2 + rejected_before) AS record, breaks
                FROM counted)
            SELECT row_index, record,
                   record + {header_newlines} + coalesce(sum(breaks) OVER (
                       ORDER BY record ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS line
            FROM records"""
    )


# --- JSONL -------------------------------------------------------------------------------------


def _json_text(value: str) -> str:
    """A JSON value as contract text: arrays joined by ';', booleans true/false, strings unquoted."""
    return (
        f"CASE json_type({value}) WHEN 'ARRAY' THEN array_to_string(from_json({value}, '[\"VARCHAR\"]'), ';') "
        f"WHEN 'NULL' THEN NULL ELSE json_extract_string({value}, '$') END"
    )


def _stage_jsonl(con, path: Path, feed: Feed) -> None:
    # Read physical lines (no quoting, a delimiter that never occurs) so every record keeps its line.
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _json_raw AS SELECT * FROM read_csv({literal(str(path))},
                header = false, auto_detect = false, columns = {{'text': 'VARCHAR'}},
                delim = chr(0), quote = '', escape = '', encoding = 'utf-8')"""
        )
    except duckdb.Error as error:
        raise _unreadable(error) from None
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _json_lines AS
           SELECT rowid + 1 AS line, text,
                  CASE WHEN json_valid(text) THEN json_type(text) = 'OBJECT' ELSE false END AS is_object
           FROM _json_raw WHERE trim(text) <> ''"""
    )
    keys = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT unnest(json_keys(text)) FROM _json_lines WHERE is_object ORDER BY 1"
        ).fetchall()
    ]
    has_objects = con.execute("SELECT count(*) FROM _json_lines WHERE is_object").fetchone()[0] > 0
    # With no object at all there is no column to miss: the lines are quarantined one by one below.
    columns = match_columns(keys, feed, line=None, merge=True) if has_objects else {}
    paths = [key for sources in columns.values() for key in sources]
    index = {key: i + 1 for i, key in enumerate(paths)}
    extract = (
        "["
        + ", ".join(literal('$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"') for key in paths)
        + "]"
    )
    values = f"json_extract(text, {extract})" if paths else "NULL"
    _create_stage(
        con,
        feed,
        f"(SELECT line, {values} AS v FROM _json_lines WHERE is_object)",
        "line",
        columns,
        lambda key: _json_text(f"v[{index[key]}]"),
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _read_rejects AS
           SELECT line, NULL::VARCHAR AS "column", text AS value,
                  CASE WHEN json_valid(text) THEN 'not a JSON object' ELSE 'not valid JSON' END AS reason
           FROM _json_lines WHERE NOT is_object ORDER BY line"""
    )


# --- Parquet -----------------------------------------------------------------------------------


def _parquet_text(name: str, sql_type: str) -> str:
    column = ident(name)
    if sql_type.endswith("[]"):
        return f"array_to_string({column}, ';')"
    # Everything else has a text form DuckDB reads back: booleans true/false, dates YYYY-MM-DD,
    # a TIMESTAMP without offset (local), a TIMESTAMPTZ with its offset in the session zone.
    return f"CAST({column} AS VARCHAR)"


def _stage_parquet(con, path: Path, feed: Feed) -> None:
    source = f"read_parquet({literal(str(path))}, file_row_number = true)"
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal(str(path))})").fetchall()
    except duckdb.Error as error:
        raise _unreadable(error) from None
    schema = {row[0]: row[1] for row in described}
    columns = match_columns(list(schema), feed, line=None)
    try:
        _create_stage(
            con, feed, source, "file_row_number + 1", columns, lambda name: _parquet_text(name, schema[name])
        )
    except duckdb.Error as error:
        raise _unreadable(error) from None
    _no_rejects(con)
