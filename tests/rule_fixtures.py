"""A tiny builder for rule tests: rows straight into the canonical tables of a temp warehouse.

Defaults describe one ordinary school ('A') so a test names only what it is about. Timestamps
without an offset are local time (the warehouse runs in Europe/Amsterdam), as in the landing files.
"""

from __future__ import annotations

import itertools
import json
import re

from checks.runner import run_checks
from pipelines.settings import Settings
from pipelines.warehouse import connect

WEEK = "2026-W47"  # Monday 2026-11-16 .. Sunday 2026-11-22
WEDNESDAY = "2026-11-18"

_line = itertools.count(2)


def warehouse():
    """An empty in-memory warehouse with the full schema."""
    return connect(":memory:")


def insert(con, table: str, **values) -> None:
    values = {k: v for k, v in values.items() if v is not None}
    values.setdefault("_file_hash", "test-file")
    values.setdefault("_line", next(_line))
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join("?" for _ in values)
    con.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(values.values()))


def add_school(con, school_id="A", name=None, sector="VO"):
    insert(con, "schools", school_id=school_id, name=name or f"School {school_id}", sector=sector)


def add_student(con, student_id="s1", school="A", birth="2010-05-01", eck_id=None):
    insert(con, "students", student_id=student_id, school_id=school, birth_date=birth, eck_id=eck_id)


def add_staff(
    con, staff_id="t1", school="A", role="teacher", valid_from=None, valid_to=None, account_type="personal"
):
    insert(
        con,
        "staff",
        staff_id=staff_id,
        school_id=school,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        account_type=account_type,
    )


def add_involvement(
    con,
    staff_id="t1",
    student_id="s1",
    relation="teacher",
    valid_from="2026-08-24",
    valid_to=None,
    case_id=None,
    reason=None,
):
    insert(
        con,
        "involvements",
        staff_id=staff_id,
        student_id=student_id,
        relation=relation,
        valid_from=valid_from,
        valid_to=valid_to,
        case_id=case_id,
        reason=reason,
    )


def add_roster_involvement(
    con, staff_id="t1", student_id="s1", valid_from=None, valid_to=None, class_id="c1"
):
    con.execute(
        "INSERT INTO roster_involvements VALUES (?, ?, ?, ?, ?, 'bundle-1')",
        [staff_id, student_id, valid_from, valid_to, class_id],
    )


def add_document(con, document_id="d1", student_id="s1", category="care", case_id=None):
    insert(
        con, "documents", document_id=document_id, student_id=student_id, category=category, case_id=case_id
    )


def add_access(
    con,
    event_id="e1",
    occurred_at=f"{WEDNESDAY} 10:00:00",
    actor="t1",
    student="s1",
    category=None,
    actor_type="staff",
    action="view",
    source_system="magister",
    document_id=None,
    break_glass=None,
    justification=None,
):
    insert(
        con,
        "access_log",
        event_id=event_id,
        occurred_at=occurred_at,
        actor_id=actor,
        actor_type=actor_type,
        student_id=student,
        action=action,
        source_system=source_system,
        document_id=document_id,
        category=category,
        break_glass=break_glass,
        justification=justification,
    )


def add_recipient(con, recipient_id="r1", kind="processor", name=None, content_chain=None):
    insert(
        con,
        "recipients",
        recipient_id=recipient_id,
        name=name or f"Recipient {recipient_id}",
        kind=kind,
        content_chain=content_chain,
    )


def add_disclosure(
    con,
    disclosure_id="x1",
    occurred_at=f"{WEDNESDAY} 10:00:00",
    student="s1",
    recipient="r1",
    purpose="learning platform",
    categories=("progress",),
    legal_basis="processor",
    consent_id=None,
    evidence_ref=None,
    identifiers=None,
):
    insert(
        con,
        "disclosures",
        disclosure_id=disclosure_id,
        occurred_at=occurred_at,
        student_id=student,
        recipient_id=recipient,
        purpose=purpose,
        data_categories=list(categories),
        legal_basis=legal_basis,
        consent_id=consent_id,
        evidence_ref=evidence_ref,
        identifiers=list(identifiers) if identifiers else None,
    )


def add_consent(
    con,
    consent_id="c1",
    student="s1",
    given_by="g1",
    given_by_role="guardian",
    purpose="learning platform",
    form="written",
    given_at="2026-09-01",
    recipient=None,
    categories=("progress",),
    valid_until=None,
    withdrawn_at=None,
):
    insert(
        con,
        "consents",
        consent_id=consent_id,
        student_id=student,
        given_by_id=given_by,
        given_by_role=given_by_role,
        purpose=purpose,
        form=form,
        given_at=given_at,
        recipient_id=recipient,
        data_categories=list(categories) if categories else None,
        valid_until=valid_until,
        withdrawn_at=withdrawn_at,
    )


def add_agreement(
    con,
    agreement_id="a1",
    recipient="r1",
    signed_at="2026-01-10",
    valid_from="2026-01-01",
    valid_to=None,
    categories=("progress",),
    breach_notification=True,
    deletion_clause=True,
):
    insert(
        con,
        "processor_agreements",
        agreement_id=agreement_id,
        recipient_id=recipient,
        signed_at=signed_at,
        valid_from=valid_from,
        valid_to=valid_to,
        data_categories=list(categories) if categories else None,
        breach_notification=breach_notification,
        deletion_clause=deletion_clause,
    )


# --- running and reading ------------------------------------------------------------------------


def check(con, week=WEEK, rules=None, settings=None):
    return run_checks(con, week, settings or Settings(), rules=rules)


def findings(con, week=WEEK, rule_id=None) -> set[tuple[str, str, str]]:
    """{(rule_id, subject_id, severity)} of the week's findings (optionally of one rule)."""
    sql = "SELECT rule_id, subject_id, severity FROM findings WHERE week = ?"
    params = [week]
    if rule_id:
        sql += " AND rule_id = ?"
        params.append(rule_id)
    return set(con.execute(sql, params).fetchall())


def facts(con, rule_id: str, subject_id: str, week=WEEK) -> dict:
    row = con.execute(
        "SELECT facts FROM findings WHERE week = ? AND rule_id = ? AND subject_id = ?",
        [week, rule_id, subject_id],
    ).fetchone()
    assert row is not None, f"no {rule_id} finding for {subject_id}"
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]


def finding_row(con, rule_id: str, subject_id: str, week=WEEK) -> dict:
    cur = con.execute(
        "SELECT * FROM findings WHERE week = ? AND rule_id = ? AND subject_id = ?",
        [week, rule_id, subject_id],
    )
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    assert row is not None, f"no {rule_id} finding for {subject_id}"
    return dict(zip(names, row))


def coverage(result, rule_id: str) -> dict:
    return next(row for row in result.coverage if row["rule_id"] == rule_id)


def render(rule_id: str, found: dict, lang: str) -> str:
    """A rule's explanation filled in the way the reports do it (reports/outputs.py), minus the
    language-specific formatting of dates and category names: lists joined with ', ', a missing or
    empty value shown as '—'. Enough to check that a template reads well with every case of its facts."""
    from checks.registry import rule_by_id

    def shown(value):
        if value is None or value == []:
            return "—"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    template = rule_by_id(rule_id).explanation[lang]
    return re.sub(r"\{([a-z_][a-z0-9_]*)\}", lambda m: shown(found[m[1]]), template)


# --- consent, processor and standing rules (sections B, D, E) -------------------------------------
# Builders for the feeds those rules read (guardians, policies, council decisions, calendar).


def add_guardian(
    con,
    guardian_id="g1",
    student_id="s1",
    relation="parent",
    parental_authority=True,
    valid_from=None,
    valid_to=None,
):
    insert(
        con,
        "guardians",
        guardian_id=guardian_id,
        student_id=student_id,
        relation=relation,
        parental_authority=parental_authority,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def add_policy(con, policy_id="privacy-regulation", version="1", effective_from="2026-08-01", scope="board"):
    insert(con, "policies", policy_id=policy_id, version=version, effective_from=effective_from, scope=scope)


def add_council_decision(
    con,
    policy_id="privacy-regulation",
    version="1",
    council="GMR",
    decision="consent",
    decided_at="2026-07-01",
):
    insert(
        con,
        "council_decisions",
        policy_id=policy_id,
        version=version,
        council=council,
        decision=decision,
        decided_at=decided_at,
    )


def add_calendar(con, date_from, date_to=None, kind="holiday", school_id=None):
    insert(con, "calendar", date_from=date_from, date_to=date_to or date_from, kind=kind, school_id=school_id)
