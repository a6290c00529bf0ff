"""The published copy of the warehouse: what the review app and `schoolaudit decide` read.

DuckDB allows one process per warehouse file while it writes, so nothing that must keep working while a
scheduled run writes (the review app, a decision made meanwhile) may open the warehouse. After every
check of a week the run publishes `<warehouse>.published.duckdb`: the findings and coverage of every
week and the few names the app shows (schools, students, staff accounts, recipients), written to a
temporary file and moved into place in one rename. A reader sees the previous copy or the new one,
never a part; a run killed while publishing leaves the previous one. Readers open it read-only.
"""

from __future__ import annotations

import os
from pathlib import Path

from pipelines import private

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


def publish(con, warehouse: str | Path) -> Path:
    """Write the published copy of the warehouse `con` is connected to (outside any transaction)."""
    target = published_path(warehouse)
    staging = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    Path(f"{staging}.wal").unlink(missing_ok=True)
    private.restrict_umask()
    con.execute(f"ATTACH '{_quote(str(staging))}' AS published")
    try:
        for table, select in PUBLISHED_TABLES.items():
            con.execute(f"CREATE TABLE published.{table} AS {select}")
    finally:
        con.execute("DETACH published")
    private.make_private(staging)
    os.replace(staging, target)
    return target


def open_published(warehouse: str | Path):
    """A read-only connection to the published copy; None when no week has been checked yet."""
    import duckdb

    path = published_path(warehouse)
    if not path.exists():
        return None
    return duckdb.connect(str(path), read_only=True)


def _quote(text: str) -> str:
    return text.replace("'", "''")
