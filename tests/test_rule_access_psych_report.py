"""ACCESS-PSYCH-REPORT (4, critical): a psychological report only for those in the assessment, that day."""

import pytest

from pipelines.settings import Settings
from tests.access_fixtures import ACCESS_RULES, explanations, judge
from tests.rule_fixtures import (
    add_access,
    add_document,
    add_involvement,
    add_roster_involvement,
    add_staff,
    add_student,
    check,
    coverage,
    facts,
    finding_row,
    findings,
    render,
    warehouse,
)

RULE = "ACCESS-PSYCH-REPORT"


@pytest.fixture
def con():
    """Student s1 at A; psychologist p1 and teacher t1 at A; report d1 of s1 belongs to case K1."""
    con = warehouse()
    add_student(con, "s1")
    add_staff(con, "p1", role="psychologist")
    add_staff(con, "t1", role="teacher")
    add_involvement(con, "t1", "s1", relation="teacher")
    add_document(con, "d1", "s1", category="psychological_report", case_id="K1")
    add_document(con, "d0", "s1", category="psychological_report")  # a report without a case
    return con


def view_report(con, actor="p1", document="d1", occurred_at="2026-11-18 10:00:00", **extra):
    add_access(con, "e1", occurred_at, actor=actor, document_id=document, **extra)


def test_report_viewed_without_assessment_involvement_is_critical_with_its_facts(con):
    view_report(con)
    assert judge(con) == {(RULE, "magister:e1", "critical")}
    row = finding_row(con, RULE, "magister:e1")
    assert (row["actor_id"], row["student_id"], row["school_id"]) == ("p1", "s1", "A")
    assert facts(con, RULE, "magister:e1") == {
        "actor_id": "p1",
        "student_id": "s1",
        "document_id": "d1",
        "case_id": "K1",
        "local_date": "2026-11-18",
        "action": "view",
        "source_system": "magister",
        "assessment_cases": [],
        "last_assessment_end": None,
    }


def test_assessment_in_the_reports_case_in_force_that_day_allows_it(con):
    add_involvement(con, "p1", "s1", relation="assessment", valid_from="2026-10-01", case_id="K1")
    view_report(con)
    assert judge(con) == set()
    assert explanations(con)["magister:e1"] == ("involvement", "assessment", None)


def test_assessment_in_another_case_does_not_count(con):
    add_involvement(con, "p1", "s1", relation="assessment", valid_from="2026-10-01", case_id="K2")
    add_involvement(con, "p1", "s1", relation="assessment", valid_from="2026-10-01", case_id="K3")
    view_report(con)
    assert judge(con) == {(RULE, "magister:e1", "critical")}
    assert facts(con, RULE, "magister:e1")["assessment_cases"] == ["K2", "K3"]


def test_assessment_without_a_case_does_not_count_for_a_report_with_one(con):
    add_involvement(con, "p1", "s1", relation="assessment", valid_from="2026-10-01")
    view_report(con)
    assert judge(con) == {(RULE, "magister:e1", "critical")}


@pytest.mark.parametrize("case_id", ["K2", None])
def test_for_a_report_without_a_case_any_assessment_counts(con, case_id):
    add_involvement(con, "p1", "s1", relation="assessment", valid_from="2026-10-01", case_id=case_id)
    view_report(con, document="d0")
    assert judge(con) == set()


def test_category_given_on_the_event_without_a_document_needs_any_assessment(con):
    add_access(con, "e1", actor="p1", category="psychological_report")
    add_access(con, "e2", actor="t1", category="psychological_report")
    add_involvement(con, "p1", "s1", relation="assessment", valid_from="2026-10-01", case_id="K7")
    assert judge(con) == {(RULE, "magister:e2", "critical")}


@pytest.mark.parametrize(
    "valid_from, valid_to, is_finding",
    [
        ("2026-10-01", "2026-11-18", False),  # ends on the event's day
        ("2026-10-01", "2026-11-17", True),  # ended the day before: no grace
        ("2026-11-18", None, False),  # starts on the event's day
        ("2026-11-19", None, True),  # starts the day after: no grace
    ],
)
def test_assessment_must_be_in_force_on_the_local_date_without_grace(con, valid_from, valid_to, is_finding):
    add_involvement(
        con, "p1", "s1", relation="assessment", valid_from=valid_from, valid_to=valid_to, case_id="K1"
    )
    view_report(con)
    assert judge(con) == ({(RULE, "magister:e1", "critical")} if is_finding else set())
    if valid_to == "2026-11-17":
        assert facts(con, RULE, "magister:e1")["last_assessment_end"] == "2026-11-17"


def test_in_force_is_judged_on_the_local_date(con):
    # 23:30 UTC on the 17th is 00:30 local on the 18th, the day after the assessment ended
    add_involvement(
        con, "p1", "s1", relation="assessment", valid_from="2026-10-01", valid_to="2026-11-17", case_id="K1"
    )
    view_report(con, occurred_at="2026-11-17 23:30:00+00")
    add_access(con, "e2", "2026-11-17 22:30:00+00", actor="p1", document_id="d1")  # 23:30 local on the 17th
    assert judge(con) == {(RULE, "magister:e1", "critical")}


@pytest.mark.parametrize("relation", ["teacher", "mentor", "care_coordinator", "substitute", "grant"])
def test_other_involvements_do_not_count(con, relation):
    add_involvement(con, "p1", "s1", relation=relation, valid_from="2026-10-01", reason="review")
    view_report(con)
    assert judge(con) == {(RULE, "magister:e1", "critical")}


def test_roster_involvement_does_not_count(con):
    add_roster_involvement(con, "p1", "s1")
    view_report(con)
    assert judge(con) == {(RULE, "magister:e1", "critical")}


@pytest.mark.parametrize("role", ["care_coordinator", "management", "psychologist"])
def test_role_allowances_do_not_count(con, role):
    settings = Settings(role_allowances={role: ("psychological_report",)})
    add_staff(con, "m1", role=role)
    view_report(con, actor="m1")
    assert judge(con, settings=settings) == {(RULE, "magister:e1", "critical")}


def test_the_assessment_must_be_with_this_student(con):
    add_student(con, "s2")
    add_involvement(con, "p1", "s2", relation="assessment", valid_from="2026-10-01", case_id="K1")
    view_report(con)
    assert judge(con) == {(RULE, "magister:e1", "critical")}


def test_only_staff_actors(con):
    add_access(con, "e1", actor="s1", actor_type="student", document_id="d1")
    result = check(con, rules=[RULE])
    assert findings(con) == set()
    assert coverage(result, RULE)["subjects_checked"] == 0


def test_population_is_staff_accesses_to_psychological_reports(con):
    view_report(con)
    add_access(con, "e2", actor="t1", category="care")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["subjects_checked"] == 1


def test_justified_break_glass_is_left_alone(con):
    view_report(con, break_glass=True, justification="crisis meeting, psychologist absent")
    assert judge(con) == set()


def test_not_evaluated_without_involvements_even_with_a_roster(con):
    con.execute("DELETE FROM involvements")
    add_roster_involvement(con, "t1", "s1")
    view_report(con, actor="t1")  # t1 teaches s1 (roster): enough for ACCESS-UNINVOLVED, not for a report
    result = check(con, rules=ACCESS_RULES)
    assert coverage(result, RULE)["status"] == "not_evaluated"
    assert coverage(result, RULE)["reason"] == "no rows in feed: involvements"
    assert coverage(result, "ACCESS-UNINVOLVED")["status"] == "evaluated"
    assert findings(con) == set()
    assert explanations(con)["magister:e1"] == ("not_evaluated", None, None)


def test_explanation_reads_well_in_both_languages(con):
    add_involvement(
        con, "p1", "s1", relation="assessment", valid_from="2026-01-05", valid_to="2026-06-30", case_id="K0"
    )
    view_report(con)
    judge(con)
    found = facts(con, RULE, "magister:e1")
    assert render(RULE, found, "en") == (
        "Staff member p1 accessed psychological report d1 of student s1 on 2026-11-18 without taking part that"
        " day in the assessment it belongs to (case of the report: K1; cases this staff member was assessing"
        " for this student that day: —; last assessment involvement with this student ended: 2026-06-30)."
    )
    assert render(RULE, found, "nl").startswith(
        "Medewerker p1 heeft op 2026-11-18 het psychologisch rapport d1 van leerling s1 geraadpleegd zonder die"
        " dag betrokken te zijn bij het onderzoek waar het bij hoort (casus van het rapport: K1;"
    )
