"""Section B: SHARE-CONSENT-WRONG-PARTY (order 6) and SHARE-CONSENT-AGE-TRANSITION (info, order 8).

Who may consent is judged at the consent's local date: under 16 a guardian with parental authority in
force that day, from 16 the student. Every test runs the whole consent family.
"""

import json

import pytest

from checks.registry import load_catalogue
from tests.rule_fixtures import (
    WEEK,
    add_consent,
    add_disclosure,
    add_guardian,
    add_recipient,
    add_student,
    check,
    coverage,
    facts,
    findings,
    render,
    warehouse,
)

CONSENT_RULES = [r.id for r in load_catalogue() if r.family == "consent"]
WRONG_PARTY = "SHARE-CONSENT-WRONG-PARTY"
AGE_TRANSITION = "SHARE-CONSENT-AGE-TRANSITION"


@pytest.fixture
def con():
    """y1 is 14 in the week (parent g1 with authority, foster parent f1 without, g2 the parent of y2);
    o1 turned 16 on 2026-09-01, parent g3 with authority."""
    con = warehouse()
    add_student(con, "y1", birth="2012-03-10")
    add_student(con, "y2", birth="2012-06-01")
    add_student(con, "o1", birth="2010-09-01")
    add_guardian(con, "g1", "y1", parental_authority=True)
    add_guardian(con, "f1", "y1", relation="foster_parent", parental_authority=False)
    add_guardian(con, "g2", "y2", parental_authority=True)
    add_guardian(con, "g3", "o1", parental_authority=True)
    add_recipient(con, "r1", kind="independent_controller")
    return con


def consent(con, student, given_by, role="guardian", given_at="2026-09-01", consent_id="c1", **kwargs):
    add_consent(
        con, consent_id, student=student, given_by=given_by, given_by_role=role, given_at=given_at, **kwargs
    )


def disclose(con, student, disclosure_id="x1", occurred_at="2026-11-18 10:00:00", consent_id="c1", **kwargs):
    add_disclosure(
        con,
        disclosure_id,
        occurred_at=occurred_at,
        student=student,
        legal_basis="consent",
        consent_id=consent_id,
        **kwargs,
    )


def flagged(con, week=WEEK):
    check(con, week, rules=CONSENT_RULES)
    return findings(con, week)


# --- under 16: a guardian with parental authority on the consent's date ---------------------------


def test_guardian_with_parental_authority_may_consent_for_a_child(con):
    consent(con, "y1", "g1")
    disclose(con, "y1")
    assert flagged(con) == set()


def test_anyone_else_cannot_consent_for_a_child(con):
    cases = {
        "x1": ("f1", "guardian"),  # linked, but without parental authority
        "x2": ("g2", "guardian"),  # the parent of another student
        "x3": ("nobody", "guardian"),  # not in guardians at all
        "x4": ("y1", "student"),  # the 14-year-old themself
    }
    for disclosure_id, (given_by, role) in cases.items():
        consent(con, "y1", given_by, role=role, consent_id=f"c-{disclosure_id}")
        disclose(con, "y1", disclosure_id, consent_id=f"c-{disclosure_id}")
    assert flagged(con) == {(WRONG_PARTY, x, "high") for x in cases}
    for disclosure_id, (given_by, _) in cases.items():
        found = facts(con, WRONG_PARTY, disclosure_id)
        assert (found["given_by_id"], found["consent_date"], found["age_at_consent"]) == (
            given_by,
            "2026-09-01",
            14,
        )


def test_parental_authority_must_be_in_force_on_the_consent_date(con):
    # every consent given on 2026-09-01, each by its own guardian
    cases = [
        ("2026-09-01", None, False),  # authority from the consent's day
        ("2026-09-02", None, True),  # only from the next day
        (None, "2026-09-01", False),  # authority until the consent's day
        (None, "2026-08-31", True),  # ended the day before
        ("2025-01-01", "2026-06-30", True),  # ended months before the consent
    ]
    for n, (valid_from, valid_to, _) in enumerate(cases):
        add_guardian(con, f"g{n}-y1", "y1", parental_authority=True, valid_from=valid_from, valid_to=valid_to)
        consent(con, "y1", f"g{n}-y1", consent_id=f"c{n}")
        disclose(con, "y1", f"x{n}", consent_id=f"c{n}")
    assert flagged(con) == {(WRONG_PARTY, f"x{n}", "high") for n, (_, _, wrong) in enumerate(cases) if wrong}


def test_authority_in_force_on_the_consent_date_suffices_when_it_ended_later(con):
    add_guardian(con, "g4", "y1", parental_authority=True, valid_from="2020-01-01", valid_to="2026-10-01")
    consent(con, "y1", "g4")
    disclose(con, "y1")  # 18 November: g4's authority has ended, the consent it gave stands
    assert flagged(con) == set()


def test_any_link_row_with_authority_in_force_counts(con):
    add_guardian(con, "g4", "y1", parental_authority=False, valid_from="2026-01-01")
    add_guardian(con, "g4", "y1", parental_authority=True, valid_from="2026-08-01")
    consent(con, "y1", "g4")
    disclose(con, "y1")
    assert flagged(con) == set()


def test_without_a_guardians_feed_no_guardian_holds_authority(con):
    consent(con, "y1", "g1")
    disclose(con, "y1")
    con.execute("DELETE FROM guardians")
    result = check(con, rules=CONSENT_RULES)
    assert coverage(result, WRONG_PARTY)["status"] == "evaluated"
    assert findings(con) == {(WRONG_PARTY, "x1", "high")}


# --- from 16: the student ---------------------------------------------------------------------------


def judged_per_consent(con, student, cases):
    """cases: (given_by, role, given_at, expected rule or None); one consent and disclosure each.
    Returns (found, expected) findings."""
    for n, (given_by, role, given_at, _) in enumerate(cases):
        consent(con, student, given_by, role=role, given_at=given_at, consent_id=f"c{n}")
        disclose(con, student, f"x{n}", consent_id=f"c{n}")
    expected = {
        (rule, f"x{n}", "info" if rule == AGE_TRANSITION else "high")
        for n, (*_, rule) in enumerate(cases)
        if rule
    }
    return flagged(con), expected


def test_sixteenth_birthday_at_the_consent_date(con):
    # o1 turned 16 on 2026-09-01; g3 is o1's parent with parental authority
    found, expected = judged_per_consent(
        con,
        "o1",
        [
            ("o1", "student", "2026-09-01", None),  # the student, on their 16th birthday
            ("g3", "guardian", "2026-09-01", WRONG_PARTY),  # the parent, on the 16th birthday
            ("o1", "student", "2026-08-31", WRONG_PARTY),  # the student, the day before: still 15
            ("g3", "guardian", "2026-08-31", AGE_TRANSITION),  # the parent, the day before: valid, a notice
            ("g3", "guardian", "2026-08-31 22:30:00+00", WRONG_PARTY),  # 00:30 on 1 September local
            ("g3", "guardian", "2026-08-31 21:30:00+00", AGE_TRANSITION),  # 23:30 on 31 August local
            ("o2", "student", "2026-09-01", WRONG_PARTY),  # 'student', but another one
            ("o1", "guardian", "2026-09-01", WRONG_PARTY),  # the student's id with the guardian role
        ],
    )
    assert found == expected


def test_wrong_party_explanation_states_who_when_and_the_age(con):
    consent(con, "o1", "g3", given_at="2026-10-05")
    disclose(con, "o1")
    assert flagged(con) == {(WRONG_PARTY, "x1", "high")}
    found = facts(con, WRONG_PARTY, "x1")
    assert (found["age_at_consent"], found["given_by_role"]) == (16, "guardian")
    assert render(WRONG_PARTY, found, "en").endswith(
        "relies on consent c1, given on 2026-10-05 by g3 when the student was 16 years old: under 16 only a"
        " guardian with parental authority on that day can consent, from 16 only the student."
    )
    assert render(WRONG_PARTY, found, "nl").endswith(
        "steunt op toestemming c1, die op 2026-10-05 is gegeven door g3 toen de leerling 16 jaar was: onder de 16"
        " kan alleen een ouder of voogd die die dag het ouderlijk gezag had toestemming geven, vanaf 16 alleen de"
        " leerling zelf."
    )


def test_leap_day_birthday_at_the_consent_date(con):
    add_student(con, "l1", birth="2008-02-29")
    add_guardian(con, "g5", "l1", parental_authority=True)
    found, expected = judged_per_consent(
        con,
        "l1",
        [
            ("g5", "guardian", "2024-02-28", AGE_TRANSITION),  # 15 the day before the leap-day birthday
            ("g5", "guardian", "2024-02-29", WRONG_PARTY),  # 16 on 29 February 2024
            ("l1", "student", "2024-02-29", None),
            ("l1", "student", "2024-02-28", WRONG_PARTY),
        ],
    )
    assert found == expected


def test_wrong_party_is_critical_for_special_categories(con):
    consent(con, "y1", "f1", categories=["care", "progress"])
    disclose(con, "y1", categories=["care"])
    assert flagged(con) == {(WRONG_PARTY, "x1", "critical")}


def test_wrong_party_gives_way_to_earlier_rules_and_wins_over_scope(con):
    consent(con, "y1", "f1", consent_id="c1", valid_until="2026-10-01")  # expired, and the wrong party
    consent(con, "y1", "f1", consent_id="c2", purpose="a different purpose")  # the wrong party, out of scope
    disclose(con, "y1", "x1", consent_id="c1")
    disclose(con, "y1", "x2", consent_id="c2")
    assert flagged(con) == {("SHARE-CONSENT-EXPIRED", "x1", "high"), (WRONG_PARTY, "x2", "high")}


def test_an_unknown_student_has_no_age_to_judge(con):
    add_consent(
        con, "c9", student="ghost", given_by="anyone", given_by_role="guardian", given_at="2020-01-01"
    )
    disclose(con, "ghost", consent_id="c9")
    assert flagged(con) == set()


# --- AGE-TRANSITION ---------------------------------------------------------------------------------


@pytest.fixture
def turning_16():
    """t1 turns 16 on Wednesday 18 November 2026; parent g6 consented in September, at 15."""
    con = warehouse()
    add_student(con, "t1", birth="2010-11-18")
    add_guardian(con, "g6", "t1", parental_authority=True)
    add_recipient(con, "r1", kind="independent_controller")
    consent(con, "t1", "g6", given_at="2026-09-01")
    return con


def test_age_transition_from_the_16th_birthday(turning_16):
    cases = {
        "x1": ("2026-11-18 10:00:00", True),  # on the 16th birthday itself
        "x2": ("2026-11-17 23:59:00", False),  # the day before
        "x3": ("2026-11-17 23:30:00+00", True),  # 00:30 on the birthday, local
        "x4": ("2026-11-17 22:30:00+00", False),  # 23:30 the day before, local
        "x5": ("2026-11-20 10:00:00", True),
    }
    for disclosure_id, (occurred_at, _) in cases.items():
        disclose(turning_16, "t1", disclosure_id, occurred_at=occurred_at)
    assert flagged(turning_16) == {(AGE_TRANSITION, x, "info") for x, (_, flag) in cases.items() if flag}


def test_age_transition_is_info_even_for_special_categories(turning_16):
    turning_16.execute("UPDATE consents SET data_categories = ['medical', 'care']")
    disclose(turning_16, "t1", categories=["medical", "care"])
    assert flagged(turning_16) == {(AGE_TRANSITION, "x1", "info")}


def test_age_transition_explanation_says_it_is_not_a_violation(turning_16):
    disclose(turning_16, "t1")
    assert flagged(turning_16) == {(AGE_TRANSITION, "x1", "info")}
    found = facts(turning_16, AGE_TRANSITION, "x1")
    assert (found["age_at_consent"], found["age_at_disclosure"], found["consent_date"]) == (
        15,
        16,
        "2026-09-01",
    )
    assert "2010-11-18" not in json.dumps(found)  # no birth date in the facts
    assert render(AGE_TRANSITION, found, "en") == (
        "Disclosure x1 of data of student t1 (progress) to r1 on 2026-11-18 relies on consent c1, given on"
        " 2026-09-01 by guardian g6 when the student was 15 years old; the student is now 16. Not a violation:"
        " the consent stays valid until the student withdraws it, but the student should be told that they can."
    )
    assert render(AGE_TRANSITION, found, "nl") == (
        "Verstrekking x1 van gegevens van leerling t1 (progress) aan r1 op 2026-11-18 steunt op toestemming c1,"
        " die op 2026-09-01 is gegeven door ouder of voogd g6 toen de leerling 15 jaar was; de leerling is nu 16."
        " Geen overtreding: de toestemming blijft geldig tot de leerling haar intrekt, maar de leerling moet horen"
        " dat dat kan."
    )


@pytest.mark.parametrize(
    "change, rule",
    [
        ("UPDATE consents SET purpose = 'another purpose'", "SHARE-CONSENT-SCOPE"),
        ("UPDATE consents SET withdrawn_at = TIMESTAMPTZ '2026-11-01 00:00:00'", "SHARE-CONSENT-WITHDRAWN"),
        ("UPDATE consents SET form = 'verbal'", "SHARE-CONSENT-INVALID-FORM"),
        ("UPDATE guardians SET parental_authority = false", WRONG_PARTY),
    ],
)
def test_age_transition_only_when_no_other_consent_rule_applies(turning_16, change, rule):
    turning_16.execute(change)
    disclose(turning_16, "t1")
    assert flagged(turning_16) == {(rule, "x1", "high")}


def test_a_consent_the_student_gave_is_no_transition(turning_16):
    consent(turning_16, "t1", "t1", role="student", given_at="2026-11-18", consent_id="c2")
    disclose(turning_16, "t1", consent_id="c2")
    assert flagged(turning_16) == set()


def test_leap_day_student_turns_16_on_29_february():
    con = warehouse()
    add_student(con, "l2", birth="2012-02-29")
    add_guardian(con, "g7", "l2", parental_authority=True)
    add_recipient(con, "r1", kind="independent_controller")
    consent(con, "l2", "g7", given_at="2027-09-01")
    disclose(con, "l2", "x1", occurred_at="2028-02-28 10:00:00")  # Monday of 2028-W09: still 15
    disclose(con, "l2", "x2", occurred_at="2028-02-29 10:00:00")  # the 16th birthday
    assert flagged(con, "2028-W09") == {(AGE_TRANSITION, "x2", "info")}
