"""Ingest: landing files (spec/landing.md) -> canonical DuckDB tables, with validation and quarantine.

files.py       which files are new (content hash) and in what order they were delivered
readers.py     CSV / JSONL / Parquet -> a staging table of text with line numbers
validation.py  Great Expectations suites generated from the contract
gx_process.py  Great Expectations in a process of its own, so its Python never holds DuckDB's GIL
parse.py       text -> typed values in DuckDB, and every failing cell
load.py        last delivery wins; quarantine, validation results, replacements and the file's row in one
               transaction
landing.py     the whole folder, file by file
oneroster*.py  OneRoster bundles -> roster involvements
sds*.py        Microsoft School Data Sync bundles (v1, v2.1) -> roster involvements, like OneRoster
reasons.py     the closed list of reason codes of quarantine entries (file-level ones block the audit)
checks.py      the two checks per feed that the Dagster asset runs (rejected files, quarantined rows)
"""

from pipelines.ingest.files import LandingError, pending_files
from pipelines.ingest.landing import IngestResult, ingest_landing

__all__ = ["IngestResult", "LandingError", "ingest_landing", "pending_files"]
