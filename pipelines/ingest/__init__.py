"""Ingest: landing files (spec/landing.md) -> canonical DuckDB tables, with validation and quarantine.

files.py       which files are new (content hash) and in what order they were delivered
readers.py     CSV / JSONL / Parquet -> a staging table of text with line numbers
validation.py  Great Expectations suites generated from the contract
parse.py       text -> typed values in DuckDB, and every failing cell
load.py        last delivery wins; quarantine, replacements and the file's row in one transaction
landing.py     the whole folder, file by file
"""

from pipelines.ingest.files import LandingError, pending_files
from pipelines.ingest.landing import IngestResult, ingest_landing

__all__ = ["IngestResult", "LandingError", "ingest_landing", "pending_files"]
