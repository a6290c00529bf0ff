"""Delivering OneRoster bundles: a bundle is a snapshot (unchanged: skipped; changed: it replaces what
the bundle gave before), the manifest gives the version, and real-world file quirks are read or noted,
never fatal."""

import pytest
from ingest_helpers import rows, warehouse, write_bytes, write_text
from oneroster_bundles import (
    ENROLLMENTS,
    USERS,
    ingest,
    involvements,
    manifest,
    notes,
    notes_of,
    write_bundle,
)

from pipelines.ingest.oneroster import bundle_hash

CLASS = "c1,active,,Physics,,org1,term1"
TERM = ("2026-08-24", "2027-01-31")
NO_INVOLVEMENTS = "the bundle gives no involvements (those of an earlier delivery of this bundle are kept)"
DELTA = "read as the complete content of this bundle (a delta is not merged with earlier deliveries)"


def users(*students):
    return ["t1,active,,teacher,tina,", *(f"{s},active,,student,{s}," for s in students)]


def enrollments(*students):
    return ["e0,active,,c1,org1,t1,teacher,,", *(f"e-{s},active,,c1,org1,{s},student,," for s in students)]


def class_bundle(landing, name="school", students=("s1",), **more):
    return write_bundle(
        landing, name, users=users(*students), classes=[CLASS], enrollments=enrollments(*students), **more
    )


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


@pytest.fixture
def landing(tmp_path):
    return tmp_path / "landing"


def deliveries(con):
    return rows(
        con, "SELECT path, status, rows_loaded FROM landing_files WHERE feed = 'oneroster' ORDER BY seq"
    )


# --- snapshots -----------------------------------------------------------------------------------


def test_an_unchanged_bundle_is_skipped(con, landing):
    class_bundle(landing, students=("s1",), version="1.0")  # 1.0: an older manifest version is read too
    first = ingest(con, landing)
    quarantine_before = rows(con, "SELECT * FROM quarantine")

    second = ingest(con, landing)

    assert first.by_feed["oneroster"]["files_loaded"] == 1
    assert second.by_feed["oneroster"] == {
        **dict.fromkeys(second.by_feed["oneroster"], 0),
        "files_skipped": 1,
    }
    assert deliveries(con) == [("oneroster/school", "loaded", 1)]
    assert involvements(con) == [("t1", "s1", *TERM, "c1")]
    assert rows(con, "SELECT * FROM quarantine") == quarantine_before
    assert rows(con, "SELECT count(*) FROM duckdb_tables() WHERE temporary") == [(0,)]  # staging cleaned up


def test_a_changed_bundle_replaces_every_involvement_it_gave_and_no_other(con, landing):
    class_bundle(landing, "school", students=("s1", "s2"))
    class_bundle(landing, "other", students=("s7",))
    ingest(con, landing)
    class_bundle(landing, "school", students=("s2", "s3"))

    result = ingest(con, landing)

    assert involvements(con, "school") == [("t1", "s2", *TERM, "c1"), ("t1", "s3", *TERM, "c1")]
    assert involvements(con, "other") == [("t1", "s7", *TERM, "c1")]
    assert result.by_feed["oneroster"] == {
        "files_loaded": 1,
        "files_skipped": 1,
        "files_rejected": 0,
        "rows_read": result.by_feed["oneroster"]["rows_read"],
        "rows_loaded": 2,
        "rows_quarantined": 0,
        "rows_replaced": 2,
    }
    assert deliveries(con) == [
        ("oneroster/other", "loaded", 1),
        ("oneroster/school", "loaded", 2),
        ("oneroster/school", "loaded", 2),
    ]


def test_a_bundle_changed_back_to_earlier_content_gives_that_content_again(con, landing):
    class_bundle(landing, students=("s1",))
    ingest(con, landing)
    class_bundle(landing, students=("s2",))
    ingest(con, landing)
    class_bundle(landing, students=("s1",))

    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", *TERM, "c1")]
    assert [status for _, status, _ in deliveries(con)] == ["loaded", "loaded"]


def test_the_bundle_hash_covers_file_names_and_contents_and_the_bundle_name(landing):
    one = class_bundle(landing, "one")
    two = class_bundle(landing, "two")
    before = bundle_hash(one)
    assert before != bundle_hash(two)  # the same files under another bundle name: another bundle
    (one / "users.csv").rename(one / "people.csv")
    assert bundle_hash(one) != before
    (one / "people.csv").rename(one / "users.csv")
    assert bundle_hash(one) == before
    write_text(one / "users.csv", (one / "users.csv").read_text() + "s9,active,,student,s9,\n")
    assert bundle_hash(one) != before


def test_a_bundle_without_enrollments_is_rejected_and_keeps_what_it_gave_before(con, landing):
    folder = class_bundle(landing, students=("s1",))
    ingest(con, landing)
    (folder / "enrollments.csv").unlink()

    result = ingest(con, landing)
    again = ingest(con, landing)

    assert result.by_feed["oneroster"]["files_rejected"] == 1
    assert again.by_feed["oneroster"]["files_skipped"] == 1
    assert involvements(con) == [("t1", "s1", *TERM, "c1")]
    assert deliveries(con) == [("oneroster/school", "loaded", 1), ("oneroster/school", "rejected", 0)]
    assert notes(con) == {
        (
            "enrollments.csv",
            None,
            None,
            None,
            "enrollments.csv is missing: " + NO_INVOLVEMENTS,
        )
    }


def test_a_bundle_unzipped_one_folder_too_deep_says_where_the_files_should_be(con, landing):
    inner = class_bundle(landing, "export/OneRoster")
    assert inner.parent.name == "export"

    ingest(con, landing)

    reasons = {reason for *_, reason in notes(con, "export")}
    assert (
        "users.csv is missing (the bundle folder holds a folder 'OneRoster': put the bundle's files directly in "
        "oneroster/export/): the bundle gives no involvements (those of an earlier delivery of this bundle are kept)"
        in reasons
    )
    assert deliveries(con) == [("oneroster/export", "rejected", 0)]


def test_a_file_outside_a_bundle_folder_is_rejected_once(con, landing):
    write_bytes(landing / "oneroster" / "export.zip", b"PK\x03\x04")
    ingest(con, landing)
    again = ingest(con, landing)

    assert rows(con, "SELECT file, line, reason FROM quarantine") == [
        (
            "oneroster/export.zip",
            None,
            "not inside a bundle folder: a OneRoster bundle is read from oneroster/<bundle>/ (unzip it there)",
        )
    ]
    assert deliveries(con) == [("oneroster/export.zip", "rejected", 0)]
    assert again.by_feed["oneroster"]["files_skipped"] == 1


def test_a_landing_folder_without_bundles_gives_nothing(con, landing):
    write_text(landing / "students" / "s.csv", "student_id,school_id,birth_date\ns1,A,2010-01-01\n")
    result = ingest(con, landing)
    assert result.by_feed["oneroster"] == dict.fromkeys(result.by_feed["oneroster"], 0)
    assert rows(con, "SELECT count(*) FROM roster_involvements") == [(0,)]


# --- the manifest --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "roles, reason",
    [
        (
            ["r1,active,,t1,primary,teacher,org1,,"],
            "manifest.csv is missing: OneRoster 1.2 inferred because roles.csv is present",
        ),
        (None, "manifest.csv is missing: OneRoster 1.1 inferred because there is no roles.csv"),
    ],
)
def test_without_a_manifest_the_version_is_inferred_from_the_files_and_that_is_noted(
    con, landing, roles, reason
):
    class_bundle(landing, version=None, roles=roles)

    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", *TERM, "c1")]
    assert notes(con) == {("manifest.csv", None, None, None, reason)}


def test_an_unknown_or_missing_version_in_the_manifest_is_noted(con, landing):
    folder = class_bundle(landing)
    write_text(folder / "manifest.csv", manifest("2.0"))
    ingest(con, landing)
    write_text(folder / "manifest.csv", manifest(None))
    ingest(con, landing)

    assert notes_of(con, "manifest.csv") == {
        (
            3,
            "value",
            "2.0",
            "unknown OneRoster version (expected 1.0, 1.1 or 1.2): read as 1.1, inferred because there is no roles.csv",
        ),
        (
            None,
            "oneroster.version",
            None,
            "the manifest gives no oneroster.version: OneRoster 1.1 inferred because there is no roles.csv",
        ),
    }
    assert involvements(con) == [("t1", "s1", *TERM, "c1")]


def test_what_the_manifest_declares_about_the_files_is_checked(con, landing):
    folder = class_bundle(landing)
    write_text(
        folder / "manifest.csv",
        manifest(
            "1.1",
            users="absent",
            enrollments="bulk",
            orgs="delta",
            courses="bulk",
            classes="full",
            demographics="bulk",
        ),
    )

    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", *TERM, "c1")]  # users.csv is read all the same
    assert notes_of(con, "manifest.csv") == {
        (4, "value", "absent", "users.csv is declared absent but is in the bundle: it is read"),
        (
            6,
            "value",
            "delta",
            "orgs.csv is declared delta: " + DELTA,
        ),
        (7, "value", "bulk", "courses.csv is declared bulk but is not in the bundle"),
        (8, "value", "full", "unknown file declaration (expected bulk, delta or absent): ignored"),
    }


# --- reading the files ---------------------------------------------------------------------------


def test_real_world_csv_shapes_are_read(con, landing):
    folder = write_bundle(landing, classes=[CLASS], users=[], enrollments=[])
    # BOM, CRLF, names in another case and order, vendor columns, no final newline
    write_bytes(
        folder / "users.csv",
        "\ufeffIDENTIFIER, SourcedId ,ext_vendor_id,Role,Status\r\n,t1,9,teacher,active\r\nS-1,s1,8,student,".encode(),
    )
    # empty names at the end of the header; rows with and without their empty fields
    write_text(
        folder / "enrollments.csv",
        ENROLLMENTS + ",,\n" + "e1,active,,c1,org1,t1,teacher,,,,\n" + "e2,active,,c1,org1,s1,student,,\n",
    )
    write_text(folder / "courses.csv", "sourcedId,status,dateLastModified,title")  # header only

    ingest(con, landing)

    assert involvements(con) == [("t1", "S-1", *TERM, "c1")]
    assert notes(con) == {
        ("enrollments.csv", 1, None, None, "2 empty column names at the end of the header: ignored")
    }


def test_a_header_typo_next_to_the_right_name_is_ignored(con, landing):
    folder = class_bundle(landing)
    write_text(
        folder / "users.csv",
        "sourcedId,status,dataLastModified,dateLastModified,role\nt1,active,x,2026-01-01,teacher\n"
        "s1,active,,2026-01-01,student\n",
    )

    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", *TERM, "c1")]
    assert notes_of(con, "users.csv") == {
        (
            1,
            "dataLastModified",
            "dataLastModified",
            "header typo dataLastModified: ignored, dateLastModified is there too",
        ),
        (
            1,
            "identifier",
            None,
            "column identifier missing: each user's sourcedId is used as the staff or student id",
        ),
    }


def test_records_with_the_wrong_number_of_fields_are_noted_and_the_rest_is_read(con, landing):
    folder = class_bundle(landing, students=("s1", "s2"))
    write_text(
        folder / "enrollments.csv",
        ENROLLMENTS
        + "\n"
        + "\n".join(enrollments("s1", "s2")).replace("e-s2,active,,c1", "e-s2,active,c1")
        + "\n"
        + 'e-s3,active,,c1,org1,s3,student,,,"extra"\n',
    )
    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", *TERM, "c1")]
    assert notes_of(con, "enrollments.csv") == {
        (
            4,
            None,
            "e-s2,active,c1,org1,s2,student,,",
            "wrong number of columns: expected 9, found 8: record not used",
        ),
        (
            5,
            None,
            'e-s3,active,,c1,org1,s3,student,,,"extra"',
            "wrong number of columns: expected 9, found 10: record not used",
        ),
    }


def test_a_header_without_a_required_column_makes_a_needed_file_unusable_and_rejects_the_bundle(con, landing):
    folder = class_bundle(landing)
    write_text(folder / "enrollments.csv", ENROLLMENTS.replace(",role,", ",kind,") + "\n")

    ingest(con, landing)

    assert notes(con) == {
        ("enrollments.csv", 1, "role", None, "required column missing: enrollments.csv is not used"),
        (
            "enrollments.csv",
            None,
            None,
            None,
            "enrollments.csv cannot be used: " + NO_INVOLVEMENTS,
        ),
    }
    assert deliveries(con) == [("oneroster/school", "rejected", 0)]


def test_an_optional_file_that_cannot_be_read_is_left_out_with_its_reason(con, landing):
    folder = class_bundle(landing)
    write_text(folder / "academicSessions.csv", "")
    write_text(folder / "orgs.csv", "sourcedId,name,type,Type\norg1,Het College,school,school\n")

    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", None, None, "c1")]  # no terms: open
    assert notes(con) == {
        ("academicSessions.csv", 1, None, None, "no header line: academicSessions.csv is not used"),
        ("orgs.csv", 1, "type", None, "column appears more than once: orgs.csv is not used"),
        (
            "classes.csv",
            2,
            "termSourcedIds",
            "term1",
            "term is not in academicSessions.csv: the class's term bounds are open",
        ),
        (
            "enrollments.csv",
            2,
            "schoolSourcedId",
            "org1",
            "school is not in orgs.csv: noted (the auditor does not use it)",
        ),
        (
            "enrollments.csv",
            3,
            "schoolSourcedId",
            "org1",
            "school is not in orgs.csv: noted (the auditor does not use it)",
        ),
        (
            "classes.csv",
            2,
            "schoolSourcedId",
            "org1",
            "school is not in orgs.csv: noted (the auditor does not use it)",
        ),
    }


def test_missing_columns_the_derivation_reads_are_noted(con, landing):
    folder = class_bundle(landing)
    write_text(folder / "users.csv", "sourcedId,role\nt1,teacher\ns1,student\n")

    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", *TERM, "c1")]
    assert notes(con) == {
        (
            "users.csv",
            1,
            "identifier",
            None,
            "column identifier missing: each user's sourcedId is used as the staff or student id",
        ),
        ("users.csv", 1, "status", None, "column status missing: every record is read as active"),
    }


def test_file_names_are_matched_in_any_case_but_two_spellings_of_one_file_are_not_guessed_between(
    con, landing
):
    folder = class_bundle(landing)
    (folder / "enrollments.csv").rename(folder / "Enrollments.CSV")
    ingest(con, landing)
    assert involvements(con) == [("t1", "s1", *TERM, "c1")]

    (folder / "users.csv").rename(folder / "USERS.csv")
    write_text(folder / "users.csv", USERS + "\n")
    ingest(con, landing)

    assert involvements(con) == [("t1", "s1", *TERM, "c1")]  # rejected: the earlier involvements stay
    assert (
        "USERS.csv",
        None,
        None,
        None,
        "files USERS.csv, users.csv differ only in case: none of them is used",
    ) in notes(con)
    assert deliveries(con)[-1] == ("oneroster/school", "rejected", 0)
