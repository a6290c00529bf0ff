"""SHARE-NO-CONSENT: a disclosure on consent whose consent_id is empty, unknown or another student's."""

import pytest

from checks.runner import finding_id
from tests.rule_fixtures import (
    WEEK,
    add_consent,
    add_disclosure,
    add_recipient,
    add_student,
    check,
    coverage,
    facts,
    finding_row,
    findings,
    render,
    warehouse,
)

RULE = "SHARE-NO-CONSENT"


@pytest.fixture
def con():
    con = warehouse()
    add_student(con, "s1", school="A")
    add_student(con, "s2", school="A")
    add_recipient(con, "r1", kind="independent_controller")
    add_consent(con, "c1", student="s1")
    add_consent(con, "c2", student="s2")
    return con


def flagged(con, week=WEEK):
    check(con, week, rules=[RULE])
    return findings(con, week, RULE)


def disclose(con, disclosure_id="x1", **kwargs):
    kwargs.setdefault("legal_basis", "consent")
    add_disclosure(con, disclosure_id, **kwargs)


def test_consent_of_this_student_is_not_this_rules_concern(con):
    disclose(con, consent_id="c1", student="s1")
    assert flagged(con) == set()


@pytest.mark.parametrize("consent_id", [None, "", "   "])
def test_empty_consent_id(con, consent_id):
    disclose(con, consent_id=consent_id)
    assert flagged(con) == {(RULE, "x1", "high")}
    assert facts(con, RULE, "x1")["consent_problem"] == "missing"
    assert facts(con, RULE, "x1")["consent_id"] is None
    assert render(RULE, facts(con, RULE, "x1"), "nl").endswith(
        "(toestemming: —; geregistreerd voor leerling: —)."
    )


def test_unknown_consent_id(con):
    disclose(con, consent_id="c-404")
    assert flagged(con) == {(RULE, "x1", "high")}
    assert facts(con, RULE, "x1") == {
        "disclosure_id": "x1",
        "student_id": "s1",
        "recipient_id": "r1",
        "local_date": "2026-11-18",
        "data_categories": ["progress"],
        "consent_id": "c-404",
        "consent_problem": "unknown",
        "consent_student_id": None,
    }


def test_consent_of_another_student(con):
    disclose(con, consent_id="c2", student="s1")
    assert flagged(con) == {(RULE, "x1", "high")}
    found = facts(con, RULE, "x1")
    assert (found["consent_problem"], found["consent_student_id"]) == ("other_student", "s2")
    assert render(RULE, found, "en").endswith("(consent: c2; registered for student: s2).")
    assert render(RULE, found, "nl").endswith("(toestemming: c2; geregistreerd voor leerling: s2).")


def test_finding_row_carries_student_school_and_recipient(con):
    disclose(con, "x1", occurred_at="2026-11-19 14:00:00", consent_id=None)
    assert flagged(con) == {(RULE, "x1", "high")}
    row = finding_row(con, RULE, "x1")
    assert row["finding_id"] == finding_id(RULE, "x1")
    assert (
        row["subject_type"],
        row["school_id"],
        row["student_id"],
        row["recipient_id"],
        row["actor_id"],
    ) == ("disclosure", "A", "s1", "r1", None)
    assert row["occurred_at"].isoformat() == "2026-11-19T14:00:00+01:00"


@pytest.mark.parametrize(
    "categories, severity",
    [
        (["progress"], "high"),
        (["progress", "care"], "critical"),
        (["medical"], "critical"),
        (["psychological_report"], "critical"),
        (["identifiers", "images"], "high"),
    ],
)
def test_special_category_makes_it_critical(con, categories, severity):
    disclose(con, categories=categories)
    assert flagged(con) == {(RULE, "x1", severity)}


def test_other_legal_bases_are_not_checked(con):
    disclose(con, "x1", legal_basis="educational_report")
    disclose(con, "x2", legal_basis="processor")
    disclose(con, "x3", consent_id=None)
    result = check(con, rules=[RULE])
    assert findings(con, WEEK, RULE) == {(RULE, "x3", "high")}
    assert coverage(result, RULE)["subjects_checked"] == 1
    assert coverage(result, RULE)["findings"] == 1


@pytest.mark.parametrize(
    "occurred_at, week",
    [
        ("2026-11-22 22:30:00+00", "2026-W47"),
        ("2026-11-22 23:30:00+00", "2026-W48"),  # Monday local
    ],
)
def test_disclosure_belongs_to_the_week_of_its_local_date(con, occurred_at, week):
    disclose(con, occurred_at=occurred_at)
    for candidate in ("2026-W47", "2026-W48"):
        expected = {(RULE, "x1", "high")} if candidate == week else set()
        assert flagged(con, candidate) == expected


@pytest.mark.parametrize("feed", ["consents", "disclosures", "students"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    disclose(con, consent_id=None)
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["status"] == "not_evaluated"
    assert coverage(result, RULE)["reason"] == f"no rows in feed: {feed}"
    assert findings(con, WEEK) == set()
