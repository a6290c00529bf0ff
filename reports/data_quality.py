"""The privacy officer report's data-quality section: what the ingest could not use, and why.

- quarantined rows and rejected files per feed and reason code, each group said in plain words (what was
  wrong, what the auditor did with it, what that means for the report, whom to ask), with its code, the
  columns concerned, a count and a few examples as file:line;
- the validation results per feed: each failed expectation (Great Expectations, or the auditor's own
  check named by its reason code) with its failing count and a few examples as file and line — never the
  value, which may be a birth date or another piece of personal data the report does not show;
- the files rejected as a whole that the week was judged without (they lay in the landing folder when
  it was checked), and the checks they left incomplete or not evaluated; the report names them at its
  top as well.
"""

from __future__ import annotations

from pipelines.contract import EVENT_FEEDS
from pipelines.ingest.reasons import FILE_LEVEL, ONEROSTER_NOTE, SDS_NOTE
from reports.i18n import Translator, sql_literal
from reports.report_data import records

EXAMPLES = 3


def _labels(t: Translator, prefix: str) -> str:
    """A DuckDB MAP from the keys under `prefix` (without it) to their text in the report language."""
    pairs = ", ".join(
        f"{sql_literal(key.removeprefix(prefix))}: {sql_literal(str(value))}"
        for key, value in sorted(t.table.items())
        if key.startswith(prefix)
    )
    return f"MAP {{{pairs}}}"


def _reason_labels(t: Translator) -> str:
    """A DuckDB MAP from reason code to its label in the report language."""
    return _labels(t, "quarantine.")


def _in(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(sql_literal(v) for v in values) + ")"


def quarantine_by_reason(con, t: Translator) -> list[dict]:
    """Quarantine entries per feed and reason code, file-level reasons first, most first.

    Each group has `sentence`: what was wrong, what the auditor did and what that means (for a row or a
    whole file, of an event feed or an evidence feed), and whom to ask; `code` (the reason code, for
    technical staff), `file_level`, `rows` (not entries: a row with two bad cells counts once), `files`,
    the `columns` concerned and a few `examples` (file:line, a file alone for a rejected file).
    Entries from before reason codes existed are grouped by their stored sentence, which they show."""
    return records(
        con,
        f"""
        WITH entries AS (
            SELECT *, coalesce(reason_code IN {_in(FILE_LEVEL)}, false) AS file_level,
                   CASE WHEN reason_code IS NULL THEN reason END AS stored
            FROM quarantine
        ), grouped AS (
            SELECT feed, reason_code AS code, file_level, stored, min(reason) AS some_reason,
                   -- what was done and what it means: for a row or a file, of an event or an evidence feed
                   CASE WHEN reason_code = {sql_literal(ONEROSTER_NOTE)} THEN 'oneroster'
                        WHEN reason_code = {sql_literal(SDS_NOTE)} THEN 'sds'
                        ELSE CASE WHEN file_level THEN 'file_' ELSE 'row_' END
                             || CASE WHEN feed IN {_in(EVENT_FEEDS)} THEN 'events' ELSE 'evidence' END
                   END AS effect,
                   count(DISTINCT (file_hash, line)) AS rows, count(DISTINCT file_hash) AS files,
                   list(DISTINCT "column" ORDER BY "column") FILTER (WHERE "column" IS NOT NULL) AS columns,
                   list(DISTINCT {{'file': file, 'line': CASE WHEN NOT file_level THEN line END}}
                        ORDER BY {{'file': file, 'line': CASE WHEN NOT file_level THEN line END}}) AS places
            FROM entries GROUP BY feed, reason_code, file_level, stored
        )
        SELECT feed, code, file_level, rows, files, coalesce(columns, []) AS columns,
               list_transform(list_slice(places, 1, {EXAMPLES}), lambda p: p.file || coalesce(':' || p.line, ''))
                   AS examples,
               -- an entry from before reason codes (or with a code the tables do not know) says its own
               coalesce({_labels(t, "quarantine_help.problem.")}[code] || ' '
                        || {_labels(t, "quarantine_help.effect.")}[effect] || ' '
                        || {_labels(t, "quarantine_help.ask.")}[code], stored, some_reason) AS sentence
        FROM grouped
        ORDER BY feed, file_level DESC, CASE WHEN file_level THEN files ELSE rows END DESC, code NULLS LAST,
                 sentence
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
