"""Helpers for the access rule tests (section A) and explained accesses, on top of tests/rule_fixtures.

The access family is run on its own (`judge`), so that these tests see only access findings and
precedence between access rules.
"""

from __future__ import annotations

from checks.registry import load_catalogue
from tests.rule_fixtures import WEEK, check, findings, insert

ACCESS_RULES = [rule.id for rule in load_catalogue() if rule.family == "access"]


def add_guardian_link(
    con, guardian_id="g1", student_id="s1", relation="parent", authority=True, valid_from=None, valid_to=None
):
    insert(
        con,
        "guardians",
        guardian_id=guardian_id,
        student_id=student_id,
        relation=relation,
        parental_authority=authority,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def add_parent_access_consent(
    con,
    consent_id="pa1",
    student="s1",
    given_by=None,
    given_by_role="student",
    form="written",
    given_at="2026-10-01",
    recipient=None,
    valid_until=None,
    withdrawn_at=None,
    categories=("progress",),
    purpose="parent_access",
):
    """The student's permission for guardians to see the file (given by the student by default)."""
    insert(
        con,
        "consents",
        consent_id=consent_id,
        student_id=student,
        given_by_id=given_by or student,
        given_by_role=given_by_role,
        purpose=purpose,
        form=form,
        given_at=given_at,
        recipient_id=recipient,
        data_categories=list(categories) if categories else None,
        valid_until=valid_until,
        withdrawn_at=withdrawn_at,
    )


def judge(con, week=WEEK, settings=None) -> set[tuple[str, str, str]]:
    """Run the access rules on `week`; {(rule_id, subject_id, severity)} of its findings."""
    check(con, week, rules=ACCESS_RULES, settings=settings)
    return findings(con, week)


def explanations(con, week=WEEK) -> dict[str, tuple]:
    """{subject_id: (explained_by, detail, rule_id)} of the week's access_explanations."""
    rows = con.execute(
        "SELECT subject_id, explained_by, detail, rule_id FROM access_explanation_events WHERE week = ?", [week]
    ).fetchall()
    return {subject: tuple(rest) for subject, *rest in rows}
