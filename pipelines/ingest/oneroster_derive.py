"""Teacher involvements from a staged OneRoster bundle, and a note for every record that is not used
as it stands (set-based, in DuckDB).

Input: the `_or_*` staging tables and `_or_notes` of oneroster_read. Output: `_or_involvements(staff_id,
student_id, valid_from, valid_to, class_id)`, and more rows in `_or_notes`.

spec/landing.md: a user enrolled as `teacher` in a class is involved with every user enrolled as
`student` in that class, over the overlap of the two enrollments; an empty begin or end date means the
bounds of the class's terms (earliest start to latest end); no term means open. A user is matched to a
staff_id / student_id through its `identifier`, else its `sourcedId`.

Only active records are used: status empty (1.1 bulk exports often leave it empty) or `active`.
Within a file the last line with a sourcedId wins. Dates must be ISO (YYYY-MM-DD): `1/05/2023` could
be the 1st of May or the 5th of January, so it is treated as empty, and noted.
"""

from __future__ import annotations

from pipelines.contract import DATE, DATE_OR_TIMESTAMP, Column
from pipelines.ingest.oneroster_read import (
    CLASSES,
    COURSES,
    ENROLLMENTS,
    ORGS,
    RECORD_FILES,
    ROLES,
    SESSIONS,
    USERS,
)
from pipelines.ingest.parse import typed
from pipelines.ingest.sql import literal

INVOLVED_ROLES = ("teacher", "student")


def iso_date(text: str) -> str:
    return typed(Column("date", DATE), text)


def _iso_date_or_timestamp(text: str) -> str:
    return typed(Column("stamp", DATE_OR_TIMESTAMP), text)


def note(field: str, value: str, reason: str) -> str:
    """A note as one SQL value: the column it is about (a OneRoster name), the value, the reason."""
    return f"{{'field': {literal(field)}, 'value': CAST({value} AS VARCHAR), 'reason': {reason}}}"


# (file, OneRoster column, staging column, reason) of each date the auditor checks; every other value
# of these files is text.
DATE_CHECKS = (
    (
        ENROLLMENTS,
        "beginDate",
        "begin_date",
        "not an ISO date (YYYY-MM-DD): treated as empty, so the bounds of the class's terms are used",
    ),
    (
        ENROLLMENTS,
        "endDate",
        "end_date",
        "not an ISO date (YYYY-MM-DD): treated as empty, so the bounds of the class's terms are used",
    ),
    (
        SESSIONS,
        "startDate",
        "start_date",
        "not an ISO date (YYYY-MM-DD): treated as empty, so this term gives its classes no start bound",
    ),
    (
        SESSIONS,
        "endDate",
        "end_date",
        "not an ISO date (YYYY-MM-DD): treated as empty, so this term gives its classes no end bound",
    ),
    (ROLES, "beginDate", "begin_date", "not an ISO date (YYYY-MM-DD): ignored (role dates are not used)"),
    (ROLES, "endDate", "end_date", "not an ISO date (YYYY-MM-DD): ignored (role dates are not used)"),
)

# References the derivation does not need, checked so that a dangling one is noted:
# (file, OneRoster column, staging column, a list?, target file, what it names, consequence).
REFERENCES = (
    (USERS, "orgSourcedIds", "org_ids", True, ORGS, "org", "noted (the auditor does not use it)"),
    (
        USERS,
        "primaryOrgSourcedId",
        "primary_org_id",
        False,
        ORGS,
        "org",
        "noted (the auditor does not use it)",
    ),
    (
        ENROLLMENTS,
        "schoolSourcedId",
        "school_id",
        False,
        ORGS,
        "school",
        "noted (the auditor does not use it)",
    ),
    (CLASSES, "schoolSourcedId", "school_id", False, ORGS, "school", "noted (the auditor does not use it)"),
    (
        CLASSES,
        "courseSourcedId",
        "course_id",
        False,
        COURSES,
        "course",
        "noted (the auditor does not use it)",
    ),
    (
        SESSIONS,
        "parentSourcedId",
        "parent_id",
        False,
        SESSIONS,
        "parent session",
        "noted (the auditor does not use it)",
    ),
    (ORGS, "parentSourcedId", "parent_id", False, ORGS, "parent org", "noted (the auditor does not use it)"),
    (ROLES, "orgSourcedId", "org_id", False, ORGS, "org", "noted (the auditor does not use it)"),
    (ROLES, "userSourcedId", "user_id", False, USERS, "user", "role not used"),
)


def derive(con, files: dict[str, str]) -> None:
    """Derive `_or_involvements` from the staged bundle and add the notes; `files` gives each OneRoster
    file's name in the bundle (for the notes)."""
    for spec in RECORD_FILES:
        con.execute(_checked(spec))
        _add_notes(con, files[spec.name], f"{spec.table}_checked", "unused")
    for spec, column, staging, reason in DATE_CHECKS:
        _add_cell_notes(con, files[spec.name], spec.table, column, staging, iso_date, reason)
    for spec in RECORD_FILES:
        _add_cell_notes(
            con,
            files[spec.name],
            spec.table,
            "dateLastModified",
            "modified",
            _iso_date_or_timestamp,
            "not an ISO 8601 date or timestamp: ignored (dateLastModified is not used)",
        )
    for reference in REFERENCES:
        con.execute(_reference_notes(files, *reference))
    con.execute(_CLASSES)
    _add_notes(con, files["classes"], "_or_class_notes", "note")
    con.execute(_PEOPLE.replace(":roles_file", literal(files["roles"])))
    _add_notes(con, files["users"], "_or_user_notes", "note")
    con.execute(_ENROLLMENTS)
    _add_notes(con, files["enrollments"], "_or_enrollment_eval", "blocked")
    con.execute(_INVOLVEMENTS)
    _add_notes(con, files["enrollments"], "_or_enrollment_notes", "note")
    con.execute(_DEPARTMENTS)
    _add_notes(con, files["orgs"], "_or_org_notes", "note")


def _add_notes(con, file: str, table: str, column: str) -> None:
    con.execute(
        f"""INSERT INTO _or_notes SELECT {literal(file)}, _line, {column}.field, {column}.value, {column}.reason
            FROM {table} WHERE {column} IS NOT NULL"""
    )


def _add_cell_notes(con, file: str, table: str, column: str, staging: str, parse, reason: str) -> None:
    con.execute(
        f"""INSERT INTO _or_notes SELECT {literal(file)}, _line, {literal(column)}, {staging}, {literal(reason)}
            FROM {table} WHERE {staging} IS NOT NULL AND {parse(staging)} IS NULL"""
    )


def _checked(spec) -> str:
    """`<table>_checked`: every record with `unused` (why it is not used, or NULL) and `last_line` (the
    line of its sourcedId that wins: the last one)."""
    keyed = spec.staging("sourcedId") if "sourcedId" in spec.required else None
    last_line = f"max(_line) OVER (PARTITION BY {keyed})" if keyed else "_line"
    key_checks = (
        f"""WHEN {keyed} IS NULL THEN {note("sourcedId", "NULL", "'sourcedId is empty: record not used'")}
            WHEN _line < last_line THEN {
            note(
                "sourcedId",
                keyed,
                "'sourcedId repeated on a later line (the last one is used): record not used'",
            )
        }"""
        if keyed
        else ""
    )
    status_reason = (
        "CASE WHEN lower(status) IN ('tobedeleted', 'inactive') THEN 'status ' || lower(status) || ': record not used' "
        "ELSE 'unknown status (expected active or tobedeleted): record not used' END"
    )
    return f"""
        CREATE OR REPLACE TEMP TABLE {spec.table}_checked AS
        SELECT *,
               CASE {key_checks}
                    WHEN status IS NOT NULL AND lower(status) <> 'active' THEN {note("status", "status", status_reason)}
               END AS unused
        FROM (SELECT *, {last_line} AS last_line FROM {spec.table})"""


def _reference_notes(files, spec, column, staging, is_list, target, what, consequence) -> str:
    values = (
        f"unnest(list_transform(regexp_split_to_array({staging}, '[,;]'), lambda item: trim(item)))"
        if is_list
        else staging
    )
    reason = literal(f"{what} is not in {target.file_name}: {consequence}")
    return f"""
        INSERT INTO _or_notes
        SELECT {literal(files[spec.name])}, r._line, {literal(column)}, r.ref, {reason}
        FROM (SELECT _line, {values} AS ref FROM {spec.table}_checked WHERE unused IS NULL) r
        LEFT JOIN (SELECT DISTINCT sourced_id FROM {target.table}) t ON t.sourced_id = r.ref
        WHERE r.ref <> '' AND t.sourced_id IS NULL"""


# Classes in use and their term bounds. A class's bound is open when any of its terms is not usable
# (not in the bundle, not active, ending before it starts) or lacks that date: the unknown term could
# reach further than the known ones.
_CLASSES = f"""
CREATE OR REPLACE TEMP TABLE _or_terms AS
SELECT sourced_id AS term_id, status, unused,
       {iso_date("start_date")} AS starts_on, {iso_date("end_date")} AS ends_on
FROM _or_academicsessions_checked WHERE _line = last_line;

CREATE OR REPLACE TEMP TABLE _or_class_terms AS
SELECT c.class_id, c._line, c.term_id, t.starts_on, t.ends_on,
       CASE WHEN t.term_id IS NULL THEN 'is not in academicSessions.csv'
            WHEN t.unused IS NOT NULL THEN 'has status ' || lower(t.status)
            WHEN t.starts_on > t.ends_on THEN 'ends before it starts'
       END AS problem
FROM (SELECT sourced_id AS class_id, _line,
             unnest(list_transform(regexp_split_to_array(term_ids, '[,;]'), lambda item: trim(item))) AS term_id
      FROM _or_classes_checked WHERE unused IS NULL) c
LEFT JOIN _or_terms t ON t.term_id = c.term_id
WHERE c.term_id <> '';

CREATE OR REPLACE TEMP TABLE _or_class_bounds AS
SELECT c.sourced_id AS class_id, c._line, c.term_ids, count(t.term_id) AS terms,
       CASE WHEN bool_or(t.problem IS NOT NULL OR t.starts_on IS NULL) THEN NULL ELSE min(t.starts_on) END AS term_start,
       CASE WHEN bool_or(t.problem IS NOT NULL OR t.ends_on IS NULL) THEN NULL ELSE max(t.ends_on) END AS term_end
FROM _or_classes_checked c LEFT JOIN _or_class_terms t ON t.class_id = c.sourced_id
WHERE c.unused IS NULL
GROUP BY ALL;

CREATE OR REPLACE TEMP TABLE _or_class_notes AS
SELECT _line, {
    note("termSourcedIds", "term_id", "'term ' || problem || ': the class''s term bounds are open'")
} AS note
FROM _or_class_terms WHERE problem IS NOT NULL
UNION ALL
SELECT _line, {note("termSourcedIds", "term_ids", "'no termSourcedIds: the class''s term bounds are open'")}
FROM _or_class_bounds WHERE terms = 0;
"""

# Users in use, the staff or student id each maps to, and the roles they are declared to have
# (users.csv in 1.0/1.1, roles.csv in 1.2). Two users mapping to one id are ambiguous: neither is used.
_PEOPLE = f"""
CREATE OR REPLACE TEMP TABLE _or_people AS
SELECT sourced_id AS user_id, _line, identifier, coalesce(identifier, sourced_id) AS person_id,
       count(*) OVER (PARTITION BY coalesce(identifier, sourced_id)) AS sharing
FROM _or_users_checked WHERE unused IS NULL;

CREATE OR REPLACE TEMP TABLE _or_declared_roles AS
SELECT user_id, list(DISTINCT role ORDER BY role) AS roles,
       array_to_string(list(DISTINCT source ORDER BY source), ' and ') AS sources
FROM (SELECT sourced_id AS user_id, lower(role) AS role, 'users.csv' AS source
      FROM _or_users_checked WHERE unused IS NULL AND role IS NOT NULL
      UNION ALL
      SELECT user_id, lower(role), :roles_file FROM _or_roles_checked
      WHERE unused IS NULL AND role IS NOT NULL AND user_id IS NOT NULL)
GROUP BY user_id;

CREATE OR REPLACE TEMP TABLE _or_user_notes AS
SELECT _line, {
    note(
        "identifier",
        "person_id",
        "'maps to the same staff or student id as another user: ambiguous, so this user''s enrollments "
        "are not used'",
    )
} AS note
FROM _or_people WHERE sharing > 1
UNION ALL
SELECT u._line, {note("sourcedId", "u.sourced_id", "'user has no enrollment: no involvement'")}
FROM _or_users_checked u
LEFT JOIN (SELECT DISTINCT user_id FROM _or_enrollments) e ON e.user_id = u.sourced_id
LEFT JOIN _or_declared_roles r ON r.user_id = u.sourced_id
-- parents, administrators and the like are not expected in a class
WHERE u.unused IS NULL AND e.user_id IS NULL
  AND (r.roles IS NULL OR list_has_any(r.roles, {list(INVOLVED_ROLES)}));
"""

# Each active enrollment, with the dates it covers and why it gives no involvement (`blocked`), if so.
_ENROLLMENTS = f"""
CREATE OR REPLACE TEMP TABLE _or_enrollment_eval AS
SELECT *,
       CASE WHEN class_id IS NULL THEN {
    note("classSourcedId", "NULL", "'classSourcedId is empty: enrollment not used'")
}
            WHEN class_line IS NULL THEN {
    note("classSourcedId", "class_id", "'class is not in classes.csv: enrollment not used'")
}
            WHEN class_unused THEN {
    note(
        "classSourcedId", "class_id", "'class has status ' || lower(class_status) || ': enrollment not used'"
    )
}
            WHEN user_id IS NULL THEN {
    note("userSourcedId", "NULL", "'userSourcedId is empty: enrollment not used'")
}
            WHEN user_line IS NULL THEN {
    note("userSourcedId", "user_id", "'user is not in users.csv: enrollment not used'")
}
            WHEN user_unused THEN {
    note("userSourcedId", "user_id", "'user has status ' || lower(user_status) || ': enrollment not used'")
}
            WHEN sharing > 1 THEN {
    note(
        "userSourcedId",
        "user_id",
        "'user maps to a staff or student id that another user has too: enrollment not used'",
    )
}
            WHEN role_code IS NULL THEN {note("role", "NULL", "'role is empty: enrollment not used'")}
            WHEN role_code NOT IN {tuple(INVOLVED_ROLES)} THEN {
    note("role", "role", "'role gives no involvement (only teacher and student do): enrollment not used'")
}
            WHEN valid_from > valid_to THEN {
    note(
        "beginDate",
        "begin_date",
        "'the enrollment ends before it begins (empty dates taken from the class''s terms): no involvement'",
    )
}
       END AS blocked
FROM (
    SELECT e._line, e.sourced_id, e.class_id, e.user_id, e.role, lower(e.role) AS role_code,
           e.begin_date, e.end_date, {iso_date("e.begin_date")} AS begins_on, {
    iso_date("e.end_date")
} AS ends_on,
           c._line AS class_line, c.unused IS NOT NULL AS class_unused, c.status AS class_status,
           b.term_start, b.term_end,
           coalesce({iso_date("e.begin_date")}, b.term_start) AS valid_from,
           coalesce({iso_date("e.end_date")}, b.term_end) AS valid_to,
           u._line AS user_line, u.unused IS NOT NULL AS user_unused, u.status AS user_status,
           p.person_id, p.sharing
    FROM _or_enrollments_checked e
    LEFT JOIN _or_classes_checked c ON c.sourced_id = e.class_id AND c._line = c.last_line
    LEFT JOIN _or_class_bounds b ON b.class_id = e.class_id
    LEFT JOIN _or_users_checked u ON u.sourced_id = e.user_id AND u._line = u.last_line
    LEFT JOIN _or_people p ON p.user_id = e.user_id
    WHERE e.unused IS NULL
);

CREATE OR REPLACE TEMP TABLE _or_enrollment_used AS SELECT * FROM _or_enrollment_eval WHERE blocked IS NULL;
"""


def _outside_terms(column: str, staging: str, parsed: str) -> str:
    reason = (
        "'outside the class''s terms (' || coalesce(CAST(term_start AS VARCHAR), 'open') || "
        "' to ' || coalesce(CAST(term_end AS VARCHAR), 'open') || '): the enrollment date is kept'"
    )
    return f"""SELECT _line, {note(column, staging, reason)}
FROM _or_enrollment_used WHERE {parsed} < term_start OR {parsed} > term_end"""


# Every teacher enrollment with every student enrollment of the same class that overlaps it.
# greatest/least skip NULL, so an open side takes the other enrollment's date.
_INVOLVEMENTS = f"""
CREATE OR REPLACE TEMP TABLE _or_pairs AS
SELECT t._line AS teacher_line, s._line AS student_line, t.person_id AS staff_id, s.person_id AS student_id,
       greatest(t.valid_from, s.valid_from) AS valid_from, least(t.valid_to, s.valid_to) AS valid_to,
       t.class_id
FROM _or_enrollment_used t
JOIN _or_enrollment_used s ON s.class_id = t.class_id AND s.role_code = 'student'
WHERE t.role_code = 'teacher'
  AND coalesce(greatest(t.valid_from, s.valid_from) <= least(t.valid_to, s.valid_to), true);

CREATE OR REPLACE TEMP TABLE _or_involvements AS
SELECT DISTINCT staff_id, student_id, valid_from, valid_to, class_id FROM _or_pairs;

CREATE OR REPLACE TEMP TABLE _or_enrollment_notes AS
SELECT e._line, {
    note(
        "role",
        "e.role",
        "'enrolled as ' || e.role_code || ' while ' || r.sources || ' gives role ' || array_to_string(r.roles, ', ') || "
        "': the enrollment role is used'",
    )
} AS note
FROM _or_enrollment_used e JOIN _or_declared_roles r ON r.user_id = e.user_id
WHERE NOT list_contains(r.roles, e.role_code)
UNION ALL
{_outside_terms("beginDate", "begin_date", "begins_on")}
UNION ALL
{_outside_terms("endDate", "end_date", "ends_on")}
UNION ALL
SELECT e._line, {
    note(
        "classSourcedId",
        "e.class_id",
        "'no ' || CASE e.role_code WHEN 'teacher' THEN 'student' ELSE 'teacher' END || "
        "' enrollment in the class overlaps this one: no involvement'",
    )
}
FROM _or_enrollment_used e
LEFT JOIN (SELECT teacher_line AS line FROM _or_pairs UNION SELECT student_line FROM _or_pairs) p ON p.line = e._line
WHERE p.line IS NULL;
"""

# An org of another type (a department, a district) named as the school of a class or enrollment.
_DEPARTMENTS = f"""
CREATE OR REPLACE TEMP TABLE _or_org_notes AS
SELECT _line, {
    note(
        "type",
        "type",
        "'org of type ' || type || ' is used as the school of classes or enrollments: noted "
        "(the auditor does not use the school)'",
    )
} AS note
FROM _or_orgs_checked
WHERE unused IS NULL AND lower(type) <> 'school'
  AND sourced_id IN (SELECT school_id FROM _or_classes_checked WHERE unused IS NULL
                     UNION SELECT school_id FROM _or_enrollments_checked WHERE unused IS NULL);
"""
