"""Section E: PROCESSOR-AGREEMENT-INCOMPLETE (medium) and PROCESSOR-AGREEMENT-EXPIRING (info), judged as of
the week's last day (2026-W47: Sunday 22 November 2026), one finding per agreement."""

import pytest

from pipelines.settings import Settings
from tests.rule_fixtures import (
    WEEK,
    add_agreement,
    add_recipient,
    check,
    coverage,
    facts,
    finding_row,
    findings,
    render,
    warehouse,
)

INCOMPLETE = "PROCESSOR-AGREEMENT-INCOMPLETE"
EXPIRING = "PROCESSOR-AGREEMENT-EXPIRING"
RULES = [INCOMPLETE, EXPIRING]
SUNDAY = "2026-11-22"


@pytest.fixture
def con():
    con = warehouse()
    add_recipient(con, "p1", kind="processor", name="LeerPlatform BV")
    return con


def flagged(con, week=WEEK, settings=None):
    check(con, week, rules=RULES, settings=settings)
    return findings(con, week)


def test_a_complete_open_ended_agreement_in_force(con):
    add_agreement(con, "a1", recipient="p1")
    assert flagged(con) == set()


def test_agreement_lacking_a_required_clause(con):
    cases = {
        "a1": (False, True, ["f"]),
        "a2": (None, True, ["f"]),  # unknown is not a clause
        "a3": (True, False, ["g"]),
        "a4": (True, None, ["g"]),
        "a5": (False, False, ["f", "g"]),
        "a6": (None, None, ["f", "g"]),
        "a7": (True, True, []),
    }
    for agreement_id, (breach_notification, deletion_clause, _) in cases.items():
        add_agreement(
            con,
            agreement_id,
            recipient="p1",
            breach_notification=breach_notification,
            deletion_clause=deletion_clause,
        )
    assert flagged(con) == {(INCOMPLETE, a, "medium") for a, (*_, missing) in cases.items() if missing}
    for agreement_id, (*_, missing) in cases.items():
        if missing:
            assert facts(con, INCOMPLETE, agreement_id)["missing_clauses"] == missing


def test_incomplete_explanation_and_row(con):
    add_agreement(con, "a1", recipient="p1", breach_notification=False)
    assert flagged(con) == {(INCOMPLETE, "a1", "medium")}
    found = facts(con, INCOMPLETE, "a1")
    assert render(INCOMPLETE, found, "en") == (
        "Processor agreement a1 with LeerPlatform BV (p1), in force on 2026-11-22, lacks a clause that GDPR"
        " art. 28(3) requires, point f (f: notifying data breaches; g: deleting or returning the data when the"
        " service ends)."
    )
    assert render(INCOMPLETE, found, "nl") == (
        "Verwerkersovereenkomst a1 met LeerPlatform BV (p1), van kracht op 2026-11-22, mist een bepaling die AVG"
        " art. 28 lid 3 verplicht stelt, onderdeel f (f: melden van datalekken; g: verwijderen of teruggeven van"
        " de gegevens als de dienst stopt)."
    )
    row = finding_row(con, INCOMPLETE, "a1")
    assert (
        row["subject_type"],
        row["occurred_at"],
        row["school_id"],
        row["student_id"],
        row["actor_id"],
    ) == ("agreement", None, None, None, None)


def test_only_agreements_in_force_on_the_weeks_last_day(con):
    # every agreement lacks the deletion clause, so each one in force gives a finding
    cases = {
        "a1": (SUNDAY, "2026-01-01", None, True),  # signed on the week's last day
        "a2": ("2026-11-23", "2026-01-01", None, False),  # signed the day after
        "a3": (None, "2026-01-01", None, False),  # unsigned
        "a4": ("2026-01-10", "2026-01-01", "2027-06-30", True),
        "a5": ("2026-01-10", "2026-01-01", "2026-11-21", False),  # ended on Saturday
        "a6": ("2026-01-10", SUNDAY, None, True),  # starts on Sunday
        "a7": ("2026-01-10", "2026-11-23", None, False),  # starts the Monday after
    }
    for agreement_id, (signed_at, valid_from, valid_to, _) in cases.items():
        add_agreement(
            con,
            agreement_id,
            recipient="p1",
            signed_at=signed_at,
            valid_from=valid_from,
            valid_to=valid_to,
            deletion_clause=False,
        )
    result = check(con, rules=[INCOMPLETE])
    assert findings(con) == {(INCOMPLETE, a, "medium") for a, (*_, in_force) in cases.items() if in_force}
    assert coverage(result, INCOMPLETE)["subjects_checked"] == 3


def test_agreement_ending_within_the_renewal_horizon(con):
    cases = {
        "a1": (None, False),
        "a2": ("2027-01-21", True),  # Sunday + 60 days: the renewal horizon's last day
        "a3": ("2027-01-22", False),  # Sunday + 61
        "a4": ("2026-12-01", True),
        "a5": (SUNDAY, True),  # its last day in force
        "a6": ("2026-11-21", False),  # ended on Saturday: not in force, nothing to renew
    }
    for agreement_id, (valid_to, _) in cases.items():
        add_agreement(con, agreement_id, recipient="p1", valid_to=valid_to)
    assert flagged(con) == {(EXPIRING, a, "info") for a, (_, expiring) in cases.items() if expiring}


def test_expiring_explanation_says_it_is_a_notice(con):
    add_agreement(con, "a1", recipient="p1", valid_to="2027-01-21")
    assert flagged(con) == {(EXPIRING, "a1", "info")}
    found = facts(con, EXPIRING, "a1")
    assert (found["valid_to"], found["days_left"], found["horizon_days"]) == ("2027-01-21", 60, 60)
    assert render(EXPIRING, found, "en") == (
        "Processor agreement a1 with LeerPlatform BV (p1) ends on 2027-01-21, 60 days after 2026-11-22 (renewal"
        " horizon: 60 days). Not a violation: renew it in time, or stop sending data to this processor when it"
        " ends."
    )
    assert render(EXPIRING, found, "nl").startswith(
        "Verwerkersovereenkomst a1 met LeerPlatform BV (p1) loopt af op 2027-01-21, 60 dagen na 2026-11-22"
        " (termijn voor verlenging: 60 dagen). Geen overtreding:"
    )


def test_the_renewal_horizon_is_a_parameter(con):
    add_agreement(con, "a1", recipient="p1", valid_to="2026-12-22")  # Sunday + 30
    add_agreement(con, "a2", recipient="p1", valid_to="2026-12-23")  # Sunday + 31
    assert flagged(con, settings=Settings(renewal_horizon_days=30)) == {(EXPIRING, "a1", "info")}
    assert facts(con, EXPIRING, "a1")["horizon_days"] == 30


def test_one_finding_per_agreement_and_both_rules_may_apply(con):
    add_recipient(con, "p2", kind="processor")
    add_agreement(con, "a1", recipient="p1", valid_to="2026-12-31", breach_notification=False)
    add_agreement(con, "a2", recipient="p1", valid_from="2027-01-01")  # the renewal, not yet in force
    add_agreement(con, "a3", recipient="p2", deletion_clause=None)
    add_agreement(con, "a4", recipient="unknown-recipient")  # a complete agreement: judged all the same
    result = check(con, rules=RULES)
    assert findings(con) == {
        (INCOMPLETE, "a1", "medium"),
        (EXPIRING, "a1", "info"),
        (INCOMPLETE, "a3", "medium"),
    }
    assert coverage(result, INCOMPLETE)["subjects_checked"] == 3
    assert coverage(result, EXPIRING)["findings"] == 1


def test_the_week_decides_the_day(con):
    add_agreement(con, "a1", recipient="p1", valid_to="2026-11-16", breach_notification=False)
    assert flagged(con, "2026-W46") == {(INCOMPLETE, "a1", "medium"), (EXPIRING, "a1", "info")}
    assert flagged(con, "2026-W47") == set()  # ended on the Monday, not in force on Sunday 22 November


def test_disclosures_are_not_needed(con):
    add_agreement(con, "a1", recipient="p1", deletion_clause=False)
    result = check(con, rules=RULES)  # no disclosures at all
    assert coverage(result, INCOMPLETE)["status"] == "evaluated"
    assert findings(con) == {(INCOMPLETE, "a1", "medium")}


@pytest.mark.parametrize("feed", ["processor_agreements", "recipients"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    add_agreement(con, "a1", recipient="p1", deletion_clause=False, valid_to="2026-12-01")
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=RULES)
    for rule_id in RULES:
        assert coverage(result, rule_id)["status"] == "not_evaluated"
        assert coverage(result, rule_id)["reason"] == f"no rows in feed: {feed}"
    assert findings(con) == set()
