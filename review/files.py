"""The report files of each week under the report folder (`--out/<week>/`), served by name only.

A request names a week and a file; the week must look like 2026-W47 and the file must be one of the
names a run writes (REPORT_FILES), so no path from a request ever reaches the file system and nothing
outside the week folders can be served. A week folder or file that is a symbolic link, or whose real
place is not in the report folder, is not served either.
"""

from __future__ import annotations

from pathlib import Path

from pipelines.weeks import WEEK_PATTERN

COUNCIL_FILES = ("council-summary.html", "council-summary.pdf")
# name -> media type; the privacy officer's files hold personal data, the council's summaries none.
REPORT_FILES = {
    "privacy-officer.html": "text/html; charset=utf-8",
    "privacy-officer.pdf": "application/pdf",
    "council-summary.html": "text/html; charset=utf-8",
    "council-summary.pdf": "application/pdf",
    "findings.csv": "text/csv; charset=utf-8",
    "coverage.csv": "text/csv; charset=utf-8",
    "quarantine.csv": "text/csv; charset=utf-8",
}


def label_key(name: str) -> str:
    """The translation key of a file's label: privacy-officer.html -> app.file.privacy_officer_html."""
    return "app.file." + name.replace("-", "_").replace(".", "_")


def report_file(out: Path, week: str, name: str) -> Path | None:
    """The file `name` of `week`, or None when the request names anything else or it is not there."""
    if not WEEK_PATTERN.fullmatch(week) or name not in REPORT_FILES:
        return None
    folder = out / week
    path = folder / name
    if folder.is_symlink() or path.is_symlink() or not path.is_file():
        return None
    if path.resolve().parent != folder.resolve() or folder.resolve().parent != out.resolve():
        return None
    return path


def weeks_with_reports(out: Path, names: tuple[str, ...] | None = None) -> list[tuple[str, list[str]]]:
    """[(week, [file names present])] of every week folder, latest week first; only the weeks that have
    one of `names` (default: any report file)."""
    wanted = names or tuple(REPORT_FILES)
    if not out.is_dir():
        return []
    weeks = []
    for folder in out.iterdir():  # the week folders: one per checked week
        if WEEK_PATTERN.fullmatch(folder.name) and folder.is_dir() and not folder.is_symlink():
            present = [name for name in wanted if report_file(out, folder.name, name)]
            if present:
                weeks.append((folder.name, present))
    return sorted(weeks, reverse=True)
