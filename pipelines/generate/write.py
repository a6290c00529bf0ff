"""Writing landing files in the shapes of spec/landing.md, through DuckDB (fast, and the same text
whatever the size).

Frames hold typed values: dates and timestamps as naive *local* datetimes, lists as ';'-joined text,
booleans as pandas booleans. A timestamp column `x` may come with `x__style` saying how to write it:
0 local time without offset, 1 with its offset (+01:00), 2 in UTC ('Z'), 3 as a bare date.
Columns starting with '_' are helpers and never written.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd

from pipelines import private
from pipelines.contract import BOOL, DATE, DATE_OR_TIMESTAMP, FEEDS, LIST, TIMESTAMP

FORMATS = {"csv": "(FORMAT csv, HEADER true)", "jsonl": "(FORMAT json)", "parquet": "(FORMAT parquet)"}

MACROS = """
CREATE OR REPLACE MACRO offset_text(secs) AS
    (CASE WHEN secs < 0 THEN '-' ELSE '+' END)
    || lpad(CAST(abs(secs) // 3600 AS VARCHAR), 2, '0') || ':'
    || lpad(CAST((abs(secs) % 3600) // 60 AS VARCHAR), 2, '0');
CREATE OR REPLACE MACRO render_ts(ts, style) AS CASE style
    WHEN 0 THEN strftime(ts, '%Y-%m-%dT%H:%M:%S')
    WHEN 1 THEN strftime(ts, '%Y-%m-%dT%H:%M:%S')
        || offset_text(CAST(epoch(ts) - epoch(CAST(ts AS TIMESTAMPTZ)) AS BIGINT))
    WHEN 2 THEN strftime(timezone('UTC', CAST(ts AS TIMESTAMPTZ)), '%Y-%m-%dT%H:%M:%SZ')
    ELSE strftime(ts, '%Y-%m-%d') END;
"""


class Writer:
    """Writes feeds under a landing folder and counts the rows per feed."""

    def __init__(self, landing: Path, timezone: str):
        self.landing = landing
        self.con = duckdb.connect()
        # Local times become instants (and offsets) in the configured zone.
        self.run(f"SET TimeZone = '{timezone.replace(chr(39), '')}'")
        self.run("SET preserve_insertion_order = true")
        self.run("SET enable_progress_bar = false")
        self.run(MACROS)
        self.counts: dict[str, int] = defaultdict(int)

    def run(self, sql: str) -> list[tuple]:
        """Execute and read the whole result (DuckDB wants results finished before other work)."""
        return self.con.execute(sql).fetchall()

    def close(self) -> None:
        self.con.close()

    def frame(self, feed: str, frame: pd.DataFrame, name: str, fmt: str = "csv",
              booleans: tuple[str, str] = ("true", "false")) -> int:
        """Write a pandas frame as one file `<feed>/<name>.<fmt>`."""
        self.con.register("frame_to_write", _typed(feed, frame))
        try:
            return self.relation(feed, "frame_to_write", list(frame.columns), name, fmt, booleans)
        finally:
            self.con.unregister("frame_to_write")

    def relation(self, feed: str, source: str, columns: list[str], name: str, fmt: str = "csv",
                 booleans: tuple[str, str] = ("true", "false"), order_by: str | None = None,
                 rows: int | None = None) -> int:
        """Write a table or view of the writer's connection (columns named as the contract);
        `rows` saves counting when the caller knows it."""
        path = self.landing / feed / f"{name}.{fmt}"
        private.make_dirs(path.parent)
        select = ", ".join(_expression(feed, c, columns, fmt, booleans) for c in _contract_columns(feed, columns))
        order = f" ORDER BY {order_by}" if order_by else ""
        query = f"SELECT {select} FROM {source}{order}"
        self.run(f"COPY ({query}) TO '{_sql_path(path)}' {FORMATS[fmt]}")
        private.make_private(path)  # DuckDB creates it with 0666 minus the umask
        if rows is None:
            rows = self.run(f"SELECT count(*) FROM {source}")[0][0]
        self.counts[feed] += rows
        return rows


def _contract_columns(feed: str, present: list[str]) -> list[str]:
    return [c for c in FEEDS[feed].column_names if c in present]


def _expression(feed: str, name: str, present: list[str], fmt: str, booleans: tuple[str, str]) -> str:
    kind = FEEDS[feed].column(name).kind
    col = f'"{name}"'
    if kind in (TIMESTAMP, DATE_OR_TIMESTAMP):
        ts = f"CAST({col} AS TIMESTAMP)"
        if fmt == "parquet":  # a typed instant, as vendors' Parquet exports carry it
            return f"CAST({ts} AS TIMESTAMPTZ) AS {col}"
        style = f'"{name}__style"' if f"{name}__style" in present else "1"
        return f"render_ts({ts}, {style}) AS {col}"
    if kind == DATE:
        return f"CAST({col} AS DATE) AS {col}"
    if kind == BOOL:
        if fmt == "csv":
            yes, no = booleans
            return f"CASE WHEN {col} THEN '{yes}' WHEN NOT {col} THEN '{no}' END AS {col}"
        return f"CAST({col} AS BOOLEAN) AS {col}"
    if kind == LIST:
        if fmt == "csv":
            return f"CAST({col} AS VARCHAR) AS {col}"
        return f"CASE WHEN {col} IS NULL OR {col} = '' THEN NULL ELSE string_split({col}, ';') END AS {col}"
    return f"CAST({col} AS VARCHAR) AS {col}"


def _typed(feed: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Make rows added by plants (Python dates, None) look like the generated columns."""
    # Helper columns are never written; planted rows lack them, so they could only mix types.
    frame = frame[[c for c in frame.columns if not c.startswith("_")]].copy()
    for name in _contract_columns(feed, list(frame.columns)):
        kind = FEEDS[feed].column(name).kind
        if kind in (DATE, TIMESTAMP, DATE_OR_TIMESTAMP):
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[s]")
        elif kind == BOOL:
            frame[name] = frame[name].astype("boolean")
        else:
            frame[name] = frame[name].astype("str")
    for name in frame.columns:
        if name.endswith("__style"):
            frame[name] = frame[name].fillna(1).astype("int8")
    return frame


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")
