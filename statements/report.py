"""The access requests the privacy officer must answer soon: for the weekly report (one section).

The report is written from the warehouse connection; the register lives in the decision store beside
that warehouse (decisions.store.store_path), which the run only reads here. As of the day the report
is written: that is when the privacy officer reads it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from decisions.store import StoreError, open_store, store_path
from statements.dates import local_today
from statements.register import due_soon

DUE_WITHIN_DAYS = 7


def requests_due(con, timezone: str, today: date | None = None) -> list[dict]:
    """The open requests due within DUE_WITHIN_DAYS days and the overdue ones, earliest due first; []
    without a store (or for an in-memory warehouse)."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    if not row or not row[0] or not store_path(row[0]).exists():
        return []
    today = today or local_today(timezone)
    try:
        with open_store(Path(row[0]), create=False) as store:
            rows = due_soon(store, today, DUE_WITHIN_DAYS)
    except StoreError:
        return []  # an unusable store is reported by the commands that write it, not by the report
    return [
        {
            "request_id": r["request_id"], "student_id": r["student_id"], "requester": r["requester"],
            "received": date.fromisoformat(r["received"]), "due": date.fromisoformat(r["due"]), "status": r["status"],
        }
        for r in rows
    ]  # fmt: skip
