"""Reading one OneRoster bundle (a folder of CSV files, version 1.0, 1.1 or 1.2) into staging tables.

After `read_bundle()` the connection holds, for every file of FILES, a temporary table
`_or_<name>(_line, <staging columns>)` of trimmed text (an empty value is NULL; a column the header
lacks is all NULL; the table is empty when the file is absent or cannot be used), and
`_or_notes(file, line, "column", value, reason)` with what reading found: files and columns that are
missing, header quirks, records that are not a row, and the manifest's declarations.

Real exports are messy (see ../shared/external/README.md): header names are matched trimmed and
case-insensitively, in any order, with vendor (`ext_*`) and unknown columns ignored; empty names at the
end of the header are dropped; the typo `dataLastModified` is read as `dateLastModified`. Each of
these is noted, none is fatal.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.readers import FileRejected, csv_header, csv_rejects_sql, read_csv_records
from pipelines.ingest.sql import clean, ident, literal

# (file, line, column, value, reason): one note, as `_or_notes` holds it; file is the name in the bundle.
Note = tuple[str, int | None, str | None, str | None, str]

VERSIONS = ("1.0", "1.1", "1.2")
ALIASES = {"datalastmodified": "dateLastModified"}  # a header typo in real 1.2 exports
KEPT = "those of an earlier delivery of this bundle are kept"
NOTES_DDL = (
    "CREATE OR REPLACE TEMP TABLE _or_notes "
    '(file VARCHAR, line BIGINT, "column" VARCHAR, value VARCHAR, reason VARCHAR)'
)


@dataclass(frozen=True)
class RosterFile:
    name: str  # as the OneRoster CSV binding spells it, without .csv
    columns: tuple[tuple[str, str], ...]  # (OneRoster column, staging column)
    required: tuple[str, ...] = ("sourcedId",)  # without these columns the file cannot be used
    needed: bool = False  # without this file the bundle gives no involvement at all

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def table(self) -> str:
        return f"_or_{self.name.lower()}"

    def staging(self, column: str) -> str:
        return dict(self.columns)[column]


_RECORD = (("sourcedId", "sourced_id"), ("status", "status"), ("dateLastModified", "modified"))

MANIFEST = RosterFile(
    "manifest", (("propertyName", "property"), ("value", "value")), ("propertyName", "value")
)
USERS = RosterFile(
    "users",
    _RECORD
    + (
        ("identifier", "identifier"),
        ("role", "role"),  # 1.0 and 1.1; 1.2 moved the roles to roles.csv
        ("orgSourcedIds", "org_ids"),
        ("primaryOrgSourcedId", "primary_org_id"),  # 1.2
    ),
    needed=True,
)
ENROLLMENTS = RosterFile(
    "enrollments",
    _RECORD
    + (
        ("classSourcedId", "class_id"),
        ("schoolSourcedId", "school_id"),
        ("userSourcedId", "user_id"),
        ("role", "role"),
        ("beginDate", "begin_date"),
        ("endDate", "end_date"),
    ),
    ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    needed=True,
)
CLASSES = RosterFile(
    "classes",
    _RECORD
    + (("schoolSourcedId", "school_id"), ("courseSourcedId", "course_id"), ("termSourcedIds", "term_ids")),
    needed=True,
)
SESSIONS = RosterFile(
    "academicSessions",
    _RECORD + (("startDate", "start_date"), ("endDate", "end_date"), ("parentSourcedId", "parent_id")),
)
ORGS = RosterFile("orgs", _RECORD + (("type", "type"), ("parentSourcedId", "parent_id")))
COURSES = RosterFile("courses", _RECORD)
ROLES = RosterFile(  # 1.2
    "roles",
    _RECORD
    + (
        ("userSourcedId", "user_id"),
        ("role", "role"),
        ("orgSourcedId", "org_id"),
        ("beginDate", "begin_date"),
        ("endDate", "end_date"),
    ),
    ("userSourcedId", "role"),
)
FILES = (MANIFEST, USERS, ENROLLMENTS, CLASSES, SESSIONS, ORGS, COURSES, ROLES)
RECORD_FILES = FILES[1:]

# What it means when the header lacks a column the derivation reads (other columns may be missing).
MISSING_COLUMN_NOTES = {
    (
        "users",
        "identifier",
    ): "column identifier missing: each user's sourcedId is used as the staff or student id",
    (
        "enrollments",
        "beginDate",
    ): "column beginDate missing: read as empty, so the bounds of the class's terms are used",
    (
        "enrollments",
        "endDate",
    ): "column endDate missing: read as empty, so the bounds of the class's terms are used",
    (
        "academicSessions",
        "startDate",
    ): "column startDate missing: the terms give their classes no start bound",
    ("academicSessions", "endDate"): "column endDate missing: the terms give their classes no end bound",
} | {(f.name, "status"): "column status missing: every record is read as active" for f in RECORD_FILES}


@dataclass
class BundleRead:
    version: str
    files: dict[str, str]  # OneRoster file name -> the file's name in the bundle (canonical when absent)
    rejected: bool  # a needed file is missing or unusable: the bundle gives no involvements
    rows_read: int


def read_bundle(con, folder: Path) -> BundleRead:
    con.execute(NOTES_DDL)
    notes: list[Note] = []
    found, names = _bundle_files(folder, notes)
    state: dict[str, str] = {}  # 'read', 'absent' or 'unusable'
    rows_read = 0
    for spec in FILES:
        path = found.get(spec.name)
        if path is None:
            state[spec.name] = "unusable" if spec.name in names else "absent"
            read = None
        else:
            read = _stage_file(con, spec, path, notes)
            state[spec.name] = "unusable" if read is None else "read"
        if read is None:
            _empty_table(con, spec)
        else:
            rows_read += read
    version = _manifest_notes(con, names, state, notes)
    rejected = False
    for spec in FILES:
        if spec.needed and state[spec.name] != "read":
            rejected = True
            problem = "is missing" if state[spec.name] == "absent" else "cannot be used"
            hint = _nested_hint(folder) if state[spec.name] == "absent" else ""
            notes.append(
                (
                    names.get(spec.name, spec.file_name),
                    None,
                    None,
                    None,
                    f"{spec.file_name} {problem}{hint}: the bundle gives no involvements ({KEPT})",
                )
            )
    if notes:
        con.executemany("INSERT INTO _or_notes VALUES (?, ?, ?, ?, ?)", notes)
    files = {spec.name: names.get(spec.name, spec.file_name) for spec in FILES}
    return BundleRead(version=version, files=files, rejected=rejected, rows_read=rows_read)


def _bundle_files(folder: Path, notes: list[Note]) -> tuple[dict[str, Path], dict[str, str]]:
    """(OneRoster name -> path, OneRoster name -> file name) of the CSV files, matched case-insensitively.

    Two files whose names differ only in case are both left out: which one is meant cannot be told.
    """
    by_lower = {spec.file_name.lower(): spec.name for spec in FILES}
    candidates: dict[str, list[Path]] = {}
    for path in folder.iterdir():
        name = by_lower.get(path.name.lower())
        if name is not None and path.is_file():
            candidates.setdefault(name, []).append(path)
    found, names = {}, {}
    for name, paths in candidates.items():
        paths.sort()
        names[name] = paths[0].name
        if len(paths) == 1:
            found[name] = paths[0]
        else:
            listed = ", ".join(p.name for p in paths)
            notes.append(
                (paths[0].name, None, None, None, f"files {listed} differ only in case: none of them is used")
            )
    return found, names


def _nested_hint(folder: Path) -> str:
    inner = sorted(p.name for p in folder.iterdir() if p.is_dir())
    if not inner:
        return ""
    return f" (the bundle folder holds a folder {inner[0]!r}: put the bundle's files directly in oneroster/{folder.name}/)"


def _stage_file(
    con, spec: RosterFile, path: Path, notes: list[Note], missing_notes: dict | None = None
) -> int | None:
    """Stage one file into `spec.table`; the number of records read, or None when it cannot be used.
    `missing_notes` (default MISSING_COLUMN_NOTES): {(file name, column): the note when the header lacks it}."""
    file = path.name
    not_used = f"{file} is not used"
    try:
        header = csv_header(path)
    except FileRejected as rejected:
        notes += [
            (file, line, column, value, f"{reason}: {not_used}")
            for line, column, value, reason, _code in rejected.entries
        ]
        return None
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    if width < len(header):
        # Some exports end the header with empty names; their rows may or may not carry the empty fields.
        notes.append(
            (
                file,
                1,
                None,
                None,
                f"{len(header) - width} empty column names at the end of the header: ignored",
            )
        )
        header = header[:width]
    staging_of = {column.lower(): staging for column, staging in spec.columns}
    canonical = {staging: column for column, staging in spec.columns}
    positions: dict[str, int] = {}
    names = {name.strip().lower() for name in header}
    unusable = False
    for position, name in enumerate(header):
        key = name.strip().lower()
        if key in ALIASES:
            if ALIASES[key].lower() in names:
                notes.append(
                    (file, 1, name, name, f"header typo {name}: ignored, {ALIASES[key]} is there too")
                )
                continue
            notes.append((file, 1, name, name, f"header typo {name}: read as {ALIASES[key]}"))
            key = ALIASES[key].lower()
        staging = staging_of.get(key)
        if staging is None:
            continue  # vendor (ext_*) and other columns the auditor does not read
        if staging in positions:
            notes.append((file, 1, canonical[staging], None, f"column appears more than once: {not_used}"))
            unusable = True
        positions[staging] = position
    for column in spec.required:
        if spec.staging(column) not in positions:
            notes.append((file, 1, column, None, f"required column missing: {not_used}"))
            unusable = True
    if unusable:
        return None
    for column, staging in spec.columns:
        reason = (MISSING_COLUMN_NOTES if missing_notes is None else missing_notes).get((spec.name, column))
        if reason and staging not in positions:
            notes.append((file, 1, column, None, reason))
    try:
        read_csv_records(con, path, header)
    except FileRejected as rejected:
        notes += [
            (file, line, column, value, f"{reason}: {not_used}")
            for line, column, value, reason, _code in rejected.entries
        ]
        return None
    selected = ", ".join(
        f"CAST({clean(f'r.c{positions[staging]}') if staging in positions else 'NULL'} AS VARCHAR) AS {ident(staging)}"
        for _, staging in spec.columns
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {spec.table} AS
            SELECT l.line AS _line, {selected} FROM _csv_raw r JOIN _csv_lines l ON l.row_index = r.rowid"""
    )
    rejects = con.execute(
        f"""INSERT INTO _or_notes SELECT {literal(file)}, line, NULL, value, reason || ': record not used'
            FROM ({csv_rejects_sql(width)})"""
    ).fetchone()[0]
    return con.execute(f"SELECT count(*) FROM {spec.table}").fetchone()[0] + rejects


def _empty_table(con, spec: RosterFile) -> None:
    columns = ", ".join(f"{ident(staging)} VARCHAR" for _, staging in spec.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {spec.table} (_line BIGINT, {columns})")


def _manifest_notes(con, names: dict[str, str], state: dict[str, str], notes: list[Note]) -> str:
    """The bundle's OneRoster version, and notes on what the manifest declares about the files.

    The manifest is a few dozen lines of metadata, so it is read in Python.
    """
    file = names.get("manifest", MANIFEST.file_name)
    inferred, because = (
        ("1.2", "roles.csv is present") if state["roles"] != "absent" else ("1.1", "there is no roles.csv")
    )
    properties: dict[str, tuple[int, str | None]] = {}
    for line, name, value in con.execute(
        f"SELECT _line, property, value FROM {MANIFEST.table} ORDER BY _line"
    ).fetchall():
        if name is not None:
            properties[name.lower()] = (line, value)  # the last line wins
    version = properties.get("oneroster.version")
    if state["manifest"] != "read":
        problem = "is missing" if state["manifest"] == "absent" else "cannot be used"
        notes.append(
            (
                file,
                None,
                None,
                None,
                f"manifest.csv {problem}: OneRoster {inferred} inferred because {because}",
            )
        )
    elif version is None or version[1] is None:
        notes.append(
            (
                file,
                None,
                "oneroster.version",
                None,
                f"the manifest gives no oneroster.version: OneRoster {inferred} inferred because {because}",
            )
        )
    elif version[1] not in VERSIONS:
        notes.append(
            (
                file,
                version[0],
                "value",
                version[1],
                f"unknown OneRoster version (expected 1.0, 1.1 or 1.2): read as {inferred}, inferred because {because}",
            )
        )
    else:
        inferred = version[1]
    for spec in RECORD_FILES:
        declared = properties.get(f"file.{spec.name.lower()}")
        if declared is None or declared[1] is None:
            continue
        line, value = declared
        kind, present = value.lower(), state[spec.name] != "absent"
        if kind == "absent" and present:
            notes.append(
                (
                    file,
                    line,
                    "value",
                    value,
                    f"{spec.file_name} is declared absent but is in the bundle: it is read",
                )
            )
        elif kind in ("bulk", "delta") and not present:
            notes.append(
                (file, line, "value", value, f"{spec.file_name} is declared {kind} but is not in the bundle")
            )
        elif kind == "delta":
            notes.append(
                (
                    file,
                    line,
                    "value",
                    value,
                    (
                        f"{spec.file_name} is declared delta: read as the complete content of this bundle "
                        "(a delta is not merged with earlier deliveries)"
                    ),
                )
            )
    for name, (line, value) in properties.items():
        if (
            name.startswith("file.")
            and value is not None
            and value.lower() not in ("bulk", "delta", "absent")
        ):
            notes.append(
                (
                    file,
                    line,
                    "value",
                    value,
                    "unknown file declaration (expected bulk, delta or absent): ignored",
                )
            )
    return inferred
