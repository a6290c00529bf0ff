"""The ingest's asset checks: per feed, a warning for files unusable as a whole and one for quarantined
rows, neither blocking (a rejected file never costs a board its report); and what the command line says
when a file was rejected."""

from __future__ import annotations

import dagster as dg
import pytest
from ingest_helpers import write_text

from pipelines.assets import warehouse_ingest
from pipelines.contract import FEEDS
from pipelines.ingest.checks import check_specs
from pipelines.resources import Boards
from tests.conftest import schoolaudit

MISSING_BIRTH_DATE = "student_id,school_id\ns1,b1\n"
GOOD_STUDENTS = "student_id,school_id,birth_date\ns1,b1,2012-05-01\n"
SCHOOLS_WITH_BAD_ROWS = "school_id,name,sector\nb1,A,PO\nb2,Secret Name,XX\nb3,C,\n"


def materialize(tmp_path):
    resources = {"boards": Boards.single(landing=str(tmp_path / "landing"), database=str(tmp_path / "w.duckdb"))}
    result = dg.materialize([warehouse_ingest], resources=resources, raise_on_error=False)
    return result, {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_two_checks_per_feed_generated_from_the_contract():
    specs = {spec.name: spec for spec in check_specs()}
    assert len(specs) == 2 * len(FEEDS)
    assert {f"{feed}_{check}" for feed in FEEDS for check in ("batches_usable", "rows_valid")} == set(specs)
    declared = {key.name for key in warehouse_ingest.check_keys}
    assert declared == set(specs)
    assert not any(spec.blocking for spec in warehouse_ingest.check_specs)


def test_a_rejected_file_warns_until_it_is_fixed_and_never_fails_the_run(tmp_path):
    students = tmp_path / "landing/students/s.csv"
    write_text(students, MISSING_BIRTH_DATE, mtime=1_000)
    write_text(tmp_path / "landing/schools/s.csv", SCHOOLS_WITH_BAD_ROWS, mtime=1_000)

    result, checks = materialize(tmp_path)

    assert result.success  # a warning: the run goes on to the checks and the reports
    rejected = checks["students_batches_usable"]
    assert not rejected.passed and rejected.severity == dg.AssetCheckSeverity.WARN
    assert rejected.metadata["files"].data == [
        {"file": "students/s.csv", "why": "required column missing (birth_date)"}
    ]
    assert checks["schools_batches_usable"].passed and checks["guardians_batches_usable"].passed

    # Nothing new was delivered: it still warns.
    result, checks = materialize(tmp_path)
    assert result.success and not checks["students_batches_usable"].passed

    # Dropped again with the fix: a new batch that loads, and nothing warns about files.
    write_text(students, GOOD_STUDENTS, mtime=2_000)
    result, checks = materialize(tmp_path)
    assert result.success
    assert all(checks[f"{feed}_batches_usable"].passed for feed in FEEDS)


def test_a_rejected_file_that_is_removed_no_longer_warns(tmp_path):
    students = write_text(tmp_path / "landing/students/s.csv", MISSING_BIRTH_DATE)
    assert not materialize(tmp_path)[1]["students_batches_usable"].passed
    students.unlink()

    result, checks = materialize(tmp_path)

    assert result.success and checks["students_batches_usable"].passed


def test_quarantined_rows_are_a_warning_with_expectation_count_and_lines_but_no_values(tmp_path):
    write_text(tmp_path / "landing/schools/s.csv", SCHOOLS_WITH_BAD_ROWS)
    write_text(tmp_path / "landing/students/s.csv", GOOD_STUDENTS)

    result, checks = materialize(tmp_path)

    assert result.success
    rows_valid = checks["schools_rows_valid"]
    assert not rows_valid.passed and rows_valid.severity == dg.AssetCheckSeverity.WARN
    assert rows_valid.metadata["rows_quarantined"].value == 2
    assert rows_valid.metadata["failed_expectations"].data == [
        {
            "expectation": "expect_column_values_to_be_in_set",
            "column": "sector",
            "reason_code": "unknown_code",
            "failing_count": 1,
            "examples": [{"file": "schools/s.csv", "line": 3}],
        },
        {
            "expectation": "expect_column_values_to_not_be_null",
            "column": "sector",
            "reason_code": "required_value_missing",
            "failing_count": 1,
            "examples": [{"file": "schools/s.csv", "line": 4}],
        },
    ]
    assert "Secret Name" not in str(rows_valid.metadata) and "XX" not in str(rows_valid.metadata)
    assert checks["students_rows_valid"].passed


@pytest.fixture
def rejecting_landing(tmp_path):
    write_text(tmp_path / "landing/students/s.csv", MISSING_BIRTH_DATE)
    write_text(tmp_path / "landing/schools/s.csv", "school_id,name,sector\nb1,A,PO\n")
    return tmp_path / "landing"


def test_a_run_with_a_rejected_file_writes_the_reports_says_which_file_and_exits_3(rejecting_landing, tmp_path):
    result = schoolaudit("run", "--landing", str(rejecting_landing), "--db", str(tmp_path / "w.duckdb"),
                         "--out", str(tmp_path / "out"), "--week", "2026-W47")  # fmt: skip

    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr == ""
    [line] = [line for line in result.stdout.splitlines() if line.startswith("audit incomplete")]
    assert "students/s.csv" in line and "required column missing (birth_date)" in line
    assert "fix the file" in line
    for name in ("privacy-officer.html", "privacy-officer.pdf", "council-summary.html", "council-summary.pdf",
                 "findings.csv", "coverage.csv", "quarantine.csv"):
        assert (tmp_path / "out" / "2026-W47" / name).is_file(), name


def test_ingest_alone_reports_the_rejection_and_exits_0(rejecting_landing, tmp_path):
    result = schoolaudit("ingest", "--landing", str(rejecting_landing), "--db", str(tmp_path / "w.duckdb"))

    assert result.returncode == 0, result.stderr
    assert "students/s.csv" in result.stdout and "required column missing" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_same_bytes_under_two_names_are_counted_once(tmp_path):
    write_text(tmp_path / "landing/schools/s.csv", SCHOOLS_WITH_BAD_ROWS, mtime=1_000)
    write_text(tmp_path / "landing/schools/copy.csv", SCHOOLS_WITH_BAD_ROWS, mtime=2_000)

    _, checks = materialize(tmp_path)

    rows_valid = checks["schools_rows_valid"]
    assert rows_valid.metadata["rows_quarantined"].value == 2
    assert [e["failing_count"] for e in rows_valid.metadata["failed_expectations"].data] == [1, 1]
