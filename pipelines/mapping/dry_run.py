"""`schoolaudit map`: a profile tried on one export, in an in-memory database (no warehouse touched).

The export goes through exactly what an ingest does up to loading (the profile, then the contract's
validation and parsing), so every problem the ingest would quarantine is found here, with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.ingest import reasons
from pipelines.ingest.parse import parse_batch
from pipelines.ingest.readers import Entry, FileRejected
from pipelines.ingest.sql import ident, literal
from pipelines.ingest.validation import shared_validator
from pipelines.mapping.profile import Profile, load_profile
from pipelines.mapping.read import stage_export


@dataclass
class DryRun:
    profile: Profile
    columns: tuple[str, ...] = ()  # the contract columns the profile gives
    rows: list[tuple] = field(default_factory=list)  # (line, *values) of the first mapped rows
    rows_read: int = 0
    rows_good: int = 0
    problems: list[Entry] = field(default_factory=list)  # (line, column, value, reason, code)
    rejected: bool = False  # the export as a whole cannot be used

    @property
    def rows_quarantined(self) -> int:
        return 0 if self.rejected else self.rows_read - self.rows_good


def dry_run(profile_path: Path, export: Path, rows: int, timezone: str) -> DryRun:
    """ProfileError for a bad profile; a problem of the export is part of the result."""
    profile = load_profile(profile_path)
    given = {e.column.name for e in profile.expressions}
    result = DryRun(profile, columns=tuple(c for c in profile.feed.column_names if c in given))
    con = duckdb.connect()  # in memory
    try:
        con.execute(f"SET TimeZone = {literal(timezone)}")
        try:
            stage_export(con, Path(export), profile)
        except FileRejected as rejected:
            result.rejected, result.problems = True, rejected.entries
            return result
        shared_validator().validate(con, profile.feed)
        parse_batch(con, profile.feed)
        names = ", ".join(ident(c) for c in result.columns)
        result.rows = con.execute(
            f"SELECT _line, {names} FROM _stage ORDER BY _line LIMIT {int(rows)}"
        ).fetchall()
        result.rows_read, result.rows_good = con.execute(
            "SELECT (SELECT count(*) FROM _stage) + (SELECT count(DISTINCT line) FROM _read_rejects),"
            " (SELECT count(*) FROM _good)"
        ).fetchone()
        # A column missing from the export fails every row: said once, for the file.
        result.problems = con.execute(
            f"""SELECT NULL::BIGINT, "column", NULL, any_value(reason) || ' (every row: ' || count(*) || ')', reason_code
                FROM _read_rejects WHERE reason_code = {literal(reasons.EXPORT_COLUMN_MISSING)} GROUP BY ALL
                UNION ALL
                SELECT line, "column", value, reason, reason_code FROM _read_rejects
                WHERE reason_code <> {literal(reasons.EXPORT_COLUMN_MISSING)}
                UNION ALL SELECT line, "column", value, reason, reason_code FROM _cell_failures
                ORDER BY 1 NULLS FIRST, 2"""
        ).fetchall()
    finally:
        con.close()
    return result
