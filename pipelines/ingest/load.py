"""Writing one file's outcome to the warehouse, as one transaction.

Last delivery wins per `feed.key` (NULL key parts compare as equal): within the file the last line
with a key wins; a loaded row with the same key is replaced. Every row that loses is recorded in
`replacements`. The quarantine entries, the validation results and the file's `landing_files` row are
written in the same transaction, so a crash never leaves half a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.contract import Feed
from pipelines.ingest.files import LandingFile
from pipelines.ingest.readers import Entry
from pipelines.ingest.sql import ident, literal

# A quarantined value longer than this is cut (a 10 MB field helps nobody in a report).
VALUE_LIMIT = 1000
EXAMPLES = 5  # failures kept as examples per validation result

QUARANTINE_COLUMNS = 'feed, file, line, "column", value, reason, file_hash, reason_code'


def _cut(expr: str) -> str:
    return f"CASE WHEN length({expr}) > {VALUE_LIMIT} THEN left({expr}, {VALUE_LIMIT}) || '…' ELSE {expr} END"


@dataclass
class FileCounts:
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = 0


def _same_key(feed: Feed, left: str, right: str) -> str:
    return " AND ".join(f"{left}.{ident(k)} IS NOT DISTINCT FROM {right}.{ident(k)}" for k in feed.key)


def _row_key(feed: Feed, alias: str) -> str:
    parts = [f"coalesce(CAST({alias}.{ident(k)} AS VARCHAR), '')" for k in feed.key]
    return parts[0] if len(parts) == 1 else f"concat_ws('|', {', '.join(parts)})"


def _landing_row(con, file: LandingFile, seq: int, status: str, counts: FileCounts) -> None:
    con.execute(
        "INSERT INTO landing_files VALUES (?, ?, ?, ?, current_timestamp, ?, ?, ?, ?)",
        [
            file.sha256,
            file.feed,
            file.relative,
            seq,
            status,
            counts.rows_read,
            counts.rows_loaded,
            counts.rows_quarantined,
        ],
    )


def _scalar(con, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def record_rejected(con, file: LandingFile, seq: int, entries: list[Entry]) -> FileCounts:
    """The file as a whole is not loaded: its quarantine entries and a 'rejected' landing row."""
    counts = FileCounts()
    con.begin()
    try:
        con.executemany(
            f"INSERT INTO quarantine ({QUARANTINE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [file.feed, file.relative, line, column, value, reason, file.sha256, code]
                for line, column, value, reason, code in entries
            ],
        )
        # One blocking result per reason and column; the expectation is named by its reason code.
        con.execute(
            f"""INSERT INTO validation_results
                SELECT file_hash, feed, file, reason_code, "column", reason_code, count(*),
                       to_json(list_slice(list({{'line': line, 'value': {_cut("value")}}} ORDER BY line), 1, {EXAMPLES})),
                       true, current_timestamp
                FROM quarantine WHERE file_hash = ?
                GROUP BY ALL""",
            [file.sha256],
        )
        _landing_row(con, file, seq, "rejected", counts)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return counts


def load_batch(con, feed: Feed, file: LandingFile, seq: int) -> FileCounts:
    """Load `_good`, quarantine `_read_rejects` and `_cell_failures` (see readers and parse)."""
    # One statement for the three counts: a small file's cost is mostly its statements.
    read, loaded, quarantined = con.execute(
        # A mapped export's row can have a rejected cell in more than one column (pipelines.mapping.read).
        """SELECT (SELECT count(*) FROM _stage) + (SELECT count(DISTINCT line) FROM _read_rejects),
                  (SELECT count(*) FROM _good),
                  (SELECT count(DISTINCT line) FROM _cell_failures) + (SELECT count(DISTINCT line) FROM _read_rejects)"""
    ).fetchone()
    counts = FileCounts(rows_read=read, rows_loaded=loaded, rows_quarantined=quarantined)
    partition = ", ".join(ident(k) for k in feed.key)
    # Ranking every row is only needed when a key occurs twice in the file (rare, and cheap to test).
    duplicates = _scalar(con, f"SELECT EXISTS (SELECT 1 FROM _good GROUP BY {partition} HAVING count(*) > 1)")
    winners = "_good"
    if duplicates:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _ranked AS SELECT *,
                row_number() OVER (PARTITION BY {partition} ORDER BY _line DESC) AS _rank FROM _good"""
        )
        winners = "(SELECT * FROM _ranked WHERE _rank = 1)"
    names = ", ".join(ident(c) for c in feed.column_names)
    table = ident(feed.name)
    this = f"{literal(feed.name)}, {literal(file.relative)}"
    file_hash = literal(file.sha256)
    con.begin()
    try:
        con.execute(
            f"""INSERT INTO quarantine ({QUARANTINE_COLUMNS})
                SELECT {this}, line, "column", {_cut("value")}, reason, {file_hash}, reason_code FROM _read_rejects
                UNION ALL
                SELECT {this}, line, "column", {_cut("value")}, reason, {file_hash}, reason_code FROM _cell_failures"""
        )
        con.execute(
            f"""INSERT INTO validation_results
                SELECT {file_hash}, {this}, expectation, "column", reason_code, count(DISTINCT line),
                       to_json(list_slice(list({{'line': line, 'value': {_cut("value")}}} ORDER BY line), 1, {EXAMPLES})),
                       false, current_timestamp
                FROM (SELECT expectation, "column", reason_code, line, value FROM _cell_failures
                      UNION ALL
                      SELECT reason_code, "column", reason_code, line, value FROM _read_rejects)
                GROUP BY expectation, "column", reason_code"""
        )
        # Earlier lines of this file that a later line with the same key replaces.
        within = 0
        if duplicates:
            within = _scalar(
                con,
                f"""INSERT INTO replacements
                    SELECT {literal(feed.name)}, {_row_key(feed, "w")}, {file_hash}, l._line, {file_hash}, w._line,
                           current_timestamp
                    FROM _ranked l JOIN _ranked w ON {_same_key(feed, "l", "w")} AND w._rank = 1
                    WHERE l._rank > 1""",
            )
        # Rows of earlier deliveries that this file replaces.
        earlier = _scalar(
            con,
            f"""INSERT INTO replacements
                SELECT {literal(feed.name)}, {_row_key(feed, "w")}, t._file_hash, t._line, {file_hash}, w._line,
                       current_timestamp
                FROM {table} t JOIN {winners} w ON {_same_key(feed, "t", "w")}""",
        )
        if earlier:
            con.execute(
                f"""DELETE FROM {table} t USING {winners} w
                    WHERE {_same_key(feed, "t", "w")}"""
            )
        con.execute(
            f"""INSERT INTO {table} ({names}, _file_hash, _line)
                SELECT {names}, {file_hash}, _line FROM {winners}"""
        )
        counts.rows_replaced = within + earlier
        _landing_row(con, file, seq, "loaded", counts)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return counts
