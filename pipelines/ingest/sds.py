"""Microsoft School Data Sync bundles in `<landing>/sds/<bundle>/` -> teacher involvements
(`roster_involvements`, bundle 'sds/<bundle>'), handled as OneRoster bundles are (pipelines.ingest.oneroster):
a snapshot (unchanged: skipped; changed: it replaces what it gave before), known by a hash over its path
and its files, recorded in `landing_files` (feed 'sds', path 'sds/<bundle>') with its notes in the
quarantine (reason code `sds_note`) and its involvements, in one transaction.

A folder that is not an SDS bundle, or lacks a file the involvements need, is 'rejected': it gives no
involvements, and those of its earlier delivery are kept. The rules that need or consult the OneRoster
involvements count a rejected SDS bundle as a rejected file of theirs (checks.runner).

The sensitive files some bundles carry (userFlags.csv, demographics.csv) are known by name only: they
are neither opened nor hashed, and nothing of them is stored; a note says they are there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from pipelines.ingest import reasons
from pipelines.ingest.files import sha256_of
from pipelines.ingest.load import FileCounts
from pipelines.ingest.oneroster import BundleOutcome, _delivered, _record, ingest_bundle_folder
from pipelines.ingest.oneroster_read import NOTES_DDL
from pipelines.ingest.sds_derive import derive
from pipelines.ingest.sds_read import bundle_files, read_bundle

FEED = "sds"


def ingest_bundles(con, landing: Path, progress: Callable[[str], None] | None = None) -> list[BundleOutcome]:
    """Ingest every new or changed bundle under `<landing>/sds/`, in name order."""
    return ingest_bundle_folder(con, Path(landing) / FEED, _ingest_bundle, _stray_file, _progress_line, progress)


def bundle_hash(folder: Path) -> str:
    """sha256 over the bundle's path and the files the auditor may open, sorted by name."""
    digest = hashlib.sha256(f"{FEED}/{folder.name}\n".encode())
    for path in bundle_files(folder):
        digest.update(f"{path.name}\0{sha256_of(path)}\n".encode())
    return digest.hexdigest()


def _ingest_bundle(con, folder: Path) -> BundleOutcome:
    path = f"{FEED}/{folder.name}"
    digest = bundle_hash(folder)
    delivered = _delivered(con, path, digest, FEED)
    if delivered == "latest":
        return BundleOutcome(path, "skipped", digest)
    read = read_bundle(con, folder)
    status = "rejected" if read.rejected else "loaded"
    if status == "loaded":
        derive(con, read.version, read.files, read.state, read.columns)
    counts = FileCounts(rows_read=read.rows_read)
    _record(
        con, path, path, digest, status, counts, delivered == "earlier", FEED, reasons.SDS_NOTE
    )  # fmt: skip
    return BundleOutcome(path, status, digest, read.version, counts)


def _stray_file(con, file: Path) -> BundleOutcome:
    """A file directly in sds/ (a zip, a loose Section.csv): rejected, with the reason, once. A sensitive
    file is not hashed: its name stands for it."""
    path = f"{FEED}/{file.name}"
    content = file.name if file.name.lower() in ("userflags.csv", "demographics.csv") else sha256_of(file)
    digest = hashlib.sha256(f"{path}\n{content}".encode()).hexdigest()
    delivered = _delivered(con, path, digest, FEED)
    if delivered == "latest":
        return BundleOutcome(path, "skipped", digest)
    con.execute(NOTES_DDL)
    con.execute(
        "INSERT INTO _or_notes VALUES ('', NULL, NULL, NULL, ?)",
        [("not inside a bundle folder: a School Data Sync bundle is read from sds/<bundle>/ (unzip it there); "
         "the file is not read")],
    )  # fmt: skip
    counts = FileCounts()
    _record(con, path, None, digest, "rejected", counts, delivered == "earlier", FEED, reasons.SDS_NOTE)
    return BundleOutcome(path, "rejected", digest, None, counts)


def _progress_line(outcome: BundleOutcome) -> str:
    line = f"{outcome.path}: {outcome.status}"
    if outcome.version:
        line += f" (School Data Sync {outcome.version})"
    if outcome.status == "loaded":
        line += f", {outcome.counts.rows_loaded} involvements derived"
    return line + f", {outcome.counts.rows_quarantined} records noted in the quarantine"
