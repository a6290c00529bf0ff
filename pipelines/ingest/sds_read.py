"""Reading one Microsoft School Data Sync (SDS) bundle, CSV format v1 or v2.1, into staging tables.

After `read_bundle()` the connection holds, for every file of the bundle's version, a temporary table
`_or_sds_<name>(_line, <staging columns>)` of trimmed text (empty = NULL; a column the header lacks is
all NULL; empty when the file is absent or cannot be used), and `_or_notes` (the OneRoster reader's
notes table, so that pipelines.ingest.oneroster records both kinds of bundle alike) with what reading
found. The staging tables are named `_or_*` so that the OneRoster ingest's clean-up drops them too.

- v1: School.csv, Section.csv, Student.csv, Teacher.csv, StudentEnrollment.csv, TeacherRoster.csv.
- v2.1: orgs.csv, users.csv, classes.csv, enrollments.csv, roles.csv, academicSessions.csv (and
  relationships.csv, courses.csv, which the auditor does not need).

Only the columns the derivation uses are kept (the rest, such as names, passwords and addresses, are
dropped with the staging tables). Sensitive files (userFlags.csv: iep, 504, freeLunch; demographics.csv)
are noticed by their name and never opened: nothing of them is read, hashed or stored.
File and column names are matched case-insensitively, like the OneRoster reader does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.oneroster_read import KEPT, NOTES_DDL, Note, RosterFile, _empty_table, _stage_file
from pipelines.ingest.readers import FileRejected, csv_header

V1 = "v1"
V21 = "v2.1"


@dataclass(frozen=True)
class SdsFile(RosterFile):
    @property
    def table(self) -> str:
        return f"_or_sds_{self.name.lower()}"


_SECTION_MEMBER = (("Section SIS ID", "section_id"), ("SIS ID", "sis_id"))
V1_FILES = (
    SdsFile("School", (("SIS ID", "sis_id"),), ("SIS ID",)),
    SdsFile(
        "Section",
        (
            ("SIS ID", "sis_id"),
            ("School SIS ID", "school_id"),
            ("Term StartDate", "start_date"),
            ("Term EndDate", "end_date"),
            ("Status", "status"),
        ),
        ("SIS ID",),
        needed=True,
    ),
    SdsFile(
        "Student",
        (
            ("SIS ID", "sis_id"),
            ("School SIS ID", "school_id"),
            ("Student Number", "number"),
            ("Status", "status"),
        ),
        ("SIS ID",),
        needed=True,
    ),
    SdsFile(
        "Teacher",
        (
            ("SIS ID", "sis_id"),
            ("School SIS ID", "school_id"),
            ("Teacher Number", "number"),
            ("Status", "status"),
        ),
        ("SIS ID",),
        needed=True,
    ),
    SdsFile("StudentEnrollment", _SECTION_MEMBER, ("Section SIS ID", "SIS ID"), needed=True),
    SdsFile("TeacherRoster", _SECTION_MEMBER, ("Section SIS ID", "SIS ID"), needed=True),
)
V21_FILES = (
    SdsFile("orgs", (("sourcedId", "sis_id"),), ("sourcedId",)),
    SdsFile("users", (("sourcedId", "sis_id"),), ("sourcedId",), needed=True),
    SdsFile(
        "classes",
        (("sourcedId", "sis_id"), ("orgSourcedId", "school_id"), ("sessionSourcedIds", "term_ids")),
        ("sourcedId",),
        needed=True,
    ),
    SdsFile(
        "enrollments",
        (("classSourcedId", "section_id"), ("userSourcedId", "sis_id"), ("role", "role")),
        ("classSourcedId", "userSourcedId", "role"),
        needed=True,
    ),
    SdsFile("roles", (("userSourcedId", "sis_id"), ("role", "role")), ("userSourcedId", "role")),
    SdsFile(
        "academicSessions",
        (("sourcedId", "sis_id"), ("startDate", "start_date"), ("endDate", "end_date")),
        ("sourcedId",),
    ),
)
FILES = {V1: V1_FILES, V21: V21_FILES}
# Files of the format that the auditor does not need: their presence tells the version, nothing more.
UNUSED = {V1: (), V21: ("relationships.csv", "courses.csv")}
# Never opened: their names are enough to say they are there and are left alone.
SENSITIVE = {
    "userflags.csv": "sensitive flags (such as iep, 504, freeLunch): never read, nothing of it is loaded",
    "demographics.csv": "sensitive personal data (such as birth date, sex, ethnicity): never read, nothing of it is loaded",
}

_ACTIVE = "column Status missing: every record is read as active"
MISSING_COLUMN_NOTES = {
    (
        "Section",
        "Term StartDate",
    ): "column Term StartDate missing: the sections give their involvements no start date",
    (
        "Section",
        "Term EndDate",
    ): "column Term EndDate missing: the sections give their involvements no end date",
    (
        "Student",
        "Student Number",
    ): "column Student Number missing: each student's SIS ID is used as the student id",
    (
        "Teacher",
        "Teacher Number",
    ): "column Teacher Number missing: each teacher's SIS ID is used as the staff id",
    ("Section", "Status"): _ACTIVE,
    ("Student", "Status"): _ACTIVE,
    ("Teacher", "Status"): _ACTIVE,
    (
        "classes",
        "sessionSourcedIds",
    ): "column sessionSourcedIds missing: the classes give their involvements no dates",
    (
        "academicSessions",
        "startDate",
    ): "column startDate missing: the sessions give their classes no start date",
    ("academicSessions", "endDate"): "column endDate missing: the sessions give their classes no end date",
}


@dataclass
class BundleRead:
    version: str | None  # V1, V21, or None when the folder is not an SDS bundle
    files: dict[str, str]  # SDS file name (without .csv) -> the file's name in the bundle
    state: dict[str, str]  # SDS file name -> 'read', 'absent' or 'unusable'
    columns: dict[str, set[str]]  # SDS file name -> the staging columns its header has
    rejected: bool
    rows_read: int


def bundle_files(folder: Path) -> list[Path]:
    """The files of a bundle folder that the auditor may open (what the bundle's hash is made of):
    every file but the sensitive ones, which are known by their names alone."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.lower() not in SENSITIVE)


def read_bundle(con, folder: Path) -> BundleRead:
    con.execute(NOTES_DDL)
    notes: list[Note] = []
    by_lower: dict[str, list[Path]] = {}
    for path in folder.iterdir():
        if path.is_file():
            by_lower.setdefault(path.name.lower(), []).append(path)
    for lower, reason in SENSITIVE.items():
        for path in by_lower.get(lower, []):
            notes.append((path.name, None, None, None, reason))
    version = _version(folder, by_lower, notes)
    specs = FILES.get(version, ())
    found: dict[str, Path] = {}
    files = {spec.name: spec.file_name for spec in specs}
    for spec in specs:
        paths = sorted(by_lower.get(spec.file_name.lower(), []))
        if paths:
            files[spec.name] = paths[0].name
        if len(paths) == 1:
            found[spec.name] = paths[0]
        elif len(paths) > 1:
            listed = ", ".join(p.name for p in paths)
            notes.append(
                (paths[0].name, None, None, None, f"files {listed} differ only in case: none of them is used")
            )
    state: dict[str, str] = {}
    columns: dict[str, set[str]] = {}
    rows_read = 0
    for spec in specs:
        path = found.get(spec.name)
        read = None if path is None else _stage_file(con, spec, path, notes, MISSING_COLUMN_NOTES)
        if read is None:
            _empty_table(con, spec)
            state[spec.name] = "absent" if spec.file_name.lower() not in by_lower else "unusable"
            columns[spec.name] = set()
        else:
            state[spec.name] = "read"
            rows_read += read
            columns[spec.name] = _header_columns(spec, path)
    rejected = version is None
    for spec in specs:
        if spec.needed and state[spec.name] != "read":
            rejected = True
            problem = "is missing" if state[spec.name] == "absent" else "cannot be used"
            notes.append(
                (
                    files[spec.name],
                    None,
                    None,
                    None,
                    f"{spec.file_name} {problem} (School Data Sync {version}): the bundle gives no involvements ({KEPT})",
                )
            )
    if notes:
        con.executemany("INSERT INTO _or_notes VALUES (?, ?, ?, ?, ?)", notes)
    return BundleRead(version, files, state, columns, rejected, rows_read)


def _version(folder: Path, by_lower: dict[str, list[Path]], notes: list[Note]) -> str | None:
    """V1 or V21 by the files present; None (with a note) when it cannot be told."""
    present = {
        version: sorted(
            {p.name for spec in specs for p in by_lower.get(spec.file_name.lower(), [])}
            | {p.name for name in UNUSED[version] for p in by_lower.get(name, [])}
        )
        for version, specs in FILES.items()
    }
    if "manifest.csv" in by_lower:
        notes.append(
            (
                by_lower["manifest.csv"][0].name,
                None,
                None,
                None,
                (
                    "manifest.csv is there: this looks like a OneRoster bundle, which is read from "
                    f"oneroster/{folder.name}/ (move it there): the bundle gives no involvements ({KEPT})"
                ),
            )
        )
        return None
    if present[V1] and present[V21]:
        notes.append(
            (
                "",
                None,
                None,
                None,
                (
                    f"files of School Data Sync v1 ({', '.join(present[V1])}) and v2.1 ({', '.join(present[V21])}) "
                    f"in one folder: put each bundle in its own folder under sds/; the bundle gives no involvements ({KEPT})"
                ),
            )
        )
        return None
    if present[V1]:
        return V1
    if present[V21]:
        return V21
    inner = sorted(p.name for p in folder.iterdir() if p.is_dir())
    hint = (
        f" (the folder holds a folder {inner[0]!r}: put the bundle's files directly in sds/{folder.name}/)"
        if inner
        else ""
    )
    notes.append(
        (
            "",
            None,
            None,
            None,
            (
                "no School Data Sync files (v1: Section.csv, Student.csv, Teacher.csv, StudentEnrollment.csv, "
                f"TeacherRoster.csv; v2.1: users.csv, classes.csv, enrollments.csv){hint}: the bundle gives no "
                f"involvements ({KEPT})"
            ),
        )
    )
    return None


def _header_columns(spec: SdsFile, path: Path) -> set[str]:
    """The staging columns of `spec` that the file's header names (read once more: a header is small)."""
    try:
        names = {name.strip().lower() for name in csv_header(path)}
    except FileRejected:
        return set()
    return {staging for column, staging in spec.columns if column.lower() in names}
