"""Validating a staged batch with Great Expectations, the suite generated from the contract.

The checks are described here as plain data (`checks_for`), so there is one description of the
input (pipelines.contract) and GX only executes it. GX validates a pandas frame of the distinct staged
values (frame_sql); the lines carrying a value it finds unexpected become quarantine entries.
"""

from __future__ import annotations

import atexit
import os
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import pandas as pd

from pipelines.contract import (
    BOOL,
    CODE,
    DATE,
    DATE_OR_TIMESTAMP,
    FALSE_WORDS,
    LIST,
    TIMESTAMP,
    TRUE_WORDS,
    Feed,
)
from pipelines.ingest import reasons
from pipelines.ingest.gx_process import GxProcess, Spec
from pipelines.ingest.sql import ident

# The same patterns run in Python (GX) and in DuckDB (RE2): keep them to the common subset.
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
TIMESTAMP_PATTERN = (
    DATE_PATTERN
    + r"[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.][0-9]{1,9})?)?(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)

REQUIRED = "required value missing"
REASONS = {
    DATE: "not a date; expected YYYY-MM-DD",
    TIMESTAMP: "not an ISO 8601 timestamp",
    DATE_OR_TIMESTAMP: "not a date (YYYY-MM-DD) or an ISO 8601 timestamp",
    BOOL: "not a boolean; expected true/false, 1/0, yes/no or ja/nee",
}
REASON_CODES = {
    DATE: reasons.DATE_FORMAT,
    TIMESTAMP: reasons.TIMESTAMP_FORMAT,
    DATE_OR_TIMESTAMP: reasons.TIMESTAMP_FORMAT,
    BOOL: reasons.NOT_BOOLEAN,
}
# The Great Expectations expectation that runs each kind of check (its name in results and reports).
EXPECTATIONS = {
    "not_null": "expect_column_values_to_not_be_null",
    "in_set": "expect_column_values_to_be_in_set",
    "regex": "expect_column_values_to_match_regex",
}
PATTERNS = {
    DATE: DATE_PATTERN,
    TIMESTAMP: TIMESTAMP_PATTERN,
    DATE_OR_TIMESTAMP: f"(?:{DATE_PATTERN}|{TIMESTAMP_PATTERN})",
}

LINE = "_line"
# Verdicts kept per check (values are shapes and codes: a handful, unless a file is full of garbage).
VERDICTS_KEPT = 10_000
FAILURE_COLUMNS = ("line", "column", "reason", "reason_code", "expectation")


@dataclass(frozen=True)
class Check:
    kind: str  # 'not_null', 'in_set' or 'regex'
    column: str  # the contract column a failure is reported on
    frame_column: str  # the column of the frame the check reads (a lower-cased copy for codes)
    reason: str
    code: str  # the reason code of its quarantine entries (pipelines.ingest.reasons)
    values: tuple[str, ...] = ()
    pattern: str = ""

    @property
    def expectation(self) -> str:
        return EXPECTATIONS[self.kind]


LOWER_SUFFIX = "__lower"


def lowered(column: str) -> str:
    return column + LOWER_SUFFIX


def needs_lowered(kind: str, codes: tuple[str, ...]) -> bool:
    return kind in (CODE, BOOL) or (kind == LIST and bool(codes))


def list_pattern(codes: tuple[str, ...]) -> str:
    """';'-separated items, each one of the codes; empty items are allowed (and dropped later)."""
    item = r"\s*(?:" + "|".join(re.escape(code.lower()) for code in codes) + r")?\s*"
    return f"{item}(?:;{item})*"


def checks_for(feed: Feed) -> list[Check]:
    checks = []
    for column in feed.columns:
        name = column.name
        if column.required:
            # lower(NULL) is NULL: a column read lower-cased is checked for presence on that copy too
            frame_column = lowered(name) if needs_lowered(column.kind, column.codes) else name
            checks.append(Check("not_null", name, frame_column, REQUIRED, reasons.REQUIRED_VALUE_MISSING))
        if column.kind == CODE:
            reason = "unknown code; expected one of: " + ", ".join(column.codes)
            codes = tuple(c.lower() for c in column.codes)
            checks.append(Check("in_set", name, lowered(name), reason, reasons.UNKNOWN_CODE, codes))
        elif column.kind == BOOL:
            checks.append(
                Check(
                    "in_set",
                    name,
                    lowered(name),
                    REASONS[BOOL],
                    reasons.NOT_BOOLEAN,
                    TRUE_WORDS + FALSE_WORDS,
                )
            )
        elif column.kind in PATTERNS:
            checks.append(
                Check(
                    "regex",
                    name,
                    name,
                    REASONS[column.kind],
                    REASON_CODES[column.kind],
                    pattern=PATTERNS[column.kind],
                )
            )
        elif column.kind == LIST and column.codes:
            reason = "unknown item in list; expected items from: " + ", ".join(column.codes)
            checks.append(
                Check(
                    "regex",
                    name,
                    lowered(name),
                    reason,
                    reasons.UNKNOWN_LIST_ITEM,
                    pattern=list_pattern(column.codes),
                )
            )
    return checks


def frame_expression(feed: Feed, frame_column: str) -> str:
    """SQL over `_stage` for one column of the frame GX validates: a value that gets the same verdict
    from every check reading that column, so that equal values can be validated once.

    - a column only checked for presence: '' or NULL;
    - a date or timestamp: every digit as 0 (the patterns only know digits as [0-9]), so a million
      timestamps become a handful of shapes;
    - otherwise the value, lower-cased where case is ignored."""
    name = frame_column.removesuffix(LOWER_SUFFIX)
    value = f"lower({ident(name)})" if frame_column != name else ident(name)
    reading = [check for check in checks_for(feed) if check.frame_column == frame_column]
    if _presence_only(feed, frame_column):
        return f"CASE WHEN {value} IS NULL THEN NULL ELSE '' END"
    if any(check.pattern in PATTERNS.values() for check in reading):
        return f"translate({value}, '123456789', '000000000')"
    return value


def frame_columns(feed: Feed) -> list[str]:
    return list(dict.fromkeys(check.frame_column for check in checks_for(feed)))


def frame_sql(feed: Feed, table: str = "_stage") -> str:
    """The frame GX validates: each distinct value of each of its columns (see frame_expression) at
    least once. Every check reads one column and judges each value on its own (a column map
    expectation), so a row of the frame need not be a row of the batch: each column holds its distinct
    values, the shorter ones repeating their first value. Its size, not the batch's, is what GX costs."""
    columns = frame_columns(feed)
    lists = []
    for column in columns:
        expression = frame_expression(feed, column)
        name = column.removesuffix(LOWER_SUFFIX)
        # A column read for more than presence: the expression of its distinct values, which are far
        # fewer than the rows (a week's timestamps repeat; the expression is the costly part).
        source = table if _presence_only(feed, column) else f"(SELECT DISTINCT {ident(name)} FROM {table})"
        lists.append(f"(SELECT list(DISTINCT {expression}) FROM {source}) AS {ident(column)}")
    longest = f"greatest({', '.join(f'coalesce(len({ident(c)}), 0)' for c in columns)})"
    picked = [f"{ident(c)}[least(i, len({ident(c)}))] AS {ident(c)}" for c in columns]
    return (
        f"SELECT {', '.join(picked)} FROM (SELECT {', '.join(lists)}) distinct_values, "
        f"range(1, {longest} + 1) t(i)"
    )


def _presence_only(feed: Feed, frame_column: str) -> bool:
    return all(check.kind == "not_null" for check in checks_for(feed) if check.frame_column == frame_column)


class Validator:
    """Runs the generated suites: GX judges in a process of its own (pipelines.ingest.gx_process),
    started on first use or when `prepare` says it will be needed (its import takes seconds), and
    judges one batch while the caller stages or loads another in DuckDB. A thread of this process
    hands it the frames and keeps the verdicts, so that judge() returns at once."""

    def __init__(self):
        # GX's verdict on each value it has judged, per check: True when unexpected. Every check is a
        # column map expectation (one value's verdict does not depend on the others), so a frame
        # whose values were all judged before needs no GX run; GX's fixed cost per run (about 0.1 s)
        # is most of what it costs, and files of one feed mostly repeat the same shapes.
        self._verdicts: dict[Check, dict[str | None, bool]] = {}
        self._worker: ThreadPoolExecutor | None = None
        self._worker_pid: int | None = None

    def prepare(self) -> None:
        """Start GX's process (its import runs at once): call it when a batch to validate is known to come."""
        gx_process()

    def judge(self, con, feed: Feed) -> Future:
        """Start judging the staged batch (`_stage`): its frame is read now, GX judges it in the
        background. The future's result: (check, the unexpected values) of each check some value fails."""
        frame = con.execute(frame_sql(feed)).df()
        if frame.empty:
            done: Future = Future()
            done.set_result([])
            return done
        return self._thread().submit(self._unexpected, frame, feed)

    def validate(self, con, feed: Feed) -> None:
        """Validate the staged batch (`_stage`) with the feed's suite; every failing cell goes to
        `_gx_failures(line, "column", reason, reason_code, expectation)`."""
        record_failures(con, feed, self.judge(con, feed).result())

    def _thread(self) -> ThreadPoolExecutor:
        # One thread: the verdicts are only ever touched by it. A process forked from this one has no
        # such thread: it starts its own.
        if self._worker is None or self._worker_pid != os.getpid():
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="great-expectations")
            self._worker_pid = os.getpid()
        return self._worker

    def _unexpected(self, frame: pd.DataFrame, feed: Feed) -> list[tuple[Check, list]]:
        """(check, the unexpected values) of each check that some value of the frame fails: GX runs
        only when the frame holds a value it has not judged yet for some check."""
        checks = checks_for(feed)
        values = {check: _distinct(frame[check.frame_column]) for check in checks}
        if any(v not in self._verdicts.get(check, {}) for check in checks for v in values[check]):
            failed = dict(self._failed(frame, feed))
            for check in checks:
                unexpected = set(_distinct(failed.get(check, [])))
                known = self._verdicts.setdefault(check, {})
                if len(known) > VERDICTS_KEPT:  # a long-lived process: forget, rather than grow
                    known.clear()
                known.update((v, v in unexpected) for v in values[check])
        found = [(check, [v for v in values[check] if self._verdicts[check][v]]) for check in checks]
        return [(check, unexpected) for check, unexpected in found if unexpected]

    def _failed(self, frame: pd.DataFrame, feed: Feed) -> list[tuple[Check, list]]:
        """(check, the unexpected values) of each expectation the frame fails, as GX's process finds them."""
        checks = {(c.kind, c.frame_column): c for c in checks_for(feed)}
        specs = [
            Spec(c.kind, c.column, c.frame_column, c.reason, c.values, c.pattern) for c in checks_for(feed)
        ]
        return [
            (checks[(kind, column)], values)
            for kind, column, values in gx_process().failed(feed.name, specs, frame)
        ]


def record_failures(con, feed: Feed, unexpected: list[tuple[Check, list]]) -> None:
    """`_gx_failures(line, "column", reason, reason_code, expectation)`: the lines of `_stage` that carry a
    value GX found unexpected (Validator.judge), found by DuckDB."""
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _gx_failures
           (line BIGINT, "column" VARCHAR, reason VARCHAR, reason_code VARCHAR, expectation VARCHAR)"""
    )
    for check, values in unexpected:
        expression = frame_expression(feed, check.frame_column)
        where = (
            f"{expression} IS NULL" if check.kind == "not_null" else f"list_contains($values, {expression})"
        )
        con.execute(
            f"""INSERT INTO _gx_failures
                SELECT _line, $column, $reason, $code, $expectation FROM _stage WHERE {where}""",
            {
                "column": check.column,
                "reason": check.reason,
                "code": check.code,
                "expectation": check.expectation,
            }
            | ({} if check.kind == "not_null" else {"values": [v for v in values if v is not None]}),
        )


def _distinct(values) -> list[str | None]:
    """The distinct values of a frame column or an unexpected list, a missing value as None."""
    return list(dict.fromkeys(None if pd.isna(v) else v for v in values))


@cache
def shared_validator() -> Validator:
    """One validator per process: the verdicts it keeps serve every ingest of the process."""
    return Validator()


_GX_PROCESS: tuple[int, GxProcess] | None = None
_GX_PROCESS_LOCK = threading.Lock()


def gx_process() -> GxProcess:
    """GX's process, one per process of ours (a process forked from this one starts its own), ended when
    ours ends."""
    global _GX_PROCESS
    with _GX_PROCESS_LOCK:
        if _GX_PROCESS is None or _GX_PROCESS[0] != os.getpid():
            _GX_PROCESS = (os.getpid(), GxProcess())
            atexit.register(_GX_PROCESS[1].close)
        return _GX_PROCESS[1]


def gx_process_started() -> bool:
    """Whether this process has started GX's (GX's import is paid only when a file is new)."""
    return _GX_PROCESS is not None and _GX_PROCESS[0] == os.getpid()
