"""Late data: access events and disclosures that arrive after their week was reported are flagged in
the next report, and re-running that week includes them (after which they are no longer late)."""

from __future__ import annotations

import re
import shutil

import pytest

from pipelines.warehouse import connect
from reports.late_data import late_context, late_rows, record_report
from tests.conftest import read_csv
from tests.fault_helpers import DB, OUT, run, run_args, small_board

TZ = "Europe/Amsterdam"
W46, W47 = "2026-W46", "2026-W47"  # Monday 9 November and Monday 16 November 2026


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "w.duckdb", TZ)
    yield con
    con.close()


def _file(con, file_hash: str, feed: str, ingested_at: str, status: str = "loaded") -> None:
    con.execute(
        "INSERT INTO landing_files (file_hash, feed, path, seq, ingested_at, status, rows_read, rows_loaded,"
        " rows_quarantined) VALUES (?, ?, ?, (SELECT coalesce(max(seq), 0) + 1 FROM landing_files), ?, ?, 0, 0, 0)",
        [file_hash, feed, f"{feed}/{file_hash}.csv", ingested_at, status],
    )


def _access(con, file_hash: str, *occurred: str) -> None:
    for line, at in enumerate(occurred, start=2):
        con.execute(
            "INSERT INTO access_log (event_id, occurred_at, _file_hash, _line) VALUES (?, ?, ?, ?)",
            [f"{file_hash}-{line}", at, file_hash, line],
        )


def _disclosure(con, file_hash: str, *occurred: str) -> None:
    for line, at in enumerate(occurred, start=2):
        con.execute(
            "INSERT INTO disclosures (disclosure_id, occurred_at, _file_hash, _line) VALUES (?, ?, ?, ?)",
            [f"{file_hash}-{line}", at, file_hash, line],
        )


def _reported(con, week: str, at: str) -> None:
    record_report(con, week, "en")
    con.execute("UPDATE audit_runs SET finished_at = ? WHERE week = ? AND stage = 'report'", [at, week])


def _late(con, week: str = "2026-W48") -> list[tuple]:
    return [(r["week"], r["feed"], r["file"], r["rows"]) for r in late_rows(con, week, TZ)]


def test_rows_loaded_after_their_week_was_reported_are_late(con):
    _file(con, "early", "access_log", "2026-11-16 06:00+01")
    _access(con, "early", "2026-11-10 10:00+01")
    _reported(con, W46, "2026-11-16 07:00+01")
    _file(con, "late", "access_log", "2026-11-18 09:00+01")
    _access(con, "late", "2026-11-10 11:00+01", "2026-11-12 12:00+01", "2026-11-17 09:00+01")
    _file(con, "late_disclosures", "disclosures", "2026-11-18 09:00+01")
    _disclosure(con, "late_disclosures", "2026-11-11 15:00+01")
    # The W47 event of the late file is not late: W47 has not been reported.
    assert _late(con) == [
        (W46, "access_log", "access_log/late.csv", 2),
        (W46, "disclosures", "disclosures/late_disclosures.csv", 1),
    ]
    assert late_context(con, "2026-W48", TZ)["late_weeks"] == [
        {
            "week": W46,
            "access_log": 2,
            "disclosures": 1,
            "files": [
                {"feed": "access_log", "file": "access_log/late.csv", "rows": 2},
                {"feed": "disclosures", "file": "disclosures/late_disclosures.csv", "rows": 1},
            ],
        }
    ]


def test_reporting_the_week_again_takes_them_in(con):
    _reported(con, W46, "2026-11-16 07:00+01")
    _file(con, "late", "access_log", "2026-11-18 09:00+01")
    _access(con, "late", "2026-11-10 11:00+01")
    assert _late(con) != []
    _reported(con, W46, "2026-11-18 10:00+01")
    assert _late(con) == []


def test_the_week_being_reported_is_not_late_for_itself(con):
    _reported(con, W46, "2026-11-16 07:00+01")
    _file(con, "late", "access_log", "2026-11-18 09:00+01")
    _access(con, "late", "2026-11-10 11:00+01")
    assert _late(con, W46) == []
    assert _late(con, W47) == [(W46, "access_log", "access_log/late.csv", 1)]


def test_nothing_is_late_before_any_report_or_for_files_loaded_before_it(con):
    _file(con, "first", "access_log", "2026-11-16 06:00+01")
    _access(con, "first", "2026-11-10 10:00+01")
    assert _late(con) == []
    _reported(con, W46, "2026-11-16 06:00+01")  # the same instant: loaded before, not after
    assert _late(con) == []


def test_the_week_is_that_of_the_local_date(con):
    """Sunday 23:30 in Amsterdam is still W46 (22:30 UTC); Monday 00:30 is W47 (Sunday 23:30 UTC)."""
    _reported(con, W46, "2026-11-16 07:00+01")
    _reported(con, W47, "2026-11-23 07:00+01")
    _file(con, "late", "access_log", "2026-11-24 09:00+01")
    _access(con, "late", "2026-11-15 22:30+00", "2026-11-15 23:30+00", "2026-11-15 23:30+00")
    assert _late(con) == [
        (W46, "access_log", "access_log/late.csv", 1),
        (W47, "access_log", "access_log/late.csv", 2),
    ]


def test_rejected_files_and_other_feeds_are_not_counted(con):
    _reported(con, W46, "2026-11-16 07:00+01")
    _file(con, "rejected", "access_log", "2026-11-18 09:00+01", status="rejected")
    _file(con, "staff", "staff", "2026-11-18 09:00+01")
    assert _late(con) == []


# --- through the command line ---------------------------------------------------------------------------


def _section(html: str) -> str:
    match = re.search(r'<section id="late-data">(.*?)</section>', html, re.DOTALL)
    assert match, "no late-data section"
    return match.group(1)


def test_late_events_are_flagged_in_the_next_report_and_the_rerun_takes_them_in(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(small_board(), landing)
    held_back = tmp_path / "held-back"
    held_back.mkdir()
    late_files = sorted((landing / "access_log").glob(f"*{W46}*"))
    assert late_files, "the generator wrote no access log file for the earlier week"
    for path in late_files:
        shutil.move(path, held_back / path.name)
    work = tmp_path / "work"

    status, output = run(work, run_args(landing, W46))
    assert status == 0, output
    before = read_csv(work / OUT / W46 / "findings.csv")

    for path in late_files:  # delivered after W46 was reported
        shutil.move(held_back / path.name, path)
    status, output = run(work, run_args(landing, W47))
    assert status == 0, output
    late = _section((work / OUT / W47 / "privacy-officer.html").read_text())
    assert "Arrived after their week was reported" in late
    for path in late_files:
        assert f"access_log/{path.name}" in late
    assert f"schoolaudit run --week {W46}" in late

    status, output = run(work, run_args(landing, W46))
    assert status == 0, output
    after = read_csv(work / OUT / W46 / "findings.csv")
    access = [row for row in after if row["subject_type"] == "access_event"]
    assert access and len(after) > len(before), "the re-run checked the late access events"

    status, output = run(work, ["report", "--db", DB, "--out", OUT, "--week", W47])
    assert status == 0, output
    assert "Nothing arrived after its week was reported." in _section(
        (work / OUT / W47 / "privacy-officer.html").read_text()
    )
