"""Section B, order 7: SHARE-CONSENT-SCOPE: another named recipient, another purpose (trimmed,
case-insensitive), or a disclosed category the consent does not list (empty data_categories covers none)."""

import pytest

from checks.registry import load_catalogue
from tests.rule_fixtures import (
    add_consent,
    add_disclosure,
    add_guardian,
    add_recipient,
    add_student,
    check,
    facts,
    findings,
    insert,
    render,
    warehouse,
)

CONSENT_RULES = [r.id for r in load_catalogue() if r.family == "consent"]
SCOPE = "SHARE-CONSENT-SCOPE"


@pytest.fixture
def con():
    con = warehouse()
    add_student(con, "s1", birth="2012-03-10")
    add_guardian(con, "g1", "s1", parental_authority=True)
    add_recipient(con, "r1", kind="independent_controller", name="Schoolfotograaf")
    add_recipient(con, "r2", kind="independent_controller")
    return con


def consent(con, **kwargs):
    kwargs.setdefault("purpose", "school photos")
    kwargs.setdefault("categories", ("images", "administrative"))
    add_consent(con, "c1", student="s1", given_by="g1", given_by_role="guardian", **kwargs)


def disclose(con, disclosure_id="x1", **kwargs):
    kwargs.setdefault("purpose", "school photos")
    kwargs.setdefault("categories", ["images"])
    kwargs.setdefault("recipient", "r1")
    kwargs.setdefault("consent_id", "c1")
    add_disclosure(con, disclosure_id, legal_basis="consent", **kwargs)


def flagged(con):
    check(con, rules=CONSENT_RULES)
    return findings(con)


def judge_cases(con, cases):
    """cases: {disclosure_id: (consent changes, disclosure changes, out of scope?)}, judged in one run."""
    for disclosure_id, (consent_changes, disclosure_changes, _) in cases.items():
        add_consent(
            con,
            f"c-{disclosure_id}",
            student="s1",
            given_by="g1",
            given_by_role="guardian",
            **{"purpose": "school photos", "categories": ("images", "administrative"), **consent_changes},
        )
        disclose(con, disclosure_id, **{"consent_id": f"c-{disclosure_id}", **disclosure_changes})
    return flagged(con), {(SCOPE, x, "high") for x, (*_, out) in cases.items() if out}


def test_recipient_named_in_the_consent(con):
    found, expected = judge_cases(
        con,
        {
            "x1": ({"recipient": None}, {}, False),  # no recipient named: any recipient
            "x2": ({"recipient": ""}, {}, False),
            "x3": ({"recipient": "  "}, {}, False),
            "x4": ({"recipient": "r1"}, {}, False),
            "x5": ({"recipient": "r2"}, {}, True),
        },
    )
    assert found == expected


def test_purpose_of_the_consent(con):
    found, expected = judge_cases(
        con,
        {
            "x1": ({"purpose": "school photos"}, {"purpose": "School photos\t"}, False),
            "x2": ({"purpose": "  School Photos "}, {}, False),  # trimmed, case-insensitive
            "x3": ({"purpose": "SCHOOL PHOTOS"}, {"purpose": "\nschool photos "}, False),
            "x4": ({"purpose": "school photo"}, {}, True),
            "x5": ({"purpose": "yearbook"}, {}, True),
        },
    )
    assert found == expected


def test_every_disclosed_category_must_be_in_the_consent(con):
    found, expected = judge_cases(
        con,
        {
            "x1": ({}, {"categories": ["images"]}, False),
            "x2": ({}, {"categories": ["images", "administrative"]}, False),
            "x3": ({}, {"categories": ["images", "progress"]}, True),
            "x4": ({}, {"categories": ["progress", "attendance", "images"]}, True),
        },
    )
    assert found == expected
    assert facts(con, SCOPE, "x3")["uncovered_categories"] == ["progress"]
    assert facts(con, SCOPE, "x4")["uncovered_categories"] == ["attendance", "progress"]


@pytest.mark.parametrize("stored", [None, []])
def test_empty_data_categories_cover_nothing(con, stored):
    insert(
        con,
        "consents",
        consent_id="c1",
        student_id="s1",
        given_by_id="g1",
        given_by_role="guardian",
        purpose="school photos",
        form="written",
        given_at="2026-09-01",
        data_categories=stored,
    )
    disclose(con, categories=["images", "general"])
    assert flagged(con) == {(SCOPE, "x1", "high")}
    found = facts(con, SCOPE, "x1")
    assert (found["consent_categories"], found["uncovered_categories"]) == (None, ["general", "images"])
    assert render(SCOPE, found, "en").endswith(
        "which covers recipient —, purpose 'school photos' and the categories — (disclosed categories it does"
        " not cover: general, images)."
    )


def test_special_category_outside_the_consent_is_critical(con):
    consent(con)
    disclose(con, categories=["images", "medical"])
    assert flagged(con) == {(SCOPE, "x1", "critical")}


def test_scope_facts_and_explanation(con):
    consent(con, recipient="r2", purpose="Yearbook")
    disclose(con, categories=["images", "progress"])
    assert flagged(con) == {(SCOPE, "x1", "high")}
    found = facts(con, SCOPE, "x1")
    assert {
        k: found[k] for k in ("other_recipient", "other_purpose", "consent_recipient_id", "consent_purpose")
    } == {
        "other_recipient": True,
        "other_purpose": True,
        "consent_recipient_id": "r2",
        "consent_purpose": "Yearbook",
    }
    assert render(SCOPE, found, "en") == (
        "Disclosure x1 of data of student s1 (images, progress) to r1 for the purpose 'school photos' on 2026-11-18"
        " goes beyond consent c1, which covers recipient r2, purpose 'Yearbook' and the categories images,"
        " administrative (disclosed categories it does not cover: progress)."
    )
    assert render(SCOPE, found, "nl") == (
        "Verstrekking x1 van gegevens van leerling s1 (images, progress) aan r1 voor het doel 'school photos' op"
        " 2026-11-18 gaat verder dan toestemming c1, die geldt voor ontvanger r2, het doel 'Yearbook' en de"
        " categorieën images, administrative (verstrekte categorieën die er niet onder vallen: progress)."
    )


def test_only_the_purpose_differs(con):
    consent(con, purpose="yearbook")
    disclose(con)
    assert flagged(con) == {(SCOPE, "x1", "high")}
    found = facts(con, SCOPE, "x1")
    assert (found["other_recipient"], found["other_purpose"], found["uncovered_categories"]) == (
        False,
        True,
        None,
    )


def test_scope_gives_way_to_the_earlier_consent_rules(con):
    consent(con, recipient="r2", given_at="2026-11-19")  # out of scope and given after the disclosure
    disclose(con)
    assert flagged(con) == {("SHARE-CONSENT-AFTER", "x1", "high")}
