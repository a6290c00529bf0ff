"""Writing one file's outcome to the warehouse, as one transaction.

Last delivery wins per `feed.key` (NULL key parts compare as equal): within the file the last line
with a key wins; a loaded row with the same key is replaced. Every row that loses is recorded in
`replacements`. The quarantine entries and the file's `landing_files` row are written in the same
transaction, so a crash never leaves half a file.
"""

from __future__ import annotations

from dataclasses import dataclass

from pipelines.contract import Feed
from pipelines.ingest.files import LandingFile
from pipelines.ingest.readers import Entry
from pipelines.ingest.sql import ident, literal


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
            "INSERT INTO quarantine VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                [file.feed, file.relative, line, column, value, reason, file.sha256]
                for line, column, value, reason in entries
            ],
        )
        _landing_row(con, file, seq, "rejected", counts)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return counts


def load_batch(con, feed: Feed, file: LandingFile, seq: int) -> FileCounts:
    """Load `_good`, quarantine `_read_rejects` and `_cell_failures` (see readers and parse)."""
    counts = FileCounts(
        rows_read=_scalar(con, "SELECT (SELECT count(*) FROM _stage) + (SELECT count(*) FROM _read_rejects)"),
        rows_loaded=_scalar(con, "SELECT count(*) FROM _good"),
        rows_quarantined=_scalar(
            con,
            "SELECT (SELECT count(DISTINCT line) FROM _cell_failures) + (SELECT count(*) FROM _read_rejects)",
        ),
    )
    partition = ", ".join(ident(k) for k in feed.key)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _ranked AS SELECT *,
            row_number() OVER (PARTITION BY {partition} ORDER BY _line DESC) AS _rank FROM _good"""
    )
    names = ", ".join(ident(c) for c in feed.column_names)
    table = ident(feed.name)
    this = f"{literal(feed.name)}, {literal(file.relative)}"
    file_hash = literal(file.sha256)
    con.begin()
    try:
        con.execute(
            f"""INSERT INTO quarantine
                SELECT {this}, line, "column", value, reason, {file_hash} FROM _read_rejects
                UNION ALL
                SELECT {this}, line, "column", value, reason, {file_hash} FROM _cell_failures"""
        )
        # Earlier lines of this file that a later line with the same key replaces.
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
                FROM {table} t JOIN _ranked w ON {_same_key(feed, "t", "w")} AND w._rank = 1""",
        )
        if earlier:
            con.execute(
                f"""DELETE FROM {table} t USING (SELECT * FROM _ranked WHERE _rank = 1) w
                    WHERE {_same_key(feed, "t", "w")}"""
            )
        con.execute(
            f"""INSERT INTO {table} ({names}, _file_hash, _line)
                SELECT {names}, {file_hash}, _line FROM _ranked WHERE _rank = 1"""
        )
        counts.rows_replaced = within + earlier
        _landing_row(con, file, seq, "loaded", counts)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return counts
