"""School Data Sync bundles (spec/mapping.md, "Rosters that are not OneRoster"): every teacher of a section
or class is involved with its students over the dates the bundle gives; what the bundle cannot tell is
listed in the quarantine (reason code sds_note), never guessed; sensitive flag files are never read."""

import os

import pytest
from ingest_helpers import ingest, rows, warehouse
from sds_bundles import (
    TEACHER,
    TERM,
    USER_FLAGS,
    involvements,
    notes,
    notes_of,
    role_line,
    section_line,
    student_line,
    teacher_line,
    user_line,
    v1_bundle,
    v21_bundle,
)

OPEN = (None, None)


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


# --- v1 ------------------------------------------------------------------------------------------


def test_v1_every_teacher_of_a_section_is_involved_with_its_students_over_the_term(con, landing):
    v1_bundle(
        landing,
        sections=[section_line("11001"), section_line("11002", start="2026-08-24", end="2027-01-31")],
        students=[student_line("13001"), student_line("13002"), student_line("13003")],
        teachers=[teacher_line("14001"), teacher_line("14002")],
        enrollments=["11001,13001", "11001,13002", "11002,13003"],
        rosters=["11001,14001", "11001,14002", "11002,14001"],
    )

    result = ingest(con, landing)

    assert result.by_feed["sds"]["files_loaded"] == 1
    assert involvements(con) == [
        ("14001", "13001", *TERM, "11001"),
        ("14001", "13002", *TERM, "11001"),
        ("14002", "13001", *TERM, "11001"),
        ("14002", "13002", *TERM, "11001"),
        ("14001", "13003", "2026-08-24", "2027-01-31", "11002"),
    ]
    assert notes(con) == set()
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]


def test_v1_student_and_teacher_numbers_are_the_ids_when_given_else_the_sis_id(con, landing):
    v1_bundle(
        landing,
        sections=[section_line("s1")],
        students=[student_line("13001", number="LL1001"), student_line("13002")],
        teachers=[teacher_line("14001", number="T100")],
        enrollments=["s1,13001", "s1,13002"],
        rosters=["s1,14001"],
    )
    ingest(con, landing)
    assert [(staff, student) for staff, student, *_ in involvements(con)] == [
        ("T100", "13002"),
        ("T100", "LL1001"),
    ]


def test_v1_without_term_dates_the_involvement_is_open_and_each_section_says_so(con, landing):
    v1_bundle(
        landing,
        sections=[
            section_line("s1", start="", end=""),
            section_line("s2", start="9/1/2026", end="20270710"),  # US date: not guessed; YYYYMMDD: ISO
            section_line("s3", start="2027-07-10", end="2026-08-24"),  # ends before it starts
        ],
        students=[student_line("L1")],
        teachers=[teacher_line("T1")],
        enrollments=["s1,L1", "s2,L1", "s3,L1"],
        rosters=["s1,T1", "s2,T1", "s3,T1"],
    )
    ingest(con, landing)
    assert involvements(con) == [
        ("T1", "L1", *OPEN, "s1"),
        ("T1", "L1", None, "2027-07-10", "s2"),
        ("T1", "L1", *OPEN, "s3"),
    ]
    assert notes_of(con, "Section.csv") == {
        (2, "Term StartDate", None, "Term StartDate is empty: the section's involvements have no start date"),
        (2, "Term EndDate", None, "Term EndDate is empty: the section's involvements have no end date"),
        (3, "Term StartDate", "9/1/2026",
         "not an ISO date (YYYY-MM-DD or YYYYMMDD): treated as empty, so the section's involvements have no start date"),
        (4, "Term EndDate", "2026-08-24",
         "Term EndDate is before Term StartDate: neither is used, so the section's involvements have no dates"),
    }  # fmt: skip


def test_v1_sections_without_term_columns_are_open_and_the_header_says_so_once(con, landing):
    header = "SIS ID,School SIS ID,Section Name"
    v1_bundle(
        landing,
        sections=["s1,brin1,Natuurkunde", "s2,brin1,Wiskunde"],
        students=[student_line("L1")],
        teachers=[teacher_line("T1")],
        enrollments=["s1,L1", "s2,L1"],
        rosters=["s1,T1", "s2,T1"],
        headers={"Section.csv": header},
    )
    ingest(con, landing)
    assert involvements(con) == [("T1", "L1", *OPEN, "s1"), ("T1", "L1", *OPEN, "s2")]
    assert notes_of(con, "Section.csv") == {
        (1, "Term StartDate", None, "column Term StartDate missing: the sections give their involvements no start date"),
        (1, "Term EndDate", None, "column Term EndDate missing: the sections give their involvements no end date"),
        (1, "Status", None, "column Status missing: every record is read as active"),
    }  # fmt: skip


def test_v1_unknown_references_are_quarantined_by_name_and_the_rest_is_derived(con, landing):
    v1_bundle(
        landing,
        sections=[
            section_line("s1"),
            section_line("s2", status="Inactive"),
            section_line("s4", school="brin9"),
        ],
        students=[student_line("L1"), student_line("L2", status="Inactive")],
        teachers=[teacher_line("T1"), teacher_line("T2")],
        enrollments=["s1,L1", "s9,L1", "s1,L7", "s1,L2", "s2,L1", ",L1"],
        rosters=["s1,T1", "s1,T8"],
    )

    ingest(con, landing)

    assert involvements(con) == [("T1", "L1", *TERM, "s1")]
    assert notes(con) == {
        ("Section.csv", 3, "Status", "Inactive", "status Inactive: section not used"),
        ("Section.csv", 4, "School SIS ID", "brin9", "not in School.csv: noted (the auditor does not use the school)"),
        ("Student.csv", 3, "Status", "Inactive", "status Inactive: user not used"),
        ("StudentEnrollment.csv", 3, "Section SIS ID", "s9", "section is not in Section.csv: enrollment not used"),
        ("StudentEnrollment.csv", 4, "SIS ID", "L7", "person is not in Student.csv: enrollment not used"),
        ("StudentEnrollment.csv", 5, "SIS ID", "L2",
         "person is not used (their line in Student.csv says why): enrollment not used"),
        ("StudentEnrollment.csv", 6, "Section SIS ID", "s2",
         "section is not used (its line in Section.csv says why): enrollment not used"),
        ("StudentEnrollment.csv", 7, "Section SIS ID", None, "Section SIS ID is empty: enrollment not used"),
        ("TeacherRoster.csv", 3, "SIS ID", "T8", "person is not in Teacher.csv: enrollment not used"),
        ("Teacher.csv", 3, "SIS ID", "T2", "person is in no section: no involvement"),
    }  # fmt: skip
    assert rows(con, "SELECT rows_quarantined FROM landing_files WHERE path = 'sds/school'") == [(10,)]


def test_v1_a_number_two_people_share_is_ambiguous_and_the_last_line_of_an_id_wins(con, landing):
    v1_bundle(
        landing,
        sections=[section_line("s1")],
        students=[student_line("L1", number="1001"), student_line("L2", number="1001"), student_line("L3"),
                  student_line("L3", number="1003")],
        teachers=[teacher_line("T1", number="1001")],  # a staff id may equal a student id: other namespace
        enrollments=["s1,L1", "s1,L2", "s1,L3"],
        rosters=["s1,T1"],
    )  # fmt: skip
    ingest(con, landing)
    assert involvements(con) == [("1001", "1003", *TERM, "s1")]
    reasons = {(file, line, reason) for file, line, _, _, reason in notes(con)}
    assert (
        "Student.csv",
        4,
        "SIS ID repeated on a later line (the last one is used): record not used",
    ) in reasons
    ambiguous = (
        "maps to the same id as another person of the file: ambiguous, so their enrollments are not used"
    )
    assert {("Student.csv", 2, ambiguous), ("Student.csv", 3, ambiguous)} <= reasons


def test_v1_a_section_without_a_teacher_gives_nothing_and_each_student_says_so(con, landing):
    v1_bundle(
        landing,
        sections=[section_line("s1")],
        students=[student_line("L1"), student_line("L2")],
        teachers=[teacher_line("T1")],
        enrollments=["s1,L1", "s1,L2"],
        rosters=[],
    )
    ingest(con, landing)
    assert involvements(con) == []
    assert notes_of(con, "StudentEnrollment.csv") == {
        (2, "Section SIS ID", "s1", "no teacher in the section: no involvement"),
        (3, "Section SIS ID", "s1", "no teacher in the section: no involvement"),
    }
    assert notes_of(con, "Teacher.csv") == {(2, "SIS ID", "T1", "person is in no section: no involvement")}


def test_v1_file_and_column_names_are_matched_case_insensitively(con, landing):
    folder = v1_bundle(
        landing,
        sections=[section_line("s1")],
        students=[student_line("L1")],
        teachers=[teacher_line("T1")],
        enrollments=["s1,L1"],
        rosters=["s1,T1"],
        headers={"Teacher.csv": TEACHER.upper()},
    )
    (folder / "TeacherRoster.csv").rename(folder / "teacherroster.csv")
    ingest(con, landing)
    assert involvements(con) == [("T1", "L1", *TERM, "s1")]


# --- v2.1 ----------------------------------------------------------------------------------------


def test_v21_roles_are_read_case_insensitively_over_the_sessions_of_the_class(con, landing):
    v21_bundle(
        landing,
        users=[user_line(u) for u in ("114001", "114003", "114007", "114006")],
        classes=["112002,brin1,Biologie 4,SY2627;S1,B102", "112003,brin1,Informatica,S1,"],
        sessions=["SY2627,Schooljaar,schoolYear,2027,2026-08-24,2027-07-10",
                  "S1,Semester 1,semester,2027,2026-08-24,2027-01-31"],
        enrollments=["112002,114001,STUDENT", "112002,114003,Student", "112002,114007,Teacher",
                     "112003,114001,student", "112003,114007,teacher", "112003,114006,professor"],
        roles=[role_line("114001", "student"), role_line("114003", "student"), role_line("114007", "teacher"),
               role_line("114006", "professor")],
    )  # fmt: skip

    ingest(con, landing)

    assert involvements(con) == [
        ("114007", "114001", *TERM, "112002"),
        ("114007", "114003", *TERM, "112002"),
        ("114007", "114001", "2026-08-24", "2027-01-31", "112003"),
    ]
    assert notes(con) == {
        ("enrollments.csv", 7, "role", "professor",
         "role gives no involvement (only teacher and student do): enrollment not used"),
    }  # fmt: skip


def test_v21_missing_or_unknown_sessions_leave_the_window_open_and_are_listed(con, landing):
    v21_bundle(
        landing,
        users=[user_line("t"), user_line("s")],
        classes=["c1,brin1,A,,", "c2,brin1,B,SY2627;GONE,", "c3,brin1,C,BAD,", "c4,brin9,D,SY2627,"],
        sessions=["SY2627,Schooljaar,schoolYear,2027,2026-08-24,2027-07-10",
                  "BAD,Semester,semester,2027,8/24/2026,"],
        enrollments=[f"c{n},{u},{r}" for n in (1, 2, 3, 4) for u, r in (("t", "teacher"), ("s", "student"))],
    )  # fmt: skip

    ingest(con, landing)

    assert involvements(con) == [
        ("t", "s", *OPEN, "c1"),
        ("t", "s", *OPEN, "c2"),
        ("t", "s", *OPEN, "c3"),
        ("t", "s", *TERM, "c4"),
    ]
    assert notes(con) == {
        ("classes.csv", 2, "sessionSourcedIds", None, "no sessionSourcedIds: the class's involvements have no dates"),
        ("classes.csv", 3, "sessionSourcedIds", "GONE",
         "session is not in academicSessions.csv: the class's involvements have no dates on that side"),
        ("classes.csv", 5, "orgSourcedId", "brin9", "not in orgs.csv: noted (the auditor does not use the school)"),
        ("academicSessions.csv", 3, "startDate", "8/24/2026",
         "not an ISO date (YYYY-MM-DD or YYYYMMDD): treated as empty, so the session gives its classes no start date"),
    }  # fmt: skip


def test_v21_unknown_classes_and_users_are_quarantined_by_name(con, landing):
    v21_bundle(
        landing,
        users=[user_line("t"), user_line("s"), user_line("idle")],
        classes=["c1,brin1,A,SY2627,"],
        enrollments=[
            "c1,t,teacher",
            "c1,s,student",
            "c9,s,student",
            "c1,ghost,student",
            "c1,s,",
            "c1,s,teacher",
        ],
        roles=[role_line("t", "teacher"), role_line("s", "student"), role_line("idle", "teacher")],
    )
    ingest(con, landing)
    assert involvements(con) == [("s", "s", *TERM, "c1"), ("t", "s", *TERM, "c1")]
    assert notes(con) == {
        ("enrollments.csv", 4, "classSourcedId", "c9", "class is not in classes.csv: enrollment not used"),
        ("enrollments.csv", 5, "userSourcedId", "ghost", "person is not in users.csv: enrollment not used"),
        ("enrollments.csv", 6, "role", None, "role is empty: enrollment not used"),
        ("enrollments.csv", 7, "role", "teacher",
         "enrolled as teacher while roles.csv gives student: the enrollment role is used"),
        ("users.csv", 4, "sourcedId", "idle", "person is in no class: no involvement"),
    }  # fmt: skip


# --- sensitive flags -------------------------------------------------------------------------------


def _every_text_in_the_warehouse(con) -> str:
    """Every value of every text column of every table, as one string."""
    parts = []
    for table, column in rows(
        con,
        """SELECT table_name, column_name FROM duckdb_columns()
           WHERE NOT internal AND data_type = 'VARCHAR' AND schema_name = 'main'""",
    ):
        parts += [
            str(v) for (v,) in rows(con, f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL')
        ]
    return "\n".join(parts)


@pytest.mark.parametrize("version", ["v1", "v2.1"])
def test_user_flags_are_never_read_and_nothing_of_them_reaches_the_warehouse(con, landing, version):
    flags = f"{USER_FLAGS}\nZZFLAG1,iep\nZZFLAG1,504\nZZFLAG2,freeLunch" + "\n"
    extra = {
        "userFlags.csv": flags,
        "demographics.csv": "userSourcedId,birthDate,sex\nZZFLAG1,2011-03-04,female\n",
    }
    if version == "v1":
        folder = v1_bundle(landing, sections=[section_line("s1")], students=[student_line("L1")],
                           teachers=[teacher_line("T1")], enrollments=["s1,L1"], rosters=["s1,T1"], extra=extra)  # fmt: skip
    else:
        folder = v21_bundle(landing, users=[user_line("t"), user_line("s")], classes=["c1,brin1,A,SY2627,"],
                            enrollments=["c1,t,teacher", "c1,s,student"], extra=extra)  # fmt: skip
    if os.geteuid() != 0:  # opening them would fail: the ingest does not try
        for name in extra:
            (folder / name).chmod(0)

    first = ingest(con, landing)
    (folder / "userFlags.csv").chmod(0o600)
    (folder / "userFlags.csv").write_text(flags + "ZZFLAG3,iep\n")  # changed flags are not even noticed
    second = ingest(con, landing)

    assert first.by_feed["sds"]["files_loaded"] == 1 and second.by_feed["sds"]["files_skipped"] == 1
    assert len(involvements(con)) == 1
    text = _every_text_in_the_warehouse(con)
    for secret in ("ZZFLAG", "iep\n", "freeLunch\n", "2011-03-04", "female", "Geheim123"):
        assert secret not in text, secret
    assert notes_of(con, "userFlags.csv") == {
        (
            None,
            None,
            None,
            "sensitive flags (such as iep, 504, freeLunch): never read, nothing of it is loaded",
        )
    }
    assert notes_of(con, "demographics.csv") == {
        (None, None, None,
         "sensitive personal data (such as birth date, sex, ethnicity): never read, nothing of it is loaded")
    }  # fmt: skip


def test_v21_without_academic_sessions_the_classes_are_open_and_say_why(con, landing):
    v21_bundle(
        landing,
        users=[user_line("t"), user_line("s")],
        classes=["c1,brin1,A,SY2627,"],
        enrollments=["c1,t,teacher", "c1,s,student"],
        sessions=None,
    )
    result = ingest(con, landing)
    assert result.by_feed["sds"]["files_loaded"] == 1
    assert involvements(con) == [("t", "s", *OPEN, "c1")]
    assert notes(con) == {
        (
            "classes.csv",
            2,
            "sessionSourcedIds",
            "SY2627",
            (
                "session cannot be looked up (academicSessions.csv is not in the bundle): "
                "the class's involvements have no dates on that side"
            ),
        )
    }


# --- in the report ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_report_says_what_an_sds_bundle_could_not_tell_in_its_language(con, landing, lang):
    from reports.data_quality import data_quality
    from reports.i18n import Translator

    v1_bundle(landing, sections=[section_line("s1", start="", end="")], students=[student_line("L1")],
              teachers=[teacher_line("T1")], enrollments=["s1,L1"], rosters=["s1,T1"])  # fmt: skip
    ingest(con, landing)
    t = Translator(lang)

    groups = [g for g in data_quality(con, "2026-W47", t)["quarantine"] if g["feed"] == "sds"]

    assert len(groups) == 1 and groups[0]["code"] == "sds_note" and not groups[0]["file_level"]
    assert groups[0]["examples"] == ["sds/school/Section.csv:2"]
    assert groups[0]["sentence"] == " ".join(
        t(f"quarantine_help.{part}") for part in ("problem.sds_note", "effect.sds", "ask.sds_note")
    )
    assert "School Data Sync" in groups[0]["sentence"]
