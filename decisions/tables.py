"""The store's decisions as TEMP tables of a warehouse connection, for the check phase and the reports.

    register(con)

reads the store beside the warehouse `con` is connected to (decisions.store.store_path) and creates:

    decision_log(decision_id, finding_id, week, rule_id, subject_type, subject_id, actor_id, student_id,
                 status, status_before, decided_by, decided_at TIMESTAMPTZ, note, until DATE, incident,
                 grant_from DATE, grant_until DATE, grant_categories VARCHAR[])   every decision
    latest_decision   the latest decision of each finding id (its status is the finding's status)
    decision_grants(decision_id, finding_id, staff_id, student_id, valid_from, valid_to, categories)
                      the grants: carried by a finding's latest decision (a correction that takes the
                      grant away ends it), from grant_from or the local day of the decision (in the
                      connection's TimeZone, which pipelines.warehouse sets to the audit zone);
                      categories NULL = every category

Decisions are few (one per finding the privacy officer looked at), so they are copied in as one Arrow
table; no store means no decisions.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa

from decisions.store import DECISION_COLUMNS, GRANTING, store_path

_TYPES = {
    "decision_id": "BIGINT", "decided_at": "TIMESTAMPTZ", "until": "DATE", "grant_from": "DATE",
    "grant_until": "DATE",
}  # fmt: skip


# A finding's status: its latest decision's (the row `d`, NULL when none), or `open`; a decision with
# `until` no longer holds for a week that ends after that day (a standing finding is then open again).
# `f.week` is the finding's week ('2026-W47'); its Sunday is the day compared with `until`.
_WEEK_END = "CAST(strptime(f.week || '-7', '%G-W%V-%u') AS DATE)"
HOLDS_SQL = f"(d.status IS NOT NULL AND (d.until IS NULL OR {_WEEK_END} <= CAST(d.until AS DATE)))"
STATUS_SQL = f"CASE WHEN {HOLDS_SQL} THEN d.status ELSE 'open' END"


def ensure_registered(con) -> None:
    """register(con) unless this connection has the tables already (a report reads them once)."""
    if not _registered(con):
        register(con)


def _registered(con) -> bool:
    return con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'decision_log' AND temporary"
    ).fetchall()[0][0] > 0  # fetched to the end: DuckDB wants every result finished


def warehouse_file(con) -> Path | None:
    """The file of the warehouse `con` is connected to (None for an in-memory database)."""
    rows = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return Path(rows[0][0]) if rows and rows[0][0] else None


def _read_store(path: Path) -> pa.Table:
    columns = {name: [] for name in DECISION_COLUMNS}
    if path.exists():
        # Read-only, so that reading never creates a store or takes a write lock.
        store = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            cursor = store.execute(f"SELECT {', '.join(DECISION_COLUMNS)} FROM decisions ORDER BY decision_id")
            rows = cursor.fetchall()
        finally:
            store.close()
        columns = {name: [row[i] for row in rows] for i, name in enumerate(DECISION_COLUMNS)}
    return pa.table({name: pa.array(values, type=pa.int64() if name == "decision_id" else pa.string())
                     for name, values in columns.items()})  # fmt: skip


def register(con) -> None:
    warehouse = warehouse_file(con)
    if warehouse is None:  # an in-memory warehouse has no store: keep what register_decisions gave it
        if not _registered(con):
            register_decisions(con, [])
        return
    register_rows(con, _read_store(store_path(warehouse)))


def register_decisions(con, rows: list[dict]) -> None:
    """The tables of register(con) from the given decisions (dicts of DECISION_COLUMNS, values as the
    store holds them) instead of the store: for a warehouse without a file (tests)."""
    register_rows(con, pa.table({
        name: pa.array([row.get(name) for row in rows], type=pa.int64() if name == "decision_id" else pa.string())
        for name in DECISION_COLUMNS
    }))  # fmt: skip


def register_rows(con, store_rows: pa.Table) -> None:
    casts = ", ".join(
        f"CAST({name} AS {_TYPES[name]}) AS {name}" if name in _TYPES
        else (f"string_split(grant_categories, ';') AS {name}" if name == "grant_categories" else name)
        for name in DECISION_COLUMNS
    )  # fmt: skip
    granting = ", ".join(f"'{s}'" for s in GRANTING)
    # DuckDB reads the Python variable `store_rows` by its name (a replacement scan).
    con.execute(f"CREATE OR REPLACE TEMP TABLE decision_log AS SELECT {casts} FROM store_rows")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP VIEW latest_decision AS
        SELECT * FROM decision_log
        QUALIFY row_number() OVER (PARTITION BY finding_id ORDER BY decision_id DESC) = 1;

        CREATE OR REPLACE TEMP VIEW decision_grants AS
        SELECT decision_id, finding_id, actor_id AS staff_id, student_id,
               coalesce(grant_from, CAST(timezone(current_setting('TimeZone'), decided_at) AS DATE)) AS valid_from,
               grant_until AS valid_to, grant_categories AS categories
        FROM latest_decision
        WHERE grant_until IS NOT NULL AND status IN ({granting})
          AND actor_id IS NOT NULL AND student_id IS NOT NULL;
        """
    )
