"""The register of access requests (decisions.store: access_requests, access_request_events).

A request is registered with who asked and when it came in; its due date follows (due_date).
Issuing the statement is an event of its own, so the register never changes a row. A request is open
until a statement is issued for it (or it is withdrawn); an open request past its due date is overdue.
"""

from __future__ import annotations

import calendar
import sqlite3
from datetime import date, datetime
from zoneinfo import ZoneInfo

from decisions.store import REQUESTERS, store_path, utc_now
from decisions.tables import warehouse_file


def due_date(received: date) -> date:
    """received + 1 calendar month (AVG art. 12(3)); a day the next month does not have becomes its last
    day: 31 January -> 28 (29) February, 31 March -> 30 April, 31 December -> 31 January."""
    year, month = (received.year + 1, 1) if received.month == 12 else (received.year, received.month + 1)
    return date(year, month, min(received.day, calendar.monthrange(year, month)[1]))


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


# One row per request with its state on a day ($today): the latest event decides.
_REQUESTS = """
SELECT r.request_id, r.student_id, r.requester, r.received, r.due, r.registered_by, r.registered_at,
       e.on_date AS issued, e.statement, e.event,
       CASE WHEN e.event = 'issued' THEN 'issued'
            WHEN e.event = 'withdrawn' THEN 'withdrawn'
            WHEN r.due < :today THEN 'overdue'
            ELSE 'open' END AS status
FROM access_requests r
LEFT JOIN access_request_events e
       ON e.event_id = (SELECT max(event_id) FROM access_request_events x WHERE x.request_id = r.request_id)
"""


class RequestError(ValueError):
    """A request that cannot be registered (an unknown requester, a date in the future)."""


def register(
    con: sqlite3.Connection, student_id: str, requester: str, received: date, by: str, today: date,
    issued_statement: str | None = None,
) -> int:  # fmt: skip
    """Register a request, and when `issued_statement` is given its statement issued today, in one
    transaction. Returns the request's id."""
    if requester not in REQUESTERS:
        raise RequestError(f"requester must be one of {', '.join(REQUESTERS)}, got {requester!r}")
    if received > today:
        raise RequestError(
            f"a request cannot be received after today ({today.isoformat()}): {received.isoformat()}"
        )
    with con:
        cursor = con.execute(
            "INSERT INTO access_requests (student_id, requester, received, due, registered_by, registered_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [student_id, requester, received.isoformat(), due_date(received).isoformat(), by, utc_now()],
        )
        request_id = cursor.lastrowid
        if issued_statement is not None:
            _event(con, request_id, "issued", today, by, issued_statement)
    return request_id


def issue(con: sqlite3.Connection, request_id: int, today: date, by: str, statement: str) -> None:
    """Record that the statement of an open request was issued today."""
    with con:
        row = con.execute(
            _REQUESTS + " WHERE r.request_id = :id", {"today": today.isoformat(), "id": request_id}
        ).fetchone()
        if row is None:
            raise RequestError(f"no access request {request_id}")
        if row["status"] not in ("open", "overdue"):
            raise RequestError(f"access request {request_id} is {row['status']} already")
        _event(con, request_id, "issued", today, by, statement)


def _event(con, request_id: int, event: str, today: date, by: str, statement: str | None) -> None:
    con.execute(
        "INSERT INTO access_request_events (request_id, event, on_date, by, at, statement) VALUES (?, ?, ?, ?, ?, ?)",
        [request_id, event, today.isoformat(), by, utc_now(), statement],
    )


def requests(con: sqlite3.Connection, today: date, student_id: str | None = None) -> list[sqlite3.Row]:
    """Every request (of one student, when given), oldest first, with its status on `today`."""
    where = " WHERE r.student_id = :student" if student_id is not None else ""
    return con.execute(
        _REQUESTS + where + " ORDER BY r.received, r.request_id",
        {"today": today.isoformat(), "student": student_id},
    ).fetchall()


def due_soon(con: sqlite3.Connection, today: date, days: int = 7) -> list[sqlite3.Row]:
    """The open requests due within `days` days of `today`, and the overdue ones, the earliest due first."""
    from datetime import timedelta

    horizon = (today + timedelta(days=days)).isoformat()
    return con.execute(
        f"SELECT * FROM ({_REQUESTS}) WHERE status IN ('open', 'overdue') AND due <= :horizon"
        " ORDER BY due, request_id",
        {"today": today.isoformat(), "horizon": horizon},
    ).fetchall()


# --- for the weekly report: the requests to answer soon (read-only, as decisions.tables reads the store)

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
