"""Helpers for the School Data Sync tests: realistic SDS v1 and v2.1 bundles, written with the columns of
Microsoft's documented formats (and its sample files: names, passwords and addresses included, which the
auditor must leave alone), and reading back what the ingest made of them."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest_helpers import rows, write_text

# SDS v1 (csv-files-for-school-data-sync): headers as Microsoft's samples have them.
SCHOOL = "SIS ID,Name,School Number,School NCES_ID,State ID,Grade Low,Grade High,Principal SIS ID,Principal Name,Principal Secondary Email,Address,City,State,Country,Zip,Phone,Zone"
SECTION = (
    "SIS ID,School SIS ID,Section Name,Section Number,Term SIS ID,Term Name,Term StartDate,Term EndDate,"
    "Course SIS ID,Course Name,Course Number,Course Description,Course Subject,Periods,Status"
)
STUDENT = (
    "SIS ID,School SIS ID,First Name,Last Name,Username,Password,State ID,Secondary Email,Student Number,"
    "Middle Name,Grade,Status,Mailing Address,Mailing City,Gender,Birthdate"
)
TEACHER = "SIS ID,School SIS ID,First Name,Last Name,Username,Password,State ID,Teacher Number,Status,Middle Name,Secondary Email,Title,Qualification"
MEMBERS = "Section SIS ID,SIS ID"

# SDS v2.1 (sds-v2.1-csv-file-format).
ORGS = "sourcedId,name,type,parentSourcedId"
USERS = "sourcedId,username,givenName,familyName,password,activeDirectoryMatchId,email,phone,sms"
CLASSES = "sourcedId,orgSourcedId,title,sessionSourcedIds,courseSourcedId"
ENROLLMENTS = "classSourcedId,userSourcedId,role"
ROLES = "userSourcedId,orgSourcedId,role,sessionSourcedId,grade,isPrimary,roleStartDate,roleEndDate"
SESSIONS = "sourcedId,title,type,schoolYear,startDate,endDate"
RELATIONSHIPS = "userSourcedId,relationshipUserSourcedId,relationshipRole"
USER_FLAGS = "userSourcedId,flag"

TERM = ("2026-08-24", "2027-07-10")  # the school year 2026/27


def school_line(sis_id="brin1", name="Het College"):
    return f"{sis_id},{name},01AB,,,1,6,,,,Dorpsstraat 1,Utrecht,UT,NL,3511AA,,"


def section_line(sis_id, school="brin1", start=TERM[0], end=TERM[1], status="Active", name="Natuurkunde"):
    return f"{sis_id},{school},{name},{sis_id},SY2627,2026-2027,{start},{end},C-{sis_id},{name},1,{name},{name},1,{status}"


def student_line(sis_id, number="", school="brin1", status="Active"):
    return (
        f"{sis_id},{school},Sam,Jansen,{sis_id}@leerling.example.nl,Geheim123!,,,{number},,4,{status},"
        "Dorpsstraat 2,Utrecht,F,2011-03-04"
    )


def teacher_line(sis_id, number="", school="brin1", status="Active"):
    return f"{sis_id},{school},Tina,de Vries,{sis_id}@school.example.nl,Geheim123!,,{number},{status},,,,"


SCHOOLS = (school_line(),)


def table(header: str, lines) -> str:
    return "\n".join([header, *lines]) + "\n"


def write_files(landing: Path, name: str, files: dict[str, str]) -> Path:
    """A bundle folder `sds/<name>/` holding exactly `files` (file name -> text)."""
    folder = landing / "sds" / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for file, text in files.items():
        write_text(folder / file, text)
    return folder


def v1_bundle(
    landing: Path,
    name: str = "school",
    *,
    sections=(),
    students=(),
    teachers=(),
    enrollments=(),
    rosters=(),
    schools=SCHOOLS,
    headers: dict[str, str] | None = None,
    extra: dict[str, str] | None = None,
) -> Path:
    """An SDS v1 bundle: the six files, rows as CSV lines under the documented headers."""
    headers = {"School.csv": SCHOOL, "Section.csv": SECTION, "Student.csv": STUDENT, "Teacher.csv": TEACHER,
               "StudentEnrollment.csv": MEMBERS, "TeacherRoster.csv": MEMBERS} | (headers or {})  # fmt: skip
    content = {"School.csv": schools, "Section.csv": sections, "Student.csv": students, "Teacher.csv": teachers,
               "StudentEnrollment.csv": enrollments, "TeacherRoster.csv": rosters}  # fmt: skip
    files = {file: table(headers[file], lines) for file, lines in content.items() if lines is not None}
    return write_files(landing, name, files | (extra or {}))


def v21_bundle(
    landing: Path,
    name: str = "school",
    *,
    users=(),
    classes=(),
    enrollments=(),
    roles=(),
    sessions=("SY2627,Schooljaar 2026-2027,schoolYear,2027,2026-08-24,2027-07-10",),
    orgs=("brin1,Het College,school,",),
    extra: dict[str, str] | None = None,
) -> Path:
    """An SDS v2.1 bundle; a file given as None is left out."""
    content = {"orgs.csv": (ORGS, orgs), "users.csv": (USERS, users), "classes.csv": (CLASSES, classes),
               "enrollments.csv": (ENROLLMENTS, enrollments), "roles.csv": (ROLES, roles),
               "academicSessions.csv": (SESSIONS, sessions)}  # fmt: skip
    files = {file: table(header, lines) for file, (header, lines) in content.items() if lines is not None}
    return write_files(landing, name, files | (extra or {}))


def user_line(sourced_id):
    return (
        f"{sourced_id},{sourced_id}@school.example.nl,Sam,Jansen,Geheim123!,{sourced_id}@school.example.nl,,,"
    )


def role_line(sourced_id, role):
    return f"{sourced_id},brin1,{role},SY2627,4,TRUE,2026-08-24,2027-07-10"


def involvements(con, bundle: str = "sds/school") -> list[tuple]:
    """(staff_id, student_id, valid_from, valid_to, class_id) of one bundle, dates as text, sorted by
    class, staff and student."""
    return rows(
        con,
        """SELECT staff_id, student_id, CAST(valid_from AS VARCHAR), CAST(valid_to AS VARCHAR), class_id
           FROM roster_involvements WHERE bundle = ? ORDER BY class_id, staff_id, student_id, valid_from, valid_to""",
        [bundle],
    )


def notes(con, bundle: str = "school") -> set[tuple]:
    """{(file in the bundle, line, column, value, reason)} of the bundle's quarantine entries."""
    prefix = f"sds/{bundle}/"
    found = rows(
        con,
        "SELECT file, line, \"column\", value, reason, reason_code FROM quarantine WHERE feed = 'sds'",
    )
    assert all(f.startswith(prefix) and code == "sds_note" for f, *_, code in found), found
    return {(f.removeprefix(prefix), *rest[:-1]) for f, *rest in found}


def notes_of(con, file: str, bundle: str = "school") -> set[tuple]:
    return {tuple(rest) for f, *rest in notes(con, bundle) if f == file}
