"""ACCESS-UNINVOLVED: staff access with no involvement window and no role allowance that explains it."""

import pytest

from checks.runner import finding_id
from tests.rule_fixtures import (
    WEEK,
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

RULE = "ACCESS-UNINVOLVED"


@pytest.fixture
def con():
    """Student s1 at school A, teacher t1 at A; one more involvement (t1 with s2) so the feed has rows."""
    con = warehouse()
    add_student(con, "s1", school="A")
    add_student(con, "s2", school="A")
    add_staff(con, "t1", school="A", role="teacher")
    add_involvement(con, "t1", "s2")
    return con


def flagged(con, week=WEEK):
    check(con, week, rules=[RULE])
    return findings(con, week, RULE)


def test_access_without_any_involvement_is_a_finding_with_its_facts(con):
    add_access(con, "e1", "2026-11-18 10:15:00", actor="t1", student="s1", category="progress")
    assert flagged(con) == {(RULE, "magister:e1", "high")}
    row = finding_row(con, RULE, "magister:e1")
    assert row["finding_id"] == finding_id(RULE, "magister:e1")
    assert row["subject_type"] == "access_event"
    assert (row["school_id"], row["actor_id"], row["student_id"], row["recipient_id"]) == (
        "A",
        "t1",
        "s1",
        None,
    )
    assert row["occurred_at"].isoformat() == "2026-11-18T10:15:00+01:00"
    assert facts(con, RULE, "magister:e1") == {
        "actor_id": "t1",
        "student_id": "s1",
        "category": "progress",
        "local_date": "2026-11-18",
        "action": "view",
        "source_system": "magister",
        "earlier_involvements": 0,
        "last_involvement": None,
    }


def test_access_inside_an_involvement_is_explained(con):
    add_involvement(con, "t1", "s1", relation="mentor", valid_from="2026-08-24", valid_to="2027-07-10")
    add_access(con, "e1")
    assert flagged(con) == set()


@pytest.mark.parametrize(
    "relation", ["teacher", "mentor", "care_coordinator", "substitute", "assessment", "grant"]
)
def test_every_involvement_relation_explains(con, relation):
    add_involvement(
        con,
        "t1",
        "s1",
        relation=relation,
        valid_from="2026-11-01",
        valid_to="2026-11-30",
        reason="case review" if relation == "grant" else None,
    )
    add_access(con, "e1")
    assert flagged(con) == set()


def test_involvement_of_another_staff_member_or_student_does_not_count(con):
    add_staff(con, "t2")
    add_involvement(con, "t2", "s1")  # someone else is involved with s1
    add_involvement(con, "t1", "s2")  # t1 is involved with someone else
    add_access(con, "e1", actor="t1", student="s1")
    assert flagged(con) == {(RULE, "magister:e1", "high")}


@pytest.mark.parametrize(
    "valid_from, is_finding",
    [
        ("2026-12-02", False),  # event on 2026-11-18 = valid_from - 14 days: inside the grace
        ("2026-12-03", True),  # one day earlier than the grace allows
    ],
)
def test_grace_before_valid_from(con, valid_from, is_finding):
    add_involvement(con, "t1", "s1", valid_from=valid_from)
    add_access(con, "e1", "2026-11-18 09:00:00")
    assert flagged(con) == ({(RULE, "magister:e1", "high")} if is_finding else set())


@pytest.mark.parametrize(
    "valid_to, is_finding",
    [
        ("2026-10-19", False),  # event on 2026-11-18 = valid_to + 30 days
        ("2026-10-18", True),  # valid_to + 31 days
    ],
)
def test_grace_after_valid_to(con, valid_to, is_finding):
    add_involvement(con, "t1", "s1", valid_from="2025-08-25", valid_to=valid_to)
    add_access(con, "e1", "2026-11-18 09:00:00")
    assert flagged(con) == ({(RULE, "magister:e1", "high")} if is_finding else set())
    if is_finding:
        assert facts(con, RULE, "magister:e1")["last_involvement"] == "2026-10-18"


def test_grace_days_come_from_settings(con):
    from pipelines.settings import Settings

    add_involvement(con, "t1", "s1", valid_from="2025-08-25", valid_to="2026-10-19")
    add_access(con, "e1", "2026-11-18 09:00:00")
    check(con, rules=[RULE], settings=Settings(grace_after_days=29))
    assert findings(con, WEEK, RULE) == {(RULE, "magister:e1", "high")}


def test_last_involvement_is_the_latest_ended_one(con):
    add_involvement(con, "t1", "s1", valid_from="2024-08-26", valid_to="2025-07-11")
    add_involvement(con, "t1", "s1", relation="mentor", valid_from="2025-08-25", valid_to="2026-07-15")
    add_involvement(con, "t1", "s1", relation="substitute", valid_from="2027-01-04", valid_to="2027-02-05")
    add_access(con, "e1")
    assert flagged(con) == {(RULE, "magister:e1", "high")}
    found = facts(con, RULE, "magister:e1")
    assert (found["earlier_involvements"], found["last_involvement"]) == (2, "2026-07-15")


def test_explanation_reads_well_in_both_languages_for_both_cases(con):
    add_involvement(con, "t1", "s1", valid_from="2025-08-25", valid_to="2026-07-15")
    add_staff(con, "t2")
    add_access(con, "e1", actor="t1", category="care")
    add_access(con, "e2", actor="t2", category="care")
    check(con, rules=[RULE])
    ended, never = facts(con, RULE, "magister:e1"), facts(con, RULE, "magister:e2")
    assert render(RULE, ended, "en").endswith(
        "(earlier involvements with this student: 1; last one ended: 2026-07-15)."
    )
    assert render(RULE, never, "en").endswith(
        "(earlier involvements with this student: 0; last one ended: —)."
    )
    assert render(RULE, ended, "nl").endswith(
        "(eerdere betrokkenheden bij deze leerling: 1; laatste einddatum: 2026-07-15)."
    )
    assert render(RULE, never, "nl").startswith(
        "Medewerker t2 heeft op 2026-11-18 gegevens van leerling s1 uit de categorie care geraadpleegd"
    )


def test_roster_involvement_alone_makes_the_rule_evaluated_and_explains():
    con = warehouse()
    add_student(con, "s1")
    add_student(con, "s2")
    add_staff(con, "t1")
    add_roster_involvement(con, "t1", "s1", valid_from="2026-08-24", valid_to="2027-07-09")
    add_roster_involvement(con, "t1", "s2", valid_from="2026-01-05", valid_to="2026-07-10")
    add_access(con, "e1", student="s1")
    add_access(con, "e2", student="s2")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["status"] == "evaluated"
    assert findings(con, WEEK, RULE) == {(RULE, "magister:e2", "high")}
    assert facts(con, RULE, "magister:e2")["last_involvement"] == "2026-07-10"


def test_roster_involvement_without_dates_is_open(con):
    add_roster_involvement(con, "t1", "s1", valid_from=None, valid_to=None)
    add_access(con, "e1")
    assert flagged(con) == set()


@pytest.mark.parametrize(
    "role, category, is_finding",
    [
        ("management", "progress", False),
        ("management", "general", False),
        ("management", "care", True),
        ("administration", "attendance", False),
        ("administration", "progress", True),
        ("care_coordinator", "care", False),
        ("care_coordinator", "medical", True),
        ("teacher", "general", True),  # every other role: no allowance
        ("psychologist", "psychological_report", True),
    ],
)
def test_role_allowance_at_the_students_school(con, role, category, is_finding):
    add_staff(con, "m1", school="A", role=role)
    add_access(con, "e1", actor="m1", category=category)
    expected = "critical" if category in ("care", "medical", "psychological_report") else "high"
    assert flagged(con) == ({(RULE, "magister:e1", expected)} if is_finding else set())


def test_role_allowance_at_another_school_does_not_count(con):
    add_staff(con, "m1", school="B", role="management")
    add_access(con, "e1", actor="m1", student="s1", category="progress")  # s1 is at school A
    assert flagged(con) == {(RULE, "magister:e1", "high")}


def test_role_allowances_come_from_settings(con):
    from pipelines.settings import Settings

    add_staff(con, "m1", role="it_admin")
    add_access(con, "e1", actor="m1", category="administrative")
    check(con, rules=[RULE], settings=Settings(role_allowances={"it_admin": ("administrative",)}))
    assert findings(con, WEEK, RULE) == set()


@pytest.mark.parametrize(
    "valid_from, valid_to, is_finding",
    [
        (None, None, False),
        ("2026-11-18", None, False),  # role starts on the event's day
        (None, "2026-11-18", False),  # role ends on the event's day
        ("2026-11-19", None, True),  # not yet in force
        (None, "2026-11-17", True),  # no longer in force
    ],
)
def test_role_must_be_in_force_on_the_events_local_date(con, valid_from, valid_to, is_finding):
    add_staff(con, "m1", role="management", valid_from=valid_from, valid_to=valid_to)
    add_access(con, "e1", "2026-11-18 12:00:00", actor="m1", category="attendance")
    assert flagged(con) == ({(RULE, "magister:e1", "high")} if is_finding else set())


def test_a_role_in_force_elsewhere_in_time_or_place_does_not_lend_its_allowance(con):
    # m1 is a teacher at A now and was management at A until last month: the old role does not count
    add_staff(con, "m1", role="teacher")
    add_staff(con, "m1", role="management", valid_from="2020-08-01", valid_to="2026-10-31")
    add_access(con, "e1", actor="m1", category="progress")
    assert flagged(con) == {(RULE, "magister:e1", "high")}


@pytest.mark.parametrize("category", ["care", "psychological_report", "medical"])
def test_special_categories_are_critical(con, category):
    add_access(con, "e1", category=category)
    assert flagged(con) == {(RULE, "magister:e1", "critical")}


def test_category_falls_back_to_the_document_then_general(con):
    add_document(con, "d1", "s1", category="medical")
    add_document(con, "d2", "s1", category="progress")
    add_access(con, "e1", document_id="d1")  # no category: the document's, medical
    add_access(con, "e2", document_id="d2", category="care")  # the event's own category wins
    add_access(con, "e3")  # neither: general
    add_access(con, "e4", document_id="unknown-doc")  # unknown document: general
    assert flagged(con) == {
        (RULE, "magister:e1", "critical"),
        (RULE, "magister:e2", "critical"),
        (RULE, "magister:e3", "high"),
        (RULE, "magister:e4", "high"),
    }
    assert facts(con, RULE, "magister:e1")["category"] == "medical"
    assert facts(con, RULE, "magister:e3")["category"] == "general"


def test_unknown_student_gets_no_role_allowance(con):
    add_staff(con, "m1", role="management")
    add_access(con, "e1", actor="m1", student="ghost", category="general")
    assert flagged(con) == {(RULE, "magister:e1", "high")}
    assert finding_row(con, RULE, "magister:e1")["school_id"] is None


def test_only_staff_accesses_are_checked(con):
    add_access(con, "e1", actor="g1", actor_type="guardian")
    add_access(con, "e2", actor="s1", actor_type="student")
    add_access(con, "e3", actor="t1")
    result = check(con, rules=[RULE])
    assert findings(con, WEEK, RULE) == {(RULE, "magister:e3", "high")}
    assert coverage(result, RULE)["subjects_checked"] == 1


@pytest.mark.parametrize(
    "break_glass, justification, is_finding",
    [
        (True, "acute safety concern, called by the care coordinator", False),
        (True, None, True),  # unjustified: rule 3 will claim it; without it this rule still applies
        (True, "   ", True),
        (False, "some text", True),
    ],
)
def test_justified_break_glass_is_exempt(con, break_glass, justification, is_finding):
    add_access(con, "e1", break_glass=break_glass, justification=justification)
    assert flagged(con) == ({(RULE, "magister:e1", "high")} if is_finding else set())


def test_subject_id_is_source_system_and_event_id(con):
    add_access(con, "42", source_system="somtoday")
    add_access(con, "42", source_system="magister")
    assert flagged(con) == {(RULE, "somtoday:42", "high"), (RULE, "magister:42", "high")}


# --- the week is a local week --------------------------------------------------------------------


@pytest.mark.parametrize(
    "occurred_at, week",
    [
        ("2026-11-15 23:00:00+00", "2026-W47"),  # Monday 00:00 local
        ("2026-11-15 22:59:59+00", "2026-W46"),  # Sunday 23:59:59 local
        ("2026-11-22 22:30:00+00", "2026-W47"),  # Sunday 23:30 local
        ("2026-11-22 23:30:00+00", "2026-W48"),  # Sunday 23:30 UTC is Monday 00:30 local
    ],
)
def test_events_belong_to_the_week_of_their_local_date(con, occurred_at, week):
    add_access(con, "e1", occurred_at)
    for candidate in ("2026-W46", "2026-W47", "2026-W48"):
        expected = {(RULE, "magister:e1", "high")} if candidate == week else set()
        assert flagged(con, candidate) == expected, candidate


@pytest.mark.parametrize(
    "occurred_at, week, local_date",
    [
        # spring forward on Sunday 2026-03-29 (UTC+1 -> UTC+2): W13 is 23 .. 29 March
        ("2026-03-22 23:00:00+00", "2026-W13", "2026-03-23"),
        ("2026-03-29 21:30:00+00", "2026-W13", "2026-03-29"),
        ("2026-03-29 22:30:00+00", "2026-W14", "2026-03-30"),
        # fall back on Sunday 2026-10-25 (UTC+2 -> UTC+1): W43 is 19 .. 25 October
        ("2026-10-18 22:00:00+00", "2026-W43", "2026-10-19"),
        ("2026-10-25 22:30:00+00", "2026-W43", "2026-10-25"),
        ("2026-10-25 23:30:00+00", "2026-W44", "2026-10-26"),
    ],
)
def test_dst_change_weeks(con, occurred_at, week, local_date):
    add_access(con, "e1", occurred_at)
    weeks = {"2026-W12", "2026-W13", "2026-W14", "2026-W42", "2026-W43", "2026-W44"}
    for candidate in sorted(weeks):
        check(con, candidate, rules=[RULE])
        expected = {(RULE, "magister:e1", "high")} if candidate == week else set()
        assert findings(con, candidate, RULE) == expected, candidate
    assert facts(con, RULE, "magister:e1", week)["local_date"] == local_date


def test_grace_window_is_judged_on_the_local_date(con):
    # valid_to + 30 = 2026-03-29; the event is 2026-03-29 in UTC but 2026-03-30 local: a finding
    add_involvement(con, "t1", "s1", valid_from="2025-08-25", valid_to="2026-02-27")
    add_access(con, "e1", "2026-03-29 22:30:00+00")
    add_access(con, "e2", "2026-03-29 21:30:00+00")  # still 2026-03-29 local: inside the grace
    assert flagged(con, "2026-W14") == {(RULE, "magister:e1", "high")}
    assert flagged(con, "2026-W13") == set()


# --- feeds -----------------------------------------------------------------------------------------


def test_not_evaluated_without_involvements_or_roster():
    con = warehouse()
    add_student(con, "s1")
    add_staff(con, "t1")
    add_access(con, "e1")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE) == {
        "rule_id": RULE,
        "status": "not_evaluated",
        "reason": "no rows in feed: involvements or oneroster",
        "subjects_checked": None,
        "findings": None,
    }
    assert findings(con, WEEK) == set()


@pytest.mark.parametrize("feed", ["access_log", "students", "staff"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    add_access(con, "e1")
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["status"] == "not_evaluated"
    assert coverage(result, RULE)["reason"] == f"no rows in feed: {feed}"
    assert findings(con, WEEK) == set()
