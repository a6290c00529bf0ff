"""Validating a staged batch with Great Expectations, the suite generated from the contract.

The checks are described here as plain data (`checks_for`), so there is one description of the
input (pipelines.contract) and GX only executes it. GX validates a pandas frame of the staged text;
each failing cell comes back with its line (unexpected_index_list) and becomes a quarantine entry.
"""

from __future__ import annotations

import re
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
PATTERNS = {
    DATE: DATE_PATTERN,
    TIMESTAMP: TIMESTAMP_PATTERN,
    DATE_OR_TIMESTAMP: f"(?:{DATE_PATTERN}|{TIMESTAMP_PATTERN})",
}

LINE = "_line"
FAILURE_COLUMNS = ("line", "column", "reason")


@dataclass(frozen=True)
class Check:
    kind: str  # 'not_null', 'in_set' or 'regex'
    column: str  # the contract column a failure is reported on
    frame_column: str  # the column of the frame the check reads (a lower-cased copy for codes)
    reason: str
    values: tuple[str, ...] = ()
    pattern: str = ""


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
            checks.append(Check("not_null", name, frame_column, REQUIRED))
        if column.kind == CODE:
            reason = "unknown code; expected one of: " + ", ".join(column.codes)
            checks.append(
                Check("in_set", name, lowered(name), reason, tuple(c.lower() for c in column.codes))
            )
        elif column.kind == BOOL:
            checks.append(Check("in_set", name, lowered(name), REASONS[BOOL], TRUE_WORDS + FALSE_WORDS))
        elif column.kind in PATTERNS:
            checks.append(Check("regex", name, name, REASONS[column.kind], pattern=PATTERNS[column.kind]))
        elif column.kind == LIST and column.codes:
            reason = "unknown item in list; expected items from: " + ", ".join(column.codes)
            checks.append(Check("regex", name, lowered(name), reason, pattern=list_pattern(column.codes)))
    return checks


def frame_sql(feed: Feed, table: str = "_stage") -> str:
    """The frame GX validates: the line and the columns the checks read (lower-cased where case is
    ignored); nothing else, as the frame's size is most of the cost."""
    selected = [LINE]
    for frame_column in dict.fromkeys(check.frame_column for check in checks_for(feed)):
        name = frame_column.removesuffix(LOWER_SUFFIX)
        selected.append(
            f"lower({ident(name)}) AS {ident(frame_column)}" if frame_column != name else ident(name)
        )
    return f"SELECT {', '.join(selected)} FROM {table}"


class Validator:
    """Runs the generated suites. GX is imported and set up once, on first use (its import is slow)."""

    def __init__(self):
        self._batch_definition = None
        self._suites: dict[str, object] = {}

    def failures(self, frame: pd.DataFrame, feed: Feed) -> pd.DataFrame:
        """(line, column, reason) of every cell that fails a check."""
        if frame.empty:
            return _failure_frame([])
        batch = self._batches().get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(
            self._suite(feed),
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [LINE]},
        )
        found = []
        for outcome in result.results:
            if _raised(outcome.exception_info):
                raise RuntimeError(f"Great Expectations failed on {feed.name}: {outcome.exception_info}")
            if outcome.success:
                continue
            meta = outcome.expectation_config.meta
            unexpected = pd.DataFrame(outcome.result.get("unexpected_index_list") or [], columns=[LINE])
            found.append(
                pd.DataFrame(
                    {
                        "line": unexpected[LINE].astype("int64"),
                        "column": meta["column"],
                        "reason": meta["reason"],
                    }
                )
            )
        return _failure_frame(found)

    def _batches(self):
        if self._batch_definition is None:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            asset = context.data_sources.add_pandas("landing").add_dataframe_asset("staged_batch")
            self._batch_definition = asset.add_batch_definition_whole_dataframe("whole_batch")
        return self._batch_definition

    def _suite(self, feed: Feed):
        if feed.name not in self._suites:
            import great_expectations as gx

            suite = gx.ExpectationSuite(name=f"landing_{feed.name}")
            for check in checks_for(feed):
                suite.add_expectation(_expectation(gx, check))
            self._suites[feed.name] = suite
        return self._suites[feed.name]


@cache
def shared_validator() -> Validator:
    """One validator per process: GX's setup (and its temporary docs folder) happens once."""
    return Validator()


def _expectation(gx, check: Check):
    meta = {"column": check.column, "reason": check.reason}
    if check.kind == "not_null":
        return gx.expectations.ExpectColumnValuesToNotBeNull(column=check.frame_column, meta=meta)
    if check.kind == "in_set":
        return gx.expectations.ExpectColumnValuesToBeInSet(
            column=check.frame_column, value_set=list(check.values), meta=meta
        )
    return gx.expectations.ExpectColumnValuesToMatchRegex(
        column=check.frame_column, regex=f"^(?:{check.pattern})$", meta=meta
    )


def _raised(info) -> bool:
    if not info:
        return False
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _failure_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame(
            {
                "line": pd.Series([], dtype="int64"),
                "column": pd.Series([], dtype="str"),
                "reason": pd.Series([], dtype="str"),
            }
        )
    return pd.concat(parts, ignore_index=True)
