"""The ingest's two checks per feed, generated from the contract, as plain data (Dagster asset checks
are made of them in pipelines.assets, and the command line words its message from them).

- `<feed>_batches_usable` (a warning): fails while a file of the feed that is in the landing folder now
  was rejected as a whole (no header, required column missing, wrong file type, ...). It keeps failing
  until the file is fixed (dropped again with new content) or removed. It does not stop the audit: the
  week is checked without the file, and coverage says which rules are incomplete or not evaluated
  (spec/landing.md).
- `<feed>_rows_valid` (a warning): fails while a file of the feed in the landing folder had rows
  quarantined; its metadata says which expectation failed, how often, and on which lines (no values:
  the Dagster UI is not the privacy officer's report).

Both describe the landing folder as it is now, so a run with nothing new says the same as the run that
ingested it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pipelines.contract import FEEDS
from pipelines.ingest.files import LandingFile

WHAT_TO_DO = "fix the file and drop it into the landing folder again (or remove it), then run the week again"


@dataclass(frozen=True)
class CheckSpec:
    name: str
    feed: str
    description: str


@dataclass
class CheckOutcome:
    spec: CheckSpec
    passed: bool
    metadata: dict = field(default_factory=dict)


def check_specs() -> list[CheckSpec]:
    specs = []
    for feed in FEEDS:
        specs.append(
            CheckSpec(
                f"{feed}_batches_usable",
                feed,
                f"Every {feed} file in the landing folder can be used as a whole (file type, header, required "
                "columns). A rejected file does not stop the audit: the week is checked without it, and the "
                "rules that need its data are incomplete or not evaluated until it is fixed or removed.",
            )
        )
        specs.append(
            CheckSpec(
                f"{feed}_rows_valid",
                feed,
                f"No row of a {feed} file in the landing folder breaks the contract (Great Expectations "
                "suite generated from the contract, and parsing); failing rows are quarantined.",
            )
        )
    return specs


def _present(con, present: list[LandingFile]) -> None:
    """`_present(file_hash, path)`: the files in the landing folder now."""
    con.execute("CREATE OR REPLACE TEMP TABLE _present (file_hash VARCHAR, path VARCHAR)")
    if present:
        con.executemany("INSERT INTO _present VALUES (?, ?)", [[f.sha256, f.relative] for f in present])


def rejected_files(con, present: list[LandingFile]) -> list[dict]:
    """The files in the landing folder that were rejected as a whole: feed, path (as it is now), why."""
    _present(con, present)
    try:
        result = con.execute(
            """SELECT l.feed, p.path,
                      string_agg(DISTINCT q.reason || coalesce(' (' || q."column" || ')', ''), '; ') AS why
               FROM _present p
               JOIN landing_files l ON l.file_hash = p.file_hash AND l.status = 'rejected'
               LEFT JOIN quarantine q ON q.file_hash = l.file_hash
               GROUP BY ALL ORDER BY l.feed, p.path"""
        )
        names = [c[0] for c in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]
    finally:
        con.execute("DROP TABLE IF EXISTS temp.main._present")


def quarantined_rows(con, present: list[LandingFile]) -> list[dict]:
    """Per feed, expectation and column: rows quarantined in the loaded files of the landing folder,
    with the first lines (file and line only) as examples."""
    _present(con, present)
    try:
        result = con.execute(
            """SELECT v.feed, v.expectation, v."column", v.reason_code, sum(v.failing_count) AS failing_count,
                      to_json(list_slice(flatten(list(
                          list_transform(from_json(v.examples, '[{"line": "BIGINT"}]'),
                                         lambda e: {'file': p.path, 'line': e.line})
                          ORDER BY p.path)), 1, 5)) AS examples
               FROM (SELECT file_hash, min(path) AS path FROM _present GROUP BY file_hash) p
               JOIN validation_results v ON v.file_hash = p.file_hash AND NOT v.blocking
               GROUP BY ALL ORDER BY v.feed, failing_count DESC, v.expectation, v."column" NULLS FIRST"""
        )
        names = [c[0] for c in result.description]
        return [dict(zip(names, row)) for row in result.fetchall()]
    finally:
        con.execute("DROP TABLE IF EXISTS temp.main._present")


def quarantined_per_feed(con, present: list[LandingFile]) -> dict[str, int]:
    """Rows quarantined per feed in the loaded files of the landing folder (a row counts once)."""
    _present(con, present)
    try:
        return dict(
            con.execute(
                """SELECT l.feed, sum(l.rows_quarantined) FROM (SELECT DISTINCT file_hash FROM _present) p
                   JOIN landing_files l ON l.file_hash = p.file_hash AND l.status = 'loaded'
                   GROUP BY l.feed"""
            ).fetchall()
        )
    finally:
        con.execute("DROP TABLE IF EXISTS temp.main._present")


def evaluate(con, present: list[LandingFile]) -> list[CheckOutcome]:
    quarantined = quarantined_per_feed(con, present)
    rejected: dict[str, list[dict]] = {}
    for row in rejected_files(con, present):
        rejected.setdefault(row["feed"], []).append(row)
    failing: dict[str, list[dict]] = {}
    for row in quarantined_rows(con, present):
        failing.setdefault(row["feed"], []).append(row)
    outcomes = []
    for spec in check_specs():
        if spec.name.endswith("_batches_usable"):
            files = rejected.get(spec.feed, [])
            metadata = {"rejected_files": len(files)}
            if files:
                metadata["files"] = [{"file": f["path"], "why": f["why"]} for f in files]
                metadata["what_to_do"] = WHAT_TO_DO
            outcomes.append(CheckOutcome(spec, not files, metadata))
        else:
            results = failing.get(spec.feed, [])
            metadata = {"rows_quarantined": int(quarantined.get(spec.feed) or 0)}
            if results:
                metadata["failed_expectations"] = [
                    {
                        "expectation": r["expectation"],
                        "column": r["column"],
                        "reason_code": r["reason_code"],
                        "failing_count": r["failing_count"],
                        "examples": json.loads(r["examples"]),
                    }
                    for r in results
                ]
            outcomes.append(CheckOutcome(spec, not results and not metadata["rows_quarantined"], metadata))
    return outcomes


def rejected_message(con, present: list[LandingFile]) -> str | None:
    """One line for the command line when files of the landing folder were rejected as a whole (the
    audit went on without them); None when none was."""
    files = rejected_files(con, present)
    if not files:
        return None
    listed = "; ".join(f"{f['path']} ({f['why']})" for f in files)
    many = len(files) > 1
    return (
        f"{len(files)} landing file{'s' if many else ''} cannot be used as a whole and "
        f"{'were' if many else 'was'} left out, so the audit is incomplete: {listed}. "
        f"To complete it, {WHAT_TO_DO}."
    )
