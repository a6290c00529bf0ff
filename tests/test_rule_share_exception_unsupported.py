"""SHARE-EXCEPTION-UNSUPPORTED: a disclosure on a legal exception whose conditions do not hold."""

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

RULE = "SHARE-EXCEPTION-UNSUPPORTED"
KINDS = (
    "school",
    "samenwerkingsverband",
    "inspectorate",
    "child_protection",
    "emergency_services",
    "processor",
    "independent_controller",
    "other",
)


@pytest.fixture
def con():
    con = warehouse()
    add_student(con, "s1", school="A")
    for kind in KINDS:
        add_recipient(con, kind, kind=kind)  # recipient id = its kind, for readable cases
    return con


def flagged(con, week=WEEK):
    check(con, week, rules=[RULE])
    return findings(con, week, RULE)


# (legal_basis, recipient, evidence_ref, supported)
CASES = [
    ("educational_report", "school", None, True),
    ("educational_report", "samenwerkingsverband", None, False),
    ("admissibility", "samenwerkingsverband", None, True),
    ("admissibility", "school", None, False),
    ("inspectorate", "inspectorate", "request 2026-114", True),
    ("inspectorate", "inspectorate", None, False),
    ("inspectorate", "inspectorate", "  ", False),
    ("inspectorate", "school", "request 2026-114", False),
    ("emergency", "child_protection", "melding VT-2026-7", True),
    ("emergency", "emergency_services", "112 call 18 Nov", True),
    ("emergency", "child_protection", None, False),
    ("emergency", "school", "melding VT-2026-7", False),
    ("legal_obligation", "other", "Wet op het onderwijstoezicht art. 7", True),
    ("legal_obligation", "independent_controller", None, False),
    ("processor", "processor", None, True),
    ("processor", "independent_controller", None, False),
    ("processor", "school", None, False),
]


@pytest.mark.parametrize("legal_basis, recipient, evidence_ref, supported", CASES)
def test_each_legal_exception(con, legal_basis, recipient, evidence_ref, supported):
    add_disclosure(con, "x1", recipient=recipient, legal_basis=legal_basis, evidence_ref=evidence_ref)
    assert flagged(con) == (set() if supported else {(RULE, "x1", "high")})


@pytest.mark.parametrize(
    "legal_basis",
    ["educational_report", "admissibility", "inspectorate", "emergency", "legal_obligation", "processor"],
)
def test_unknown_recipient_supports_no_exception(con, legal_basis):
    add_disclosure(con, "x1", recipient="nobody", legal_basis=legal_basis, evidence_ref="ref 1")
    assert flagged(con) == {(RULE, "x1", "high")}
    found = facts(con, RULE, "x1")
    assert (found["recipient_known"], found["recipient_kind"]) == (False, None)


def test_facts_and_explanation(con):
    add_disclosure(
        con,
        "x1",
        recipient="school",
        legal_basis="inspectorate",
        categories=["progress", "care"],
        evidence_ref=None,
    )
    assert flagged(con) == {(RULE, "x1", "critical")}
    found = facts(con, RULE, "x1")
    assert found == {
        "disclosure_id": "x1",
        "student_id": "s1",
        "recipient_id": "school",
        "recipient_known": True,
        "recipient_kind": "school",
        "local_date": "2026-11-18",
        "data_categories": ["progress", "care"],
        "legal_basis": "inspectorate",
        "evidence_ref": None,
    }
    assert render(RULE, found, "en") == (
        "Disclosure x1 of data of student s1 (progress, care) to school on 2026-11-18 relies on the legal"
        " exception 'inspectorate', which the recorded kind of recipient (school) and evidence reference (—)"
        " do not support."
    )
    assert render(RULE, found, "nl").endswith(
        "maar het vastgelegde soort ontvanger (school) en de verwijzing naar het bewijsstuk (—)"
        " onderbouwen die uitzondering niet."
    )


@pytest.mark.parametrize(
    "categories, severity", [(["progress"], "high"), (["medical", "progress"], "critical")]
)
def test_special_category_makes_it_critical(con, categories, severity):
    add_disclosure(con, "x1", recipient="school", legal_basis="admissibility", categories=categories)
    assert flagged(con) == {(RULE, "x1", severity)}


def test_consent_disclosures_are_not_checked(con):
    add_disclosure(con, "x1", recipient="nobody", legal_basis="consent")
    add_disclosure(con, "x2", recipient="nobody", legal_basis="educational_report")
    result = check(con, rules=[RULE])
    assert findings(con, WEEK, RULE) == {(RULE, "x2", "high")}
    assert coverage(result, RULE)["subjects_checked"] == 1


def test_processor_basis_with_another_kind_gets_only_this_finding(con):
    add_agreement(con, "a1", recipient="processor")  # section D is evaluated, but must not apply
    add_disclosure(con, "x1", recipient="independent_controller", legal_basis="processor")
    add_disclosure(con, "x2", recipient="processor", legal_basis="processor")  # valid: section D, in force
    check(con)
    assert findings(con, WEEK) == {(RULE, "x1", "high")}


def test_not_evaluated_without_recipients(con):
    add_disclosure(con, "x1", recipient="school", legal_basis="educational_report")
    con.execute("DELETE FROM recipients")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["reason"] == "no rows in feed: recipients"
    assert findings(con, WEEK) == set()


def test_local_week_boundary(con):
    add_disclosure(
        con, "x1", occurred_at="2026-11-22 23:30:00+00", recipient="nobody", legal_basis="legal_obligation"
    )
    assert flagged(con, "2026-W47") == set()
    assert flagged(con, "2026-W48") == {(RULE, "x1", "high")}
