"""Grants: a justified or false-positive decision on an access finding that lets the account see the
student for a window (spec/decisions.md, "Grants"). The check phase reads them from the decision store
beside the warehouse as involvements of relation `grant`, with the usual grace, never for a
psychological report, and names the decision in what explained the access."""

from __future__ import annotations

import itertools

import pytest

from checks.runner import finding_id
from decisions.store import open_store
from pipelines.settings import Settings
from pipelines.warehouse import connect
from tests.rule_fixtures import WEEK, add_access, add_document, add_involvement, add_staff, add_student, check

UNINVOLVED = "ACCESS-UNINVOLVED"
PSYCH = "ACCESS-PSYCH-REPORT"
_ids = itertools.count(1)


@pytest.fixture
def db(tmp_path):
    """A warehouse file (the store lies beside it): t1 views s1's progress data on Wednesday of WEEK
    without any involvement."""
    path = tmp_path / "warehouse.duckdb"
    con = connect(path)
    add_student(con, "s1")
    add_staff(con, "t1")
    add_involvement(con, "t9", "s9")
    add_access(con, "e1", category="progress")
    yield path, con
    con.close()


def grant(path, status="justified", grant_from="2026-11-01", grant_until="2026-11-30", categories=None,
          actor="t1", student="s1", subject="magister:e1", rule=UNINVOLVED, decided_at="2026-11-25T09:00:00Z",
          finding=None) -> int:  # fmt: skip
    """A decision in the store as decisions.store writes it; returns its id."""
    row = {
        "finding_id": finding or finding_id(rule, subject), "week": WEEK, "rule_id": rule,
        "subject_type": "access_event", "subject_id": subject, "actor_id": actor, "student_id": student,
        "status": status, "status_before": "open", "decided_by": "fg", "decided_at": decided_at,
        "grant_from": grant_from, "grant_until": grant_until,
        "grant_categories": ";".join(categories) if categories else None,
    }  # fmt: skip
    with open_store(path) as store, store:
        return store.execute(
            f"INSERT INTO decisions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        ).lastrowid


def found(con, rule=UNINVOLVED) -> set[str]:
    return {s for (s,) in con.execute("SELECT subject_id FROM findings WHERE week = ? AND rule_id = ?", [WEEK, rule]).fetchall()}


def explained(con, subject="magister:e1") -> tuple:
    return con.execute(
        "SELECT explained_by, detail, decision_id FROM access_explanation_events WHERE week = ? AND subject_id = ?",
        [WEEK, subject],
    ).fetchone()


def test_without_a_grant_the_access_is_a_finding(db):
    _, con = db
    check(con)
    assert found(con) == {"magister:e1"}
    assert explained(con) == ("finding", None, None)


def test_a_grant_explains_the_access_and_names_its_decision(db):
    path, con = db
    check(con)
    number = grant(path)
    check(con)  # re-checking the week inside the grant's window
    assert found(con) == set()
    assert explained(con) == ("involvement", "grant", number)


@pytest.mark.parametrize(
    ("grant_from", "grant_until", "explains"),
    [
        ("2026-11-18", "2026-11-18", True),  # a one-day grant on the day
        ("2026-10-19", "2026-10-19", True),  # ended 30 days before: the last day of the grace after
        ("2026-10-18", "2026-10-18", False),  # 31 days before: past the grace
        ("2026-12-02", "2026-12-31", True),  # starts 14 days later: the first day of the grace before
        ("2026-12-03", "2026-12-31", False),  # 15 days later
    ],
)
def test_a_grant_counts_like_any_involvement_with_the_usual_grace(db, grant_from, grant_until, explains):
    path, con = db
    grant(path, grant_from=grant_from, grant_until=grant_until)
    check(con, settings=Settings())  # grace 14 days before, 30 after
    assert (found(con) == set()) is explains


def test_a_grant_limited_to_categories_explains_only_those(db):
    path, con = db
    add_access(con, "e2", category="attendance")
    number = grant(path, categories=["progress", "grades"])
    check(con)
    assert found(con) == {"magister:e2"}
    assert explained(con) == ("involvement", "grant", number)


def test_a_grant_never_explains_a_psychological_report(db):
    path, con = db
    add_document(con, "d1", "s1", category="psychological_report", case_id="c1")
    add_access(con, "e3", document_id="d1")
    grant(path, categories=None)
    check(con)
    assert found(con, PSYCH) == {"magister:e3"}
    assert explained(con, "magister:e3")[0] == "finding"


def test_a_grant_is_for_its_account_and_student_only(db):
    path, con = db
    add_staff(con, "t2")
    add_student(con, "s2")
    add_access(con, "e4", actor="t2", category="progress")
    add_access(con, "e5", student="s2", category="progress")
    grant(path)
    check(con)
    assert found(con) == {"magister:e4", "magister:e5"}


def test_a_later_decision_without_the_grant_ends_it(db):
    path, con = db
    grant(path)
    check(con)
    assert found(con) == set()
    # the privacy officer corrects herself: under review again, no grant
    grant(path, status="under_review", grant_from=None, grant_until=None)
    check(con)
    assert found(con) == {"magister:e1"}


def test_a_grant_starts_on_the_local_day_of_the_decision_by_default(db):
    path, con = db
    # decided at 23:30 UTC on Tuesday 17 November = 00:30 on Wednesday in Amsterdam: the grant starts on
    # the day of the access, so even without grace it explains it
    grant(path, grant_from=None, grant_until="2026-11-30", decided_at="2026-11-17T23:30:00Z")
    check(con, settings=Settings(grace_before_days=0))
    assert found(con) == set()
    grant(path, grant_from=None, grant_until="2026-11-30", decided_at="2026-11-18T23:30:00Z")  # Thursday
    check(con, settings=Settings(grace_before_days=0))
    assert found(con) == {"magister:e1"}


def test_the_check_only_reads_the_store(db):
    path, con = db
    grant(path)
    with open_store(path) as store:
        before = [tuple(row) for row in store.execute("SELECT * FROM decisions").fetchall()]
    check(con)
    check(con)
    with open_store(path) as store:
        assert [tuple(row) for row in store.execute("SELECT * FROM decisions").fetchall()] == before
