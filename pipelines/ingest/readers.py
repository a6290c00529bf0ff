"""Reading one landing file into staging: text columns named as in the contract, with a line number.

After `stage()` the connection holds two temporary tables:

- `_stage(_line, <every column of the feed>)`: one row per record, every value trimmed text, an
  empty or absent value NULL;
- `_read_rejects(line, "column", value, reason, reason_code)`: records that could not be read as a row
  at all (wrong number of CSV columns, a JSONL line that is not an object, bytes that are not UTF-8).

A file that cannot be used as a whole raises `FileRejected` with its quarantine entries: no header, a
required column missing, binary data or UTF-16 text. A header without records is staged as no rows.
Line numbers are what a person opening the file sees: the CSV line a record starts on (header = 1),
the JSONL line, the Parquet row (1-based).
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from pipelines.contract import HEADER_REQUIRED, Feed
from pipelines.ingest import reasons
from pipelines.ingest.sql import clean, ident, literal, newlines, short_error

# (line, column, value, reason, reason_code): one quarantine entry, as the quarantine table holds it.
Entry = tuple[int | None, str | None, str | None, str, str]

# How much of a text file is looked at to tell it from binary data or UTF-16.
SNIFF_BYTES = 1 << 16
# A record longer than this is quarantined, not read (DuckDB's default, made explicit).
MAX_LINE_BYTES = 2_097_152
LINE_TOO_LONG = "line too long (more than 2 MB)"
CHUNK = 1 << 20  # bytes read at a time to count lines
GLOB_CHARACTERS = "*?["


class FileRejected(Exception):
    """The file as a whole cannot be loaded."""

    def __init__(self, entries: list[Entry]):
        super().__init__("; ".join(entry[3] for entry in entries))
        self.entries = entries


def stage(con, path: Path, file_format: str, feed: Feed) -> None:
    reader = {"csv": _stage_csv, "jsonl": _stage_jsonl, "parquet": _stage_parquet}[file_format]
    try:
        if file_format != "parquet":
            _require_text(Path(path))
        reader(con, Path(path), feed)
    except OSError as error:  # e.g. removed or unreadable since it was listed
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
    # A header and no records (or a JSONL file without a line) is an export of nothing: it delivers no
    # rows and is no error (spec/landing.md).


def _require_text(path: Path) -> None:
    """Binary data and UTF-16 text are rejected as a whole: read as UTF-8 every line would be garbage.
    (A UTF-8 file with a few Latin-1 bytes is read; those records are quarantined one by one.)"""
    with path.open("rb") as stream:
        start = stream.read(SNIFF_BYTES)
    if start[:2] in (b"\xff\xfe", b"\xfe\xff") or start[:4] in (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00"):
        reason = "not UTF-8 text: the file is UTF-16 (or UTF-32); export it as UTF-8"
    elif start.count(b"\x00") * 3 >= len(start) and start[::2].count(b"\x00") != start[1::2].count(b"\x00"):
        reason = "not UTF-8 text: the file looks like UTF-16 without a byte order mark; export it as UTF-8"
    elif b"\x00" in start:
        reason = "not a text file (binary data); expected UTF-8 text"
    else:
        return
    raise FileRejected([(None, None, None, reason, reasons.NOT_TEXT)])


def duckdb_path(path: Path) -> str:
    """The path as DuckDB's readers take it: absolute, and with glob characters escaped ([[] is a
    literal '['), because DuckDB reads `x[1].csv` as a pattern that matches x1.csv."""
    text = str(Path(path).absolute())
    return "".join(f"[{char}]" if char in GLOB_CHARACTERS else char for char in text)


def _unreadable(error: Exception) -> FileRejected:
    return FileRejected(
        [(None, None, None, f"file could not be read: {short_error(error)}", reasons.UNREADABLE_FILE)]
    )


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
    entries: list[Entry] = [
        (line, c, None, "required column missing", reasons.REQUIRED_COLUMN_MISSING)
        for c in must_exist
        if c not in found
    ]
    if not merge:
        entries += [
            (line, c, None, "column appears more than once", reasons.DUPLICATE_COLUMN)
            for c, src in found.items()
            if len(src) > 1
        ]
    if entries:
        raise FileRejected(entries)
    return found


def _stage_sql(
    feed: Feed, source: str, line: str, columns: dict[str, list[str]], as_text, keep: list[str] = ()
) -> str:
    """CREATE _stage from a source relation: one cleaned text column per contract column (and each `keep`
    expression as `_keep_<n>`, for the caller to drop)."""
    selected = []
    for name in feed.column_names:
        sources = [as_text(src) for src in columns.get(name, [])]
        value = (
            clean(sources[0] if len(sources) == 1 else f"coalesce({', '.join(sources)})")
            if sources
            else "NULL"
        )
        selected.append(f"CAST({value} AS VARCHAR) AS {ident(name)}")
    selected += [f"{expr} AS _keep_{n}" for n, expr in enumerate(keep)]
    return (
        f"CREATE OR REPLACE TEMP TABLE _stage AS SELECT {line} AS _line, {', '.join(selected)} FROM {source}"
    )


def _create_stage(con, feed: Feed, source: str, line: str, columns: dict[str, list[str]], as_text) -> None:
    con.execute(_stage_sql(feed, source, line, columns, as_text))


def _no_rejects(con) -> None:
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _read_rejects
           (line BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR, reason_code VARCHAR)"""
    )


# --- CSV ---------------------------------------------------------------------------------------


def csv_header(path: Path, delim: str = ",") -> list[str]:
    """The header names of a CSV file (a BOM is dropped); FileRejected when there is no usable header."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as stream:
            header = next(csv.reader(stream, delimiter=delim), None)
    except csv.Error as error:
        raise FileRejected(
            [(1, None, None, f"header line could not be read: {error}", reasons.BAD_HEADER)]
        ) from None
    if not header or not any(name.strip() for name in header):
        raise FileRejected([(1, None, None, "no header line", reasons.NO_HEADER)])
    if any("\ufffd" in name for name in header):
        raise FileRejected([(1, None, None, "header line is not valid UTF-8", reasons.BAD_HEADER)])
    return header


def _stage_csv(con, path: Path, feed: Feed, delim: str = ",") -> None:
    """`delim`: the separator (a vendor export read through its profile may use another one)."""
    header = csv_header(path, delim)
    # Staging columns are named by position, so any header text is safe to read.
    positions = {name: f"c{i}" for i, name in enumerate(header)}
    columns = {c: [positions[src[0]]] for c, src in match_columns(header, feed, line=1).items()}
    if _stage_one_line_records(con, path, feed, header, columns, delim):
        return
    simple = read_csv_records(con, path, header, delim)
    # Every record on one line and none rejected (the common case): the line follows from the position.
    source = "_csv_raw r" if simple else "_csv_raw r JOIN _csv_lines l ON l.row_index = r.rowid"
    line = f"r.rowid + 2 + {_header_newlines(header)}" if simple else "l.line"
    _create_stage(con, feed, source, line, columns, lambda c: f"r.{ident(c)}")
    _csv_read_rejects(con, len(header))


def _csv_read_rejects(con, expected: int) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _read_rejects AS
            SELECT line, NULL::VARCHAR AS "column", value, reason, reason_code
            FROM ({csv_rejects_sql(expected)})
            ORDER BY line"""
    )


def _header_newlines(header: list[str]) -> int:
    return sum(name.count("\n") for name in header)


def read_csv_records(con, path: Path, header: list[str], delim: str = ",") -> bool:
    """Read the records under `header` strictly into `_csv_raw(c0, c1, ...)` (every value text), with
    `_csv_lines` (the line each good row starts on) and `_csv_rejected` (records that are no row).

    True when every record is one line and none was rejected: then row i starts on line i + 2 (plus
    the header's line breaks)."""
    raw_columns = [f"c{i}" for i in range(len(header))]
    _read_csv(con, f"CREATE OR REPLACE TEMP TABLE _csv_raw AS SELECT * FROM {csv_records_sql(path, header, delim)}")
    return _csv_lines(con, raw_columns, header_newlines=_header_newlines(header))


def csv_records_sql(path: Path, header: list[str], delim: str = ",") -> str:
    """The file's records read strictly, every value text, columns c0, c1, ... by position; records that
    are no row go to `_csv_rejects`. Select every column, even one the contract does not know: DuckDB
    checks (for UTF-8, say) only the columns it reads."""
    types = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    return f"""read_csv({literal(duckdb_path(path))},
        header = true, auto_detect = false, columns = {types},
        delim = {literal(delim)}, quote = '"', escape = '"', encoding = 'utf-8', max_line_size = {MAX_LINE_BYTES},
        store_rejects = true, rejects_table = '_csv_rejects', rejects_scan = '_csv_reject_scans')"""


def _read_csv(con, statement: str) -> None:
    """Run a statement that reads `csv_records_sql`."""
    con.execute("DROP TABLE IF EXISTS _csv_rejects; DROP TABLE IF EXISTS _csv_reject_scans")
    try:
        con.execute(statement)
    except duckdb.Error as error:
        raise _unreadable(error) from None


def line_count(path: Path) -> int | None:
    """The lines of a text file as an editor counts them (the last one may lack its line break); None
    when a carriage return stands alone (an old Mac line break, or one inside a value), which DuckDB
    may read as a line break too."""
    breaks = returns = pairs = 0
    last = b""
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            breaks += chunk.count(b"\n")
            returns += chunk.count(b"\r")
            pairs += chunk.count(b"\r\n") + (last == b"\r" and chunk[:1] == b"\n")
            last = chunk[-1:]
    if returns != pairs:
        return None
    return breaks + (last not in (b"", b"\n"))


def _stage_one_line_records(
    con, path: Path, feed: Feed, header: list[str], columns: dict[str, list[str]], delim: str = ","
) -> bool:
    """Stage the file in one read when every record is on a line of its own (the common case); False,
    with nothing staged, when it is not (a value with a line break, an empty line): `read_csv_records`
    then reads it again, keeping the raw values to count the line breaks in them.

    The file's lines are the header's plus at least one per record, and exactly one per record only when
    no record spans lines and no line is empty. Then a record's line follows from its number."""
    lines = line_count(path)
    if lines is None:
        return False
    header_newlines = _header_newlines(header)
    used = {src for sources in columns.values() for src in sources}
    unused = [f"c{i}" for i in range(len(header)) if f"c{i}" not in used]
    _read_csv(
        con,
        _stage_sql(
            feed,
            f"{csv_records_sql(path, header, delim)} r",
            "NULL::BIGINT",
            columns,
            lambda c: f"r.{ident(c)}",
            keep=[f"r.{ident(c)}" for c in unused],  # read (and so checked), then dropped
        ),
    )
    _csv_rejected(con)
    rows, rejected, spanning = con.execute(
        """SELECT (SELECT count(*) FROM _stage), (SELECT count(*) FROM _csv_rejected),
                  (SELECT count(*) FROM _csv_rejected WHERE contains(text, chr(10)))"""
    ).fetchone()
    if spanning or lines != 1 + header_newlines + rows + rejected:
        con.execute("DROP TABLE _stage")
        return False
    for n in range(len(unused)):
        con.execute(f"ALTER TABLE _stage DROP COLUMN _keep_{n}")
    if rejected == 0:
        con.execute(f"UPDATE _stage SET _line = rowid + 2 + {header_newlines}")
        _no_rejects(con)
        return True
    # No line breaks inside records: a good row's line is its record number.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _csv_lines AS {_csv_lines_sql('_stage', '0', header_newlines)}"
    )
    con.execute("UPDATE _stage SET _line = l.line FROM _csv_lines l WHERE l.row_index = _stage.rowid")
    _csv_read_rejects(con, len(header))
    return True


def csv_rejects_sql(expected: int) -> str:
    """SELECT (line, value, reason, reason_code) of the records `read_csv_records` could not read as a row."""
    return f"""SELECT l.line, j.text AS value,
                   CASE WHEN j.error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS')
                            THEN 'wrong number of columns: expected {expected}, found ' || j.found
                        WHEN j.error_type = 'INVALID ENCODING' THEN 'not valid UTF-8'
                        WHEN j.error_type = 'UNQUOTED VALUE' THEN 'quote not closed or misplaced'
                        WHEN j.error_type = 'LINE SIZE OVER MAXIMUM' THEN '{LINE_TOO_LONG}'
                        ELSE j.message END AS reason,
                   CASE WHEN j.error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN '{reasons.WRONG_COLUMN_COUNT}'
                        WHEN j.error_type = 'INVALID ENCODING' THEN '{reasons.NOT_UTF8}'
                        WHEN j.error_type = 'UNQUOTED VALUE' THEN '{reasons.UNCLOSED_QUOTE}'
                        WHEN j.error_type = 'LINE SIZE OVER MAXIMUM' THEN '{reasons.LINE_TOO_LONG}'
                        ELSE '{reasons.UNREADABLE_RECORD}' END AS reason_code
            FROM _csv_rejected j JOIN _csv_lines l ON l.record = j.record"""


def _csv_rejected(con) -> None:
    """_csv_rejected(record, error_type, found, message, text): one row per record DuckDB rejected."""
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


def _csv_lines(con, raw_columns: list[str], header_newlines: int) -> bool:
    """_csv_lines(row_index, record, line): the line each record starts on; True when that is simply
    the row's position (every record one line, none rejected).

    DuckDB numbers the rejected records (header = 1, one number per record); the good rows keep their
    order in _csv_raw, so good row g is record g + 2 plus the rejected records before it. A quoted
    value with line breaks spans several lines, which pushes every later record down.
    Known limit: an empty line between records is skipped by DuckDB without a trace, so good rows
    after it are reported one line early (rejected ones keep DuckDB's exact number).
    """
    _csv_rejected(con)
    any_break = " OR ".join(f"contains({ident(c)}, chr(10))" for c in raw_columns)
    simple = con.execute(
        f"""SELECT NOT EXISTS (SELECT 1 FROM _csv_rejected)
                   AND NOT coalesce((SELECT bool_or({any_break}) FROM _csv_raw), false)"""
    ).fetchone()[0]
    if simple:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _csv_lines AS
                SELECT rowid AS row_index, rowid + 2 AS record, rowid + 2 + {header_newlines} AS line FROM _csv_raw"""
        )
        return True
    good_newlines = " + ".join(newlines(ident(c)) for c in raw_columns)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _csv_lines AS {_csv_lines_sql('_csv_raw', good_newlines, header_newlines)}"
    )
    return False


def _csv_lines_sql(good_rows: str, good_newlines: str, header_newlines: int) -> str:
    """SELECT (row_index, record, line) of every record, from `_csv_rejected` and `good_rows` (the rows
    read, in file order; `good_newlines` counts the line breaks inside one of them)."""
    return f"""WITH rejected AS (
                SELECT record, record - 1 - row_number() OVER (ORDER BY record) AS good_before,
                       {newlines("text")} AS breaks
                FROM _csv_rejected),
            events AS (
                SELECT rowid AS position, 1 AS is_good, rowid AS row_index, NULL::BIGINT AS record,
                       {good_newlines} AS breaks
                FROM {good_rows}
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


# --- JSONL -------------------------------------------------------------------------------------


def _json_text(value: str) -> str:
    """A JSON value as contract text: arrays joined by ';', booleans true/false, strings unquoted."""
    return (
        f"CASE json_type({value}) WHEN 'ARRAY' THEN array_to_string(from_json({value}, '[\"VARCHAR\"]'), ';') "
        f"WHEN 'NULL' THEN NULL ELSE json_extract_string({value}, '$') END"
    )


def _stage_jsonl(con, path: Path, feed: Feed) -> None:
    # Read physical lines (no quoting, a delimiter that never occurs) so every record keeps its line;
    # lines that are not UTF-8 or too long are set aside by DuckDB with their line number.
    con.execute("DROP TABLE IF EXISTS _json_rejects; DROP TABLE IF EXISTS _json_reject_scans")
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _json_raw AS SELECT * FROM read_csv({literal(duckdb_path(path))},
                header = false, auto_detect = false, columns = {{'text': 'VARCHAR'}},
                delim = chr(0), quote = '', escape = '', encoding = 'utf-8', max_line_size = {MAX_LINE_BYTES},
                store_rejects = true, rejects_table = '_json_rejects', rejects_scan = '_json_reject_scans')"""
        )
    except duckdb.Error as error:
        raise _unreadable(error) from None
    # A good row's line: its position plus the rejected lines before it (as for CSV, _csv_lines); with
    # none rejected (the common case), just its position.
    is_object = "CASE WHEN json_valid(text) THEN json_type(text) = 'OBJECT' ELSE false END AS is_object"
    if not con.execute("SELECT EXISTS (SELECT 1 FROM _json_rejects)").fetchone()[0]:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _json_lines AS
                SELECT rowid + 1 AS line, text, {is_object} FROM _json_raw WHERE trim(text) <> ''"""
        )
    else:
        _json_lines_with_rejects(con, is_object)
    _stage_json_lines(con, feed)


def _json_lines_with_rejects(con, is_object: str) -> None:
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _json_lines AS
           WITH rejected AS (
               SELECT line, line - row_number() OVER (ORDER BY line) AS good_before
               FROM (SELECT DISTINCT line FROM _json_rejects)),
           events AS (
               SELECT rowid AS position, 1 AS is_good, text FROM _json_raw
               UNION ALL
               SELECT good_before, 0, NULL FROM rejected),
           counted AS (
               SELECT *, sum(1 - is_good) OVER (ORDER BY position, is_good ROWS UNBOUNDED PRECEDING) AS rejected_before
               FROM events)
           SELECT position + 1 + rejected_before AS line, text, {is_object}
           FROM counted WHERE is_good = 1 AND trim(text) <> ''"""
    )


def _stage_json_lines(con, feed: Feed) -> None:
    """_stage and _read_rejects from _json_lines(line, text, is_object) and _json_rejects."""
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
        f"""CREATE OR REPLACE TEMP TABLE _read_rejects AS
           SELECT line, NULL::VARCHAR AS "column", text AS value,
                  CASE WHEN json_valid(text) THEN 'not a JSON object' ELSE 'not valid JSON' END AS reason,
                  CASE WHEN json_valid(text) THEN '{reasons.NOT_JSON_OBJECT}' ELSE '{reasons.NOT_JSON}' END
                      AS reason_code
           FROM _json_lines WHERE NOT is_object
           UNION ALL
           SELECT line, NULL, any_value(csv_line),
                  CASE any_value(error_type::VARCHAR) WHEN 'INVALID ENCODING' THEN 'not valid UTF-8'
                       WHEN 'LINE SIZE OVER MAXIMUM' THEN '{LINE_TOO_LONG}' ELSE 'not valid JSON' END,
                  CASE any_value(error_type::VARCHAR) WHEN 'INVALID ENCODING' THEN '{reasons.NOT_UTF8}'
                       WHEN 'LINE SIZE OVER MAXIMUM' THEN '{reasons.LINE_TOO_LONG}' ELSE '{reasons.NOT_JSON}' END
           FROM _json_rejects GROUP BY line
           ORDER BY line"""
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
    source = f"read_parquet({literal(duckdb_path(path))}, file_row_number = true)"
    try:
        described = con.execute(
            f"DESCRIBE SELECT * FROM read_parquet({literal(duckdb_path(path))})"
        ).fetchall()
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
