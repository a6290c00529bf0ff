"""Ingesting a landing folder: every new file, in delivery order, read, validated, parsed and loaded;
then every new or changed OneRoster bundle (pipelines.ingest.oneroster) and School Data Sync bundle
(pipelines.ingest.sds)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path

from pipelines.contract import FEEDS, FILE_SUFFIXES
from pipelines.ingest import reasons
from pipelines.ingest.files import LandingFile, landing_files, split_new
from pipelines.ingest.load import FileCounts, load_batch, record_rejected
from pipelines.ingest.oneroster import FEED as ONEROSTER
from pipelines.ingest.oneroster import ingest_bundles
from pipelines.ingest.parse import parse_batch
from pipelines.ingest.readers import FileRejected, stage
from pipelines.ingest.sds import FEED as SDS
from pipelines.ingest.sds import ingest_bundles as ingest_sds_bundles
from pipelines.ingest.sql import literal
from pipelines.ingest.validation import Validator, shared_validator
from pipelines.mapping.read import TEMP_TABLES as MAPPING_TEMP_TABLES
from pipelines.mapping.read import stage_export
from pipelines.settings import Settings

# Called with one line per file ingested, e.g. a logger's info method.
Progress = Callable[[str], None]

COUNTERS = (
    "files_loaded",
    "files_skipped",
    "files_rejected",
    "rows_read",
    "rows_loaded",
    "rows_quarantined",
    "rows_replaced",
)
_TEMP_TABLES = (
    "_stage",
    "_read_rejects",
    "_csv_raw",
    "_csv_rejects",
    "_json_rejects",
    "_json_reject_scans",
    "_csv_reject_scans",
    "_csv_rejected",
    "_csv_lines",
    "_json_raw",
    "_json_lines",
    "_gx_failures",
    "_parsed",
    "_cell_failures",
    "_good",
    "_ranked",
    *MAPPING_TEMP_TABLES,
)


@dataclass
class IngestResult:
    files_loaded: int = 0
    files_skipped: int = 0
    files_rejected: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_replaced: int = 0
    by_feed: dict[str, dict[str, int]] = field(
        default_factory=lambda: {f: dict.fromkeys(COUNTERS, 0) for f in (*FEEDS, ONEROSTER, SDS)}
    )
    # The files of the feed folders as they are now (what the ingest checks describe).
    present: list[LandingFile] = field(default_factory=list)

    def counters(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTERS}

    def add(self, feed: str, **counts: int) -> None:
        for name, value in counts.items():
            setattr(self, name, getattr(self, name) + value)
            self.by_feed[feed][name] += value

    def add_file(self, feed: str, status: str, counts: FileCounts) -> None:
        self.add(feed, **{f"files_{status}": 1}, **{f.name: getattr(counts, f.name) for f in fields(counts)})


def ingest_landing(con, landing: Path, settings: Settings, progress: Progress | None = None) -> IngestResult:
    """Ingest every file of `landing` whose content is new; see spec/landing.md.

    Raises LandingError when the folder is missing; a bad file or row never raises: it is quarantined.
    """
    present = landing_files(Path(landing))
    new, skipped = split_new(con, present)
    # Timestamps without an offset are local time in the configured zone.
    con.execute(f"SET TimeZone = {literal(settings.timezone)}")
    result = IngestResult(present=present)
    for file in skipped:
        result.add(file.feed, files_skipped=1)
    first_seq = con.execute("SELECT coalesce(max(seq), 0) + 1 FROM landing_files").fetchone()[0]
    validator = shared_validator()
    try:
        for done, file in enumerate(new, start=1):
            status, counts = _ingest_file(con, file, first_seq + done - 1, validator)
            result.add_file(file.feed, status, counts)
            if progress is not None:
                progress(_progress_line(done, len(new), file, status, counts))
        # For the bundles, files_* count bundles and rows_loaded counts the involvements derived.
        bundles = []
        for feed, ingest in ((ONEROSTER, ingest_bundles), (SDS, ingest_sds_bundles)):
            for bundle in ingest(con, Path(landing), progress):
                bundles.append((bundle.file_hash, feed, bundle.path))
                if bundle.status == "skipped":
                    result.add(feed, files_skipped=1)
                else:
                    result.add_file(feed, bundle.status, bundle.counts)
        _record_present(con, [(f.sha256, f.feed, f.relative) for f in present] + bundles)
    finally:
        for table in _TEMP_TABLES:
            con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")
    return result


def _record_present(con, files: list[tuple[str, str, str]]) -> None:
    """What the landing folder holds now, (file_hash, feed, path): the check phase judges a week without
    the rejected files among them (checks.runner)."""
    con.begin()
    try:
        con.execute("DELETE FROM landing_present")
        if files:
            con.executemany("INSERT INTO landing_present VALUES (?, ?, ?)", files)
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _ingest_file(con, file: LandingFile, seq: int, validator: Validator) -> tuple[str, FileCounts]:
    feed = FEEDS[file.feed]
    if file.format is None:
        reason = f"unsupported file type (expected {', '.join(FILE_SUFFIXES)})"
        return "rejected", record_rejected(
            con, file, seq, [(None, None, None, reason, reasons.UNSUPPORTED_FILE_TYPE)]
        )
    if not file.name_is_utf8:
        reason = "the file name is not valid UTF-8: rename the file"
        return "rejected", record_rejected(
            con, file, seq, [(None, None, None, reason, reasons.UNREADABLE_FILE)]
        )
    try:
        if file.profile is not None:  # a vendor export, mapped into the contract's columns first
            stage_export(con, file.path, file.profile)
        else:
            stage(con, file.path, file.format, feed)
    except FileRejected as rejected:
        return "rejected", record_rejected(con, file, seq, rejected.entries)
    validator.validate(con, feed)
    parse_batch(con, feed)
    return "loaded", load_batch(con, feed, file, seq)


def _progress_line(done: int, total: int, file: LandingFile, status: str, counts: FileCounts) -> str:
    line = f"[{done}/{total}] {file.relative}: {status}"
    if status == "loaded":
        line += f", {counts.rows_loaded} rows loaded, {counts.rows_quarantined} quarantined"
    return line
