"""PROCESSOR-NO-AGREEMENT and PROCESSOR-AGREEMENT-NOT-IN-FORCE (section D)."""

import pytest

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

NO_AGREEMENT = "PROCESSOR-NO-AGREEMENT"
NOT_IN_FORCE = "PROCESSOR-AGREEMENT-NOT-IN-FORCE"
RULES = [NO_AGREEMENT, NOT_IN_FORCE]


@pytest.fixture
def con():
    """Processor p1 (the disclosures' recipient) and p2, which has an agreement so the feed has rows."""
    con = warehouse()
    add_student(con, "s1", school="A")
    add_recipient(con, "p1", kind="processor", name="LeerPlatform BV")
    add_recipient(con, "p2", kind="processor")
    add_agreement(con, "a-p2", recipient="p2")
    return con


def flagged(con, week=WEEK):
    check(con, week, rules=RULES)
    return findings(con, week)


def disclose(con, disclosure_id="x1", occurred_at="2026-11-18 10:00:00", **kwargs):
    kwargs.setdefault("recipient", "p1")
    kwargs.setdefault("legal_basis", "processor")
    add_disclosure(con, disclosure_id, occurred_at=occurred_at, **kwargs)


def test_processor_without_any_agreement(con):
    disclose(con)
    assert flagged(con) == {(NO_AGREEMENT, "x1", "high")}
    assert facts(con, NO_AGREEMENT, "x1") == {
        "disclosure_id": "x1",
        "student_id": "s1",
        "recipient_id": "p1",
        "recipient_name": "LeerPlatform BV",
        "local_date": "2026-11-18",
        "data_categories": ["progress"],
    }


def test_agreement_signed_and_in_force(con):
    add_agreement(con, "a1", recipient="p1", signed_at="2026-01-10", valid_from="2026-01-01")
    disclose(con)
    assert flagged(con) == set()


@pytest.mark.parametrize(
    "signed_at, valid_from, valid_to, problems",
    [
        ("2026-11-18", "2026-01-01", None, None),  # signed on the disclosure's day
        ("2026-11-19", "2026-01-01", None, ["signed_later"]),
        (None, "2026-01-01", None, ["unsigned"]),
        ("2026-01-10", "2026-01-01", "2026-11-18", None),  # valid_to = disclosure date: in force
        ("2026-01-10", "2026-01-01", "2026-11-17", ["expired"]),
        ("2026-01-10", "2026-11-18", None, None),  # valid_from = disclosure date
        ("2026-01-10", "2026-11-19", None, ["not_yet_valid"]),
        (None, "2027-01-01", None, ["not_yet_valid", "unsigned"]),
    ],
)
def test_in_force_and_signed_on_the_disclosure_date(con, signed_at, valid_from, valid_to, problems):
    add_agreement(con, "a1", recipient="p1", signed_at=signed_at, valid_from=valid_from, valid_to=valid_to)
    disclose(con)
    if problems is None:
        assert flagged(con) == set()
    else:
        assert flagged(con) == {(NOT_IN_FORCE, "x1", "high")}
        found = facts(con, NOT_IN_FORCE, "x1")
        assert found["agreement_ids"] == ["a1"]
        assert found["agreement_problems"] == problems


def test_one_agreement_in_force_is_enough(con):
    add_agreement(con, "a-old", recipient="p1", valid_from="2024-01-01", valid_to="2025-12-31")
    add_agreement(con, "a-new", recipient="p1", signed_at="2025-12-20", valid_from="2026-01-01")
    disclose(con)
    assert flagged(con) == set()


def test_all_agreements_out_of_force_are_named(con):
    add_agreement(con, "a-old", recipient="p1", valid_from="2024-01-01", valid_to="2025-12-31")
    add_agreement(con, "a-draft", recipient="p1", signed_at=None, valid_from="2026-01-01")
    disclose(con, categories=["progress", "medical"])
    assert flagged(con) == {(NOT_IN_FORCE, "x1", "high")}  # high even for special categories
    found = facts(con, NOT_IN_FORCE, "x1")
    assert found["agreement_ids"] == ["a-draft", "a-old"]
    assert found["agreement_problems"] == ["expired", "unsigned"]
    assert render(NOT_IN_FORCE, found, "nl").endswith(
        "maar geen van de verwerkersovereenkomsten met deze verwerker (a-draft, a-old) was op die dag"
        " ondertekend en van kracht."
    )
    assert render(NOT_IN_FORCE, found, "en").endswith(
        "(a-draft, a-old) was signed on or before that day and in force on it."
    )


def test_an_agreement_of_another_processor_does_not_count(con):
    disclose(con)  # p2 has an agreement, p1 has none
    assert flagged(con) == {(NO_AGREEMENT, "x1", "high")}


def test_the_local_date_decides(con):
    # 23:30 UTC on 18 November is 19 November local: the agreement ended on the 18th
    add_agreement(con, "a1", recipient="p1", valid_from="2026-01-01", valid_to="2026-11-18")
    disclose(con, "x1", occurred_at="2026-11-18 23:30:00+00")
    disclose(con, "x2", occurred_at="2026-11-18 22:30:00+00")
    assert flagged(con) == {(NOT_IN_FORCE, "x1", "high")}


@pytest.mark.parametrize(
    "legal_basis, kind",
    [
        ("processor", "independent_controller"),  # section C's concern, not D's
        ("legal_obligation", "processor"),
        ("consent", "processor"),
    ],
)
def test_only_processor_basis_with_a_processor_recipient(con, legal_basis, kind):
    add_recipient(con, "other", kind=kind)
    disclose(con, recipient="other", legal_basis=legal_basis, evidence_ref="ref")
    result = check(con, rules=RULES)
    assert findings(con, WEEK) == set()
    assert coverage(result, NO_AGREEMENT)["subjects_checked"] == 0


def test_unknown_recipient_is_not_a_processor(con):
    disclose(con, recipient="nobody")
    assert flagged(con) == set()


@pytest.mark.parametrize("feed", ["processor_agreements", "recipients", "disclosures"])
def test_not_evaluated_when_a_required_feed_is_empty(con, feed):
    disclose(con)
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=RULES)
    for rule_id in RULES:
        assert coverage(result, rule_id)["status"] == "not_evaluated"
        assert coverage(result, rule_id)["reason"] == f"no rows in feed: {feed}"
    assert findings(con, WEEK) == set()


def test_students_feed_is_only_consulted(con):
    disclose(con)
    con.execute("DELETE FROM students")
    assert flagged(con) == {(NO_AGREEMENT, "x1", "high")}
