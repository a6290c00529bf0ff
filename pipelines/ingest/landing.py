"""Ingesting a landing folder: every new file, in delivery order, read, validated, parsed and loaded;
then every new or changed OneRoster bundle (pipelines.ingest.oneroster) and School Data Sync bundle
(pipelines.ingest.sds)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, fields
from pathlib import Path

from pipelines.contract import FEEDS, FILE_SUFFIXES
from pipelines.ingest import reasons
from pipelines.ingest.files import LandingFile, landing_files, split_new
from pipelines.ingest.load import FileCounts, load_batch, record_rejected
from pipelines.ingest.oneroster import FEED as ONEROSTER
from pipelines.ingest.oneroster import ingest_bundles
from pipelines.ingest.parse import collect_failures, parse_values
from pipelines.ingest.readers import FileRejected, stage
from pipelines.ingest.sds import FEED as SDS
from pipelines.ingest.sds import ingest_bundles as ingest_sds_bundles
from pipelines.ingest.sql import literal
from pipelines.ingest.validation import Validator, record_failures, shared_validator
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
    staged: list[str] = []  # the per-file staging tables made, dropped at the end whatever happens
    try:
        if new:
            validator.prepare()  # GX's import runs while the first files are staged
        ahead: deque[_Staged] = deque()
        upcoming = iter(enumerate(new))
        for done in range(1, len(new) + 1):
            while _stage_more(ahead):
                n, file = next(upcoming, (None, None))
                if file is None:
                    break
                ahead.append(_stage_file(con, file, first_seq + n, validator))
                staged += [ahead[-1].stage_table, ahead[-1].rejects_table]
            item = ahead.popleft()
            status, counts = _load_file(con, item)
            result.add_file(item.file.feed, status, counts)
            if progress is not None:
                progress(_progress_line(done, len(new), item.file, status, counts))
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
        for table in (*_TEMP_TABLES, *staged):
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


# Files staged ahead while the first one waits for GX (whose import takes seconds) hold at most about
# this many rows beyond it: staging ahead uses the time, not unbounded memory.
AHEAD_ROWS = 2_000_000


@dataclass
class _Staged:
    """One new file on its way: staged and being judged by GX (or rejected as a whole)."""

    file: LandingFile
    seq: int
    rejected: list | None = None  # the file's quarantine entries when it cannot be used as a whole
    verdict: Future | None = None  # GX's (Validator.judge)
    rows: int = 0

    @property
    def stage_table(self) -> str:
        return f"_stage_{self.seq}"

    @property
    def rejects_table(self) -> str:
        return f"_read_rejects_{self.seq}"

    def judged(self) -> bool:
        return self.verdict is None or self.verdict.done()


def _stage_more(ahead: deque[_Staged]) -> bool:
    """Whether to stage another file before loading the first one waiting: always one, so that GX judges
    it while DuckDB loads the first; more while the first still waits for GX, up to AHEAD_ROWS."""
    if len(ahead) < 2:
        return True
    return not ahead[0].judged() and sum(item.rows for item in list(ahead)[1:]) < AHEAD_ROWS


def _stage_file(con, file: LandingFile, seq: int, validator: Validator) -> _Staged:
    """Read the file into `_stage_<seq>` and `_read_rejects_<seq>`, and hand its frame to GX."""
    item = _Staged(file, seq)
    feed = FEEDS[file.feed]
    if file.format is None:
        reason = f"unsupported file type (expected {', '.join(FILE_SUFFIXES)})"
        item.rejected = [(None, None, None, reason, reasons.UNSUPPORTED_FILE_TYPE)]
        return item
    if not file.name_is_utf8:
        reason = "the file name is not valid UTF-8: rename the file"
        item.rejected = [(None, None, None, reason, reasons.UNREADABLE_FILE)]
        return item
    try:
        if file.profile is not None:  # a vendor export, mapped into the contract's columns first
            stage_export(con, file.path, file.profile)
        else:
            stage(con, file.path, file.format, feed)
    except FileRejected as rejected:
        item.rejected = rejected.entries
        return item
    item.verdict = validator.judge(con, feed)
    item.rows = con.execute("SELECT count(*) FROM _stage").fetchone()[0]
    con.execute(f"ALTER TABLE _stage RENAME TO {item.stage_table}")
    con.execute(f"ALTER TABLE _read_rejects RENAME TO {item.rejects_table}")
    return item


def _load_file(con, item: _Staged) -> tuple[str, FileCounts]:
    """Parse and load a staged file once GX has judged it (files are loaded in delivery order)."""
    if item.rejected is not None:
        return "rejected", record_rejected(con, item.file, item.seq, item.rejected)
    feed = FEEDS[item.file.feed]
    con.execute(f"DROP TABLE IF EXISTS _stage; ALTER TABLE {item.stage_table} RENAME TO _stage")
    con.execute(f"DROP TABLE IF EXISTS _read_rejects; ALTER TABLE {item.rejects_table} RENAME TO _read_rejects")
    parse_values(con, feed)  # while GX may still be judging
    record_failures(con, feed, item.verdict.result())
    collect_failures(con, feed)
    return "loaded", load_batch(con, feed, item.file, item.seq)


def _progress_line(done: int, total: int, file: LandingFile, status: str, counts: FileCounts) -> str:
    line = f"[{done}/{total}] {file.relative}: {status}"
    if status == "loaded":
        line += f", {counts.rows_loaded} rows loaded, {counts.rows_quarantined} quarantined"
    return line
