"""The relations the statement reads, named `statement_*`, from the warehouse or from its published copy.

The command line reads the warehouse: there they are TEMP views over its tables (`warehouse_views`).
The review app never opens the warehouse (pipelines.published): every run publishes these same
selections as tables of the published copy, so that the app can answer an access request while a run
writes. One definition, two places: the statement's SQL (statements.data) reads only these names and the
published `findings`.

Only what a statement needs: the columns of the feeds it reports on, never lineage. Free text about
other people (break-glass justifications, evidence references) is left out here already.
"""

from __future__ import annotations

STATEMENT_TABLES = {
    "statement_students": "SELECT student_id, school_id, birth_date, display_name FROM main.students",
    "statement_schools": "SELECT school_id, name, board_id FROM main.schools",
    "statement_documents": "SELECT document_id, student_id, category, created_at FROM main.documents",
    "statement_access": """SELECT source_system, event_id, occurred_at, actor_id, actor_type, student_id, action,
                                  document_id, category, coalesce(break_glass, false) AS break_glass
                           FROM main.access_log""",
    "statement_explanations": """SELECT week, subject_id, explained_by, detail, rule_id
                                 FROM main.access_explanations""",
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


def warehouse_views(con) -> None:
    """The statement_* relations as TEMP views on a (read-only) connection to the warehouse."""
    for name, select in STATEMENT_TABLES.items():
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}")
