"""Teacher involvements derived from small synthetic OneRoster bundles (spec/landing.md): the overlap of
a teacher's and a student's enrollment in a class, empty dates taken from the class's terms, open
without a term; only active records; identifier before sourcedId; and a note for every record that
is not used as it stands."""

import pytest
from oneroster_bundles import SCHOOL, ingest, involvements, notes, notes_of, write_bundle

from pipelines.warehouse import connect

TEACHER = "t1,active,,teacher,tina,"
STUDENT = "s1,active,,student,sam,"
PHYSICS = "c1,active,,Physics,,org1,term1"  # term1: 2026-08-24 .. 2027-01-31
SPRING = "term2,active,,Spring,term,2027-02-01,2027-07-10,"
AUTUMN = "term1,active,,Autumn,term,2026-08-24,2027-01-31,"


def enrollment(sourced_id, user, role, begin="", end="", cls="c1", status="active"):
    return f"{sourced_id},{status},,{cls},org1,{user},{role},{begin},{end}"


@pytest.fixture
def con(tmp_path):
    connection = connect(":memory:")
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


def derive(con, landing, **bundle):
    bundle.setdefault("users", [TEACHER, STUDENT])
    bundle.setdefault("classes", [PHYSICS])
    write_bundle(landing, **bundle)
    ingest(con, landing)
    return involvements(con)


# --- overlap -------------------------------------------------------------------------------------


def test_teacher_and_student_are_involved_over_the_overlap_of_their_enrollments(con, landing):
    found = derive(
        con,
        landing,
        enrollments=[
            enrollment("e1", "t1", "teacher", "2026-09-01", "2026-12-31"),
            enrollment("e2", "s1", "student", "2026-10-15", "2027-01-15"),
        ],
    )
    assert found == [("t1", "s1", "2026-10-15", "2026-12-31", "c1")]
    assert notes(con) == set()


def test_enrollments_that_touch_on_one_day_give_a_one_day_involvement(con, landing):
    found = derive(
        con,
        landing,
        enrollments=[
            enrollment("e1", "t1", "teacher", "2026-09-01", "2026-11-01"),
            enrollment("e2", "s1", "student", "2026-11-01", "2026-12-31"),
        ],
    )
    assert found == [("t1", "s1", "2026-11-01", "2026-11-01", "c1")]


def test_enrollments_that_do_not_overlap_give_nothing_and_both_are_noted(con, landing):
    found = derive(
        con,
        landing,
        enrollments=[
            enrollment("e1", "t1", "teacher", "2026-09-01", "2026-10-31"),
            enrollment("e2", "s1", "student", "2026-11-01", "2026-12-31"),
        ],
    )
    assert found == []
    assert notes_of(con, "enrollments.csv") == {
        (2, "classSourcedId", "c1", "no student enrollment in the class overlaps this one: no involvement"),
        (3, "classSourcedId", "c1", "no teacher enrollment in the class overlaps this one: no involvement"),
    }


def test_every_teacher_is_involved_with_every_student_of_the_class_and_only_that_class(con, landing):
    found = derive(
        con,
        landing,
        users=[
            TEACHER,
            "t2,active,,teacher,tom,",
            STUDENT,
            "s2,active,,student,sue,",
            "s3,active,,student,sid,",
        ],
        classes=[PHYSICS, "c2,active,,Maths,,org1,term1"],
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "t2", "teacher"),
            enrollment("e3", "s1", "student"),
            enrollment("e4", "s2", "student"),
            enrollment("e5", "s3", "student", cls="c2"),
            enrollment("e6", "t1", "teacher", cls="c2"),
        ],
    )
    term = ("2026-08-24", "2027-01-31")
    assert found == [
        ("t1", "s1", *term, "c1"),
        ("t1", "s2", *term, "c1"),
        ("t1", "s3", *term, "c2"),
        ("t2", "s1", *term, "c1"),
        ("t2", "s2", *term, "c1"),
    ]


def test_the_same_pair_enrolled_twice_in_a_class_is_one_involvement(con, landing):
    found = derive(
        con,
        landing,
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student"),
            enrollment("e3", "s1", "student"),
        ],
    )
    assert found == [("t1", "s1", "2026-08-24", "2027-01-31", "c1")]


# --- empty dates and terms -----------------------------------------------------------------------


def test_empty_dates_are_the_bounds_of_the_class_terms_earliest_start_to_latest_end(con, landing):
    found = derive(
        con,
        landing,
        sessions=[AUTUMN, SPRING],
        classes=['c1,active,,Physics,,org1,"term2, term1"'],  # a list, in any order, ',' or ';'
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student", begin="2026-11-01"),
        ],
    )
    assert found == [("t1", "s1", "2026-11-01", "2027-07-10", "c1")]
    assert notes(con) == set()


def test_terms_separated_by_a_semicolon(con, landing):
    found = derive(
        con,
        landing,
        sessions=[AUTUMN, SPRING],
        classes=["c1,active,,Physics,,org1,term1;term2"],
        enrollments=[enrollment("e1", "t1", "teacher"), enrollment("e2", "s1", "student", end="2026-12-31")],
    )
    assert found == [("t1", "s1", "2026-08-24", "2026-12-31", "c1")]


def test_a_class_without_terms_is_open(con, landing):
    found = derive(
        con,
        landing,
        classes=["c1,active,,Physics,,org1,"],
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student", begin="2026-09-01"),
        ],
    )
    assert found == [("t1", "s1", "2026-09-01", None, "c1")]
    assert notes_of(con, "classes.csv") == {
        (2, "termSourcedIds", None, "no termSourcedIds: the class's term bounds are open")
    }


def test_a_term_not_in_the_bundle_makes_the_class_open_even_next_to_a_known_term(con, landing):
    found = derive(
        con,
        landing,
        classes=['c1,active,,Physics,,org1,"term1,term9"'],
        enrollments=[enrollment("e1", "t1", "teacher"), enrollment("e2", "s1", "student")],
    )
    assert found == [("t1", "s1", None, None, "c1")]
    assert notes_of(con, "classes.csv") == {
        (
            2,
            "termSourcedIds",
            "term9",
            "term is not in academicSessions.csv: the class's term bounds are open",
        )
    }


def test_a_term_that_is_not_active_or_has_no_valid_date_leaves_that_bound_open(con, landing):
    found = derive(
        con,
        landing,
        sessions=[
            "term1,tobedeleted,,Autumn,term,2026-08-24,2027-01-31,",
            "term2,,,Spring,term,2027-02-01,31-07-2027,",
        ],
        classes=["c1,active,,Physics,,org1,term1", "c2,active,,Maths,,org1,term2"],
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student"),
            enrollment("e3", "t1", "teacher", cls="c2"),
            enrollment("e4", "s1", "student", cls="c2"),
        ],
    )
    assert found == [("t1", "s1", "2027-02-01", None, "c2"), ("t1", "s1", None, None, "c1")]
    assert notes_of(con, "academicSessions.csv") == {
        (2, "status", "tobedeleted", "status tobedeleted: record not used"),
        (
            3,
            "endDate",
            "31-07-2027",
            "not an ISO date (YYYY-MM-DD): treated as empty, so this term gives its classes no end bound",
        ),
    }
    assert notes_of(con, "classes.csv") == {
        (2, "termSourcedIds", "term1", "term has status tobedeleted: the class's term bounds are open")
    }


def test_enrollment_dates_outside_the_class_terms_are_kept_and_noted(con, landing):
    found = derive(
        con,
        landing,
        enrollments=[
            enrollment("e1", "t1", "teacher", "2026-08-23", "2027-01-31"),  # one day before the term
            enrollment("e2", "s1", "student", "2026-08-24", "2027-02-01"),  # one day after it
        ],
    )
    assert found == [("t1", "s1", "2026-08-24", "2027-01-31", "c1")]
    outside = "outside the class's terms (2026-08-24 to 2027-01-31): the enrollment date is kept"
    assert notes_of(con, "enrollments.csv") == {
        (2, "beginDate", "2026-08-23", outside),
        (3, "endDate", "2027-02-01", outside),
    }


@pytest.mark.parametrize("written", ["1/05/2027", "2027-5-1", "2027-02-30", "2027-05-01T00:00:00Z"])
def test_a_date_that_is_not_iso_is_treated_as_empty_and_noted(con, landing, written):
    found = derive(
        con,
        landing,
        enrollments=[enrollment("e1", "t1", "teacher"), enrollment("e2", "s1", "student", begin=written)],
    )
    # 1/05/2027 could be 1 May or 5 January: the class's term start is used instead of a guess
    assert found == [("t1", "s1", "2026-08-24", "2027-01-31", "c1")]
    assert notes_of(con, "enrollments.csv") == {
        (
            3,
            "beginDate",
            written,
            "not an ISO date (YYYY-MM-DD): treated as empty, so the bounds of the class's terms are used",
        ),
    }


def test_an_enrollment_that_ends_before_it_begins_gives_nothing(con, landing):
    found = derive(
        con,
        landing,
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student", begin="2027-03-01"),  # ends with the term, on 2027-01-31
        ],
    )
    assert found == []
    assert (
        3,
        "beginDate",
        "2027-03-01",
        "the enrollment ends before it begins (empty dates taken from the class's terms): no involvement",
    ) in (notes_of(con, "enrollments.csv"))


# --- active records only -------------------------------------------------------------------------


def test_a_class_to_be_deleted_gives_nothing_and_each_of_its_enrollments_says_so(con, landing):
    found = derive(
        con,
        landing,
        classes=["c1,tobedeleted,,Physics,,org1,term1"],
        enrollments=[enrollment("e1", "t1", "teacher"), enrollment("e2", "s1", "student")],
    )
    assert found == []
    why = "class has status tobedeleted: enrollment not used"
    assert notes(con) == {
        ("classes.csv", 2, "status", "tobedeleted", "status tobedeleted: record not used"),
        ("enrollments.csv", 2, "classSourcedId", "c1", why),
        ("enrollments.csv", 3, "classSourcedId", "c1", why),
    }


@pytest.mark.parametrize("status", ["", "active", "Active", "ACTIVE"])
def test_empty_or_active_status_in_any_case_is_active(con, landing, status):
    found = derive(
        con,
        landing,
        users=[f"t1,{status},,teacher,tina,", f"s1,{status},,student,sam,"],
        classes=[f"c1,{status},,Physics,,org1,term1"],
        enrollments=[
            enrollment("e1", "t1", "teacher", status=status),
            enrollment("e2", "s1", "student", status=status),
        ],
    )
    assert found == [("t1", "s1", "2026-08-24", "2027-01-31", "c1")]


@pytest.mark.parametrize(
    "status, reason",
    [
        ("tobedeleted", "status tobedeleted: record not used"),
        ("inactive", "status inactive: record not used"),
        ("deleted", "unknown status (expected active or tobedeleted): record not used"),
    ],
)
def test_an_enrollment_or_user_that_is_not_active_gives_nothing(con, landing, status, reason):
    found = derive(
        con,
        landing,
        users=[TEACHER, STUDENT, f"s2,{status},,student,sue,"],
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student", status=status),
            enrollment("e3", "s2", "student"),
        ],
    )
    assert found == []
    assert notes(con) == {
        ("users.csv", 4, "status", status, reason),
        (
            "enrollments.csv",
            2,
            "classSourcedId",
            "c1",
            "no student enrollment in the class overlaps this one: no involvement",
        ),
        ("enrollments.csv", 3, "status", status, reason),
        ("enrollments.csv", 4, "userSourcedId", "s2", f"user has status {status}: enrollment not used"),
    }


# --- who is who ----------------------------------------------------------------------------------


def test_the_identifier_is_the_id_when_present_else_the_sourced_id(con, landing):
    found = derive(
        con,
        landing,
        users=["u-17,active,,teacher,tina,T100", "u-18,active,,student,sam,", "u-19,active,,student,sue,  "],
        enrollments=[
            enrollment("e1", "u-17", "teacher"),
            enrollment("e2", "u-18", "student"),
            enrollment("e3", "u-19", "student"),
        ],
    )
    assert found == [
        ("T100", "u-18", "2026-08-24", "2027-01-31", "c1"),
        ("T100", "u-19", "2026-08-24", "2027-01-31", "c1"),  # an identifier of spaces is empty
    ]


def test_two_users_with_one_id_are_ambiguous_and_not_used(con, landing):
    found = derive(
        con,
        landing,
        users=[
            TEACHER,
            "u-18,active,,student,sam,4711",
            "u-19,active,,student,sue,4711",
            "s3,active,,student,sid,",
        ],
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "u-18", "student"),
            enrollment("e3", "u-19", "student"),
            enrollment("e4", "s3", "student"),
        ],
    )
    assert found == [("t1", "s3", "2026-08-24", "2027-01-31", "c1")]
    ambiguous = "maps to the same staff or student id as another user: ambiguous, so this user's enrollments are not used"
    shared = "user maps to a staff or student id that another user has too: enrollment not used"
    assert notes(con) == {
        ("users.csv", 3, "identifier", "4711", ambiguous),
        ("users.csv", 4, "identifier", "4711", ambiguous),
        ("enrollments.csv", 3, "userSourcedId", "u-18", shared),
        ("enrollments.csv", 4, "userSourcedId", "u-19", shared),
    }


def test_a_repeated_sourced_id_uses_the_last_line(con, landing):
    found = derive(
        con,
        landing,
        users=[TEACHER, "s1,active,,student,sam,OLD", "s1,active,,student,sam,NEW"],
        enrollments=[enrollment("e1", "t1", "teacher"), enrollment("e2", "s1", "student")],
    )
    assert found == [("t1", "NEW", "2026-08-24", "2027-01-31", "c1")]
    assert notes(con) == {
        (
            "users.csv",
            3,
            "sourcedId",
            "s1",
            "sourcedId repeated on a later line (the last one is used): record not used",
        )
    }


def test_the_enrollment_role_counts_whatever_users_csv_says_and_a_difference_is_noted(con, landing):
    found = derive(
        con,
        landing,
        users=["t1,active,,teacher,tina,", "t2,active,,teacher,tom,"],
        enrollments=[enrollment("e1", "t1", "teacher"), enrollment("e2", "t2", "student")],
    )
    assert found == [("t1", "t2", "2026-08-24", "2027-01-31", "c1")]
    assert notes(con) == {
        (
            "enrollments.csv",
            3,
            "role",
            "student",
            "enrolled as student while users.csv gives role teacher: the enrollment role is used",
        )
    }


@pytest.mark.parametrize("role", ["administrator", "proctor", "aide"])
def test_roles_other_than_teacher_and_student_give_no_involvement(con, landing, role):
    found = derive(
        con,
        landing,
        users=[f"a1,active,,{role},ann,", STUDENT],
        enrollments=[enrollment("e1", "a1", role), enrollment("e2", "s1", "student")],
    )
    assert found == []
    assert (
        2,
        "role",
        role,
        "role gives no involvement (only teacher and student do): enrollment not used",
    ) in (notes_of(con, "enrollments.csv"))


def test_role_codes_are_matched_in_any_case(con, landing):
    found = derive(
        con, landing, enrollments=[enrollment("e1", "t1", "Teacher"), enrollment("e2", "s1", "STUDENT")]
    )
    assert found == [("t1", "s1", "2026-08-24", "2027-01-31", "c1")]
    assert notes(con) == set()


def test_users_without_enrollment_are_noted_unless_they_are_not_expected_in_a_class(con, landing):
    found = derive(
        con,
        landing,
        users=[
            TEACHER,
            STUDENT,
            "s2,active,,student,sue,",
            "t2,active,,teacher,tom,",
            "p1,active,,parent,pat,",
            "x1,active,,,xan,",
        ],
        enrollments=[enrollment("e1", "t1", "teacher"), enrollment("e2", "s1", "student")],
    )
    assert found == [("t1", "s1", "2026-08-24", "2027-01-31", "c1")]
    no_enrollment = "user has no enrollment: no involvement"
    assert notes(con) == {
        ("users.csv", 4, "sourcedId", "s2", no_enrollment),
        ("users.csv", 5, "sourcedId", "t2", no_enrollment),
        ("users.csv", 7, "sourcedId", "x1", no_enrollment),  # no role given: could have been either
    }


# --- references ----------------------------------------------------------------------------------


def test_an_enrollment_whose_class_or_user_is_not_in_the_bundle_gives_nothing(con, landing):
    found = derive(
        con,
        landing,
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student", cls="c9"),
            enrollment("e3", "s9", "student"),
        ],
    )
    assert found == []
    assert notes_of(con, "enrollments.csv") == {
        (2, "classSourcedId", "c1", "no student enrollment in the class overlaps this one: no involvement"),
        (3, "classSourcedId", "c9", "class is not in classes.csv: enrollment not used"),
        (4, "userSourcedId", "s9", "user is not in users.csv: enrollment not used"),
    }


def test_references_the_auditor_does_not_need_are_noted_when_they_point_nowhere(con, landing):
    found = derive(
        con,
        landing,
        orgs=[SCHOOL, "dep1,active,,Science,department,org0"],
        sessions=[
            AUTUMN.replace("Autumn,term,2026-08-24,2027-01-31,", "Autumn,term,2026-08-24,2027-01-31,y2026")
        ],
        classes=["c1,active,,Physics,crs1,dep1,term1"],
        courses=["crs2,active,,Maths"],
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "s1", "student").replace(",org1,", ",org7,"),
        ],
    )
    assert found == [("t1", "s1", "2026-08-24", "2027-01-31", "c1")]  # none of them matters for it
    not_used = "noted (the auditor does not use it)"
    assert notes(con) == {
        ("orgs.csv", 3, "parentSourcedId", "org0", "parent org is not in orgs.csv: " + not_used),
        (
            "orgs.csv",
            3,
            "type",
            "department",
            "org of type department is used as the school of classes or enrollments: noted (the auditor does not use the school)",
        ),
        (
            "academicSessions.csv",
            2,
            "parentSourcedId",
            "y2026",
            "parent session is not in academicSessions.csv: " + not_used,
        ),
        ("classes.csv", 2, "courseSourcedId", "crs1", "course is not in courses.csv: " + not_used),
        ("enrollments.csv", 3, "schoolSourcedId", "org7", "school is not in orgs.csv: " + not_used),
    }


# --- OneRoster 1.2 -------------------------------------------------------------------------------


def test_a_1_2_bundle_takes_the_user_roles_from_roles_csv(con, landing):
    found = derive(
        con,
        landing,
        version="1.2",
        users=[
            "t1,active,,,tina,",
            "t2,active,,,tom,",
            "s1,active,,,sam,",
            "g1,active,,,gus,",
            "s2,active,,,sue,",
        ],
        roles=[
            "r1,active,,t1,primary,teacher,org1,,",
            "r2,active,,t2,primary,teacher,org1,,",
            "r3,active,,s1,primary,student,org1,,",
            "r4,active,,g1,primary,guardian,org1,,",
            "r5,active,,s2,primary,student,org1,,",
            "r6,active,,t1,secondary,guardian,org1,,",  # a second role does not matter
            "r7,tobedeleted,,s2,primary,teacher,org1,,",  # not active: not a role of s2
            "r8,active,,u9,primary,student,org1,2026-8-1,",
        ],
        enrollments=[
            enrollment("e1", "t1", "teacher"),
            enrollment("e2", "t2", "student"),
            enrollment("e3", "s1", "student"),
        ],
    )
    term = ("2026-08-24", "2027-01-31")
    assert found == [("t1", "s1", *term, "c1"), ("t1", "t2", *term, "c1")]
    assert notes(con) == {
        (
            "enrollments.csv",
            3,
            "role",
            "student",
            "enrolled as student while roles.csv gives role teacher: the enrollment role is used",
        ),
        ("users.csv", 6, "sourcedId", "s2", "user has no enrollment: no involvement"),  # g1 is a guardian
        ("roles.csv", 8, "status", "tobedeleted", "status tobedeleted: record not used"),
        ("roles.csv", 9, "userSourcedId", "u9", "user is not in users.csv: role not used"),
        (
            "roles.csv",
            9,
            "beginDate",
            "2026-8-1",
            "not an ISO date (YYYY-MM-DD): ignored (role dates are not used)",
        ),
    }
