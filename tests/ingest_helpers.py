"""Helpers for the ingest tests: writing small landing files and reading back what was loaded."""

from __future__ import annotations

import json
import os
from pathlib import Path

from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from pipelines.warehouse import connect

QUARANTINE = 'SELECT feed, file, line, "column", value, reason FROM quarantine ORDER BY file, line, "column"'


def warehouse(tmp_path: Path, timezone: str = "Europe/Amsterdam"):
    return connect(tmp_path / "w.duckdb", timezone)


def write_text(path: Path, text: str, encoding: str = "utf-8", mtime: int | None = None) -> Path:
    """Writes exactly `text` (no newline translation), optionally with a given modification time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return touch(path, mtime)


def write_bytes(path: Path, data: bytes, mtime: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return touch(path, mtime)


def write_jsonl(path: Path, records: list[dict], mtime: int | None = None) -> Path:
    return write_text(path, "".join(json.dumps(r) + "\n" for r in records), mtime=mtime)


def write_parquet(con, path: Path, select_sql: str, mtime: int | None = None) -> Path:
    """A Parquet file holding the result of `select_sql` (typed columns, as a vendor would write)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con.execute(f"COPY ({select_sql}) TO '{path}' (FORMAT parquet)")
    return touch(path, mtime)


def touch(path: Path, mtime: int | None) -> Path:
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def ingest(con, landing: Path, **settings):
    return ingest_landing(con, landing, Settings(**settings))


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def quarantine(con) -> list[tuple]:
    return rows(con, QUARANTINE)


def counts_add_up(result) -> bool:
    totals_match = all(
        getattr(result, name) == sum(feed[name] for feed in result.by_feed.values())
        for name in ("rows_read", "rows_loaded", "rows_quarantined", "rows_replaced")
    )
    return totals_match and result.rows_read == result.rows_loaded + result.rows_quarantined
