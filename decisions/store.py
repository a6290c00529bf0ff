"""The privacy officer's store: decisions on findings, the review app's users, and the app's own access
register, in one small SQLite file beside the warehouse (`<warehouse>.decisions.sqlite`).

Why a store of its own, and why SQLite: DuckDB allows one writing process per file, and a scheduled run
holds the warehouse for as long as it ingests and checks. The privacy officer must be able to decide
while a run is writing, so decisions cannot live in the warehouse. SQLite in WAL mode lets one process
write while others read, each write is one transaction that survives a kill of either side, and a writer
waits (busy timeout) only for the milliseconds another write takes. The run reads this store when it
checks a week (grants are involvements) and when it reports (the status of every finding); it never
writes here. Nothing here is derived from the warehouse apart from the finding's subject copied into a
decision when it is made, so that a grant needs no warehouse to be read.

Decisions, user events and the app's access register are append-only: triggers refuse every UPDATE and
DELETE, so a correction is a new decision and the log keeps every one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from pipelines import faults
from pipelines.private import make_dirs, make_private, restrict_umask

STATUSES = ("open", "under_review", "justified", "false_positive", "confirmed")
DECIDED = STATUSES[1:]  # a decision sets one of these; `open` is only the state before any decision
CLOSING = ("justified", "false_positive", "confirmed")
GRANTING = ("justified", "false_positive")  # the statuses whose decision may carry a grant
ROLES = ("privacy_officer", "council")
BUSY_TIMEOUT_MS = 10_000

_APPEND_ONLY = ("decisions", "user_events", "app_access")

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS decisions (
    decision_id INTEGER PRIMARY KEY AUTOINCREMENT,   -- N in "explained by the grant of decision N"
    finding_id TEXT NOT NULL,
    week TEXT NOT NULL,              -- the week of the finding decided on (a standing finding recurs)
    rule_id TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    actor_id TEXT,                   -- for a grant: the staff account that may see ...
    student_id TEXT,                 -- ... this student
    status TEXT NOT NULL CHECK (status IN ({", ".join(f"'{s}'" for s in DECIDED)})),
    status_before TEXT NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,        -- UTC, ISO 8601 with a Z
    note TEXT,
    until TEXT,                      -- YYYY-MM-DD: after it a standing finding is open again
    incident TEXT,                   -- the entry in the board's register of data breaches
    grant_from TEXT,                 -- YYYY-MM-DD
    grant_until TEXT,                -- YYYY-MM-DD; a grant has one
    grant_categories TEXT,           -- ';'-separated data categories; NULL = every category
    CHECK (grant_until IS NULL OR status IN ('justified', 'false_positive')),
    CHECK (grant_until IS NULL OR grant_from <= grant_until)
);
CREATE INDEX IF NOT EXISTS decisions_by_finding ON decisions (finding_id, decision_id);
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ({", ".join(f"'{r}'" for r in ROLES)})),
    password_hash TEXT NOT NULL,     -- argon2id, never the password
    created_at TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT                -- UTC; NULL = not locked
);
CREATE TABLE IF NOT EXISTS user_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    event TEXT NOT NULL,             -- added, removed, password_changed, login, login_failed, locked, logout
    detail TEXT
);
CREATE TABLE IF NOT EXISTS app_access (
    access_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user_name TEXT NOT NULL,
    page TEXT NOT NULL,
    finding_id TEXT,
    account_id TEXT,
    student_id TEXT,
    recipient_id TEXT
);
""" + "".join(
    f"""
CREATE TRIGGER IF NOT EXISTS {table}_never_updated BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} are never changed: add a new entry'); END;
CREATE TRIGGER IF NOT EXISTS {table}_never_deleted BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} are never deleted'); END;
"""
    for table in _APPEND_ONLY
)


class StoreError(Exception):
    """The store cannot be opened (not a SQLite file, no permission): one line for the user."""


def store_path(warehouse: str | Path) -> Path:
    """The store of a warehouse: `data/warehouse.duckdb` -> `data/warehouse.decisions.sqlite`."""
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}.decisions.sqlite")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@contextmanager
def open_store(warehouse: str | Path, create: bool = True) -> Iterator[sqlite3.Connection]:
    """A connection to the store of `warehouse` (created owner-only when missing and `create`), closed at
    the end. Rows come back as sqlite3.Row. Writes are made inside `with con:` blocks (one transaction)."""
    path = store_path(warehouse)
    if not path.exists() and not create:
        raise StoreError(f"no decisions yet: {path} does not exist")
    restrict_umask()
    make_dirs(path.parent)
    try:
        con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level="DEFERRED")
    except sqlite3.Error as exc:
        raise StoreError(f"decision store {path} cannot be opened: {exc}") from None
    try:
        con.row_factory = sqlite3.Row
        con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        con.execute("PRAGMA journal_mode = WAL")  # a reader never waits for a writer, nor a writer for one
        con.execute("PRAGMA synchronous = FULL")  # a decision that was confirmed is on disk
        con.execute("PRAGMA foreign_keys = ON")
        with con:
            con.executescript(SCHEMA)
    except sqlite3.DatabaseError as exc:
        con.close()
        raise StoreError(f"decision store {path} is not usable: {exc}") from None
    for suffix in ("", "-wal", "-shm"):
        make_private(Path(f"{path}{suffix}"))
    try:
        yield con
    finally:
        con.close()


# --- decisions ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One decision to record. The finding's subject (rule, subject, actor, student, week) is copied in
    from what the finding was when decided."""

    finding_id: str
    status: str
    note: str | None = None
    until: date | None = None
    incident: str | None = None
    grant_from: date | None = None
    grant_until: date | None = None
    grant_categories: tuple[str, ...] | None = None


DECISION_COLUMNS = (
    "decision_id", "finding_id", "week", "rule_id", "subject_type", "subject_id", "actor_id", "student_id",
    "status", "status_before", "decided_by", "decided_at", "note", "until", "incident", "grant_from",
    "grant_until", "grant_categories",
)  # fmt: skip


def current_status(con: sqlite3.Connection, finding_id: str) -> str:
    row = con.execute(
        "SELECT status FROM decisions WHERE finding_id = ? ORDER BY decision_id DESC LIMIT 1", [finding_id]
    ).fetchone()
    return row["status"] if row else "open"


def append(con: sqlite3.Connection, rows: list[dict], decided_by: str) -> list[int]:
    """Write decisions, all in one transaction; each dict has DECISION_COLUMNS' values but the id,
    status_before, decided_by and decided_at. The caller has validated them (decisions.decide)."""
    decided_at = utc_now()
    ids = []
    with con:  # one transaction: all of them or none
        for row in rows:
            before = current_status(con, row["finding_id"])
            cursor = con.execute(
                f"INSERT INTO decisions ({', '.join(DECISION_COLUMNS[1:])}) VALUES ({', '.join('?' * 17)})",
                [
                    row["finding_id"], row["week"], row["rule_id"], row["subject_type"], row["subject_id"],
                    row.get("actor_id"), row.get("student_id"), row["status"], before, decided_by, decided_at,
                    row.get("note"), row.get("until"), row.get("incident"), row.get("grant_from"),
                    row.get("grant_until"), row.get("grant_categories"),
                ],
            )  # fmt: skip
            ids.append(cursor.lastrowid)
            faults.reached("decision-written")  # written, not yet committed (the kill tests)
    return ids


def decision_log(con: sqlite3.Connection) -> list[sqlite3.Row]:
    """Every decision, oldest first."""
    return con.execute(f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY decision_id").fetchall()


# --- users and the app's own register --------------------------------------------------------------


def log_user_event(con: sqlite3.Connection, user_name: str, event: str, detail: str | None = None) -> None:
    with con:
        con.execute(
            "INSERT INTO user_events (at, user_name, event, detail) VALUES (?, ?, ?, ?)",
            [utc_now(), user_name, event, detail],
        )


def log_access(
    con: sqlite3.Connection,
    user_name: str,
    page: str,
    finding_id: str | None = None,
    account_id: str | None = None,
    student_id: str | None = None,
    recipient_id: str | None = None,
) -> None:
    """The auditor audits itself: a page of the app that showed personal data, and whose."""
    with con:
        con.execute(
            "INSERT INTO app_access (at, user_name, page, finding_id, account_id, student_id, recipient_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [utc_now(), user_name, page, finding_id, account_id, student_id, recipient_id],
        )


# --- the register of access requests (spec/statement.md) -------------------------------------------
#
# A request for access (AVG art. 15) has to be answered within a month (art. 12(3)). The register is
# written by `schoolaudit statement --received` and by the review app, so it lives here beside the
# decisions, not in the warehouse. A request is one row; what happens to it later (the statement
# issued, the request withdrawn) is a new row in access_request_events: nothing is ever updated.

REQUESTERS = ("student", "guardian")
REQUEST_EVENTS = ("issued", "withdrawn")

REQUESTS_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS access_requests (
    request_id INTEGER PRIMARY KEY AUTOINCREMENT,
    student_id TEXT NOT NULL,
    requester TEXT NOT NULL CHECK (requester IN ({", ".join(f"'{r}'" for r in REQUESTERS)})),
    received TEXT NOT NULL,          -- YYYY-MM-DD, the day the request came in
    due TEXT NOT NULL,               -- YYYY-MM-DD: received + 1 calendar month, at most the month's last day
    registered_by TEXT NOT NULL,
    registered_at TEXT NOT NULL,     -- UTC, ISO 8601 with a Z
    CHECK (received <= due)
);
CREATE INDEX IF NOT EXISTS access_requests_by_student ON access_requests (student_id, request_id);
CREATE TABLE IF NOT EXISTS access_request_events (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id INTEGER NOT NULL REFERENCES access_requests (request_id),
    event TEXT NOT NULL CHECK (event IN ({", ".join(f"'{e}'" for e in REQUEST_EVENTS)})),
    on_date TEXT NOT NULL,           -- YYYY-MM-DD, local: the day the statement was issued
    by TEXT NOT NULL,
    at TEXT NOT NULL,                -- UTC, ISO 8601 with a Z
    statement TEXT                   -- for 'issued': the statement's file name
);
""" + "".join(
    f"""
CREATE TRIGGER IF NOT EXISTS {table}_never_updated BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} are never changed: add a new entry'); END;
CREATE TRIGGER IF NOT EXISTS {table}_never_deleted BEFORE DELETE ON {table}
BEGIN SELECT RAISE(ABORT, '{table} are never deleted'); END;
"""
    for table in ("access_requests", "access_request_events")
)
SCHEMA = SCHEMA + REQUESTS_SCHEMA  # additive: an existing store gets the tables when it is opened
