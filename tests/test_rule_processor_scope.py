"""Section D: PROCESSOR-SCOPE: a disclosed category that the agreements in force that day (together:
the union of their data_categories) do not cover. Only when an agreement is in force."""

import pytest

from checks.registry import load_catalogue
from tests.rule_fixtures import (
    WEEK,
    add_agreement,
    add_disclosure,
    add_recipient,
    add_student,
    check,
    coverage,
    facts,
    findings,
    render,
    warehouse,
)

PROCESSOR_RULES = [r.id for r in load_catalogue() if r.family == "processor"]
SCOPE = "PROCESSOR-SCOPE"


@pytest.fixture
def con():
    con = warehouse()
    add_student(con, "s1", school="A")
    add_recipient(con, "p1", kind="processor", name="LeerPlatform BV")
    return con


def disclose(con, disclosure_id="x1", occurred_at="2026-11-18 10:00:00", **kwargs):
    kwargs.setdefault("recipient", "p1")
    kwargs.setdefault("legal_basis", "processor")
    add_disclosure(con, disclosure_id, occurred_at=occurred_at, **kwargs)


def flagged(con, week=WEEK):
    check(con, week, rules=PROCESSOR_RULES)
    return findings(con, week)


def test_agreement_in_force_covers_the_categories(con):
    add_agreement(con, "a1", recipient="p1", categories=["progress", "attendance"])
    disclose(con, categories=["attendance", "progress"])
    assert flagged(con) == set()


def test_a_category_outside_the_agreement(con):
    add_agreement(con, "a1", recipient="p1", categories=["progress"])
    disclose(con, categories=["progress", "attendance"])
    assert flagged(con) == {(SCOPE, "x1", "medium")}
    found = facts(con, SCOPE, "x1")
    assert (found["agreement_ids"], found["covered_categories"], found["uncovered_categories"]) == (
        ["a1"],
        ["progress"],
        ["attendance"],
    )
    assert render(SCOPE, found, "en") == (
        "Disclosure x1 of data of student s1 (progress, attendance) on 2026-11-18 went to processor LeerPlatform BV"
        " (p1), but the processor agreements in force that day (a1) cover only these categories: progress;"
        " not covered: attendance."
    )
    assert render(SCOPE, found, "nl") == (
        "Verstrekking x1 van gegevens van leerling s1 (progress, attendance) op 2026-11-18 ging naar verwerker"
        " LeerPlatform BV (p1), maar de verwerkersovereenkomsten die die dag van kracht waren (a1) dekken alleen"
        " deze categorieën: progress; niet gedekt: attendance."
    )


def test_an_uncovered_special_category_makes_it_high(con):
    add_agreement(con, "a1", recipient="p1", categories=["progress"])
    disclose(con, "x1", categories=["progress", "care"])  # the uncovered category is special
    disclose(con, "x2", categories=["progress", "medical", "images"])
    disclose(con, "x3", categories=["progress", "images"])
    assert flagged(con) == {(SCOPE, "x1", "high"), (SCOPE, "x2", "high"), (SCOPE, "x3", "medium")}


def test_a_covered_special_category_does_not_raise_the_severity(con):
    add_agreement(con, "a1", recipient="p1", categories=["progress", "care"])
    disclose(con, categories=["care", "images"])
    assert flagged(con) == {(SCOPE, "x1", "medium")}


def test_two_agreements_in_force_cover_their_union(con):
    add_agreement(con, "a-base", recipient="p1", categories=["administrative", "progress"])
    add_agreement(
        con,
        "a-addendum",
        recipient="p1",
        signed_at="2026-04-01",
        valid_from="2026-04-01",
        categories=["care"],
    )
    disclose(con, categories=["administrative", "care", "progress"])
    assert flagged(con) == set()


def test_two_agreements_in_force_whose_union_does_not_cover(con):
    add_agreement(con, "a-base", recipient="p1", categories=["administrative", "progress"])
    add_agreement(con, "a-addendum", recipient="p1", categories=["attendance", "progress"])
    disclose(con, categories=["administrative", "medical", "attendance"])
    assert flagged(con) == {(SCOPE, "x1", "high")}
    found = facts(con, SCOPE, "x1")
    assert found["agreement_ids"] == ["a-addendum", "a-base"]
    assert found["covered_categories"] == ["administrative", "attendance", "progress"]
    assert found["uncovered_categories"] == ["medical"]


def test_only_agreements_in_force_on_the_disclosure_date_cover(con):
    # each processor has a base agreement for progress and a second one for care; disclosures on the 18th
    cases = [
        (None, "2026-01-01", None, False),  # unsigned
        ("2026-11-19", "2026-01-01", None, False),  # signed after the disclosure
        ("2026-01-10", "2026-01-01", "2026-11-17", False),  # expired the day before
        ("2026-01-10", "2026-11-19", None, False),  # valid from the next day
        ("2026-11-18", "2026-01-01", None, True),  # signed on the disclosure's day
        ("2026-01-10", "2026-01-01", "2026-11-18", True),  # last day in force
        ("2026-01-10", "2026-11-18", None, True),  # first day in force
    ]
    for n, (signed_at, valid_from, valid_to, _) in enumerate(cases):
        add_recipient(con, f"p-{n}", kind="processor")
        add_agreement(con, f"a-base-{n}", recipient=f"p-{n}", categories=["progress"])
        add_agreement(
            con,
            f"a-care-{n}",
            recipient=f"p-{n}",
            signed_at=signed_at,
            valid_from=valid_from,
            valid_to=valid_to,
            categories=["care"],
        )
        disclose(con, f"x{n}", recipient=f"p-{n}", categories=["progress", "care"])
    assert flagged(con) == {(SCOPE, f"x{n}", "high") for n, (*_, covers) in enumerate(cases) if not covers}
    assert facts(con, SCOPE, "x0")["agreement_ids"] == ["a-base-0"]


@pytest.mark.parametrize("categories", [None, ()])
def test_an_agreement_with_empty_categories_covers_nothing(con, categories):
    add_agreement(con, "a1", recipient="p1", categories=categories)
    disclose(con, categories=["progress"])
    assert flagged(con) == {(SCOPE, "x1", "medium")}
    found = facts(con, SCOPE, "x1")
    assert found["covered_categories"] is None
    assert "dekken alleen deze categorieën: —; niet gedekt: progress." in render(SCOPE, found, "nl")


def test_without_an_agreement_in_force_the_other_rules_speak(con):
    add_recipient(con, "p2", kind="processor")
    add_agreement(con, "a-old", recipient="p1", valid_to="2025-12-31", categories=["general"])
    disclose(con, "x1", recipient="p1", categories=["progress"])
    disclose(con, "x2", recipient="p2", categories=["progress"])
    assert flagged(con) == {
        ("PROCESSOR-AGREEMENT-NOT-IN-FORCE", "x1", "high"),
        ("PROCESSOR-NO-AGREEMENT", "x2", "high"),
    }


def test_the_local_date_decides_which_agreements_are_in_force(con):
    add_agreement(con, "a-base", recipient="p1", categories=["progress"])
    add_agreement(con, "a-care", recipient="p1", valid_from="2026-11-19", categories=["care"])
    disclose(con, "x1", occurred_at="2026-11-18 22:30:00+00", categories=["care"])  # 23:30 on the 18th
    disclose(con, "x2", occurred_at="2026-11-18 23:30:00+00", categories=["care"])  # 00:30 on the 19th
    assert flagged(con) == {(SCOPE, "x1", "high")}


def test_only_processor_disclosures_to_a_processor_are_checked(con):
    add_recipient(con, "other", kind="independent_controller")
    add_agreement(con, "a1", recipient="p1", categories=["progress"])
    add_agreement(con, "a2", recipient="other", categories=["progress"])
    disclose(con, "x1", categories=["care"])
    disclose(con, "x2", recipient="other", categories=["care"])  # section C's concern
    disclose(con, "x3", legal_basis="legal_obligation", evidence_ref="law", categories=["care"])
    result = check(con, rules=[SCOPE])
    assert findings(con) == {(SCOPE, "x1", "high")}
    assert coverage(result, SCOPE)["subjects_checked"] == 1


@pytest.mark.parametrize("feed", ["processor_agreements", "recipients", "disclosures"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    add_agreement(con, "a1", recipient="p1", categories=["progress"])
    disclose(con, categories=["care"])
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=[SCOPE])
    assert coverage(result, SCOPE)["status"] == "not_evaluated"
    assert coverage(result, SCOPE)["reason"] == f"no rows in feed: {feed}"
    assert findings(con) == set()
