"""The checks are generated from the contract, and their patterns mean the same in GX (Python) and DuckDB."""

import re

import duckdb
import pytest

from pipelines.contract import FEEDS, TEXT
from pipelines.ingest.validation import PATTERNS, checks_for, list_pattern

SAMPLES = [
    "2026-03-29",
    "2026-3-29",
    "2026-02-30",
    "26-03-29",
    "2026-03-29x",
    "2026-03-29T10:00",
    "2026-03-29T10:00:00",
    "2026-03-29 10:00:00.123456",
    "2026-03-29t10:00:00z",
    "2026-03-29T10:00:00Z",
    "2026-03-29T10:00:00+02:00",
    "2026-03-29T10:00:00-0530",
    "2026-03-29T10:00:00+02",
    "2026-03-29T10",
    "2026-03-29T10:00:00 +02:00",
    "2026-03-29T10:00:00,5",
    "2026-03-29T10:00:00.1234567891",
    "29-03-2026 10:00",
    "",
]


def test_every_typed_or_required_column_of_the_contract_has_a_check():
    for feed in FEEDS.values():
        checked = {(c.column, c.kind) for c in checks_for(feed)}
        for column in feed.columns:
            assert ((column.name, "not_null") in checked) == column.required, (feed.name, column.name)
            typed = column.kind != TEXT and (column.kind != "list" or column.codes)
            assert any(name == column.name and kind != "not_null" for name, kind in checked) == bool(typed)


def test_students_checks():
    checks = {(c.kind, c.column, c.frame_column) for c in checks_for(FEEDS["students"])}
    assert checks == {
        ("not_null", "student_id", "student_id"),
        ("not_null", "school_id", "school_id"),
        ("not_null", "birth_date", "birth_date"),
        ("regex", "birth_date", "birth_date"),
        ("regex", "enrolled_from", "enrolled_from"),
        ("regex", "enrolled_to", "enrolled_to"),
    }


def test_codes_are_checked_on_a_lower_cased_copy():
    [sector] = [c for c in checks_for(FEEDS["schools"]) if c.kind == "in_set"]
    assert (sector.frame_column, sector.values) == ("sector__lower", ("po", "vo", "so", "vso", "mbo"))


@pytest.mark.parametrize(
    "kind, accepted",
    [
        ("date", {"2026-03-29", "2026-02-30"}),  # 2026-02-30 has the shape; parsing rejects it later
        (
            "timestamp",
            {
                "2026-03-29T10:00",
                "2026-03-29T10:00:00",
                "2026-03-29 10:00:00.123456",
                "2026-03-29t10:00:00z",
                "2026-03-29T10:00:00Z",
                "2026-03-29T10:00:00+02:00",
                "2026-03-29T10:00:00-0530",
                "2026-03-29T10:00:00+02",
            },
        ),
    ],
)
def test_patterns_accept_exactly_the_iso_forms(kind, accepted):
    pattern = re.compile(f"^(?:{PATTERNS[kind]})$")
    assert {s for s in SAMPLES if pattern.match(s)} == accepted


@pytest.mark.parametrize("kind", sorted(PATTERNS))
def test_python_and_duckdb_agree_on_every_pattern(kind):
    python = [bool(re.fullmatch(PATTERNS[kind], s)) for s in SAMPLES]
    duck = (
        duckdb.connect()
        .execute("SELECT list_transform(?, lambda s: regexp_full_match(s, ?))", [SAMPLES, PATTERNS[kind]])
        .fetchone()[0]
    )
    assert duck == python


def test_list_pattern_allows_known_items_spaces_and_empty_items_only():
    pattern = re.compile(f"^(?:{list_pattern(('care', 'progress'))})$")
    assert pattern.match("care")
    assert pattern.match(" care ; progress;")
    assert pattern.match(";")
    assert not pattern.match("care;medical")
    assert not pattern.match("careprogress")
    assert not pattern.match("care,progress")
