"""Delivering School Data Sync bundles as OneRoster bundles are delivered: a snapshot (unchanged: skipped;
changed: it replaces what it gave before), a folder that is no usable bundle rejected with its reason
(the involvements of its earlier delivery kept), and the Dagster sensor sees the bundles' files but
never the sensitive ones."""

import pytest
from ingest_helpers import rows, warehouse
from oneroster_bundles import write_bundle
from sds_bundles import (
    TERM,
    involvements,
    notes,
    section_line,
    student_line,
    teacher_line,
    user_line,
    v1_bundle,
    v21_bundle,
    write_files,
)

from pipelines.ingest import ingest_landing
from pipelines.jobs import landing_files
from pipelines.settings import Settings

KEPT = "the bundle gives no involvements (those of an earlier delivery of this bundle are kept)"


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


def ingest(con, landing):
    return ingest_landing(con, landing, Settings())


def class_of(landing, *students, name="school"):
    return v1_bundle(
        landing,
        name,
        sections=[section_line("s1")],
        students=[student_line(s) for s in students],
        teachers=[teacher_line("T1")],
        enrollments=[f"s1,{s}" for s in students],
        rosters=["s1,T1"],
    )


def deliveries(con):
    return rows(con, "SELECT path, status, rows_loaded FROM landing_files WHERE feed = 'sds' ORDER BY seq")


def test_an_unchanged_bundle_is_skipped_and_a_changed_one_replaces_only_its_own_involvements(con, landing):
    class_of(landing, "L1", "L2")
    class_of(landing, "L9", name="other")
    write_bundle(  # a OneRoster bundle of the same name: its involvements are its own
        landing,
        "school",
        users=["t1,active,,teacher,tina,", "s1,active,,student,sam,"],
        classes=["c1,active,,Physics,,org1,term1"],
        enrollments=["e0,active,,c1,org1,t1,teacher,,", "e1,active,,c1,org1,s1,student,,"],
    )
    first = ingest(con, landing)
    again = ingest(con, landing)
    class_of(landing, "L2", "L3")
    changed = ingest(con, landing)

    assert first.by_feed["sds"]["files_loaded"] == 2 and first.by_feed["oneroster"]["files_loaded"] == 1
    assert again.by_feed["sds"]["files_skipped"] == 2 and again.by_feed["sds"]["files_loaded"] == 0
    assert changed.by_feed["sds"]["files_loaded"] == 1 and changed.by_feed["sds"]["rows_replaced"] == 2
    assert [s for _, s, *_ in involvements(con)] == ["L2", "L3"]
    assert [s for _, s, *_ in involvements(con, "sds/other")] == ["L9"]
    assert rows(
        con, "SELECT bundle, staff_id, student_id FROM roster_involvements WHERE bundle = 'school'"
    ) == [("school", "t1", "s1")]
    assert deliveries(con) == [
        ("sds/other", "loaded", 1),
        ("sds/school", "loaded", 2),
        ("sds/school", "loaded", 2),
    ]
    assert rows(con, "SELECT feed, path FROM landing_present WHERE feed = 'sds' ORDER BY path") == [
        ("sds", "sds/other"),
        ("sds", "sds/school"),
    ]


def test_a_bundle_missing_a_needed_file_is_rejected_and_its_earlier_involvements_are_kept(con, landing):
    folder = class_of(landing, "L1")
    ingest(con, landing)
    (folder / "TeacherRoster.csv").unlink()

    result = ingest(con, landing)

    assert result.by_feed["sds"]["files_rejected"] == 1
    assert involvements(con) == [("T1", "L1", *TERM, "s1")]
    assert deliveries(con)[-1] == ("sds/school", "rejected", 0)
    assert ("TeacherRoster.csv", None, None, None,
            f"TeacherRoster.csv is missing (School Data Sync v1): {KEPT}") in notes(con)  # fmt: skip


@pytest.mark.parametrize(
    "files, reason",
    [
        ({"readme.txt": "export\n"},
         ("no School Data Sync files (v1: Section.csv, Student.csv, Teacher.csv, StudentEnrollment.csv, "
         f"TeacherRoster.csv; v2.1: users.csv, classes.csv, enrollments.csv): {KEPT}")),
        ({"Section.csv": "SIS ID\n", "users.csv": "sourcedId\n"},
         ("files of School Data Sync v1 (Section.csv) and v2.1 (users.csv) in one folder: put each bundle in its "
         f"own folder under sds/; {KEPT}")),
        ({"manifest.csv": "propertyName,value\n", "users.csv": "sourcedId\n"},
         ("manifest.csv is there: this looks like a OneRoster bundle, which is read from oneroster/school/ "
         f"(move it there): {KEPT}")),
    ],
)  # fmt: skip
def test_a_folder_that_is_not_one_sds_bundle_is_rejected_with_the_reason(con, landing, files, reason):
    write_files(landing, "school", files)
    result = ingest(con, landing)
    assert result.by_feed["sds"]["files_rejected"] == 1
    assert reason in {r for *_, r in notes(con)}


def test_a_v21_bundle_with_an_unusable_enrollments_file_is_rejected(con, landing):
    v21_bundle(landing, users=[user_line("t")], classes=["c1,brin1,A,SY2627,"], enrollments=None,
               extra={"enrollments.csv": "classSourcedId,userSourcedId\nc1,t\n"})  # fmt: skip
    result = ingest(con, landing)
    assert result.by_feed["sds"]["files_rejected"] == 1
    found = {(f, line, column, r) for f, line, column, _, r in notes(con)}
    assert ("enrollments.csv", 1, "role", "required column missing: enrollments.csv is not used") in found
    assert (
        "enrollments.csv",
        None,
        None,
        f"enrollments.csv cannot be used (School Data Sync v2.1): {KEPT}",
    ) in found


def test_a_loose_file_in_sds_is_rejected_once(con, landing):
    (landing / "sds").mkdir(parents=True)
    (landing / "sds" / "export.zip").write_bytes(b"PK\x03\x04")
    first, second = ingest(con, landing), ingest(con, landing)
    assert first.by_feed["sds"]["files_rejected"] == 1 and second.by_feed["sds"]["files_skipped"] == 1
    assert deliveries(con) == [("sds/export.zip", "rejected", 0)]


def test_the_sensor_sees_the_bundles_files_but_not_the_sensitive_ones(landing):
    class_of(landing, "L1")
    folder = landing / "sds" / "school"
    (folder / "userFlags.csv").write_text("userSourcedId,flag\nL1,iep\n")
    (folder / "Demographics.csv").write_text("userSourcedId,sex\nL1,female\n")
    (landing / "sds" / "userflags.csv").write_text("userSourcedId,flag\nL1,504\n")

    seen = {p.relative_to(landing).as_posix() for p in landing_files(landing)}

    assert seen == {f"sds/school/{name}" for name in ("School.csv", "Section.csv", "Student.csv", "Teacher.csv",
                                                      "StudentEnrollment.csv", "TeacherRoster.csv")}  # fmt: skip
