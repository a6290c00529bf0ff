"""The published copy of the warehouse: what the review app and `schoolaudit decide` read.

DuckDB allows one process per warehouse file while it writes, so nothing that must keep working while a
scheduled run writes (the review app, a decision made meanwhile) may open the warehouse. After every
check of a week the run publishes `<warehouse>.published.duckdb`: the findings and coverage of every
week and the few names the app shows (schools, students, staff accounts, recipients), written to a
temporary file and moved into place in one rename. A reader sees the previous copy or the new one,
never a part; a run killed while publishing leaves the previous one. Readers open it read-only.

The temporary file starts as a file copy of the previous one, brought up to date: the small tables
rebuilt, the accesses and explanations only for the landing files and weeks that changed (BY_PART). So a
weekly run pays for its own week, not for every week the warehouse keeps.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from pipelines import private
from pipelines.ingest.sql import literal

PUBLISHED_TABLES = {
    "findings": "SELECT * FROM main.findings",
    "coverage": "SELECT * FROM main.coverage",
    "checked_weeks": "SELECT DISTINCT week FROM main.coverage",
    "schools": "SELECT school_id, any_value(name) AS name FROM main.schools GROUP BY school_id",
    "students": """SELECT student_id, any_value(school_id) AS school_id,
                          first(display_name ORDER BY _file_hash DESC) AS display_name
                   FROM main.students GROUP BY student_id""",
    "staff_accounts": """SELECT staff_id, first(display_name ORDER BY valid_from DESC NULLS LAST) AS display_name,
                                list(DISTINCT role ORDER BY role) AS roles, list(DISTINCT school_id ORDER BY school_id) AS schools
                         FROM main.staff GROUP BY staff_id""",
    "recipients": "SELECT recipient_id, any_value(name) AS name, any_value(kind) AS kind FROM main.recipients GROUP BY 1",
}
# What the app needs to make a student's statement (statements.sources reads these names, from here or
# as views of the warehouse): only the columns a statement reports, never free text about other people.
STATEMENT_TABLES = {
    "statement_students": "SELECT student_id, school_id, birth_date, display_name FROM main.students",
    "statement_schools": "SELECT school_id, name, board_id FROM main.schools",
    "statement_documents": "SELECT document_id, student_id, category, created_at FROM main.documents",
    "statement_access": """SELECT source_system, event_id, occurred_at, actor_id, actor_type, student_id, action,
                                  document_id, category, coalesce(break_glass, false) AS break_glass,
                                  _file_hash AS file_hash, _line AS line
                           FROM main.access_log""",
    # an explanation names its access by the access_log row's lineage (file_hash, line)
    "statement_explanations": """SELECT x.week, f.file_hash, x.line, x.explained_by, x.detail, x.rule_id
                                 FROM main.access_explanations x
                                 JOIN main.access_explanation_files f USING (week, file_no)""",
    "statement_disclosures": """SELECT disclosure_id, occurred_at, student_id, recipient_id, purpose, data_categories,
                                       legal_basis, consent_id, identifiers
                                FROM main.disclosures""",
    "statement_recipients": "SELECT recipient_id, name, kind FROM main.recipients",
    "statement_consents": """SELECT consent_id, student_id, given_by_role, form, given_at, purpose
                             FROM main.consents""",
    "statement_agreements": """SELECT agreement_id, recipient_id, signed_at, valid_from, valid_to
                               FROM main.processor_agreements""",
    "statement_staff": "SELECT staff_id, school_id, role, valid_from, valid_to, display_name FROM main.staff",
    "statement_guardians": "SELECT guardian_id, student_id, relation, valid_from, valid_to FROM main.guardians",
}
PUBLISHED_TABLES.update(STATEMENT_TABLES)


def published_path(warehouse: str | Path) -> Path:
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}.published.duckdb")


# The two tables that grow with the history: every access and every explanation of every checked week.
# A copy made before is brought up to date part by part: the accesses per landing file, the explanations
# per week. Built anew, they are most of the cost (at 10M accesses a copy built anew takes 7-8 s, one
# brought up to date with nothing changed 0.6-0.7 s), and a weekly run would pay it for every week kept.
BY_PART = {"statement_access": "file_hash", "statement_explanations": "week"}

# What each part of the copy was made from, so the next run knows which parts changed:
#   published_format          FORMAT of the code that made the copy (another: built anew)
#   published_access_files    per landing file, its rows in access_log (a file's rows are only ever
#                             removed, when a later delivery replaces them: a count that differs is a change)
#   published_weeks           per checked week, when the check whose explanations it holds ran (audit_runs)
FORMAT = hashlib.sha256(json.dumps(sorted(PUBLISHED_TABLES.items())).encode()).hexdigest()[:16]
PART_STATE = {
    "published_access_files": "SELECT _file_hash AS file_hash, count(*) AS rows FROM main.access_log GROUP BY ALL",
    "published_weeks": """SELECT w.week, r.checked_at
                          FROM (SELECT DISTINCT week FROM main.access_explanation_files) w
                          LEFT JOIN (SELECT week, max(finished_at) AS checked_at
                                     FROM main.audit_runs WHERE stage = 'check' GROUP BY week) r USING (week)""",
}
# The parts of a table that changed (the state of the copy as `p`, the warehouse's as `m`). A week
# checked before checks were recorded in audit_runs has no time: it is published again each time.
CHANGED = {
    "statement_access": """SELECT coalesce(m.file_hash, p.file_hash) AS part
                           FROM _state_published_access_files m
                           FULL JOIN published.published_access_files p USING (file_hash)
                           WHERE m.rows IS DISTINCT FROM p.rows""",
    "statement_explanations": """SELECT coalesce(m.week, p.week) AS part
                                 FROM _state_published_weeks m
                                 FULL JOIN published.published_weeks p USING (week)
                                 WHERE m.checked_at IS NULL OR p.checked_at IS NULL
                                    OR m.checked_at <> p.checked_at""",
}


def publish(con, warehouse: str | Path) -> Path:
    """Write the published copy of the warehouse `con` is connected to (outside any transaction): the
    copy made before, brought up to date, or, when there is none of this code's FORMAT, a new one."""
    target = published_path(warehouse)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    _remove(staging)
    private.restrict_umask()
    previous = target.exists() and not Path(f"{target}.wal").exists()
    if previous:
        shutil.copyfile(target, staging)  # a file copy: far cheaper than writing its tables again
        previous = _attach_previous(con, staging)
    if not previous:
        _attach(con, staging)
    try:
        con.begin()
        try:
            (_update if previous else _build)(con)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    finally:
        con.execute("DETACH published")
    private.make_private(staging)
    os.replace(staging, target)
    return target


def _build(con) -> None:
    for table, select in PUBLISHED_TABLES.items():
        con.execute(f"CREATE TABLE published.{table} AS {select}")
    for table, select in PART_STATE.items():
        con.execute(f"CREATE TABLE published.{table} AS {select}")
    con.execute("CREATE TABLE published.published_format AS SELECT ? AS format", [FORMAT])


def _update(con) -> None:
    for table, select in PUBLISHED_TABLES.items():
        if table not in BY_PART:  # small: rebuilt
            con.execute(f"DROP TABLE published.{table}")
            con.execute(f"CREATE TABLE published.{table} AS {select}")
    for table, select in PART_STATE.items():
        con.execute(f"CREATE OR REPLACE TEMP TABLE _state_{table} AS {select}")
    for table, column in BY_PART.items():
        # the changed files or weeks, few, as constants: DuckDB then reads only their rows
        changed = [part for (part,) in con.execute(CHANGED[table]).fetchall()]
        if changed:
            parts = ", ".join(literal(part) for part in changed)
            con.execute(f"DELETE FROM published.{table} WHERE {column} IN ({parts})")
            con.execute(
                f"INSERT INTO published.{table} SELECT * FROM ({PUBLISHED_TABLES[table]}) WHERE {column} IN ({parts})"
            )
    for table in PART_STATE:
        con.execute(f"DELETE FROM published.{table}")
        con.execute(f"INSERT INTO published.{table} SELECT * FROM _state_{table}")
    for table in PART_STATE:
        con.execute(f"DROP TABLE temp.main._state_{table}")


def _attach(con, path: Path) -> None:
    con.execute(f"ATTACH '{_quote(str(path))}' AS published")


def _attach_previous(con, staging: Path) -> bool:
    """Attach the file copy of the previous published copy; False, with the copy removed and nothing
    attached, when this code cannot bring it up to date: it is of another FORMAT (it is then built anew in
    a new file, so that nothing a former format held lingers in its free blocks), or no DuckDB file."""
    try:
        _attach(con, staging)
    except duckdb.Error:
        _remove(staging)
        return False
    try:
        row = con.execute("SELECT format FROM published.published_format").fetchone()
    except duckdb.Error:  # made before copies were brought up to date
        row = None
    if row is not None and row[0] == FORMAT:
        return True
    con.execute("DETACH published")
    _remove(staging)
    return False


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    Path(f"{path}.wal").unlink(missing_ok=True)


def open_published(warehouse: str | Path):
    """A read-only connection to the published copy; None when no week has been checked yet."""
    path = published_path(warehouse)
    if not path.exists():
        return None
    return duckdb.connect(str(path), read_only=True)


def _quote(text: str) -> str:
    return text.replace("'", "''")
