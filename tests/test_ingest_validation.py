"""The checks are generated from the contract, and their patterns mean the same in GX (Python) and DuckDB."""

import os
import re
from pathlib import Path

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


@pytest.mark.parametrize("kind", sorted(PATTERNS))
def test_validating_the_shape_of_a_value_gives_the_verdict_of_the_value(kind):
    # GX sees each date or timestamp with its digits as 0 (frame_expression): that may not change a verdict.
    con = duckdb.connect()
    pattern = re.compile(f"^(?:{PATTERNS[kind]})$")
    for sample in [*SAMPLES, "\u0662\u0660\u0662\u0666-03-29", "9999-99-99T99:99"]:
        shape = con.execute("SELECT translate(?, '123456789', '000000000')", [sample]).fetchone()[0]
        assert bool(pattern.match(shape)) == bool(pattern.match(sample)), sample


def test_the_validated_frame_holds_each_distinct_shape_of_each_column():
    from pipelines.ingest.validation import frame_sql

    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE _stage AS SELECT range + 2 AS _line, 'b' || range AS school_id, 'N' AS name, "
        "CASE WHEN range % 2 = 0 THEN 'PO' ELSE 'vo' END AS sector, NULL::VARCHAR AS board_id FROM range(1000)"
    )
    frame = con.execute(frame_sql(FEEDS["schools"])).df()
    # A thousand ids are one shape (present); the columns need not come from the same rows.
    assert len(frame) == 2 and sorted(frame["sector__lower"]) == ["po", "vo"]
    assert set(frame["school_id"]) == {""}
    con.execute("CREATE OR REPLACE TEMP TABLE _stage AS SELECT * FROM _stage LIMIT 0")
    assert con.execute(frame_sql(FEEDS["schools"])).df().empty


def test_values_judged_before_keep_their_verdict_without_running_gx_again():
    from pipelines.ingest.validation import Validator

    validator = Validator()
    runs = []
    judge = validator._failed
    validator._failed = lambda frame, feed: runs.append(len(frame)) or judge(frame, feed)
    con = duckdb.connect()

    def failures(sectors: list) -> list[tuple]:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _stage AS SELECT i + 2 AS _line, 's' || i AS school_id, "
            "'N' AS name, $sectors[i + 1] AS sector, NULL::VARCHAR AS board_id "
            "FROM range(len($sectors)) t(i)",
            {"sectors": sectors},
        )
        validator.validate(con, FEEDS["schools"])
        return con.execute('SELECT line, "column", reason_code FROM _gx_failures ORDER BY ALL').fetchall()

    first = failures(["PO", "xx", None])
    assert first == [(3, "sector", "unknown_code"), (4, "sector", "required_value_missing")]
    # The same values in another case: nothing new to judge, the same verdicts.
    assert failures([None, "Po", "XX"]) == [(2, "sector", "required_value_missing"), (4, "sector", "unknown_code")]
    assert len(runs) == 1
    # A value not judged before: GX runs again, and judges it.
    assert failures(["vo", "po"]) == [] and len(runs) == 2
    assert failures(["yy", "xx", "so"]) == [(2, "sector", "unknown_code"), (3, "sector", "unknown_code")]
    assert len(runs) == 3


def test_every_unexpected_value_is_found_beyond_what_gx_lists_at_once():
    # GX lists at most 200 unexpected values per expectation and run: none may slip through.
    from pipelines.ingest.validation import Validator

    con = duckdb.connect()
    con.execute(
        "CREATE TEMP TABLE _stage AS SELECT i + 2 AS _line, 's' || i AS school_id, 'N' AS name, "
        "CASE WHEN i % 2 = 0 THEN 'PO' ELSE 'bad' || i END AS sector, NULL::VARCHAR AS board_id FROM range(700) t(i)"
    )
    Validator().validate(con, FEEDS["schools"])
    failed = con.execute("SELECT count(*), count(DISTINCT line) FROM _gx_failures WHERE reason_code = 'unknown_code'")
    assert failed.fetchone() == (350, 350)


def test_great_expectations_is_imported_only_when_a_file_is_new(tmp_path):
    # GX's import takes seconds: an ingest that finds nothing new must not pay it. When a file is new,
    # GX runs in a process of its own; the ingesting process never imports it.
    import subprocess
    import sys

    landing = tmp_path / "landing"
    (landing / "schools").mkdir(parents=True)
    (landing / "schools" / "schools.csv").write_text("school_id,name,sector,board_id\n10AD,De Linde,PO,\n")
    script = (
        "import sys; from pathlib import Path; from pipelines.ingest import ingest_landing; "
        "from pipelines.settings import Settings; from pipelines.warehouse import connect; "
        f"r = ingest_landing(connect({str(tmp_path / 'w.duckdb')!r}), Path({str(landing)!r}), Settings()); "
        "from pipelines.ingest.validation import gx_process_started; "
        "print(r.files_loaded, gx_process_started(), 'great_expectations' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}

    def ingest_in_new_process() -> str:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
        return done.stdout.strip()

    assert ingest_in_new_process() == "1 True False"
    assert ingest_in_new_process() == "0 False False"
