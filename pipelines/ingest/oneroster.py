"""OneRoster bundles in `<landing>/oneroster/<bundle>/` -> teacher involvements (`roster_involvements`).

A bundle is a snapshot of the school's classes: a changed bundle replaces every involvement derived
from that bundle before, an unchanged one is skipped. A bundle is known by a hash over its path and
its files (sorted names and contents), recorded in `landing_files` (feed 'oneroster', path
'oneroster/<bundle>') together with its notes in `quarantine` and its involvements, in one transaction.

A bundle that lacks users.csv, enrollments.csv or classes.csv (or cannot read them) is 'rejected': it
gives no involvements, and those of an earlier delivery of the same bundle are kept, as a rejected
file leaves the rows of earlier files. Every quirk of a usable bundle is a note in the quarantine
(oneroster_read, oneroster_derive); none stops the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.ingest import reasons
from pipelines.ingest.files import sha256_of
from pipelines.ingest.load import QUARANTINE_COLUMNS, FileCounts
from pipelines.ingest.oneroster_derive import derive
from pipelines.ingest.oneroster_read import NOTES_DDL, read_bundle

FEED = "oneroster"


@dataclass
class BundleOutcome:
    path: str  # 'oneroster/<bundle>', relative to the landing folder
    status: str  # 'loaded', 'rejected' or 'skipped'
    file_hash: str  # the bundle's hash (bundle_hash), as landing_files knows it
    version: str | None = None  # the OneRoster version read (None when skipped or not a bundle)
    # rows_read: records in the files read; rows_loaded: involvements derived; rows_quarantined:
    # records with a note; rows_replaced: involvements of the bundle's earlier delivery replaced.
    counts: FileCounts = field(default_factory=FileCounts)


def ingest_bundles(con, landing: Path, progress: Callable[[str], None] | None = None) -> list[BundleOutcome]:
    """Ingest every new or changed bundle under `<landing>/oneroster/`, in name order."""
    return ingest_bundle_folder(con, Path(landing) / FEED, _ingest_bundle, _stray_file, _progress_line, progress)


def ingest_bundle_folder(con, folder: Path, ingest_bundle, stray_file, progress_line, progress) -> list[BundleOutcome]:
    """Each entry of a folder of bundles (OneRoster's, School Data Sync's), in name order: a folder is a
    bundle (`ingest_bundle`), a loose file is rejected (`stray_file`); the staging tables are dropped after."""
    if not folder.is_dir():
        return []
    outcomes = []
    try:
        for entry in sorted(folder.iterdir()):
            if entry.is_dir():
                outcome = ingest_bundle(con, entry)
            elif entry.is_file():
                outcome = stray_file(con, entry)
            else:
                continue
            outcomes.append(outcome)
            if progress is not None and outcome.status != "skipped":
                progress(progress_line(outcome))
    finally:
        drop_staging(con)
    return outcomes


def bundle_hash(folder: Path) -> str:
    """sha256 over the bundle's path and its files, sorted by name (the same bundle under another
    folder name is another bundle: its involvements are kept apart)."""
    digest = hashlib.sha256(f"{FEED}/{folder.name}\n".encode())
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        digest.update(f"{path.name}\0{sha256_of(path)}\n".encode())
    return digest.hexdigest()


def _ingest_bundle(con, folder: Path) -> BundleOutcome:
    path = f"{FEED}/{folder.name}"
    digest = bundle_hash(folder)
    delivered = _delivered(con, path, digest)
    if delivered == "latest":
        return BundleOutcome(path, "skipped", digest)
    read = read_bundle(con, folder)
    status = "rejected" if read.rejected else "loaded"
    if status == "loaded":
        derive(con, read.files)
    counts = FileCounts(rows_read=read.rows_read)
    _record(con, path, folder.name, digest, status, counts, forget_earlier=delivered == "earlier")
    return BundleOutcome(path, status, digest, read.version, counts)


def _stray_file(con, file: Path) -> BundleOutcome:
    """A file directly in oneroster/ (a zip, a loose users.csv): rejected, with the reason, once."""
    path = f"{FEED}/{file.name}"
    digest = hashlib.sha256(f"{path}\n{sha256_of(file)}".encode()).hexdigest()
    delivered = _delivered(con, path, digest)
    if delivered == "latest":
        return BundleOutcome(path, "skipped", digest)
    con.execute(NOTES_DDL)
    con.execute(
        "INSERT INTO _or_notes VALUES ('', NULL, NULL, NULL, ?)",
        ["not inside a bundle folder: a OneRoster bundle is read from oneroster/<bundle>/ (unzip it there)"],
    )
    counts = FileCounts()
    _record(con, path, None, digest, "rejected", counts, forget_earlier=delivered == "earlier")
    return BundleOutcome(path, "rejected", digest, None, counts)


def _delivered(con, path: str, digest: str, feed: str = FEED) -> str:
    """'latest' when `digest` is the last delivery of `path`, 'earlier' when it was delivered before
    (the bundle went back to older content), else 'new'."""
    latest = con.execute(
        "SELECT file_hash FROM landing_files WHERE feed = ? AND path = ? ORDER BY seq DESC LIMIT 1",
        [feed, path],
    ).fetchone()
    if latest and latest[0] == digest:
        return "latest"
    known = con.execute("SELECT count(*) FROM landing_files WHERE file_hash = ?", [digest]).fetchone()[0]
    return "earlier" if known else "new"


def _record(
    con,
    path: str,
    bundle: str | None,
    digest: str,
    status: str,
    counts: FileCounts,
    forget_earlier: bool,
    feed: str = FEED,
    reason_code: str = reasons.ONEROSTER_NOTE,
) -> None:
    """Write the outcome of one bundle (or stray file) as one transaction: its involvements from
    `_or_involvements`, its notes from `_or_notes` (School Data Sync bundles are recorded the same way,
    under their own feed and reason code: pipelines.ingest.sds)."""
    prefix = f"{path}/" if bundle is not None else path
    con.begin()
    try:
        if forget_earlier:
            # Older content came back: its first delivery is replaced by this one (the hash is a key).
            con.execute("DELETE FROM quarantine WHERE file_hash = ?", [digest])
            con.execute("DELETE FROM landing_files WHERE file_hash = ?", [digest])
        if status == "loaded":
            counts.rows_replaced = con.execute(
                "DELETE FROM roster_involvements WHERE bundle = ?", [bundle]
            ).fetchone()[0]
            counts.rows_loaded = con.execute(
                """INSERT INTO roster_involvements
                   SELECT staff_id, student_id, valid_from, valid_to, class_id, ? FROM _or_involvements""",
                [bundle],
            ).fetchone()[0]
        con.execute(
            f"""INSERT INTO quarantine ({QUARANTINE_COLUMNS})
                SELECT ?, ? || file, line, "column", value, reason, ?, ? FROM _or_notes
                ORDER BY file, line NULLS FIRST, "column" """,
            [feed, prefix, digest, reason_code],
        )
        counts.rows_quarantined = con.execute(
            "SELECT count(*) FROM (SELECT DISTINCT file, line FROM _or_notes WHERE line > 1)"
        ).fetchone()[0]
        seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM landing_files").fetchone()[0]
        con.execute(
            "INSERT INTO landing_files VALUES (?, ?, ?, ?, current_timestamp, ?, ?, ?, ?)",
            [digest, feed, path, seq, status, counts.rows_read, counts.rows_loaded, counts.rows_quarantined],
        )
        con.commit()
    except BaseException:
        con.rollback()
        raise


def drop_staging(con) -> None:
    """Drop the temporary tables of the OneRoster ingest (and of the CSV reader it uses)."""
    names = con.execute(
        """SELECT table_name FROM duckdb_tables()
           WHERE temporary AND (starts_with(table_name, '_or_') OR starts_with(table_name, '_csv_'))"""
    ).fetchall()
    for (name,) in names:
        con.execute(f'DROP TABLE IF EXISTS temp.main."{name}"')


def _progress_line(outcome: BundleOutcome) -> str:
    line = f"{outcome.path}: {outcome.status}"
    if outcome.version:
        line += f" (OneRoster {outcome.version})"
    if outcome.status == "loaded":
        line += f", {outcome.counts.rows_loaded} involvements derived"
    return line + f", {outcome.counts.rows_quarantined} records noted in the quarantine"
