"""The real OneRoster bundles of ../shared/external/oneroster/ (README there lists their quirks): each
ingests without an error, gives exactly the involvements worked out by hand from its files, and every
quirk it has is accounted for in the quarantine, with nothing else there."""

import pytest
from ingest_helpers import rows, warehouse
from oneroster_bundles import EXTERNAL, copy_external, ingest, involvements, notes


def ingested(tmp_path, name):
    if not (EXTERNAL / name).is_dir():
        pytest.skip(f"{EXTERNAL / name} is not available")
    landing = tmp_path / "landing"
    copy_external(name, landing)
    con = warehouse(tmp_path)
    result = ingest(con, landing)
    return con, result


def landing_row(con):
    return rows(
        con,
        "SELECT feed, path, status, rows_read, rows_loaded, rows_quarantined FROM landing_files",
    )


KEPT = "the enrollment date is kept"
NOT_USED = "noted (the auditor does not use it)"
TERM_2022 = "outside the class's terms (2022-09-01 to 2022-12-24): " + KEPT
UNUSED_SCHOOL = "org of type department is used as the school of classes or enrollments: noted (the auditor does not use the school)"
NO_ENROLLMENT = "user has no enrollment: no involvement"

# The 1.1 full set and the 1.2 full set share their sessions, classes, enrollments and orgs.
FULL_SET_NOTES = {
    # sessions: a tobedeleted grading period, an inactive semester, a school year that is not there
    ("academicSessions.csv", 2, "status", "tobedeleted", "status tobedeleted: record not used"),
    ("academicSessions.csv", 4, "status", "inactive", "status inactive: record not used"),
    (
        "academicSessions.csv",
        3,
        "parentSourcedId",
        "as-syr-222-2023",
        "parent session is not in academicSessions.csv: " + NOT_USED,
    ),
    (
        "academicSessions.csv",
        6,
        "parentSourcedId",
        "as-syr-222-2023",
        "parent session is not in academicSessions.csv: " + NOT_USED,
    ),
    # classes: a course the bundle does not hold (courses are absent); History - 2 is tobedeleted
    (
        "classes.csv",
        2,
        "courseSourcedId",
        "crs-222-2023-456-12345",
        "course is not in courses.csv: " + NOT_USED,
    ),
    ("classes.csv", 3, "status", "tobedeleted", "status tobedeleted: record not used"),
    # enrollments in Physics: March to June 2022, outside the class's autumn term; kept
    *{
        ("enrollments.csv", line, column, value, TERM_2022)
        for line in (2, 3, 4)
        for column, value in (("beginDate", "2022-03-15"), ("endDate", "2022-06-15"))
    },
    # enrollments in the tobedeleted class give nothing
    *{
        (
            "enrollments.csv",
            line,
            "classSourcedId",
            "cls-222-123478",
            "class has status tobedeleted: enrollment not used",
        )
        for line in (5, 6, 7)
    },
    # the only org is a department, used as the school, with a parent that is not there
    ("orgs.csv", 2, "type", "department", UNUSED_SCHOOL),
    ("orgs.csv", 2, "parentSourcedId", "org-sch-222-3456", "parent org is not in orgs.csv: " + NOT_USED),
    # Mary and Anna are students without any enrollment (Thomas, a parent, is not expected in a class)
    ("users.csv", 3, "sourcedId", "usr-222-66778899", NO_ENROLLMENT),
    ("users.csv", 7, "sourcedId", "usr-222-567891", NO_ENROLLMENT),
}

# John Doe teaches Physics to Jim Smith (a teacher in users.csv, enrolled as a student: the enrollment
# counts) and mmichel Jones, over their common enrollment dates; identifiers are the ids.
FULL_SET_INVOLVEMENTS = [
    ("john.doe", "jim.smith", "2022-03-15", "2022-06-15", "cls-222-123456"),
    ("john.doe", "mmichel.jones", "2022-03-15", "2022-06-15", "cls-222-123456"),
]


def test_v1p1_full_data_set(tmp_path):
    con, result = ingested(tmp_path, "v1p1_Test_full_data_set")

    assert involvements(con) == FULL_SET_INVOLVEMENTS
    assert notes(con, "v1p1_Test_full_data_set") == FULL_SET_NOTES | {
        (
            "enrollments.csv",
            3,
            "role",
            "student",
            "enrolled as student while users.csv gives role teacher: the enrollment role is used",
        ),
    }
    assert result.by_feed["oneroster"]["files_loaded"] == 1
    # 17 manifest lines, 5 sessions, 2 classes, 6 enrollments, 1 org, 6 users; 15 records noted
    assert landing_row(con) == [("oneroster", "oneroster/v1p1_Test_full_data_set", "loaded", 37, 2, 15)]


def test_v1p1_minimal_data_set(tmp_path):
    con, _ = ingested(tmp_path, "v1p1_Test_minimal_data_set")

    # Status, dates and most identifiers are blank: every record is active, the enrollments take their
    # class's terms (both 2022-09-01 .. 2022-12-24), and users without identifier go by sourcedId.
    # John Doe's identifier is spelt 'jogn.doe' in this file: it is his id, as given.
    autumn = ("2022-09-01", "2022-12-24")
    assert involvements(con) == [
        ("jogn.doe", "usr-222-1234561232", *autumn, "cls-222-123456"),
        ("jogn.doe", "usr-222-1234561232", *autumn, "cls-222-123478"),
        ("jogn.doe", "usr-222-987654", *autumn, "cls-222-123456"),
        ("jogn.doe", "usr-222-987654", *autumn, "cls-222-123478"),
    ]
    mismatch = "enrolled as student while users.csv gives role teacher: the enrollment role is used"
    assert notes(con, "v1p1_Test_minimal_data_set") == {
        (
            "classes.csv",
            2,
            "courseSourcedId",
            "crs-222-2023-456-12345",
            "course is not in courses.csv: " + NOT_USED,
        ),
        (
            "classes.csv",
            3,
            "courseSourcedId",
            "crs-222-2023-456-23456",
            "course is not in courses.csv: " + NOT_USED,
        ),
        ("enrollments.csv", 3, "role", "student", mismatch),
        ("enrollments.csv", 6, "role", "student", mismatch),
        ("orgs.csv", 2, "type", "department", UNUSED_SCHOOL),
        ("users.csv", 3, "sourcedId", "usr-222-66778899", NO_ENROLLMENT),
        ("users.csv", 7, "sourcedId", "usr-222-567891", NO_ENROLLMENT),
    }


def test_v1p2_full_dataset(tmp_path):
    con, _ = ingested(tmp_path, "v1p2_full_dataset")

    assert involvements(con) == FULL_SET_INVOLVEMENTS
    not_iso = "not an ISO 8601 date or timestamp: ignored (dateLastModified is not used)"
    assert notes(con, "v1p2_full_dataset") == FULL_SET_NOTES | {
        # 1.2: the roles are in roles.csv, whose header has a typo and two empty names at the end
        (
            "enrollments.csv",
            3,
            "role",
            "student",
            "enrolled as student while roles.csv gives role teacher: the enrollment role is used",
        ),
        (
            "roles.csv",
            1,
            "dataLastModified",
            "dataLastModified",
            "header typo dataLastModified: read as dateLastModified",
        ),
        ("roles.csv", 1, None, None, "2 empty column names at the end of the header: ignored"),
        # dates such as 1/05/2023 are ambiguous (day or month first?)
        *{("users.csv", line, "dateLastModified", "1/05/2023", not_iso) for line in (2, 4, 5, 6)},
        ("users.csv", 7, "dateLastModified", "15/06/2023", not_iso),
    }


def test_v1p2_delta_test_data(tmp_path):
    con, result = ingested(tmp_path, "v1p2_oneroster_test_data")

    # One student in one class and no teacher: nothing to derive, and that is said.
    assert involvements(con) == []
    delta = "is declared delta: read as the complete content of this bundle (a delta is not merged with earlier deliveries)"
    assert notes(con, "v1p2_oneroster_test_data") == {
        (
            "enrollments.csv",
            2,
            "classSourcedId",
            "CLASS_001",
            "no teacher enrollment in the class overlaps this one: no involvement",
        ),
        *{
            ("manifest.csv", line, "value", "delta", f"{file} {delta}")
            for line, file in (
                (4, "academicSessions.csv"),
                (7, "classes.csv"),
                (9, "courses.csv"),
                (11, "enrollments.csv"),
                (15, "orgs.csv"),
                (20, "roles.csv"),
                (24, "users.csv"),
            )
        },
    }
    assert result.by_feed["oneroster"]["files_loaded"] == 1


def test_oat_sa_v1p1_base(tmp_path):
    con, _ = ingested(tmp_path, "oat-sa_v1p1_base")

    # Students only; header-only files, a non-standard column order and ext_* columns are just read.
    assert involvements(con) == []
    no_teacher = "no teacher enrollment in the class overlaps this one: no involvement"
    no_term = "term is not in academicSessions.csv: the class's term bounds are open"
    no_dates = "read as empty, so the bounds of the class's terms are used"
    assert notes(con, "oat-sa_v1p1_base") == {
        ("classes.csv", 2, "termSourcedIds", "1", no_term),
        ("classes.csv", 3, "termSourcedIds", "1", no_term),
        ("classes.csv", 4, "termSourcedIds", "1", no_term),
        ("enrollments.csv", 1, "beginDate", None, "column beginDate missing: " + no_dates),
        ("enrollments.csv", 1, "endDate", None, "column endDate missing: " + no_dates),
        ("enrollments.csv", 2, "classSourcedId", "class1", no_teacher),
        ("enrollments.csv", 3, "classSourcedId", "class2", no_teacher),
        ("enrollments.csv", 4, "classSourcedId", "class3", no_teacher),
    }


@pytest.mark.parametrize(
    "name",
    [
        "v1p1_Test_full_data_set",
        "v1p1_Test_minimal_data_set",
        "v1p2_full_dataset",
        "v1p2_oneroster_test_data",
        "oat-sa_v1p1_base",
    ],
)
def test_each_real_bundle_is_skipped_when_delivered_again(tmp_path, name):
    con, _ = ingested(tmp_path, name)
    before = rows(con, "SELECT count(*) FROM quarantine"), involvements(con)

    again = ingest(con, tmp_path / "landing")

    assert again.by_feed["oneroster"]["files_skipped"] == 1
    assert (rows(con, "SELECT count(*) FROM quarantine"), involvements(con)) == before
