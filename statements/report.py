"""The access requests the privacy officer must answer soon: for the weekly report (one section).

The report is written from the warehouse connection; the register lives in the decision store beside
that warehouse, which a run only reads, here read-only (as decisions.tables does), so that a report never
creates a store or waits for a write. As of the day the report is written: that is when it is read.
"""

from __future__ import annotations

import sqlite3
from datetime import date

from decisions.store import store_path
from decisions.tables import warehouse_file
from statements.dates import local_today
from statements.register import due_soon

DUE_WITHIN_DAYS = 7


def requests_due(con, timezone: str, today: date | None = None) -> list[dict]:
    """The open requests due within DUE_WITHIN_DAYS days and the overdue ones, earliest due first; []
    without a store (or for an in-memory warehouse), or a store from before the register."""
    warehouse = warehouse_file(con)
    if warehouse is None or not store_path(warehouse).exists():
        return []
    today = today or local_today(timezone)
    store = sqlite3.connect(f"file:{store_path(warehouse)}?mode=ro", uri=True, timeout=10)
    try:
        store.row_factory = sqlite3.Row
        rows = due_soon(store, today, DUE_WITHIN_DAYS)
    except sqlite3.OperationalError:
        return []  # no register in this store yet: nobody registered a request
    finally:
        store.close()
    return [
        {
            "request_id": r["request_id"], "student_id": r["student_id"], "requester": r["requester"],
            "received": date.fromisoformat(r["received"]), "due": date.fromisoformat(r["due"]), "status": r["status"],
        }
        for r in rows
    ]  # fmt: skip
