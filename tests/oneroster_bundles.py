"""Helpers for the OneRoster tests: writing small bundles and reading back what the ingest made of them."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingest_helpers import rows, write_text

from pipelines.ingest import ingest_landing
from pipelines.settings import Settings

# The real bundles of ../shared/external/ (read in place or copied at test time, never into the project).
EXTERNAL = Path(__file__).resolve().parents[2] / "shared" / "external" / "oneroster"

# Headers of the synthetic bundles: the columns the derivation reads, in the order of the CSV binding.
USERS = "sourcedId,status,dateLastModified,role,username,identifier"
ENROLLMENTS = (
    "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,beginDate,endDate"
)
CLASSES = "sourcedId,status,dateLastModified,title,courseSourcedId,schoolSourcedId,termSourcedIds"
SESSIONS = "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId"
ORGS = "sourcedId,status,dateLastModified,name,type,parentSourcedId"
COURSES = "sourcedId,status,dateLastModified,title"
ROLES = "sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId,beginDate,endDate"

SCHOOL = "org1,active,,Het College,school,"
AUTUMN = "term1,active,,Autumn,term,2026-08-24,2027-01-31,"  # a term of the school year 2026/27


def manifest(version: str | None = "1.1", **files: str) -> str:
    lines = ["propertyName,value", "manifest.version,1.0"]
    if version is not None:
        lines.append(f"oneroster.version,{version}")
    lines += [f"file.{name},{kind}" for name, kind in files.items()]
    return "\n".join(lines) + "\n"


def table(header: str, lines) -> str:
    return "\n".join([header, *lines]) + "\n"


def write_bundle(
    landing: Path,
    name: str = "school",
    *,
    users=(),
    enrollments=(),
    classes=(),
    sessions=(AUTUMN,),
    orgs=(SCHOOL,),
    roles=None,
    courses=None,
    version: str | None = "1.1",
    mtime: int | None = None,
) -> Path:
    """A bundle folder with the files given (rows as CSV lines under the headers above).

    `roles` / `courses` of None leave the file out; `version` None leaves out the manifest.
    """
    folder = landing / "oneroster" / name
    if folder.exists():
        shutil.rmtree(folder)
    files = {
        "users.csv": table(USERS, users),
        "enrollments.csv": table(ENROLLMENTS, enrollments),
        "classes.csv": table(CLASSES, classes),
        "academicSessions.csv": table(SESSIONS, sessions),
        "orgs.csv": table(ORGS, orgs),
    }
    if roles is not None:
        files["roles.csv"] = table(ROLES, roles)
    if courses is not None:
        files["courses.csv"] = table(COURSES, courses)
    if version is not None:
        files["manifest.csv"] = manifest(version)
    for file, text in files.items():
        write_text(folder / file, text, mtime=mtime)
    return folder


def copy_external(name: str, landing: Path) -> Path:
    target = landing / "oneroster" / name
    shutil.copytree(EXTERNAL / name, target)
    return target


def ingest(con, landing: Path):
    return ingest_landing(con, landing, Settings())


def involvements(con, bundle: str | None = None) -> list[tuple]:
    """(staff_id, student_id, valid_from, valid_to, class_id) with dates as text, sorted."""
    sql = """SELECT staff_id, student_id, CAST(valid_from AS VARCHAR), CAST(valid_to AS VARCHAR), class_id
             FROM roster_involvements"""
    params = []
    if bundle is not None:
        sql += " WHERE bundle = ?"
        params.append(bundle)
    return rows(con, sql + " ORDER BY ALL", params)


def notes(con, bundle: str = "school") -> set[tuple]:
    """{(file in the bundle, line, column, value, reason)} of the bundle's quarantine entries."""
    prefix = f"oneroster/{bundle}/"
    found = rows(con, "SELECT file, line, \"column\", value, reason FROM quarantine WHERE feed = 'oneroster'")
    assert all(f.startswith(prefix) for f, *_ in found), found
    return {(f.removeprefix(prefix), *rest) for f, *rest in found}


def notes_of(con, file: str, bundle: str = "school") -> set[tuple]:
    """The notes on one file, without the file name."""
    return {tuple(rest) for f, *rest in notes(con, bundle) if f == file}
