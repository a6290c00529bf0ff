"""What the statement says about one student: set-based SQL over the statement_* relations
(statements.sources) and the published `findings`, with the latest decisions of the store.

Nothing of another student is selected: every query is restricted to the student's own rows, and of the
people who consulted the file only their function is kept (their name only with `staff_names`). Free
text about other people (break-glass justifications, decision notes, finding facts) is never selected.

Consultations are grouped in the database: one line per day, function (and person, when staff are
named), system and purpose, with the data categories, the actions, the count and the times; a line of more than
TIMES_LISTED accesses gives its first and last time. So a student with thousands of accesses gets a
statement of a few pages, not thousands of lines.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from pipelines.contract import SPECIAL_CATEGORIES
from statements.dates import age_on

ADULT_AGE = 16  # from 16 the student exercises the right (UAVG art. 5)
TIMES_LISTED = 12  # a line with more accesses shows "first - last"

# Which of a staff member's roles names their function when no involvement does (the most specific first).
ROLE_ORDER = ("mentor", "care_coordinator", "psychologist", "teacher", "management", "administration", "it_admin", "other")
_EARLIEST, _LATEST = "DATE '0001-01-01'", "DATE '9999-12-31'"
_PERIOD = "($from IS NULL OR {d} >= $from) AND ($to IS NULL OR {d} <= $to)"


@dataclass(frozen=True)
class Request:
    student_id: str
    period_from: date | None
    period_to: date | None
    issued_on: date
    staff_names: bool = False
    leap_day_birthday: str = "march_1"


def register_decisions(con, store: sqlite3.Connection | None) -> None:
    """The latest decision of every finding as the relation `latest_decision` (empty without a store)."""
    columns = ("finding_id", "status", "until", "decided_at")
    rows = []
    if store is not None:
        rows = store.execute(
            f"SELECT {', '.join(columns)} FROM decisions"
            " WHERE decision_id IN (SELECT max(decision_id) FROM decisions GROUP BY finding_id)"
        ).fetchall()
    values = list(zip(*rows, strict=True)) if rows else [[] for _ in columns]
    con.register("latest_decision", pa.table({c: pa.array(list(v), type=pa.string()) for c, v in zip(columns, values, strict=True)}))


def gather(con, request: Request) -> dict | None:
    """The statement's contents, or None when the student is unknown. `con` has the statement_*
    relations, `findings` and `latest_decision`, and its session time zone is the audit's."""
    params = {"student": request.student_id}
    student = _one(con, """
        SELECT s.student_id, any_value(s.display_name) AS name, any_value(s.birth_date) AS birth_date,
               any_value(s.school_id) AS school_id, any_value(sc.name) AS school_name, any_value(sc.board_id) AS board_id
        FROM statement_students s LEFT JOIN statement_schools sc ON sc.school_id = s.school_id
        WHERE s.student_id = $student GROUP BY s.student_id
    """, params)  # fmt: skip
    if student is None:
        return None
    held_from, held_to = con.execute("""
        SELECT min(d), max(d) FROM (
            SELECT CAST(occurred_at AS DATE) AS d FROM statement_access WHERE student_id = $student
            UNION ALL SELECT CAST(occurred_at AS DATE) FROM statement_disclosures WHERE student_id = $student
            UNION ALL SELECT CAST(created_at AS DATE) FROM statement_documents WHERE student_id = $student)
    """, params).fetchone()  # fmt: skip
    period_from = request.period_from or held_from or request.issued_on
    period_to = request.period_to or max(held_to or request.issued_on, period_from)
    age = age_on(student["birth_date"], request.issued_on, request.leap_day_birthday) if student["birth_date"] else None
    params = {**params, "from": period_from, "to": period_to, "school": student["school_id"]}
    accesses = _accesses(con, params, request.staff_names)
    return {
        "student": student,
        "age": age,
        # without a birth date nobody can tell: to the parents, who then pass it on to a student of 16
        "addressed_to": "student" if age is not None and age >= ADULT_AGE else "parents",
        "period_from": period_from,
        "period_to": period_to,
        "issued_on": request.issued_on,
        "staff_names": request.staff_names,
        "held": _held(con, params),
        "access_summary": _access_summary(con, params),
        "accesses": accesses,
        "access_count": sum(row["count"] for row in accesses),
        "disclosures": _disclosures(con, params),
        "processors": _processors(con, params),
        "findings": _findings(con, params),
        "special": SPECIAL_CATEGORIES,
        "times_listed": TIMES_LISTED,
    }


def _held(con, params) -> list[dict]:
    """Per data category: the student's documents, the administrative records (the enrolment, the links
    to parents or guardians, the consents) and the school systems in which it was consulted."""
    return _dicts(con, f"""
        WITH documents AS (
            SELECT coalesce(nullif(category, ''), 'general') AS category, count(DISTINCT document_id) AS documents
            FROM statement_documents WHERE student_id = $student GROUP BY 1
        ),
        records AS (
            SELECT 'administrative' AS category,
                   1 + (SELECT count(*) FROM statement_guardians WHERE student_id = $student)
                     + (SELECT count(*) FROM statement_consents WHERE student_id = $student) AS records
        ),
        systems AS (
            SELECT coalesce(nullif(a.category, ''), nullif(d.category, ''), 'general') AS category,
                   list(DISTINCT a.source_system ORDER BY a.source_system) AS systems
            FROM statement_access a LEFT JOIN statement_documents d ON d.document_id = a.document_id
            WHERE a.student_id = $student GROUP BY 1
        )
        SELECT category, coalesce(documents, 0) AS documents, coalesce(records, 0) AS records,
               coalesce(systems, []) AS systems, list_contains({_list(SPECIAL_CATEGORIES)}, category) AS special
        FROM documents FULL JOIN records USING (category) FULL JOIN systems USING (category)
        ORDER BY special DESC, category
    """, params)  # fmt: skip


def _resolved_accesses(staff_names: bool) -> str:
    """The student's accesses in the period, one row each, with the function of whoever looked and the
    purpose the auditor established (a CTE list ending in `resolved`)."""
    role_rank = "CASE s.role " + " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(ROLE_ORDER)) + f" ELSE {len(ROLE_ORDER)} END"
    week_end = "CAST(strptime(x.week || '-7', '%G-W%V-%u') AS DATE)"
    return f"""
        events AS (
            SELECT a.source_system || ':' || a.event_id AS subject_id, a.file_hash, a.line, a.occurred_at,
                   CAST(a.occurred_at AS DATE) AS local_date, a.actor_type, a.actor_id, a.action, a.source_system,
                   coalesce(nullif(a.category, ''), nullif(d.category, ''), 'general') AS category
            FROM statement_access a LEFT JOIN statement_documents d ON d.document_id = a.document_id
            WHERE a.student_id = $student AND {_PERIOD.format(d="CAST(a.occurred_at AS DATE)")}
        ),
        explained AS (
            SELECT e.*, x.week, x.explained_by, x.detail, x.rule_id
            FROM events e LEFT JOIN statement_explanations x ON x.file_hash = e.file_hash AND x.line = e.line
            QUALIFY row_number() OVER (PARTITION BY e.subject_id, e.occurred_at ORDER BY x.week DESC NULLS LAST) = 1
        ),
        decided AS (
            SELECT x.*,
                   CASE WHEN x.explained_by <> 'finding' THEN NULL
                        WHEN d.status IS NULL THEN 'open'
                        WHEN d.until IS NOT NULL AND {week_end} > CAST(d.until AS DATE) THEN 'open'
                        ELSE d.status END AS finding_status
            FROM explained x
            LEFT JOIN findings f ON x.explained_by = 'finding' AND f.week = x.week AND f.rule_id = x.rule_id
                                AND f.subject_id = x.subject_id
            LEFT JOIN latest_decision d ON d.finding_id = f.finding_id
        ),
        staff_role AS (
            SELECT x.subject_id, x.occurred_at,
                   arg_min(s.role, CASE WHEN s.school_id = $school THEN 0 ELSE 100 END + {role_rank}) AS role,
                   any_value(s.display_name) AS name
            FROM decided x JOIN statement_staff s
              ON x.actor_type = 'staff' AND s.staff_id = x.actor_id
             AND x.local_date BETWEEN coalesce(s.valid_from, {_EARLIEST}) AND coalesce(s.valid_to, {_LATEST})
            GROUP BY ALL
        ),
        staff_name AS (
            SELECT staff_id, any_value(display_name) AS name FROM statement_staff GROUP BY staff_id
        ),
        guardian_relation AS (
            SELECT x.subject_id, x.occurred_at, min(g.relation) AS relation
            FROM decided x JOIN statement_guardians g
              ON x.actor_type = 'guardian' AND g.guardian_id = x.actor_id AND g.student_id = $student
             AND x.local_date BETWEEN coalesce(g.valid_from, {_EARLIEST}) AND coalesce(g.valid_to, {_LATEST})
            GROUP BY ALL
        ),
        resolved AS (
            SELECT x.*,
                   CASE x.actor_type
                       WHEN 'student' THEN CASE WHEN x.actor_id = $student THEN 'student' ELSE 'other_student' END
                       WHEN 'guardian' THEN CASE WHEN g.relation IS NULL THEN 'unlinked_guardian'
                                                 WHEN g.relation IN ('parent', 'guardian', 'foster_parent') THEN g.relation
                                                 ELSE 'other_guardian' END
                       WHEN 'staff' THEN CASE
                           WHEN x.explained_by = 'involvement' AND x.detail IN ('teacher', 'mentor', 'care_coordinator', 'substitute')
                               THEN x.detail
                           WHEN x.explained_by = 'involvement' AND x.detail = 'roster' THEN 'teacher'
                           WHEN x.explained_by = 'role_allowance' THEN x.detail
                           ELSE coalesce(r.role, 'staff') END
                       ELSE 'unknown'
                   END AS function,
                   CASE WHEN x.explained_by IS NULL THEN 'not_checked'
                        WHEN x.explained_by = 'involvement' THEN 'involvement.' || CASE x.detail WHEN 'roster' THEN 'teacher' ELSE x.detail END
                        WHEN x.explained_by = 'guardian' THEN 'guardian.' || coalesce(x.detail, 'link')
                        WHEN x.explained_by IN ('role_allowance', 'break_glass', 'own_file', 'finding') THEN x.explained_by
                        ELSE 'not_evaluated' END AS purpose,
                   {"CASE WHEN x.actor_type = 'staff' THEN coalesce(n.name, x.actor_id) END" if staff_names else "NULL"} AS person
            FROM decided x
            LEFT JOIN staff_role r USING (subject_id, occurred_at)
            LEFT JOIN guardian_relation g USING (subject_id, occurred_at)
            LEFT JOIN staff_name n ON x.actor_type = 'staff' AND n.staff_id = x.actor_id
        )"""


def _accesses(con, params, staff_names: bool) -> list[dict]:
    return _dicts(con, f"""
        WITH {_resolved_accesses(staff_names)}
        SELECT local_date, function, person, source_system, purpose, finding_status,
               list(DISTINCT category ORDER BY category) AS categories,
               list(DISTINCT action ORDER BY action) AS actions,
               count(*) AS count,
               CASE WHEN count(*) <= {TIMES_LISTED}
                    THEN array_to_string(list(strftime(occurred_at, '%H:%M') ORDER BY occurred_at), ', ')
                    ELSE strftime(min(occurred_at), '%H:%M') || ' – ' || strftime(max(occurred_at), '%H:%M') END AS times
        FROM resolved
        GROUP BY ALL
        ORDER BY local_date, min(occurred_at), function, source_system, purpose
    """, params)  # fmt: skip


def _access_summary(con, params) -> list[dict]:
    """Per function: how many accesses, on how many days, the first and the last."""
    return _dicts(con, f"""
        WITH {_resolved_accesses(False)}
        SELECT function, count(*) AS count, count(DISTINCT local_date) AS days,
               min(local_date) AS first_day, max(local_date) AS last_day,
               count(*) FILTER (WHERE purpose = 'finding') AS unexplained
        FROM resolved GROUP BY function ORDER BY count(*) DESC, function
    """, params)  # fmt: skip


def _disclosures(con, params) -> list[dict]:
    return _dicts(con, f"""
        WITH recipient AS (
            SELECT recipient_id, any_value(name) AS name, any_value(kind) AS kind FROM statement_recipients GROUP BY 1
        ),
        consent AS (  -- only the student's own consents: a reference to another student's is not shown
            SELECT consent_id, any_value(given_by_role) AS given_by_role, any_value(form) AS form,
                   any_value(CAST(given_at AS DATE)) AS given_on
            FROM statement_consents WHERE student_id = $student GROUP BY 1
        )
        SELECT CAST(d.occurred_at AS DATE) AS local_date, coalesce(r.name, d.recipient_id) AS recipient, r.kind,
               trim(d.purpose) AS purpose, coalesce(d.data_categories, []) AS categories,
               coalesce(d.identifiers, []) AS identifiers, d.legal_basis,
               c.consent_id IS NOT NULL AS consent_found, c.given_by_role, c.form, c.given_on
        FROM statement_disclosures d
        LEFT JOIN recipient r ON r.recipient_id = d.recipient_id
        LEFT JOIN consent c ON c.consent_id = nullif(trim(d.consent_id), '')
        WHERE d.student_id = $student AND {_PERIOD.format(d="CAST(d.occurred_at AS DATE)")}
        ORDER BY d.occurred_at, d.disclosure_id
    """, params)  # fmt: skip


def _processors(con, params) -> list[dict]:
    """The processors that received the student's data in the period, and on how many of those days a
    signed processor agreement was in force."""
    return _dicts(con, f"""
        WITH recipient AS (
            SELECT recipient_id, any_value(name) AS name, any_value(kind) AS kind FROM statement_recipients GROUP BY 1
        ),
        sent AS (
            SELECT d.disclosure_id, d.recipient_id, CAST(d.occurred_at AS DATE) AS local_date,
                   coalesce(d.data_categories, []) AS categories, coalesce(r.name, d.recipient_id) AS name
            FROM statement_disclosures d LEFT JOIN recipient r ON r.recipient_id = d.recipient_id
            WHERE d.student_id = $student AND (r.kind = 'processor' OR d.legal_basis = 'processor')
              AND {_PERIOD.format(d="CAST(d.occurred_at AS DATE)")}
        ),
        covered AS (
            SELECT s.disclosure_id, count(a.agreement_id) > 0 AS in_force
            FROM sent s LEFT JOIN statement_agreements a
              ON a.recipient_id = s.recipient_id AND a.signed_at IS NOT NULL AND a.signed_at <= s.local_date
             AND s.local_date BETWEEN coalesce(a.valid_from, {_EARLIEST}) AND coalesce(a.valid_to, {_LATEST})
            GROUP BY s.disclosure_id
        )
        SELECT s.name, count(*) AS disclosures, min(s.local_date) AS first_day, max(s.local_date) AS last_day,
               list_sort(list_distinct(flatten(list(s.categories)))) AS categories,
               count(*) FILTER (WHERE c.in_force) AS with_agreement
        FROM sent s JOIN covered c USING (disclosure_id)
        GROUP BY s.recipient_id, s.name ORDER BY s.name
    """, params)  # fmt: skip


def _findings(con, params) -> list[dict]:
    """The findings about the student's data in the weeks of the period: the rule, the weeks and what
    was decided (the status and its day; never the note, never the facts)."""
    week_start = "CAST(strptime(f.week || '-1', '%G-W%V-%u') AS DATE)"
    week_end = "CAST(strptime(f.week || '-7', '%G-W%V-%u') AS DATE)"
    return _dicts(con, f"""
        WITH found AS (
            SELECT f.finding_id, f.rule_id, f.week, f.severity, {week_end} AS week_end
            FROM findings f
            WHERE f.student_id = $student AND {week_end} >= $from AND {week_start} <= $to
        )
        SELECT f.finding_id, f.rule_id, any_value(f.severity) AS severity, min(f.week) AS first_week,
               max(f.week) AS last_week, count(*) AS weeks,
               CASE WHEN any_value(d.status) IS NULL THEN 'open'
                    WHEN any_value(d.until) IS NOT NULL AND max(f.week_end) > CAST(any_value(d.until) AS DATE) THEN 'open'
                    ELSE any_value(d.status) END AS status,
               CASE WHEN any_value(d.status) IS NOT NULL THEN CAST(left(any_value(d.decided_at), 10) AS DATE) END AS decided_on
        FROM found f LEFT JOIN latest_decision d ON d.finding_id = f.finding_id
        GROUP BY f.finding_id, f.rule_id
        ORDER BY max(f.week), f.rule_id, f.finding_id
    """, params)  # fmt: skip


def _list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _one(con, sql: str, params: dict) -> dict | None:
    rows = _dicts(con, sql, params)
    return rows[0] if rows else None


def _dicts(con, sql: str, params: dict) -> list[dict]:
    cursor = con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql})
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
