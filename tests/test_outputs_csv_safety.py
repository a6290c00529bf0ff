"""Every CSV the auditor writes is safe to open in a spreadsheet and carries no control or bidirectional
character (spec/outputs.md): values from the inputs that reach findings.csv, coverage.csv and
quarantine.csv, written by the real writers from a warehouse holding them."""

from __future__ import annotations

import csv

import pytest
from awkward_fixtures import FIELDS, FINDING_IDS, build_awkward_warehouse
from report_fixtures import WEEK

from decisions.tables import ensure_registered
from pipelines.safe_text import neutralise
from reports.i18n import Translator
from reports.outputs import (
    COVERAGE_COLUMNS,
    FINDINGS_COLUMNS,
    QUARANTINE_COLUMNS,
    findings_sql,
    write_coverage_csv,
    write_csv,
    write_findings_csv,
    write_quarantine_csv,
)
from tests.test_safe_text import UNSAFE

pytest_plugins = ("report_fixtures",)  # report_catalogue, report_warehouse

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
HYPERLINK = '=HYPERLINK("http://x","y")'


def read_rows(path):
    """The header and the rows, each checked to have the header's number of columns."""
    with open(path, newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    assert all(len(row) == len(header) for row in rows), rows
    return header, [dict(zip(header, row)) for row in rows]


def write_all(con, rules, folder):
    t = Translator("en")
    return {
        "findings": read_rows(write_findings_csv(con, WEEK, folder / "findings.csv", rules, t)),
        "coverage": read_rows(write_coverage_csv(con, WEEK, folder / "coverage.csv", rules)),
        "quarantine": read_rows(write_quarantine_csv(con, folder / "quarantine.csv")),
    }


def dangerous_warehouse(first: str):
    """The awkward warehouse with every name, id, file name and value from the inputs starting with
    `first`, the quarantined value a HYPERLINK formula, and a coverage reason starting with `first`."""
    values = {field: f"{first}{field}" for field in FIELDS}
    values["quarantined_value"] = HYPERLINK
    con = build_awkward_warehouse(values)
    con.execute("UPDATE coverage SET status = 'incomplete', reason = $r WHERE rule_id = 'LOG-GAP'",
                {"r": f"{first}rejected: access_log/x.csv"})  # fmt: skip
    return con, values


def safe(value: str) -> str:
    return "'" + neutralise(value)


@pytest.mark.parametrize("first", FORMULA_STARTS, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_input_values_starting_like_a_formula_get_a_leading_quote_in_every_csv(report_catalogue, tmp_path, first):
    con, v = dangerous_warehouse(first)
    try:
        written = write_all(con, report_catalogue, tmp_path)
    finally:
        con.close()
    findings = {row["finding_id"]: row for row in written["findings"][1]}
    access = findings[FINDING_IDS["access_critical"]]
    assert access["actor_id"] == safe(v["staff_id_1"])
    assert access["student_id"] == safe(v["student_id_2"])
    assert access["school_id"] == safe(v["school_id_2"])
    assert access["subject_id"] == safe(f"{v['source_system']}:a1")
    # the explanation starts with the account: "<actor_id> viewed care and support data of ..."
    assert access["explanation"] == safe(
        f"{v['staff_id_1']} viewed care and support data of student {v['student_id_2']} on 18 November 2026,"
        " with no involvement or role that allows it."
    )
    assert findings[FINDING_IDS["disclosure"]]["recipient_id"] == safe(v["recipient_id"])
    assert findings[FINDING_IDS["expiring"]]["subject_id"] == safe(v["agreement_id"])
    # the catalogue's and the auditor's own values are not touched
    assert (access["rule_id"], access["severity"], access["week"]) == ("ACCESS-UNINVOLVED", "critical", WEEK)
    assert access["occurred_at"] == "2026-11-18T14:00:00+01:00"

    [quarantined] = written["quarantine"][1]
    assert quarantined["value"] == "'" + HYPERLINK
    assert quarantined["file"] == safe(v["landing_path"])
    assert (quarantined["feed"], quarantined["line"], quarantined["column"]) == ("access_log", "4", "actor_type")

    coverage = {row["rule_id"]: row for row in written["coverage"][1]}
    assert coverage["LOG-GAP"]["reason"] == safe(f"{first}rejected: access_log/x.csv")
    assert coverage["ACCESS-UNINVOLVED"]["subjects_checked"] == "3"  # a number, as it is
    assert coverage["ACCESS-UNINVOLVED"]["reason"] == ""

    assert written["findings"][0] == list(FINDINGS_COLUMNS)
    assert written["coverage"][0] == list(COVERAGE_COLUMNS)
    assert written["quarantine"][0] == list(QUARANTINE_COLUMNS)
    for _, rows in written.values():
        for row in rows:
            for value in row.values():
                assert not value.startswith(FORMULA_STARTS), value
                assert not {ord(c) for c in value} & UNSAFE, value


def test_ordinary_values_are_written_exactly_as_before(report_warehouse, report_catalogue, tmp_path):
    """On the fixture warehouse (no value starts like a formula or holds a control) the safe writer gives
    the same bytes as DuckDB's plain write_csv of the same query."""
    ensure_registered(report_warehouse)  # the decisions findings_sql reads
    sql = f"SELECT * FROM ({findings_sql(report_catalogue, Translator('en'))}) ORDER BY finding_id"
    safe_file = write_csv(report_warehouse, sql, {"week": WEEK}, tmp_path / "safe.csv")
    plain_file = tmp_path / "plain.csv"
    report_warehouse.sql(sql, params={"week": WEEK}).write_csv(str(plain_file), header=True)
    assert safe_file.read_bytes() == plain_file.read_bytes()
    header, rows = read_rows(safe_file)
    assert len(rows) == 10 and "explanation" in header and "severity_rank" in header


def test_numbers_dates_and_times_are_not_text_and_are_left_alone(report_warehouse, tmp_path):
    sql = """SELECT -5 AS negative, -1.5::DOUBLE AS fraction, DATE '2026-11-17' AS day,
                    TIMESTAMPTZ '2026-11-17 09:15:00+00' AS moment, true AS flag, '-5' AS text"""
    _header, [row] = read_rows(write_csv(report_warehouse, sql, {}, tmp_path / "n.csv"))
    assert row["negative"] == "-5" and row["fraction"] == "-1.5" and row["day"] == "2026-11-17"
    assert row["moment"].startswith("2026-11-17 10:15:00") and row["flag"] == "true"
    assert row["text"] == "'-5"  # the same characters as text are a cell a spreadsheet could run


def test_the_warehouse_keeps_the_original_values(report_catalogue, tmp_path):
    con, v = dangerous_warehouse("\u202e=")
    try:
        write_all(con, report_catalogue, tmp_path)
        assert con.execute("SELECT value, file FROM quarantine").fetchall() == [(HYPERLINK, v["landing_path"])]
        assert con.execute("SELECT actor_id FROM findings WHERE finding_id = $f",
                           {"f": FINDING_IDS["access_critical"]}).fetchall() == [(v["staff_id_1"],)]  # fmt: skip
    finally:
        con.close()


def test_an_id_with_a_right_to_left_override_does_not_reorder_the_explanation(report_catalogue, tmp_path):
    values = {field: field for field in FIELDS}
    values |= {"staff_id_1": "STF-\u202e1000", "student_id_2": "\u2067STU\u2069-2\u200f"}
    con = build_awkward_warehouse(values)
    try:
        rows = {row["finding_id"]: row for row in write_all(con, report_catalogue, tmp_path)["findings"][1]}
    finally:
        con.close()
    access = rows[FINDING_IDS["access_critical"]]
    assert access["explanation"] == (
        "STF-<U+202E>1000 viewed care and support data of student <U+2067>STU<U+2069>-2<U+200F>"
        " on 18 November 2026, with no involvement or role that allows it."
    )
    assert access["actor_id"] == "STF-<U+202E>1000"
