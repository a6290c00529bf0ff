"""The DuckDB warehouse: canonical tables generated from the contract, plus the auditor's own tables.

Every connection runs in the configured time zone, so that casting a TIMESTAMPTZ to DATE gives the
local calendar date the rules compare on, and a timestamp without offset is read as local time.

The warehouse holds every student's personal data: its file, WAL, lock file and spill folder are the
owner's only (pipelines.private).
"""

from __future__ import annotations

import fcntl
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines import private
from pipelines.contract import FEEDS

# Lineage columns on every canonical row: which delivered file and line it came from.
LINEAGE = "_file_hash VARCHAR NOT NULL, _line BIGINT NOT NULL"

AUDITOR_TABLES = """
CREATE TABLE IF NOT EXISTS landing_files (
    file_hash VARCHAR PRIMARY KEY,     -- sha256 of the content: the same content is ingested once
    feed VARCHAR NOT NULL,
    path VARCHAR NOT NULL,             -- relative to the landing folder
    seq BIGINT NOT NULL,               -- delivery order: a later file wins on a known key
    ingested_at TIMESTAMPTZ NOT NULL,
    status VARCHAR NOT NULL,           -- 'loaded' or 'rejected' (the file as a whole)
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL
);
-- The files in the landing folder at the last ingest (a OneRoster bundle is one entry): a rejected file
-- counts against the audit while it lies there, and no longer once it is fixed or removed.
CREATE TABLE IF NOT EXISTS landing_present (
    file_hash VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    path VARCHAR NOT NULL              -- as it is named now
);
CREATE TABLE IF NOT EXISTS quarantine (
    feed VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT,                       -- 1 = header line; NULL only when the file could not be read
    "column" VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL,
    reason_code VARCHAR                -- pipelines.ingest.reasons; NULL only in warehouses from before it
);
-- What validation found per delivered file: one row per failed expectation (Great Expectations, or the
-- auditor's own check, named by its reason code) and column. `blocking`: the file was rejected as a whole.
CREATE TABLE IF NOT EXISTS validation_results (
    file_hash VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    "column" VARCHAR,
    reason_code VARCHAR NOT NULL,
    failing_count BIGINT NOT NULL,     -- rows (or, for a blocking result, entries) that fail it
    examples JSON,                     -- the first few failures: [{"line": .., "value": ..}]
    blocking BOOLEAN NOT NULL,
    checked_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS replacements (
    feed VARCHAR NOT NULL,
    row_key VARCHAR NOT NULL,
    old_file_hash VARCHAR NOT NULL,
    old_line BIGINT NOT NULL,
    new_file_hash VARCHAR NOT NULL,
    new_line BIGINT NOT NULL,
    replaced_at TIMESTAMPTZ NOT NULL
);
-- Teacher involvements derived from OneRoster bundles (relation 'roster').
CREATE TABLE IF NOT EXISTS roster_involvements (
    staff_id VARCHAR NOT NULL,
    student_id VARCHAR NOT NULL,
    valid_from DATE,
    valid_to DATE,
    class_id VARCHAR,
    bundle VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS findings (
    finding_id VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    week VARCHAR NOT NULL,
    school_id VARCHAR,
    occurred_at TIMESTAMPTZ,
    subject_type VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,
    actor_id VARCHAR,
    student_id VARCHAR,
    recipient_id VARCHAR,
    facts JSON,                        -- the values the explanation names
    PRIMARY KEY (week, finding_id)
);
CREATE TABLE IF NOT EXISTS coverage (
    week VARCHAR NOT NULL,
    rule_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,           -- 'evaluated', 'incomplete' or 'not_evaluated'
    reason VARCHAR,
    subjects_checked BIGINT,
    findings BIGINT,
    PRIMARY KEY (week, rule_id)
);
-- The reason as a code and the feeds it names, so that the reports can say it in their language
-- (coverage.csv keeps the English `reason`). Added later: IF NOT EXISTS lets older warehouses open.
ALTER TABLE coverage ADD COLUMN IF NOT EXISTS reason_code VARCHAR;   -- checks.runner: missing_feeds, partial, rejected_*
ALTER TABLE coverage ADD COLUMN IF NOT EXISTS reason_feeds VARCHAR[]; -- 'a|b' = feed a or feed b
ALTER TABLE coverage ADD COLUMN IF NOT EXISTS reason_files VARCHAR[]; -- the rejected files it names
-- The landing files rejected as a whole that lay in the landing folder when a week was checked: the
-- week was judged without them (coverage says which rules are incomplete or not evaluated for it).
CREATE TABLE IF NOT EXISTS week_rejected_files (
    week VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL
);
-- For every access event of a checked week, exactly one row: what allowed it, or the finding it got
-- ("explain, then flag"). Replaced with the week's findings. Compact, as a week holds millions: the
-- event is named by its place in access_log (the lineage of the row: landing file and line), the file
-- by a number the week gives it (access_explanation_files).
CREATE TABLE IF NOT EXISTS access_explanations (
    week VARCHAR NOT NULL,
    file_no INTEGER NOT NULL,          -- access_explanation_files.file_no: access_log._file_hash
    line BIGINT NOT NULL,              -- access_log._line
    explained_by VARCHAR NOT NULL,     -- involvement, role_allowance, break_glass, own_file, guardian,
                                       -- finding, not_evaluated (a rule it needs was not evaluated),
                                       -- unexplained (never expected: a rule and this table disagree)
    detail VARCHAR,                    -- the relation, the role, or how a guardian may see it
    rule_id VARCHAR,                   -- for 'finding': the access rule that flagged it
    decision_id BIGINT                 -- the decision whose grant explained it (involvement 'grant')
);
CREATE TABLE IF NOT EXISTS access_explanation_files (
    week VARCHAR NOT NULL,
    file_no INTEGER NOT NULL,
    file_hash VARCHAR NOT NULL
);
-- The same, counted: what the reports read (the explained share per school and source system).
CREATE TABLE IF NOT EXISTS access_explanation_counts (
    week VARCHAR NOT NULL,
    school_id VARCHAR,                 -- the student's school; NULL for an unknown student
    source_system VARCHAR NOT NULL,
    actor_type VARCHAR NOT NULL,
    category VARCHAR NOT NULL,         -- the resolved data category
    explained_by VARCHAR NOT NULL,
    detail VARCHAR,
    decision_id BIGINT,
    accesses BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS audit_runs (
    week VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    detail JSON
);
"""


EXPLANATION_EVENTS = """
-- The explanations with the event they name (for a look at one access; a join of millions otherwise).
CREATE VIEW IF NOT EXISTS access_explanation_events AS
SELECT x.week, a.source_system || ':' || a.event_id AS subject_id, a.source_system, x.explained_by,
       x.detail, x.rule_id, x.decision_id
FROM access_explanations x
JOIN access_explanation_files f ON f.week = x.week AND f.file_no = x.file_no
JOIN access_log a ON a._file_hash = f.file_hash AND a._line = x.line;
"""


def canonical_ddl() -> str:
    statements = []
    for feed in FEEDS.values():
        cols = ", ".join(f'"{c.name}" {c.sql_type}' for c in feed.columns)
        statements.append(f"CREATE TABLE IF NOT EXISTS {feed.name} ({cols}, {LINEAGE});")
    return "\n".join(statements)


def connect(path: str | Path, timezone: str = "Europe/Amsterdam", read_only: bool = False):
    """Open the warehouse, create what is missing, and set the session time zone."""
    path = Path(path)
    private.restrict_umask()  # before DuckDB creates the file, and for the WAL it creates later
    if not read_only:
        private.make_dirs(path.parent)
    con = duckdb.connect(str(path), read_only=read_only)
    make_warehouse_private(path)
    con.execute(f"SET TimeZone = '{_quote(timezone)}'")
    # DuckDB's memory ceiling (e.g. '4GB'); beyond it, it spills to disk. Unset: DuckDB's default.
    if os.environ.get("SCHOOLAUDIT_MEMORY_LIMIT"):
        con.execute(f"SET memory_limit = '{_quote(os.environ['SCHOOLAUDIT_MEMORY_LIMIT'])}'")
    if not read_only:
        ensure_schema(con)
    return con


def make_warehouse_private(database: str | Path) -> None:
    """The warehouse's own files owner-only: right after DuckDB created them, and an older warehouse
    left readable by others is tightened (we own these files, so this is one stat each). The WAL that
    DuckDB creates later, at a write, is owner-only by the umask (pipelines.private)."""
    for path in (Path(database), wal_path(database), Path(f"{database}.tmp")):
        private.make_private(path)


def wal_path(database: str | Path) -> Path:
    return Path(f"{database}.wal")


def ensure_schema(con) -> None:
    con.execute(canonical_ddl())
    con.execute(AUDITOR_TABLES)
    # Columns added after the first release: an existing warehouse gets them on opening.
    con.execute("ALTER TABLE quarantine ADD COLUMN IF NOT EXISTS reason_code VARCHAR")
    con.execute("ALTER TABLE guardians ADD COLUMN IF NOT EXISTS staff_id VARCHAR")  # SIGNAL-OWN-CHILD
    _compact_explanations(con)
    con.execute(EXPLANATION_EVENTS)


def _compact_explanations(con) -> None:
    """A warehouse written before explanations were compact keeps one wide row per access (subject_id,
    school, category, ...): counted into access_explanation_counts and named by lineage instead."""
    columns = {row[0] for row in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'access_explanations' "
        "AND schema_name = 'main' AND database_name = current_database()").fetchall()}
    if "subject_id" not in columns:
        return
    if "decision_id" not in columns:
        con.execute("ALTER TABLE access_explanations ADD COLUMN decision_id BIGINT")
    con.execute("ALTER TABLE access_explanations RENAME TO access_explanations_wide")
    con.execute(AUDITOR_TABLES)  # the compact table
    store_wide_explanations(con, "access_explanations_wide")
    con.execute("DROP TABLE access_explanations_wide")


def store_wide_explanations(con, wide: str) -> None:
    """Explanations in their former wide form (the table `wide`: week, subject_id, source_system,
    school_id, actor_type, category, explained_by, detail, rule_id, decision_id) stored as the checks
    store them now: counted, and each named by the lineage of its access_log row (rows whose access is
    not in access_log are only counted)."""
    con.execute(f"""
        INSERT INTO access_explanation_counts
        SELECT week, school_id, source_system, actor_type, category, explained_by, detail, decision_id, count(*)
        FROM {wide} GROUP BY ALL;
        CREATE OR REPLACE TEMP TABLE _named AS
        SELECT x.*, a._file_hash, a._line
        FROM {wide} x JOIN access_log a ON a.source_system || ':' || a.event_id = x.subject_id;
        INSERT INTO access_explanation_files
        SELECT week, CAST(row_number() OVER (PARTITION BY week ORDER BY _file_hash) AS INTEGER), _file_hash
        FROM (SELECT DISTINCT week, _file_hash FROM _named);
        INSERT INTO access_explanations
        SELECT x.week, f.file_no, x._line, x.explained_by, x.detail, x.rule_id, x.decision_id
        FROM _named x JOIN access_explanation_files f ON f.week = x.week AND f.file_hash = x._file_hash;
        DROP TABLE _named;
    """)


# --- one writer per warehouse file, across processes ----------------------------------------------
#
# DuckDB lets one process open a file for writing, and refuses (with an error) a second process that
# opens it at the same time, even read-only. So every schoolaudit process takes an advisory lock on a
# sibling file `<db>.lock` around each use of the warehouse: exclusive to write, shared to read. A
# process that has to wait says so in one line and waits; nobody gets a lock error. The kernel drops
# the lock when its process dies, so a killed run never leaves the warehouse locked.

_held: dict[str, list] = {}  # lock path -> [file descriptor, shared?, depth]: reentrant per process
_held_guard = threading.Lock()


def lock_path(database: str | Path) -> Path:
    return Path(f"{database}.lock")


def _holder(handle) -> str:
    """' (pid N, started HH:MM)' from the lock file, when a live process wrote it; else ''."""
    try:
        handle.seek(0)
        pid, started = handle.read().split()
        os.kill(int(pid), 0)
    except (ValueError, OSError):
        return ""
    return f" (pid {pid}, started {time.strftime('%H:%M', time.localtime(float(started)))})"


def _say_waiting(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def warehouse_lock(
    database: str | Path, shared: bool = False, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the warehouse's lock for the block: exclusive (to write) or shared (to read).

    Taking it again inside the block is free (the Dagster job opens the warehouse once per asset,
    the command line around it); asking for exclusive inside a shared block is a programming error.
    """
    path = lock_path(database)
    key = os.path.realpath(path)
    with _held_guard:
        held = _held.get(key)
        if held is not None:
            if held[1] and not shared:
                raise RuntimeError(f"{path}: cannot write inside a read-only use of the warehouse")
            held[2] += 1
    if held is not None:
        try:
            yield
        finally:
            with _held_guard:
                held[2] -= 1
        return

    private.make_dirs(path.parent)
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    with _open_lock_file(path) as handle:  # closing the file releases the lock
        try:
            fcntl.flock(handle, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            (on_wait or _say_waiting)(
                f"waiting for another schoolaudit run on {database}{_holder(handle)}..."
            )
            fcntl.flock(handle, mode)
        if not shared:  # who holds it, for the wait message of others
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()} {time.time():.0f}\n")
            handle.flush()
        with _held_guard:
            _held[key] = [handle, shared, 1]
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
            if not shared:
                handle.truncate(0)


def _open_lock_file(path: Path):
    return open(private.open_private(path), "r+", encoding="ascii")


@contextmanager
def try_shared_lock(database: str | Path) -> Iterator[bool]:
    """The shared lock when it is free now: yields True holding it, or False (someone is writing)."""
    path = lock_path(database)
    if os.path.realpath(path) in _held or not path.parent.is_dir():
        yield True
        return
    try:
        handle = _open_lock_file(path)
    except OSError:
        yield True  # a folder we cannot write to: DuckDB will say what is wrong
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True


@contextmanager
def open_warehouse(path: str | Path, timezone: str = "Europe/Amsterdam", read_only: bool = False):
    """`connect` under the warehouse lock (shared when read-only); closes the connection at the end."""
    with warehouse_lock(path, shared=read_only):
        con = connect(path, timezone, read_only)
        try:
            yield con
        finally:
            con.close()


def _quote(text: str) -> str:
    return text.replace("'", "''")
