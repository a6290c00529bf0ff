"""Decisions that stick: the append-only store, `schoolaudit decide` (ids or a CSV, all or nothing) and
`schoolaudit decisions`, on a generated board audited once through the command line."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
from datetime import date

import pytest

from decisions.decide import DecisionError, decide
from decisions.store import Decision, decision_log, open_store, store_path
from pipelines.published import published_path
from tests.conftest import DEMO_WEEK, read_csv, schoolaudit


@pytest.fixture
def db(audited, tmp_path):
    """A copy of the audited warehouse and its published copy: each test decides on its own."""
    source = audited["work"] / "warehouse.duckdb"
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(source, target)
    shutil.copy(published_path(source), published_path(target))
    return target


@pytest.fixture(scope="module")
def findings(audited):
    rows = read_csv(audited["folder"] / "findings.csv")
    access = [r for r in rows if r["subject_type"] == "access_event" and r["rule_id"] == "ACCESS-UNINVOLVED"]
    standing = [r for r in rows if r["subject_type"] in ("policy", "agreement")]
    disclosure = [r for r in rows if r["subject_type"] == "disclosure"]
    assert access and standing and disclosure
    return {"access": access, "standing": standing, "disclosure": disclosure}


def log(db) -> list[dict]:
    if not store_path(db).exists():
        return []
    with open_store(db, create=False) as con:
        return [dict(row) for row in decision_log(con)]


def test_a_decision_records_who_when_before_after_and_copies_the_subject(db, findings):
    finding = findings["access"][0]

    [first] = decide(db, [Decision(finding["finding_id"], "under_review", note="asked the mentor")], "A. de Vries",
                     "Europe/Amsterdam")  # fmt: skip
    [second] = decide(db, [Decision(finding["finding_id"], "justified", note="exam coordinator")], "A. de Vries",
                      "Europe/Amsterdam")  # fmt: skip

    entries = log(db)
    assert [e["decision_id"] for e in entries] == [first, second]
    assert [(e["status_before"], e["status"]) for e in entries] == [("open", "under_review"), ("under_review", "justified")]
    assert entries[0]["decided_by"] == "A. de Vries" and entries[0]["decided_at"].endswith("Z")
    assert (entries[0]["rule_id"], entries[0]["subject_id"], entries[0]["actor_id"], entries[0]["student_id"]) == (
        finding["rule_id"], finding["subject_id"], finding["actor_id"], finding["student_id"]
    )  # fmt: skip
    assert entries[0]["week"] == DEMO_WEEK


def test_decisions_are_never_changed_or_deleted(db, findings):
    decide(db, [Decision(findings["access"][0]["finding_id"], "confirmed", incident="DL-2026-014")], "pvo",
           "Europe/Amsterdam")  # fmt: skip
    raw = sqlite3.connect(store_path(db))
    try:
        for statement in ("UPDATE decisions SET status = 'justified'", "DELETE FROM decisions"):
            with pytest.raises(sqlite3.DatabaseError, match="never"):
                raw.execute(statement)
    finally:
        raw.close()
    assert [e["incident"] for e in log(db)] == ["DL-2026-014"]


def test_a_grant_copies_account_student_window_and_categories(db, findings):
    finding = findings["access"][0]
    decide(
        db,
        [Decision(finding["finding_id"], "justified", note="exam coordinator since September",
                  grant_from=date(2026, 9, 1), grant_until=date(2027, 7, 31), grant_categories=("progress", "attendance"))],
        "pvo", "Europe/Amsterdam",
    )  # fmt: skip
    [entry] = log(db)
    assert (entry["grant_from"], entry["grant_until"], entry["grant_categories"]) == (
        "2026-09-01", "2027-07-31", "progress;attendance"
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda f: Decision("0000000000000000", "justified"), "unknown finding id"),
        (lambda f: Decision(f["access"][0]["finding_id"], "maybe"), "unknown status"),
        (lambda f: Decision(f["access"][0]["finding_id"], "open"), "unknown status"),
        (lambda f: Decision(f["standing"][0]["finding_id"], "justified", grant_until=date(2027, 1, 1)),
         "only be given on an access finding"),
        (lambda f: Decision(f["disclosure"][0]["finding_id"], "justified", grant_until=date(2027, 1, 1)),
         "only be given on an access finding"),
        (lambda f: Decision(f["access"][0]["finding_id"], "confirmed", grant_until=date(2027, 1, 1)),
         "a grant goes with status"),
        (lambda f: Decision(f["access"][0]["finding_id"], "justified", grant_from=date(2027, 1, 2),
                            grant_until=date(2027, 1, 1)), "ends (2027-01-01) before it starts (2027-01-02)"),
        (lambda f: Decision(f["access"][0]["finding_id"], "justified", grant_from=date(2026, 9, 1)),
         "needs --grant-until"),
        (lambda f: Decision(f["access"][0]["finding_id"], "justified", grant_until=date(2027, 1, 1),
                            grant_categories=("progress", "gossip")), "unknown data category gossip"),
    ],
)  # fmt: skip
def test_a_bad_decision_is_refused_and_nothing_of_the_call_is_written(db, findings, make, message):
    good = Decision(findings["access"][1]["finding_id"], "under_review")
    with pytest.raises(DecisionError, match=re.escape(message)):
        decide(db, [good, make(findings)], "pvo", "Europe/Amsterdam")
    assert log(db) == []


def test_the_grant_may_end_on_the_day_it_starts(db, findings):
    day = date(2026, 11, 18)
    decide(db, [Decision(findings["access"][0]["finding_id"], "false_positive", grant_from=day, grant_until=day)],
           "pvo", "Europe/Amsterdam")  # fmt: skip
    assert log(db)[0]["grant_until"] == "2026-11-18"


# --- the command line -----------------------------------------------------------------------------


def test_decide_on_the_command_line_then_list_the_log(db, findings):
    ids = [findings["access"][0]["finding_id"], findings["access"][1]["finding_id"]]

    done = schoolaudit("decide", *ids, "--status", "under_review", "--by", "A. de Vries", "--note", "=cmd|x",
                       "--db", str(db))  # fmt: skip
    listed = schoolaudit("decisions", "--db", str(db), "--format", "csv")
    table = schoolaudit("decisions", "--db", str(db), "--finding", ids[1])

    assert done.returncode == 0, done.stderr
    assert "recorded 2 decisions" in done.stdout
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert [r["finding_id"] for r in rows] == ids and {r["status"] for r in rows} == {"under_review"}
    assert rows[0]["note"] == "'=cmd|x"  # spreadsheet-safe, like every CSV the auditor writes
    assert table.returncode == 0 and ids[1] in table.stdout and ids[0] not in table.stdout
    assert "1 decision" in table.stdout


def test_decide_from_csv_is_all_or_nothing(db, findings, tmp_path):
    good, other = findings["access"][0]["finding_id"], findings["standing"][0]["finding_id"]
    bad = tmp_path / "bad.csv"
    bad.write_text(f"finding_id,status,note,grant_until\n{good},justified,ok,\n{other},justified,,2027-01-01\n")
    fine = tmp_path / "fine.csv"
    fine.write_text(f"finding_id,status,note,until\n{good},justified,ok,\n{other},under_review,asked,2027-01-31\n")

    refused = schoolaudit("decide", "--from-csv", str(bad), "--by", "pvo", "--db", str(db))
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "access finding" in refused.stderr and "Traceback" not in refused.stderr
    assert log(db) == []

    accepted = schoolaudit("decide", "--from-csv", str(fine), "--by", "pvo", "--db", str(db))
    assert accepted.returncode == 0, accepted.stderr
    assert [(e["finding_id"], e["status"], e["until"]) for e in log(db)] == [
        (good, "justified", None), (other, "under_review", "2027-01-31")
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--status", "justified"], "name one or more FINDING_IDs"),
        (["abc", "--status", "justified", "--until", "31-12-2026"], "--until is not a date"),
        (["abc", "--status", "justified", "--from-csv", "x.csv"], "--from-csv takes the decisions from the file"),
    ],
)
def test_decide_usage_mistakes_are_one_line_and_exit_2(db, args, message):
    result = schoolaudit("decide", *args, "--by", "pvo", "--db", str(db))
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert log(db) == []


def test_decide_before_any_check_says_so(tmp_path):
    result = schoolaudit("decide", "abc", "--status", "justified", "--by", "pvo", "--db", str(tmp_path / "w.duckdb"))
    assert result.returncode == 2 and "no findings yet" in result.stderr


def test_the_store_is_owner_only(db, findings):
    decide(db, [Decision(findings["access"][0]["finding_id"], "under_review")], "pvo", "Europe/Amsterdam")
    for path in (store_path(db), published_path(db)):
        assert path.stat().st_mode & 0o077 == 0, path
