"""Section E: POLICY-NOT-APPROVED, as of the week's last day (2026-W47: Sunday 22 November 2026).

The version in force per policy and scope needs a `consent` of the right council (GMR for the board, MR
for a school) dated on or before its effective_from. High without any consent by the day; medium when the
consent came after effective_from.
"""

import pytest

from tests.rule_fixtures import (
    WEEK,
    add_council_decision,
    add_policy,
    check,
    coverage,
    facts,
    finding_row,
    findings,
    render,
    warehouse,
)

RULE = "POLICY-NOT-APPROVED"
BOARD = "privacy-regulation@1@board"


@pytest.fixture
def con():
    """Board policy privacy-regulation version 1, in force since 1 August 2026."""
    con = warehouse()
    add_policy(con, "privacy-regulation", "1", effective_from="2026-08-01", scope="board")
    return con


def flagged(con, week=WEEK):
    check(con, week, rules=[RULE])
    return findings(con, week)


def test_gmr_consent_for_a_board_policy():
    # one board policy per case, each in force since 1 August 2026
    cases = {
        "p1": ("2026-07-01", "consent", None),  # prior consent
        "p2": ("2026-08-01", "consent", None),  # consent on effective_from itself
        "p3": ("2026-08-02", "consent", "medium"),  # consent after effective_from
        "p4": ("2026-11-22", "consent", "medium"),  # ... on the week's last day
        "p5": ("2026-11-23", "consent", "high"),  # ... only after the week: none by the day
        "p6": ("2026-07-01", "refused", "high"),
    }
    con = warehouse()
    for policy_id, (decided_at, decision, _) in cases.items():
        add_policy(con, policy_id, "1", effective_from="2026-08-01", scope="board")
        add_council_decision(con, policy_id, "1", council="GMR", decision=decision, decided_at=decided_at)
    assert flagged(con) == {
        (RULE, f"{p}@1@board", severity) for p, (*_, severity) in cases.items() if severity
    }


def test_no_decision_on_this_policy_is_high(con):
    add_council_decision(con, "other-policy", "1", decided_at="2026-07-01")  # the feed has rows
    assert flagged(con) == {(RULE, BOARD, "high")}
    found = facts(con, RULE, BOARD)
    assert (found["consent_date"], found["refused_date"], found["council_scope"]) == (None, None, "GMR")
    row = finding_row(con, RULE, BOARD)
    assert (row["subject_type"], row["occurred_at"], row["school_id"], row["student_id"]) == (
        "policy",
        None,
        None,
        None,
    )


def test_refused_then_consented_late_is_medium_and_says_both(con):
    add_council_decision(con, decision="refused", decided_at="2026-06-15")
    add_council_decision(con, decision="consent", decided_at="2026-09-10")
    assert flagged(con) == {(RULE, BOARD, "medium")}
    found = facts(con, RULE, BOARD)
    assert (found["consent_date"], found["refused_date"]) == ("2026-09-10", "2026-06-15")
    assert render(RULE, found, "en") == (
        "Version 1 of policy privacy-regulation took effect on 2026-08-01 without the prior consent of the"
        " participation council concerned (GMR); consent given on: 2026-09-10; refused on: 2026-06-15"
        " (as of 2026-11-22)."
    )
    assert render(RULE, found, "nl") == (
        "Versie 1 van beleid privacy-regulation is op 2026-08-01 ingegaan zonder voorafgaande instemming van de"
        " betrokken medezeggenschapsraad (GMR); instemming gegeven op: 2026-09-10; geweigerd op: 2026-06-15"
        " (stand op 2026-11-22)."
    )


def test_the_right_council(con):
    add_policy(con, "camera", "1", effective_from="2026-01-01", scope="10AD")
    add_policy(con, "photos", "1", effective_from="2026-01-01", scope="20BC")
    add_council_decision(con, "privacy-regulation", "1", council="MR", decided_at="2026-07-01")  # not the GMR
    add_council_decision(con, "camera", "1", council="MR", decided_at="2025-12-01")  # the school's MR
    add_council_decision(con, "photos", "1", council="GMR", decided_at="2025-12-01")  # not the MR
    assert flagged(con) == {(RULE, BOARD, "high"), (RULE, "photos@1@20BC", "high")}
    found = facts(con, RULE, "photos@1@20BC")
    assert (found["council"], found["council_scope"]) == ("MR", "MR 20BC")
    assert "betrokken medezeggenschapsraad (MR 20BC);" in render(RULE, found, "nl")


def test_a_decision_on_another_version_does_not_count(con):
    add_council_decision(con, "privacy-regulation", "0.9", decided_at="2026-07-01")
    add_council_decision(con, "other-policy", "1", decided_at="2026-07-01")
    assert flagged(con) == {(RULE, BOARD, "high")}


@pytest.mark.parametrize(
    "effective_from, in_force",
    [
        ("2026-11-22", "2"),  # takes effect on the week's last day
        ("2026-11-23", "1"),  # only the day after: version 1 is still in force
    ],
)
def test_the_latest_version_in_force_on_the_weeks_last_day(con, effective_from, in_force):
    add_policy(con, "privacy-regulation", "2", effective_from=effective_from)
    add_council_decision(con, "privacy-regulation", "1", decided_at="2026-07-01")  # version 1 was approved
    result = check(con, rules=[RULE])
    expected = {(RULE, "privacy-regulation@2@board", "high")} if in_force == "2" else set()
    assert findings(con) == expected
    assert coverage(result, RULE)["subjects_checked"] == 1


def test_an_earlier_unapproved_version_no_longer_in_force_is_not_judged(con):
    add_policy(con, "privacy-regulation", "2", effective_from="2026-10-01")
    add_council_decision(con, "privacy-regulation", "2", decided_at="2026-09-01")
    assert flagged(con) == set()


TIES = {  # policy: (two versions with the same effective_from, the one in force)
    "p1": (("2", "10"), "10"),  # compared as numbers, not as text ('2' > '10')
    "p2": (("10", "9"), "10"),
    "p3": (("1.5", "1.25"), "1.5"),
    "p4": (("b", "a"), "b"),  # text
    "p5": (("2", "a"), "a"),  # not both numeric: as text
}


@pytest.mark.parametrize("approved", ["in force", "the other"])
def test_tie_on_effective_from_takes_the_greatest_version(approved):
    con = warehouse()
    for policy_id, (versions, in_force) in TIES.items():
        for version in versions:
            add_policy(con, policy_id, version, effective_from="2026-08-01")
            if (version == in_force) == (approved == "in force"):
                add_council_decision(con, policy_id, version, decided_at="2026-07-01")
    expected = {(RULE, f"{p}@{in_force}@board", "high") for p, (_, in_force) in TIES.items()}
    assert flagged(con) == (set() if approved == "in force" else expected)


def test_each_policy_and_scope_is_a_subject():
    con = warehouse()
    add_policy(con, "privacy-regulation", "3", effective_from="2026-08-01", scope="board")
    add_policy(con, "privacy-regulation", "3", effective_from="2026-08-01", scope="10AD")
    add_policy(con, "camera", "1", effective_from="2026-02-01", scope=None)  # empty scope = board
    add_council_decision(con, "privacy-regulation", "3", council="GMR", decided_at="2026-07-01")
    result = check(con, rules=[RULE])
    assert findings(con) == {(RULE, "privacy-regulation@3@10AD", "high"), (RULE, "camera@1@board", "high")}
    assert coverage(result, RULE)["subjects_checked"] == 3


def test_a_policy_not_yet_in_force_is_not_judged():
    con = warehouse()
    add_policy(con, "privacy-regulation", "1", effective_from="2027-01-01")
    add_council_decision(con, "other", "1", decided_at="2026-01-01")
    result = check(con, rules=[RULE])
    assert findings(con) == set()
    assert coverage(result, RULE)["subjects_checked"] == 0


@pytest.mark.parametrize("feed", ["policies", "council_decisions"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    add_council_decision(con, decided_at="2026-09-01")
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["status"] == "not_evaluated"
    assert coverage(result, RULE)["reason"] == f"no rows in feed: {feed}"
    assert findings(con) == set()
