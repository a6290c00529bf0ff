"""Section B, orders 2-5: SHARE-CONSENT-INVALID-FORM, -AFTER, -WITHDRAWN, -EXPIRED, and the precedence of
the whole consent family (one consent finding per disclosure, the first rule that applies).

Every test runs the whole family, so "no finding" also means "no other consent rule spoke".
"""

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
    finding_row,
    findings,
    render,
    warehouse,
)

CONSENT_RULES = [r.id for r in load_catalogue() if r.family == "consent"]
INVALID_FORM = "SHARE-CONSENT-INVALID-FORM"
AFTER = "SHARE-CONSENT-AFTER"
WITHDRAWN = "SHARE-CONSENT-WITHDRAWN"
EXPIRED = "SHARE-CONSENT-EXPIRED"


@pytest.fixture
def con():
    """Student s1 (14 years old in the week) whose parent g1 holds parental authority, and a recipient."""
    con = warehouse()
    add_student(con, "s1", school="A", birth="2012-03-10")
    add_guardian(con, "g1", "s1", parental_authority=True)
    add_recipient(con, "r1", kind="independent_controller")
    return con


def consent(con, consent_id="c1", **kwargs):
    """A consent that is valid for disclose() unless a test changes one thing."""
    kwargs.setdefault("given_by", "g1")
    kwargs.setdefault("given_by_role", "guardian")
    add_consent(con, consent_id, student="s1", **kwargs)


def disclose(con, disclosure_id="x1", occurred_at="2026-11-18 10:00:00", **kwargs):
    kwargs.setdefault("legal_basis", "consent")
    kwargs.setdefault("consent_id", "c1")
    add_disclosure(con, disclosure_id, occurred_at=occurred_at, **kwargs)


def flagged(con, week=WEEK):
    check(con, week, rules=CONSENT_RULES)
    return findings(con, week)


def judge_cases(con, cases, rule_id, severity="high"):
    """One consent and one disclosure per case (consent changes, flagged?), all judged in one run.
    Returns (found, expected) as sets of findings, so that a failure names the disclosures."""
    for n, (changes, _) in enumerate(cases):
        consent(con, f"c{n}", **changes)
        disclose(con, f"x{n}", consent_id=f"c{n}")
    expected = {(rule_id, f"x{n}", severity) for n, (_, flag) in enumerate(cases) if flag}
    return flagged(con), expected


def test_the_family_is_the_spec_order():
    assert CONSENT_RULES == [
        "SHARE-NO-CONSENT",
        "SHARE-CONSENT-INVALID-FORM",
        "SHARE-CONSENT-AFTER",
        "SHARE-CONSENT-WITHDRAWN",
        "SHARE-CONSENT-EXPIRED",
        "SHARE-CONSENT-WRONG-PARTY",
        "SHARE-CONSENT-SCOPE",
        "SHARE-CONSENT-AGE-TRANSITION",
    ]


def test_a_valid_consent_gives_no_finding(con):
    consent(con)
    disclose(con)
    assert flagged(con) == set()


# --- INVALID-FORM ----------------------------------------------------------------------------------


def test_only_written_or_digitally_signed_consent_is_active_and_provable(con):
    forms = ["verbal", "implied", "opt_out", "written", "digital_signature"]
    found, expected = judge_cases(
        con, [({"form": form}, form in ("verbal", "implied", "opt_out")) for form in forms], INVALID_FORM
    )
    assert found == expected


def test_invalid_form_explanation_names_the_recorded_form(con):
    consent(con, form="opt_out")
    disclose(con)
    assert flagged(con) == {(INVALID_FORM, "x1", "high")}
    found = facts(con, INVALID_FORM, "x1")
    assert (found["consent_id"], found["form"]) == ("c1", "opt_out")
    assert render(INVALID_FORM, found, "en").endswith(
        "relies on consent c1, which was not given in writing or with a digital signature (recorded form:"
        " opt_out), so it is neither actively given nor provable."
    )
    assert render(INVALID_FORM, found, "nl").endswith(
        "steunt op toestemming c1, die niet schriftelijk of met een digitale handtekening is gegeven (vastgelegde"
        " vorm: opt_out), en dus niet actief gegeven en niet aantoonbaar is."
    )


# --- AFTER -----------------------------------------------------------------------------------------


def test_consent_given_after_the_disclosure_on_local_dates(con):
    # every disclosure on Wednesday 18 November, 10:00 local
    cases = [
        ({"given_at": "2026-11-17"}, False),
        ({"given_at": "2026-11-18"}, False),  # the same day counts as before
        ({"given_at": "2026-11-18 23:59:00"}, False),  # same local day, later than the disclosure itself
        ({"given_at": "2026-11-19"}, True),
        ({"given_at": "2026-11-17 23:30:00+00"}, False),  # 00:30 on the 18th local: the same day
        ({"given_at": "2026-11-18 23:30:00+00"}, True),  # 00:30 on the 19th local: after
    ]
    found, expected = judge_cases(con, cases, AFTER)
    assert found == expected


def test_after_states_the_consent_date(con):
    consent(con, given_at="2026-11-18 23:30:00+00")
    disclose(con)
    assert flagged(con) == {(AFTER, "x1", "high")}
    found = facts(con, AFTER, "x1")
    assert found["consent_date"] == "2026-11-19"
    assert render(AFTER, found, "nl") == (
        "Verstrekking x1 van gegevens van leerling s1 (progress) aan r1 op 2026-11-18 steunt op toestemming c1,"
        " die pas op 2026-11-19 is gegeven, na de verstrekking."
    )
    assert render(AFTER, found, "en").endswith("which was only given on 2026-11-19, after the disclosure.")


def test_spring_forward_week_compares_local_dates():
    # 2026-W13 ends on Sunday 29 March, when summer time starts (UTC+2 from 02:00)
    con = warehouse()
    add_student(con, "s1", birth="2012-03-10")
    add_guardian(con, "g1", "s1")
    add_recipient(con, "r1", kind="independent_controller")
    add_consent(con, "c1", student="s1", given_by="g1", given_at="2026-03-29 21:45:00+00")  # 23:45 local
    add_consent(
        con, "c2", student="s1", given_by="g1", given_at="2026-03-29 22:15:00+00"
    )  # 00:15 on the 30th
    disclose(con, "x1", occurred_at="2026-03-29 21:30:00+00", consent_id="c1")  # 23:30 on the 29th
    disclose(con, "x2", occurred_at="2026-03-29 21:30:00+00", consent_id="c2")
    assert flagged(con, "2026-W13") == {(AFTER, "x2", "high")}
    assert facts(con, AFTER, "x2", "2026-W13")["consent_date"] == "2026-03-30"


# --- WITHDRAWN -------------------------------------------------------------------------------------


def test_consent_withdrawn_on_or_before_the_disclosure_date(con):
    cases = [
        ({"withdrawn_at": "2026-11-17"}, True),
        ({"withdrawn_at": "2026-11-18"}, True),  # withdrawn the same day
        ({"withdrawn_at": "2026-11-18 18:00:00"}, True),  # even later that day than the disclosure
        ({"withdrawn_at": "2026-11-19"}, False),  # the next day: still valid on the 18th
        ({"withdrawn_at": "2026-11-17 23:30:00+00"}, True),  # 00:30 on the 18th local
        ({"withdrawn_at": "2026-11-18 23:30:00+00"}, False),  # 00:30 on the 19th local
    ]
    found, expected = judge_cases(con, cases, WITHDRAWN)
    assert found == expected


def test_withdrawn_states_the_withdrawal_date(con):
    consent(con, withdrawn_at="2026-11-17 23:30:00+00")
    disclose(con)
    assert flagged(con) == {(WITHDRAWN, "x1", "high")}
    found = facts(con, WITHDRAWN, "x1")
    assert found["withdrawn_date"] == "2026-11-18"
    assert render(WITHDRAWN, found, "en").endswith(
        "relies on consent c1, which was withdrawn on 2026-11-18, on or before the day of the disclosure."
    )
    assert render(WITHDRAWN, found, "nl").endswith(
        "steunt op toestemming c1, die op 2026-11-18 is ingetrokken, op of vóór de dag van de verstrekking."
    )


def test_fall_back_week_compares_local_dates():
    # 2026-W43 ends on Sunday 25 October, when winter time starts (UTC+1 from 03:00)
    con = warehouse()
    add_student(con, "s1", birth="2012-03-10")
    add_guardian(con, "g1", "s1")
    add_recipient(con, "r1", kind="independent_controller")
    add_consent(con, "c1", student="s1", given_by="g1", withdrawn_at="2026-10-25 22:45:00+00")  # 23:45 local
    add_consent(
        con, "c2", student="s1", given_by="g1", withdrawn_at="2026-10-25 23:00:00+00"
    )  # 00:00 on the 26th
    disclose(con, "x1", occurred_at="2026-10-25 22:30:00+00", consent_id="c1")  # 23:30 on the 25th
    disclose(con, "x2", occurred_at="2026-10-25 22:30:00+00", consent_id="c2")
    assert flagged(con, "2026-W43") == {(WITHDRAWN, "x1", "high")}


# --- EXPIRED ---------------------------------------------------------------------------------------


def test_consent_expired_before_the_disclosure_date(con):
    cases = [
        ({"valid_until": None}, False),  # open-ended
        ({"valid_until": "2027-07-31"}, False),
        ({"valid_until": "2026-11-18"}, False),  # valid through the disclosure's day
        ({"valid_until": "2026-11-17"}, True),  # the day before
    ]
    found, expected = judge_cases(con, cases, EXPIRED)
    assert found == expected


def test_expiry_is_judged_on_the_local_date(con):
    consent(con, valid_until="2026-11-18")
    disclose(con, "x1", occurred_at="2026-11-18 22:30:00+00")  # 23:30 on the 18th local
    disclose(con, "x2", occurred_at="2026-11-18 23:30:00+00")  # 00:30 on the 19th local
    assert flagged(con) == {(EXPIRED, "x2", "high")}
    found = facts(con, EXPIRED, "x2")
    assert (found["valid_until"], found["local_date"]) == ("2026-11-18", "2026-11-19")
    assert render(EXPIRED, found, "nl").endswith(
        "steunt op toestemming c1, die maar geldig was tot en met 2026-11-18."
    )


# --- severity, precedence, population ---------------------------------------------------------------

MAKE = {
    INVALID_FORM: {"form": "verbal"},
    AFTER: {"given_at": "2026-11-20"},
    WITHDRAWN: {"withdrawn_at": "2026-11-01"},
    EXPIRED: {"valid_until": "2026-10-31"},
}


@pytest.mark.parametrize("rule_id", list(MAKE))
def test_special_category_makes_it_critical(con, rule_id):
    cases = {
        "x1": (["progress"], "high"),
        "x2": (["progress", "care"], "critical"),
        "x3": (["medical"], "critical"),
        "x4": (["psychological_report"], "critical"),
        "x5": (["identifiers", "images"], "high"),
    }
    for disclosure_id, (categories, _) in cases.items():
        consent(con, f"c-{disclosure_id}", categories=categories, **MAKE[rule_id])
        disclose(con, disclosure_id, categories=categories, consent_id=f"c-{disclosure_id}")
    assert flagged(con) == {(rule_id, x, severity) for x, (_, severity) in cases.items()}


def test_only_the_first_consent_rule_that_applies_gives_a_finding(con):
    cases = [
        ({"form": "verbal", "given_at": "2026-11-20"}, INVALID_FORM),  # invalid form AND after
        ({"form": "implied", "valid_until": "2026-10-31", "purpose": "other"}, INVALID_FORM),
        ({"given_at": "2026-11-20", "withdrawn_at": "2026-11-18"}, AFTER),
        ({"given_at": "2026-11-20", "valid_until": "2026-11-01"}, AFTER),
        ({"withdrawn_at": "2026-11-10", "valid_until": "2026-11-01"}, WITHDRAWN),
        ({"valid_until": "2026-11-01", "given_by": "stranger"}, EXPIRED),  # expired AND wrong party
        ({"valid_until": "2026-11-01", "categories": ["care"]}, EXPIRED),  # expired AND out of scope
    ]
    for n, (problems, _) in enumerate(cases):
        consent(con, f"c{n}", **problems)
        disclose(con, f"x{n}", consent_id=f"c{n}")
    assert flagged(con) == {(winner, f"x{n}", "high") for n, (_, winner) in enumerate(cases)}


def test_no_consent_comes_before_the_consent_rules(con):
    add_student(con, "s2", birth="2012-03-10")
    add_consent(con, "c2", student="s2", given_by="g1", form="verbal", given_at="2026-11-20")
    disclose(con, consent_id="c2")  # the consent of another student, and invalid in every other way too
    assert flagged(con) == {("SHARE-NO-CONSENT", "x1", "high")}


def test_each_disclosure_is_judged_on_its_own(con):
    consent(con, "c1", form="verbal")
    consent(con, "c2", withdrawn_at="2026-11-17")
    consent(con, "c3")
    disclose(con, "x1", consent_id="c1")
    disclose(con, "x2", consent_id="c2")
    disclose(con, "x3", consent_id="c3")
    disclose(con, "x4", consent_id="c2", occurred_at="2026-11-16 09:00:00")  # before the withdrawal
    assert flagged(con) == {(INVALID_FORM, "x1", "high"), (WITHDRAWN, "x2", "high")}


def test_finding_row_of_a_consent_rule(con):
    consent(con, form="opt_out")
    disclose(con, occurred_at="2026-11-19 14:00:00")
    assert flagged(con) == {(INVALID_FORM, "x1", "high")}
    row = finding_row(con, INVALID_FORM, "x1")
    assert (
        row["subject_type"],
        row["school_id"],
        row["student_id"],
        row["recipient_id"],
        row["actor_id"],
    ) == ("disclosure", "A", "s1", "r1", None)
    assert row["occurred_at"].isoformat() == "2026-11-19T14:00:00+01:00"


def test_an_unknown_student_is_still_judged_on_the_consent(con):
    add_consent(con, "c9", student="ghost", given_by="g1", form="implied")
    disclose(con, "x1", student="ghost", consent_id="c9")
    assert flagged(con) == {(INVALID_FORM, "x1", "high")}
    assert finding_row(con, INVALID_FORM, "x1")["school_id"] is None


def test_only_disclosures_on_consent_of_the_week_are_checked(con):
    consent(con, form="verbal")
    disclose(con, "x1")
    disclose(con, "x2", legal_basis="educational_report")
    disclose(con, "x3", occurred_at="2026-11-23 09:00:00")  # the next week
    disclose(con, "x4", occurred_at="2026-11-15 23:30:00")  # the week before
    result = check(con, rules=CONSENT_RULES)
    assert findings(con) == {(INVALID_FORM, "x1", "high")}
    for rule_id in CONSENT_RULES:
        assert coverage(result, rule_id)["subjects_checked"] == 1
    assert coverage(result, INVALID_FORM)["findings"] == 1
    assert coverage(result, AFTER)["findings"] == 0


@pytest.mark.parametrize("feed", ["consents", "disclosures", "students"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    consent(con, form="verbal")
    disclose(con)
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=CONSENT_RULES)
    for rule_id in CONSENT_RULES:
        assert coverage(result, rule_id)["status"] == "not_evaluated"
        assert coverage(result, rule_id)["reason"] == f"no rows in feed: {feed}"
    assert findings(con) == set()


def test_guardians_are_only_consulted(con):
    consent(con, form="verbal")
    disclose(con)
    con.execute("DELETE FROM guardians")
    result = check(con, rules=CONSENT_RULES)
    assert all(coverage(result, rule_id)["status"] == "evaluated" for rule_id in CONSENT_RULES)
    assert findings(con) == {(INVALID_FORM, "x1", "high")}
