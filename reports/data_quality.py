"""The privacy officer report's data-quality section: what the ingest could not use, and why.

- quarantined rows per feed and reason code (translated), most first;
- the validation results per feed: each failed expectation (Great Expectations, or the auditor's own
  check named by its reason code) with its failing count and a few examples as file and line — never the
  value, which may be a birth date or another piece of personal data the report does not show;
- the files rejected as a whole that the week was judged without (they lay in the landing folder when
  it was checked), and the checks they left incomplete or not evaluated; the report names them at its
  top as well.
"""

from __future__ import annotations

from reports.i18n import Translator, sql_literal
from reports.report_data import records

EXAMPLES = 3


def _reason_labels(t: Translator) -> str:
    """A DuckDB MAP from reason code to its label in the report language."""
    pairs = ", ".join(
        f"{sql_literal(key.removeprefix('quarantine.'))}: {sql_literal(str(value))}"
        for key, value in sorted(t.table.items())
        if key.startswith("quarantine.")
    )
    return f"MAP {{{pairs}}}"


def quarantine_by_reason(con, t: Translator) -> list[dict]:
    """Quarantined rows (not entries: a row with two bad cells counts once) per feed and reason.
    Entries from before reason codes existed are grouped by their sentence."""
    return records(
        con,
        f"""
        SELECT feed, coalesce({_reason_labels(t)}[reason_code], reason) AS reason,
               count(DISTINCT (file_hash, line)) AS rows
        FROM quarantine GROUP BY ALL ORDER BY feed, rows DESC, reason
        """,
    )


def validation_results(con) -> list[dict]:
    """Failed expectations per feed, summed over the delivered files, blocking ones first."""
    return records(
        con,
        f"""
        SELECT feed, expectation, "column", bool_or(blocking) AS blocking, count(DISTINCT file_hash) AS files,
               sum(failing_count) AS failing_count,
               list_slice(flatten(list(
                   list_transform(from_json(examples, '[{{"line": "BIGINT"}}]'),
                                  lambda e: file || coalesce(':' || e.line, ''))
                   ORDER BY checked_at, file)), 1, {EXAMPLES}) AS examples
        FROM validation_results
        GROUP BY feed, expectation, "column"
        ORDER BY feed, blocking DESC, failing_count DESC, expectation, "column" NULLS FIRST
        """,
    )


def rejected_files(con, week: str, t: Translator) -> list[dict]:
    """The landing files rejected as a whole that lay in the landing folder when `week` was checked, with
    why (the reasons of their quarantine entries) and the checks they left incomplete or not evaluated."""
    return records(
        con,
        f"""
        SELECT r.feed, r.path,
               (SELECT string_agg(DISTINCT coalesce({_reason_labels(t)}[q.reason_code], q.reason)
                                  || coalesce(' (' || q."column" || ')', ''), '; ')
                FROM quarantine q WHERE q.file_hash = r.file_hash) AS why,
               (SELECT list(cv.rule_id ORDER BY cv.rule_id) FROM coverage cv
                WHERE cv.week = r.week AND cv.status = 'incomplete' AND list_contains(cv.reason_files, r.path))
                   AS incomplete,
               (SELECT list(cv.rule_id ORDER BY cv.rule_id) FROM coverage cv
                WHERE cv.week = r.week AND cv.status = 'not_evaluated'
                  AND list_contains(cv.reason_files, r.path)) AS not_evaluated
        FROM week_rejected_files r
        WHERE r.week = $week
        ORDER BY r.feed, r.path
        """,
        {"week": week},
    )


def data_quality(con, week: str, t: Translator) -> dict:
    return {
        "quarantine": quarantine_by_reason(con, t),
        "validation": validation_results(con),
        "rejected": rejected_files(con, week, t),
    }
