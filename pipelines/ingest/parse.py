"""Turning staged text into typed values, in DuckDB, and collecting every failing cell.

Input: `_stage` (see readers) and `_gx_failures(line, "column", reason, reason_code, expectation)` from
Great Expectations.
Output:
- `_cell_failures(line, "column", value, reason, reason_code, expectation)`: one entry per failing cell
  (GX first, then what only parsing can tell, such as 2026-02-30, then rules that tie two columns
  together; for those the expectation is the reason code);
- `_good(_line, <typed columns>)`: the rows without any failing cell, ready to load.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from pipelines.ingest import reasons
from pipelines.ingest.sql import ident, literal, trimmed
from pipelines.ingest.validation import PATTERNS, REQUIRED

# A value required only together with another one (spec: "reason ... required for grant").
REQUIRED_WHEN: dict[str, tuple[tuple[str, str, str], ...]] = {
    "involvements": (("relation", "grant", "reason"),),  # (column, value, then required column)
}

PARSE_REASONS = {
    DATE: ("not a valid date", reasons.INVALID_DATE),
    TIMESTAMP: ("not a valid timestamp", reasons.INVALID_TIMESTAMP),
    DATE_OR_TIMESTAMP: ("not a valid date or timestamp", reasons.INVALID_TIMESTAMP),
}


SKIPPED_TIME = "this local time does not exist: the clocks moved forward (give the time with its offset)"


def _in(expr: str, words: tuple[str, ...]) -> str:
    return f"{expr} IN ({', '.join(literal(w) for w in words)})"


@cache
def skipped_hours(zone: str) -> tuple[str, ...]:
    """The local hours ('02') in which the clocks of `zone` ever skipped a time (1970-2100): only a
    time in one of them can be missing, so only those are tested (the test is costly)."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return ()

    def offset(day: date):
        return datetime(day.year, day.month, day.day, 12, tzinfo=UTC).astimezone(tz).utcoffset()

    def missing(local: datetime) -> bool:
        return local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None)

    hours = set()
    week = date(1970, 1, 1)
    while week.year <= 2100:  # a week at a time; in a week whose offset grew, the day it did
        if offset(week + timedelta(days=7)) > offset(week):
            day = next(
                week + timedelta(days=n)
                for n in range(1, 8)
                if offset(week + timedelta(days=n)) > offset(week)
            )
            for local_day in (day - timedelta(days=1), day):  # the jump lies between their noons (UTC)
                for minute in range(0, 24 * 60, 15):
                    local = datetime.combine(local_day, time(minute // 60, minute % 60), tz)
                    if missing(local):
                        hours.add(f"{local.hour:02d}")
        week += timedelta(days=7)
    return tuple(sorted(hours))


def typed(column: Column, raw: str, skipped: tuple[str, ...] | None = None) -> str:
    """SQL turning the staged text `raw` into the column's warehouse type (NULL when it cannot).

    `skipped`: the hours in which a local time can be missing (skipped_hours); None = any hour."""
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
        # read as local time, because the session runs in the configured zone (SET TimeZone). A local
        # time the clocks skipped (02:30 on the night summer time starts) does not exist: DuckDB would
        # move it an hour on, so it is refused instead. A repeated hour (autumn) is read as the later
        # one; either way the local date the rules use is the same.
        pattern = literal(PATTERNS[kind])
        stamp = f"TRY_CAST(upper({raw}) AS TIMESTAMPTZ)"
        missing = (
            f"length({raw}) >= 16 AND NOT regexp_matches(substr({raw}, 17), '[Zz+-]') "
            f"AND strftime({stamp}, '%H:%M') <> substr({raw}, 12, 5)"
        )
        # Nested CASEs, not AND: DuckDB computes every operand of an AND for every row, and a CASE
        # computes a branch only for the rows that reach it (the strftime test is the costly part).
        exists = f"CASE WHEN {missing} THEN NULL ELSE {stamp} END"
        if skipped:  # the costly test only in the hours it can fail
            hours = ", ".join(literal(hour) for hour in skipped)
            exists = f"CASE WHEN substr({raw}, 12, 2) IN ({hours}) THEN {exists} ELSE {stamp} END"
        return f"CASE WHEN regexp_full_match({raw}, {pattern}) THEN {exists} END"
    if kind == LIST:
        item = trimmed("item")
        if column.codes:
            item = f"lower({item})"
        items = f"list_filter(list_transform(string_split({raw}, ';'), lambda item: {item}), lambda item: item <> '')"
        return f"NULLIF({items}, []::VARCHAR[])"
    return raw


def _typed_with_default(feed: Feed, column: Column, raw: str, skipped: tuple[str, ...]) -> str:
    default = DEFAULTS.get((feed.name, column.name))
    value = typed(column, raw, skipped)
    if default is not None:
        value = f"CASE WHEN {raw} IS NULL THEN {literal(default)} ELSE {value} END"
    return f"CAST({value} AS {column.sql_type})"


def _parse_checked(feed: Feed) -> list[tuple[Column, str, str]]:
    """(column, reason, reason code) of the columns whose staged text parsing can refuse."""
    checked = []
    for column in feed.columns:
        reason, code = PARSE_REASONS.get(column.kind, (None, None))
        if column.kind == LIST and column.required:
            reason, code = REQUIRED, reasons.REQUIRED_VALUE_MISSING  # a list of nothing but separators
        if reason:
            checked.append((column, reason, code))
    return checked


def unparsed(name: str) -> str:
    return ident(f"_unparsed_{name}")


def _parse_failures(feed: Feed) -> list[str]:
    """SELECTs of (line, column, reason, reason_code, expectation, priority) for what only parsing finds."""
    selects = []
    for column, reason, code in _parse_checked(feed):
        reason = literal(reason)
        if column.kind in (TIMESTAMP, DATE_OR_TIMESTAMP):
            text = unparsed(column.name)
            reason = f"CASE WHEN TRY_CAST({text} AS TIMESTAMP) IS NOT NULL THEN {literal(SKIPPED_TIME)} ELSE {reason} END"
        selects.append(
            f"SELECT _line, {literal(column.name)}, {reason}, {literal(code)}, {literal(code)}, 2 "
            f"FROM _parsed WHERE {unparsed(column.name)} IS NOT NULL"
        )
    for when_column, when_value, required in REQUIRED_WHEN.get(feed.name, ()):
        reason = f"{required} is required when {when_column} is {when_value}"
        code = literal(reasons.REQUIRED_WHEN)
        selects.append(
            f"SELECT _line, {literal(required)}, {literal(reason)}, {code}, {code}, 3 FROM _stage "
            f"WHERE lower({ident(when_column)}) = {literal(when_value)} AND {ident(required)} IS NULL"
        )
    return selects


def parse_batch(con, feed: Feed) -> None:
    parse_values(con, feed)
    collect_failures(con, feed)


def parse_values(con, feed: Feed) -> None:
    """`_parsed`: the typed values of `_stage`, and the text of each cell parsing refused. Needs nothing
    from Great Expectations, so it can run while GX judges the batch."""
    skipped = skipped_hours(con.execute("SELECT current_setting('TimeZone')").fetchone()[0])
    names = [ident(c.name) for c in feed.columns]
    typed_columns = [
        f"{_typed_with_default(feed, c, name, skipped)} AS {name}" for c, name in zip(feed.columns, names)
    ]
    checked = _parse_checked(feed)
    # `_unparsed_<column>`: the staged text of a cell that parsing refused (NULL when it parsed), found in
    # the same pass over the batch as the typed values.
    raw = [f"{ident(c.name)} AS {ident('_raw_' + c.name)}" for c, _, _ in checked]
    refused = [
        f"CASE WHEN {ident('_raw_' + c.name)} IS NOT NULL AND {ident(c.name)} IS NULL "
        f"THEN {ident('_raw_' + c.name)} END AS {unparsed(c.name)}"
        for c, _, _ in checked
    ]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _parsed AS
            SELECT _line, {", ".join(names + refused)}
            FROM (SELECT _line, {", ".join(typed_columns + raw)} FROM _stage)"""
    )


def collect_failures(con, feed: Feed) -> None:
    """`_cell_failures` and `_good` from `_parsed`, `_gx_failures` and `_stage`."""
    found = [
        'SELECT line, "column", reason, reason_code, expectation, 1 FROM _gx_failures'
    ] + _parse_failures(feed)
    value = (
        "CASE f.column_name "
        + " ".join(f"WHEN {literal(c.name)} THEN s.{ident(c.name)}" for c in feed.columns)
        + " END"
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _cell_failures AS
            WITH found (line, column_name, reason, reason_code, expectation, priority) AS ({" UNION ALL ".join(found)})
            SELECT f.line, f.column_name AS "column", {value} AS value, f.reason, f.reason_code, f.expectation
            FROM found f JOIN _stage s ON s._line = f.line
            QUALIFY row_number() OVER (PARTITION BY f.line, f.column_name ORDER BY f.priority) = 1
            ORDER BY f.line, f.column_name"""
    )
    con.execute("DROP TABLE IF EXISTS _good")
    if con.execute("SELECT count(*) FROM _cell_failures").fetchone()[0] == 0:
        con.execute("ALTER TABLE _parsed RENAME TO _good")  # every row is good: no copy of the batch
        return
    con.execute(
        """CREATE TEMP TABLE _good AS
           SELECT p.* FROM _parsed p
           LEFT JOIN (SELECT DISTINCT line FROM _cell_failures) f ON f.line = p._line
           WHERE f.line IS NULL"""
    )
