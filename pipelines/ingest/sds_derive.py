"""Teacher involvements from a staged School Data Sync bundle, and a note for every record or value that
is not used as it stands (set-based, in DuckDB), derived as OneRoster bundles are (spec/mapping.md,
spec/landing.md).

Input: the `_or_sds_*` staging tables of sds_read. Output: `_or_involvements(staff_id, student_id,
valid_from, valid_to, class_id)` and more rows in `_or_notes`.

Both versions are first brought to one shape: people (who may be enrolled), classes (a v1 section or a
v2.1 class, with the dates it gives) and members (a student or teacher in a class). Then every teacher
of a class is involved with every student of it, over the class's dates:

- v1: the section's Term StartDate / Term EndDate; v2.1: the bounds of the class's sessions
  (academicSessions.csv, earliest start to latest end). SDS enrollments carry no dates of their own.
- A date the bundle does not give (empty, not ISO, a session that is not there) leaves that side of the
  window open, as an undated OneRoster enrollment without a term does, and is noted: never guessed.
  ISO dates are YYYY-MM-DD, or YYYYMMDD (which Microsoft documents too); `9/1/2015` could be the 1st of
  September or the 9th of January, so it is treated as empty.
- Ids: v1 Student Number / Teacher Number when given, else the SIS ID (as OneRoster's identifier, else
  its sourcedId); v2.1 users.csv has no such column, so its sourcedId. Two people mapping to one id are
  ambiguous: neither is used. In a file the last line of an id wins.
- Roles: v1 by the file (StudentEnrollment.csv, TeacherRoster.csv); v2.1 by enrollments.csv's role,
  case-insensitively (`Teacher`, `STUDENT`); any other role gives no involvement, and is noted.
- A v1 Status other than empty or `active` leaves the record out (v2.1 files have no status).
"""

from __future__ import annotations

from pipelines.ingest.oneroster_derive import iso_date, note
from pipelines.ingest.sds_read import V1
from pipelines.ingest.sql import literal

INVOLVED_ROLES = ("teacher", "student")


def sds_date(text: str) -> str:
    """SQL: the ISO date in `text` (YYYY-MM-DD or YYYYMMDD), NULL when it is something else."""
    return (
        f"CASE WHEN regexp_full_match({text}, '[0-9]{{8}}') THEN CAST(try_strptime({text}, '%Y%m%d') AS DATE) "
        f"ELSE {iso_date(text)} END"
    )


NOT_ISO = "not an ISO date (YYYY-MM-DD or YYYYMMDD): treated as empty, so "


def derive(
    con, version: str, files: dict[str, str], state: dict[str, str], columns: dict[str, set[str]]
) -> None:
    """Derive `_or_involvements` from the staged bundle and add the notes."""
    words = _V1_WORDS if version == V1 else _V21_WORDS
    con.execute((_shape_v1 if version == V1 else _shape_v21)(files, state, columns))
    con.execute(_checked("_or_sds_all_people", "pool, user_id", words["user_id"], "user"))
    con.execute(_checked("_or_sds_all_classes", "class_id", words["class_id"], words["class"]))
    con.execute(_DERIVE.format(**_sql_words(words)))
    con.execute(_references(version, files, state))
    con.execute(_NOTES)


def _sql_words(words: dict[str, str]) -> dict[str, str]:
    """The vocabulary of the version, as SQL fragments for _DERIVE."""
    w = words
    people_notes = {
        "ambiguous": f"{{'field': {w['number']}, 'value': person_id, 'reason': "
        "'maps to the same id as another person of the file: ambiguous, so their enrollments are not used'}",
        "no_member": note(w["user_id"], "user_id", literal("person is in no " + w["class"] + ": no involvement")),
    }  # fmt: skip
    member_reason = {
        "class_empty": note(w["member_class"], "NULL", literal(f"{w['member_class']} is empty: enrollment not used")),
        "class_unknown": note(
            w["member_class"], "class_id", literal(f"{w['class']} is not in {w['class_file']}: enrollment not used")
        ),
        "class_unused": note(
            w["member_class"], "class_id",
            literal(f"{w['class']} is not used (its line in {w['class_file']} says why): enrollment not used"),
        ),
        "user_empty": note(w["member_user"], "NULL", literal(f"{w['member_user']} is empty: enrollment not used")),
        "user_unknown": note(
            w["member_user"], "user_id", "'person is not in ' || people_file || ': enrollment not used'"
        ),
        "user_unused": note(
            w["member_user"], "user_id",
            "'person is not used (their line in ' || people_file || ' says why): enrollment not used'",
        ),
        "user_shared": note(
            w["member_user"], "user_id",
            literal("person maps to an id that another person has too: enrollment not used"),
        ),
        "role_empty": note("role", "NULL", literal("role is empty: enrollment not used")),
        "role_other": note(
            "role", "role", literal("role gives no involvement (only teacher and student do): enrollment not used")
        ),
        "alone": note(
            w["member_class"], "class_id",
            f"'no ' || CASE role_code WHEN 'teacher' THEN 'student' ELSE 'teacher' END || "
            f"' in the {w['class']}: no involvement'",
        ),
    }  # fmt: skip
    return {**people_notes, **member_reason}


_V1_WORDS = {
    "user_id": "SIS ID",
    "number": "CASE pool WHEN 'student' THEN 'Student Number' ELSE 'Teacher Number' END",
    "class": "section",
    "class_id": "SIS ID",
    "class_file": "Section.csv",
    "member_class": "Section SIS ID",
    "member_user": "SIS ID",
}
_V21_WORDS = {
    "user_id": "sourcedId",
    "number": "'sourcedId'",
    "class": "class",
    "class_id": "sourcedId",
    "class_file": "classes.csv",
    "member_class": "classSourcedId",
    "member_user": "userSourcedId",
}


def _shape_v1(files, state, columns) -> str:
    """v1 in the common shape: the section's own term dates bound its involvements."""
    section, student, teacher = (literal(files[n]) for n in ("Section", "Student", "Teacher"))
    enrolled, roster = literal(files["StudentEnrollment"]), literal(files["TeacherRoster"])
    start_given = "true" if "start_date" in columns["Section"] else "false"
    end_given = "true" if "end_date" in columns["Section"] else "false"
    return f"""
CREATE OR REPLACE TEMP TABLE _or_sds_all_people AS
SELECT {student} AS file, _line, 'student' AS pool, sis_id AS user_id, number, status FROM _or_sds_student
UNION ALL
SELECT {teacher}, _line, 'teacher', sis_id, number, status FROM _or_sds_teacher;

CREATE OR REPLACE TEMP TABLE _or_sds_all_classes AS
SELECT {section} AS file, _line, sis_id AS class_id, status FROM _or_sds_section;

CREATE OR REPLACE TEMP TABLE _or_sds_all_members AS
SELECT {enrolled} AS file, _line, section_id AS class_id, sis_id AS user_id, 'student' AS pool,
       'student' AS role, 'student' AS role_code, {student} AS people_file
FROM _or_sds_studentenrollment
UNION ALL
SELECT {roster}, _line, section_id, sis_id, 'teacher', 'teacher', 'teacher', {teacher} FROM _or_sds_teacherroster;

-- (file, line, field, value, reason) about the dates each section gives.
CREATE OR REPLACE TEMP TABLE _or_sds_date_notes (file VARCHAR, _line BIGINT, field VARCHAR, value VARCHAR, reason VARCHAR);
CREATE OR REPLACE TEMP TABLE _or_sds_dated AS
SELECT sis_id AS class_id, _line, start_date, end_date,
       {sds_date("start_date")} AS starts_on, {sds_date("end_date")} AS ends_on
FROM _or_sds_section;
INSERT INTO _or_sds_date_notes
SELECT {section}, _line, 'Term StartDate', start_date, {literal(NOT_ISO + "the section's involvements have no start date")}
FROM _or_sds_dated WHERE start_date IS NOT NULL AND starts_on IS NULL
UNION ALL
SELECT {section}, _line, 'Term EndDate', end_date, {literal(NOT_ISO + "the section's involvements have no end date")}
FROM _or_sds_dated WHERE end_date IS NOT NULL AND ends_on IS NULL
UNION ALL
SELECT {section}, _line, 'Term StartDate', NULL, 'Term StartDate is empty: the section''s involvements have no start date'
FROM _or_sds_dated WHERE {start_given} AND start_date IS NULL
UNION ALL
SELECT {section}, _line, 'Term EndDate', NULL, 'Term EndDate is empty: the section''s involvements have no end date'
FROM _or_sds_dated WHERE {end_given} AND end_date IS NULL
UNION ALL
SELECT {section}, _line, 'Term EndDate', end_date,
       'Term EndDate is before Term StartDate: neither is used, so the section''s involvements have no dates'
FROM _or_sds_dated WHERE starts_on > ends_on;

CREATE OR REPLACE TEMP TABLE _or_sds_bounds AS
SELECT class_id, _line,
       CASE WHEN starts_on > ends_on THEN NULL ELSE starts_on END AS valid_from,
       CASE WHEN starts_on > ends_on THEN NULL ELSE ends_on END AS valid_to
FROM _or_sds_dated;

-- The people's declared roles: in v1 the file says it.
CREATE OR REPLACE TEMP TABLE _or_sds_declared AS
SELECT DISTINCT pool, user_id, pool AS role_code FROM _or_sds_all_people;
"""


def _shape_v21(files, state, columns) -> str:
    """v2.1 in the common shape: the class's sessions bound its involvements (OneRoster's term rule)."""
    users, classes, enrollments = (literal(files[n]) for n in ("users", "classes", "enrollments"))
    sessions = literal(files["academicSessions"])
    sessions_read = "true" if state["academicSessions"] == "read" else "false"
    return f"""
CREATE OR REPLACE TEMP TABLE _or_sds_all_people AS
SELECT {users} AS file, _line, 'user' AS pool, sis_id AS user_id, CAST(NULL AS VARCHAR) AS number,
       CAST(NULL AS VARCHAR) AS status
FROM _or_sds_users;

CREATE OR REPLACE TEMP TABLE _or_sds_all_classes AS
SELECT {classes} AS file, _line, sis_id AS class_id, CAST(NULL AS VARCHAR) AS status FROM _or_sds_classes;

CREATE OR REPLACE TEMP TABLE _or_sds_all_members AS
SELECT {enrollments} AS file, _line, section_id AS class_id, sis_id AS user_id, 'user' AS pool,
       role, lower(role) AS role_code, {users} AS people_file
FROM _or_sds_enrollments;

CREATE OR REPLACE TEMP TABLE _or_sds_date_notes (file VARCHAR, _line BIGINT, field VARCHAR, value VARCHAR, reason VARCHAR);
CREATE OR REPLACE TEMP TABLE _or_sds_sessions AS
SELECT sis_id AS term_id, _line, start_date, end_date,
       {sds_date("start_date")} AS starts_on, {sds_date("end_date")} AS ends_on,
       _line < max(_line) OVER (PARTITION BY sis_id) AS repeated
FROM _or_sds_academicsessions;
INSERT INTO _or_sds_date_notes
SELECT {sessions}, _line, 'startDate', start_date, {literal(NOT_ISO + "the session gives its classes no start date")}
FROM _or_sds_sessions WHERE start_date IS NOT NULL AND starts_on IS NULL
UNION ALL
SELECT {sessions}, _line, 'endDate', end_date, {literal(NOT_ISO + "the session gives its classes no end date")}
FROM _or_sds_sessions WHERE end_date IS NOT NULL AND ends_on IS NULL
UNION ALL
SELECT {sessions}, _line, 'sourcedId', term_id, 'sourcedId repeated on a later line (the last one is used): record not used'
FROM _or_sds_sessions WHERE repeated;

-- A class's bound is open when any of its sessions is not usable or lacks that date: the unknown
-- session could reach further than the known ones.
CREATE OR REPLACE TEMP TABLE _or_sds_class_terms AS
SELECT c.class_id, c._line, c.term_id, t.starts_on, t.ends_on,
       CASE WHEN t.term_id IS NULL THEN
                CASE WHEN {sessions_read} THEN 'is not in ' || {sessions} ELSE 'cannot be looked up (' || {sessions} || ' is not in the bundle)' END
            WHEN t.starts_on > t.ends_on THEN 'ends before it starts'
       END AS problem
FROM (SELECT sis_id AS class_id, _line,
             unnest(list_transform(regexp_split_to_array(term_ids, '[,;]'), lambda item: trim(item))) AS term_id
      FROM _or_sds_classes) c
LEFT JOIN (SELECT * FROM _or_sds_sessions WHERE NOT repeated) t ON t.term_id = c.term_id
WHERE c.term_id <> '';

CREATE OR REPLACE TEMP TABLE _or_sds_bounds AS
SELECT c.sis_id AS class_id, c._line, count(t.term_id) AS terms,
       CASE WHEN bool_or(t.problem IS NOT NULL OR t.starts_on IS NULL) THEN NULL ELSE min(t.starts_on) END AS valid_from,
       CASE WHEN bool_or(t.problem IS NOT NULL OR t.ends_on IS NULL) THEN NULL ELSE max(t.ends_on) END AS valid_to
FROM _or_sds_classes c LEFT JOIN _or_sds_class_terms t ON t.class_id = c.sis_id AND t._line = c._line
GROUP BY ALL;

INSERT INTO _or_sds_date_notes
SELECT {classes}, _line, 'sessionSourcedIds', term_id, 'session ' || problem || ': the class''s involvements have no dates on that side'
FROM _or_sds_class_terms WHERE problem IS NOT NULL
UNION ALL
SELECT {classes}, _line, 'sessionSourcedIds', NULL, 'no sessionSourcedIds: the class''s involvements have no dates'
FROM _or_sds_bounds WHERE terms = 0;

-- The people's declared roles (roles.csv), lower case.
CREATE OR REPLACE TEMP TABLE _or_sds_declared AS
SELECT DISTINCT 'user' AS pool, sis_id AS user_id, lower(role) AS role_code FROM _or_sds_roles
WHERE sis_id IS NOT NULL AND role IS NOT NULL;
"""


def _checked(table: str, key: str, field: str, what: str) -> str:
    """`<table>_checked`: each record with `unused` (why it is not used, or NULL) and `last_line`."""
    return f"""
CREATE OR REPLACE TEMP TABLE {table}_checked AS
SELECT *,
       CASE WHEN {key.split(", ")[-1]} IS NULL THEN {
        note(field, "NULL", literal(f"{field} is empty: record not used"))
    }
            WHEN _line < last_line THEN {
        note(
            field,
            key.split(", ")[-1],
            literal(f"{field} repeated on a later line (the last one is used): record not used"),
        )
    }
            WHEN status IS NOT NULL AND lower(status) <> 'active' THEN {
        note("Status", "status", f"'status ' || status || ': {what} not used'")
    }
       END AS unused
FROM (SELECT *, max(_line) OVER (PARTITION BY {key}) AS last_line FROM {table})"""


_DERIVE = """
CREATE OR REPLACE TEMP TABLE _or_sds_persons AS
SELECT pool, user_id, _line, file, coalesce(number, user_id) AS person_id,
       count(*) OVER (PARTITION BY pool, coalesce(number, user_id)) AS sharing
FROM _or_sds_all_people_checked WHERE unused IS NULL;

CREATE OR REPLACE TEMP TABLE _or_sds_member_eval AS
SELECT *,
       CASE WHEN class_id IS NULL THEN {class_empty}
            WHEN class_line IS NULL THEN {class_unknown}
            WHEN class_unused THEN {class_unused}
            WHEN user_id IS NULL THEN {user_empty}
            WHEN user_line IS NULL THEN {user_unknown}
            WHEN user_unused THEN {user_unused}
            WHEN sharing > 1 THEN {user_shared}
            WHEN role_code IS NULL THEN {role_empty}
            WHEN role_code NOT IN ('teacher', 'student') THEN {role_other}
       END AS blocked
FROM (
    SELECT m.*, c._line AS class_line, c.unused IS NOT NULL AS class_unused, b.valid_from, b.valid_to,
           u._line AS user_line, u.unused IS NOT NULL AS user_unused, p.person_id, p.sharing
    FROM _or_sds_all_members m
    LEFT JOIN _or_sds_all_classes_checked c ON c.class_id = m.class_id AND c._line = c.last_line
    LEFT JOIN _or_sds_bounds b ON b.class_id = m.class_id AND b._line = c._line
    LEFT JOIN _or_sds_all_people_checked u ON u.pool = m.pool AND u.user_id = m.user_id AND u._line = u.last_line
    LEFT JOIN _or_sds_persons p ON p.pool = m.pool AND p.user_id = m.user_id
);

CREATE OR REPLACE TEMP TABLE _or_sds_member_used AS SELECT * FROM _or_sds_member_eval WHERE blocked IS NULL;

CREATE OR REPLACE TEMP TABLE _or_sds_pairs AS
SELECT t.file AS teacher_file, t._line AS teacher_line, s.file AS student_file, s._line AS student_line,
       t.person_id AS staff_id, s.person_id AS student_id, t.valid_from, t.valid_to, t.class_id
FROM _or_sds_member_used t
JOIN _or_sds_member_used s ON s.class_id = t.class_id AND s.role_code = 'student'
WHERE t.role_code = 'teacher';

CREATE OR REPLACE TEMP TABLE _or_involvements AS
SELECT DISTINCT staff_id, student_id, valid_from, valid_to, class_id FROM _or_sds_pairs;

CREATE OR REPLACE TEMP TABLE _or_sds_notes AS
SELECT file, _line, unused AS n FROM _or_sds_all_people_checked WHERE unused IS NOT NULL
UNION ALL
SELECT file, _line, unused FROM _or_sds_all_classes_checked WHERE unused IS NOT NULL
UNION ALL
SELECT file, _line, {ambiguous} FROM _or_sds_persons WHERE sharing > 1
UNION ALL
SELECT file, _line, blocked FROM _or_sds_member_eval WHERE blocked IS NOT NULL
UNION ALL
SELECT e.file, e._line, {alone}
FROM _or_sds_member_used e
LEFT JOIN (SELECT teacher_file AS file, teacher_line AS line FROM _or_sds_pairs
           UNION SELECT student_file, student_line FROM _or_sds_pairs) p ON p.file = e.file AND p.line = e._line
WHERE p.line IS NULL
UNION ALL
-- a student or teacher (by file in v1, by roles.csv in v2.1) in no class at all
SELECT u.file, u._line, {no_member}
FROM _or_sds_persons u
WHERE u.sharing = 1
  AND EXISTS (SELECT 1 FROM _or_sds_declared d
              WHERE d.pool = u.pool AND d.user_id = u.user_id AND d.role_code IN ('teacher', 'student'))
  AND NOT EXISTS (SELECT 1 FROM _or_sds_all_members m WHERE m.pool = u.pool AND m.user_id = u.user_id)
UNION ALL
-- v2.1: enrolled in a role that roles.csv does not give the person (the enrollment's role is used)
SELECT e.file, e._line, {{'field': 'role', 'value': e.role,
       'reason': 'enrolled as ' || e.role_code || ' while roles.csv gives ' || d.roles || ': the enrollment role is used'}}
FROM _or_sds_member_used e
JOIN (SELECT pool, user_id, list(role_code ORDER BY role_code) AS role_list,
             array_to_string(list(role_code ORDER BY role_code), ', ') AS roles
      FROM _or_sds_declared GROUP BY ALL) d ON d.pool = e.pool AND d.user_id = e.user_id
WHERE e.pool = 'user' AND NOT list_contains(d.role_list, e.role_code);
"""

_NOTES = """
INSERT INTO _or_notes SELECT file, _line, n.field, n.value, n.reason FROM _or_sds_notes;
INSERT INTO _or_notes SELECT file, _line, field, value, reason FROM _or_sds_date_notes;
"""

# References the derivation does not need, checked (when the file they name was read) so that a
# dangling one is noted: (version, file, column, staging column, target file).
_REFERENCES = (
    (V1, "Section", "School SIS ID", "school_id", "School"),
    (V1, "Student", "School SIS ID", "school_id", "School"),
    (V1, "Teacher", "School SIS ID", "school_id", "School"),
    ("v2.1", "classes", "orgSourcedId", "school_id", "orgs"),
)


def _references(version: str, files: dict[str, str], state: dict[str, str]) -> str:
    parts = []
    for of, name, column, staging, target in _REFERENCES:
        if of != version or state.get(target) != "read" or state.get(name) != "read":
            continue
        reason = literal(f"not in {files[target]}: noted (the auditor does not use the school)")
        parts.append(
            f"""SELECT {literal(files[name])}, r._line, {literal(column)}, r.{staging}, {reason}
            FROM _or_sds_{name.lower()} r
            WHERE r.{staging} IS NOT NULL AND r.{staging} NOT IN (SELECT sis_id FROM _or_sds_{target.lower()} WHERE sis_id IS NOT NULL)"""
        )
    if not parts:
        return "SELECT 1"
    return "INSERT INTO _or_notes " + " UNION ALL ".join(parts)
