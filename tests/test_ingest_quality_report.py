"""What the ingest records for the report: reason codes on every quarantine entry, validation results
per delivered file, and the data-quality figures the privacy officer's report shows (translated, with
lines but never values)."""

import json

import pytest
from ingest_helpers import ingest, rows, warehouse, write_text

from checks.registry import load_catalogue
from checks.runner import run_checks
from pipelines.ingest.reasons import FILE_LEVEL, REASON_CODES, ROW_LEVEL
from pipelines.settings import Settings
from pipelines.warehouse import connect
from reports.data_quality import data_quality
from reports.i18n import LANGUAGES, Translator, load_table

WEEK = "2026-W47"

GUARDIANS = (
    "guardian_id,student_id,relation,parental_authority,valid_from\n"
    "g1,s1,parent,ja,2025-01-01\n"
    "g2,s1,uncle,true,2025-01-01\n"
    "g3,s1,Uncle,maybe,31-12-2025\n"
    "g4,s1,parent,true,2026-02-30\n"
    "g5,s1\n"
)


@pytest.fixture
def con(tmp_path):
    connection = warehouse(tmp_path)
    yield connection
    connection.close()


def test_reason_codes_are_one_closed_list_with_a_label_in_every_language():
    assert len(set(REASON_CODES)) == len(REASON_CODES) == len(FILE_LEVEL) + len(ROW_LEVEL)
    for lang in LANGUAGES:
        table = load_table(lang)
        assert {k.removeprefix("quarantine.") for k in table if k.startswith("quarantine.")} == set(
            REASON_CODES
        )


def test_validation_results_per_file_name_the_expectation_count_and_first_lines(con, tmp_path):
    write_text(tmp_path / "landing/guardians/g.csv", GUARDIANS)
    write_text(tmp_path / "landing/students/s.csv", "student_id,school_id\ns1,b1\n")

    ingest(con, tmp_path / "landing")

    found = rows(
        con,
        'SELECT file, expectation, "column", reason_code, failing_count, examples, blocking FROM validation_results '
        'ORDER BY file, expectation, "column"',
    )
    assert [(*r[:5], json.loads(r[5]), r[6]) for r in found] == [
        ("guardians/g.csv", "expect_column_values_to_be_in_set", "parental_authority", "not_boolean", 1,
         [{"line": 4, "value": "maybe"}], False),
        ("guardians/g.csv", "expect_column_values_to_be_in_set", "relation", "unknown_code", 2,
         [{"line": 3, "value": "uncle"}, {"line": 4, "value": "Uncle"}], False),
        ("guardians/g.csv", "expect_column_values_to_match_regex", "valid_from", "date_format", 1,
         [{"line": 4, "value": "31-12-2025"}], False),
        ("guardians/g.csv", "invalid_date", "valid_from", "invalid_date", 1,
         [{"line": 5, "value": "2026-02-30"}], False),
        ("guardians/g.csv", "wrong_column_count", None, "wrong_column_count", 1,
         [{"line": 6, "value": "g5,s1"}], False),
        ("students/s.csv", "required_column_missing", "birth_date", "required_column_missing", 1,
         [{"line": 1, "value": None}], True),
    ]  # fmt: skip
    assert rows(con, "SELECT count(*) FROM quarantine WHERE reason_code IS NULL") == [(0,)]


def test_the_report_groups_quarantined_rows_by_reason_code_translated_without_values(con, tmp_path):
    write_text(tmp_path / "landing/guardians/g.csv", GUARDIANS)
    write_text(tmp_path / "landing/students/s.csv", "student_id,school_id\ns1,b1\n")
    ingest(con, tmp_path / "landing")
    run_checks(con, WEEK, Settings())

    dutch = data_quality(con, WEEK, Translator("nl"))

    assert dutch["quarantine"] == [
        {"feed": "guardians", "reason": "onbekende code", "rows": 2},
        {"feed": "guardians", "reason": "deze datum bestaat niet", "rows": 1},
        {"feed": "guardians", "reason": "geen datum in de vorm JJJJ-MM-DD", "rows": 1},
        {"feed": "guardians", "reason": "geen ja/nee-waarde", "rows": 1},
        {"feed": "guardians", "reason": "verkeerd aantal kolommen", "rows": 1},
        {"feed": "students", "reason": "verplichte kolom ontbreekt", "rows": 1},
    ]
    assert dutch["rejected"] == [
        {"feed": "students", "path": "students/s.csv", "why": "verplichte kolom ontbreekt (birth_date)",
         "incomplete": None, "not_evaluated": sorted(r.id for r in load_catalogue() if "students" in r.evidence_feeds())}
    ]  # fmt: skip
    relation = [v for v in dutch["validation"] if v["column"] == "relation"]
    assert relation == [
        {"feed": "guardians", "expectation": "expect_column_values_to_be_in_set", "column": "relation",
         "blocking": False, "files": 1, "failing_count": 2, "examples": ["guardians/g.csv:3", "guardians/g.csv:4"]}
    ]  # fmt: skip
    assert dutch["validation"][-1]["blocking"] and dutch["validation"][-1]["feed"] == "students"
    assert "uncle" not in json.dumps(dutch["validation"]).lower()


def test_a_warehouse_from_before_reason_codes_opens_and_gets_the_column(tmp_path):
    import duckdb

    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    old.execute(
        'CREATE TABLE quarantine (feed VARCHAR NOT NULL, file VARCHAR NOT NULL, line BIGINT, "column" VARCHAR, '
        "value VARCHAR, reason VARCHAR NOT NULL, file_hash VARCHAR NOT NULL)"
    )
    old.execute(
        "INSERT INTO quarantine VALUES ('schools', 'schools/s.csv', 2, 'sector', 'XX', 'unknown code', 'h')"
    )
    old.close()

    con = connect(tmp_path / "old.duckdb")
    try:
        assert rows(con, "SELECT reason, reason_code FROM quarantine") == [("unknown code", None)]
        report = data_quality(con, WEEK, Translator("en"))
        assert report["quarantine"] == [{"feed": "schools", "reason": "unknown code", "rows": 1}]
    finally:
        con.close()


def test_a_rejected_file_delivered_again_is_no_longer_listed_as_left_out(con, tmp_path):
    path = tmp_path / "landing/students/s.csv"
    write_text(path, "student_id,school_id\ns1,b1\n", mtime=1_000)
    ingest(con, tmp_path / "landing")
    run_checks(con, WEEK, Settings())
    assert [r["path"] for r in data_quality(con, WEEK, Translator("en"))["rejected"]] == ["students/s.csv"]

    write_text(path, "student_id,school_id,birth_date\ns1,b1,2012-05-01\n", mtime=2_000)
    ingest(con, tmp_path / "landing")
    run_checks(con, WEEK, Settings())

    report = data_quality(con, WEEK, Translator("en"))
    assert report["rejected"] == []
    # the history stays: what validation found in the rejected delivery
    assert [(v["expectation"], v["blocking"]) for v in report["validation"]] == [("required_column_missing", True)]
