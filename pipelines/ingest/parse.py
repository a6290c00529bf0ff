"""Turning staged text into typed values, in DuckDB, and collecting every failing cell.

Input: `_stage` (see readers) and `_gx_failures(line, "column", reason)` from Great Expectations.
Output:
- `_cell_failures(line, "column", value, reason)`: one entry per failing cell (GX first, then what
  only parsing can tell, such as 2026-02-30, then rules that tie two columns together);
- `_good(_line, <typed columns>)`: the rows without any failing cell, ready to load.
"""

from __future__ import annotations

from pipelines.contract import (
    BOOL,
    CODE,
    DATE,
    DATE_OR_TIMESTAMP,
    DEFAULTS,
    FALSE_WORDS,
    LIST,
    TIMESTAMP,
    TRUE_WORDS,
    Column,
    Feed,
)
from pipelines.ingest.sql import ident, literal, trimmed
from pipelines.ingest.validation import PATTERNS, REQUIRED

# A value required only together with another one (spec: "reason ... required for grant").
REQUIRED_WHEN: dict[str, tuple[tuple[str, str, str], ...]] = {
    "involvements": (("relation", "grant", "reason"),),  # (column, value, then required column)
}

PARSE_REASONS = {
    DATE: "not a valid date",
    TIMESTAMP: "not a valid timestamp",
    DATE_OR_TIMESTAMP: "not a valid date or timestamp",
}


def _in(expr: str, words: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(literal(w) for w in words)})"


def typed(column: Column, raw: str) -> str:
    """SQL turning the staged text `raw` into the column's warehouse type (NULL when it cannot)."""
    kind = column.kind
    if kind == CODE:
        # Matched case-insensitively, stored in the contract's spelling ('po' -> 'PO').
        cases = " ".join(f"WHEN {literal(code.lower())} THEN {literal(code)}" for code in column.codes)
        return f"CASE lower({raw}) {cases} END"
    if kind == BOOL:
        return f"CASE WHEN {_in(f'lower({raw})', TRUE_WORDS)} THEN true WHEN {_in(f'lower({raw})', FALSE_WORDS)} THEN false END"
    if kind == DATE:
        # The pattern first: DuckDB would also accept 2026-2-3.
        return (
            f"CASE WHEN regexp_full_match({raw}, {literal(PATTERNS[DATE])}) THEN TRY_CAST({raw} AS DATE) END"
        )
    if kind in (TIMESTAMP, DATE_OR_TIMESTAMP):
        # With an offset the instant is kept; without one (and for a bare date, at midnight) the text is
        # read as local time, because the session runs in the configured zone (SET TimeZone).
        pattern = literal(PATTERNS[kind])
        return f"CASE WHEN regexp_full_match({raw}, {pattern}) THEN TRY_CAST(upper({raw}) AS TIMESTAMPTZ) END"
    if kind == LIST:
        item = trimmed("item")
        if column.codes:
            item = f"lower({item})"
        items = f"list_filter(list_transform(string_split({raw}, ';'), lambda item: {item}), lambda item: item <> '')"
        return f"NULLIF({items}, []::VARCHAR[])"
    return raw


def _typed_with_default(feed: Feed, column: Column, raw: str) -> str:
    default = DEFAULTS.get((feed.name, column.name))
    value = typed(column, raw)
    if default is not None:
        value = f"CASE WHEN {raw} IS NULL THEN {literal(default)} ELSE {value} END"
    return f"CAST({value} AS {column.sql_type})"


def _parse_failures(feed: Feed) -> list[str]:
    """SELECTs of (line, column, reason) for what only parsing finds."""
    selects = []
    for column in feed.columns:
        name = ident(column.name)
        reason = PARSE_REASONS.get(column.kind)
        if column.kind == LIST and column.required:
            reason = REQUIRED  # a list of nothing but separators
        if reason:
            selects.append(
                f"SELECT s._line, {literal(column.name)}, {literal(reason)}, 2 FROM _stage s "
                f"JOIN _parsed p ON p._line = s._line WHERE s.{name} IS NOT NULL AND p.{name} IS NULL"
            )
    for when_column, when_value, required in REQUIRED_WHEN.get(feed.name, ()):
        reason = f"{required} is required when {when_column} is {when_value}"
        selects.append(
            f"SELECT _line, {literal(required)}, {literal(reason)}, 3 FROM _stage "
            f"WHERE lower({ident(when_column)}) = {literal(when_value)} AND {ident(required)} IS NULL"
        )
    return selects


def parse_batch(con, feed: Feed) -> None:
    columns = ", ".join(
        f"{_typed_with_default(feed, c, ident(c.name))} AS {ident(c.name)}" for c in feed.columns
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _parsed AS SELECT _line, {columns} FROM _stage")
    found = ['SELECT line, "column", reason, 1 FROM _gx_failures'] + _parse_failures(feed)
    value = (
        "CASE f.column_name "
        + " ".join(f"WHEN {literal(c.name)} THEN s.{ident(c.name)}" for c in feed.columns)
        + " END"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _cell_failures AS
            WITH found (line, column_name, reason, priority) AS ({" UNION ALL ".join(found)})
            SELECT f.line, f.column_name AS "column", {value} AS value, f.reason
            FROM found f JOIN _stage s ON s._line = f.line
            QUALIFY row_number() OVER (PARTITION BY f.line, f.column_name ORDER BY f.priority) = 1
            ORDER BY f.line, f.column_name"""
    )
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _good AS
           SELECT p.* FROM _parsed p
           LEFT JOIN (SELECT DISTINCT line FROM _cell_failures) f ON f.line = p._line
           WHERE f.line IS NULL"""
    )
