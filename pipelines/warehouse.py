"""The DuckDB warehouse: canonical tables generated from the contract, plus the auditor's own tables.

Every connection runs in the configured time zone, so that casting a TIMESTAMPTZ to DATE gives the
local calendar date the rules compare on, and a timestamp without offset is read as local time.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

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
CREATE TABLE IF NOT EXISTS quarantine (
    feed VARCHAR NOT NULL,
    file VARCHAR NOT NULL,
    line BIGINT,                       -- 1 = header line; NULL only when the file could not be read
    "column" VARCHAR,
    value VARCHAR,
    reason VARCHAR NOT NULL,
    file_hash VARCHAR NOT NULL
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
    status VARCHAR NOT NULL,           -- 'evaluated' or 'not_evaluated'
    reason VARCHAR,
    subjects_checked BIGINT,
    findings BIGINT,
    PRIMARY KEY (week, rule_id)
);
-- For every access event of a checked week, exactly one row: what allowed it, or the finding it got
-- ("explain, then flag"). Replaced with the week's findings.
CREATE TABLE IF NOT EXISTS access_explanations (
    week VARCHAR NOT NULL,
    subject_id VARCHAR NOT NULL,       -- <source_system>:<event_id>, as in findings
    source_system VARCHAR NOT NULL,
    school_id VARCHAR,                 -- the student's school; NULL for an unknown student
    actor_type VARCHAR NOT NULL,
    category VARCHAR NOT NULL,         -- the resolved data category
    explained_by VARCHAR NOT NULL,     -- involvement, role_allowance, break_glass, own_file, guardian,
                                       -- finding, not_evaluated (a rule it needs was not evaluated),
                                       -- unexplained (never expected: a rule and this table disagree)
    detail VARCHAR,                    -- the relation, the role, or how a guardian may see it
    rule_id VARCHAR                    -- for 'finding': the access rule that flagged it
);
-- The privacy officer's decisions: kept when a week is checked again (finding ids are stable).
CREATE TABLE IF NOT EXISTS decisions (
    finding_id VARCHAR PRIMARY KEY,
    status VARCHAR NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    note VARCHAR
);
CREATE TABLE IF NOT EXISTS audit_runs (
    week VARCHAR NOT NULL,
    stage VARCHAR NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    detail JSON
);
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
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute(f"SET TimeZone = '{_quote(timezone)}'")
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con) -> None:
    con.execute(canonical_ddl())
    con.execute(AUDITOR_TABLES)


def _quote(text: str) -> str:
    return text.replace("'", "''")
