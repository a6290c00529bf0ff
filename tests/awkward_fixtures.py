"""A small warehouse in which every name, id and piece of free text from the inputs is a string chosen
by the caller, for the property test of the reports (tests/test_reports_properties.py).

Each field's string starts with a marker of its own (`Qz07k`), so that where it turns up in a report can
be told apart from anything else. FIELDS says, for each field, what the privacy officer's report does
with it: `shown` (the report must show it), `hidden` (never shown: free text and names the officer does
not need) or `may` (not required either way). The council summary shows none of them, apart from the
school names (institutions, not persons; spec/outputs.md lists counts per school).

The rules are the temporary catalogue of report_fixtures (rule ids as in spec/rules.md), so the
explanations' wording does not matter here; the data is week 2026-W47 with one finding in 2026-W46.
PYTEST_DONT_REWRITE: this module asserts nothing, and is imported before pytest loads it.
"""

from __future__ import annotations

import json

from report_fixtures import PREVIOUS_WEEK, TIMEZONE, WEEK

from decisions.tables import register_decisions
from pipelines.warehouse import connect
from tests.explanation_fixtures import record_explanations

FIELDS = {
    "school_name_1": "shown",
    "school_name_2": "shown",
    "school_id_1": "may",
    "school_id_2": "may",
    "student_id_1": "shown",
    "student_id_2": "shown",
    "student_name": "hidden",
    "staff_id_1": "shown",
    "staff_id_2": "shown",
    "staff_name_1": "shown",
    "staff_name_2": "shown",
    "guardian_id": "may",
    "guardian_name": "hidden",
    "source_system": "shown",
    "event_id": "shown",
    "justification": "hidden",
    "document_id": "may",
    "recipient_id": "shown",
    "recipient_name": "shown",
    "processor_id": "may",
    "processor_name": "shown",
    "agreement_id": "shown",
    "disclosure_id": "may",
    "purpose": "may",
    "evidence_ref": "may",
    "consent_id": "shown",
    "policy_id": "shown",
    "policy_version": "shown",
    "decision_note": "shown",  # the privacy officer's own note, beside the finding (never in the council's)
    "quarantined_value": "may",
    "landing_path": "may",
}
SCHOOL_NAMES = ("school_name_1", "school_name_2")

# Finding ids come from the auditor (hashes), not from the inputs; the council must not show them either.
FINDING_IDS = {
    "access_critical": "fa0c0ffee0000001",
    "access_high": "fa0c0ffee0000002",
    "access_high_2": "fa0c0ffee0000003",
    "disclosure": "fa0c0ffee0000004",
    "policy": "fa0c0ffee0000005",
    "log_gap": "fa0c0ffee0000006",
    "expiring": "fa0c0ffee0000007",
    "last_week": "fa0c0ffee0000008",
}
RULES = (
    "ACCESS-UNINVOLVED",
    "SHARE-NO-CONSENT",
    "POLICY-NOT-APPROVED",
    "PROCESSOR-AGREEMENT-EXPIRING",
    "LOG-GAP",
)
LOG_GAP_DAY = "2026-11-18"


def marker(field: str) -> str:
    return f"Qz{list(FIELDS).index(field):02d}k"


def field_values(bodies: dict[str, str]) -> dict[str, str]:
    """Each field's string: its marker, then the body given for it."""
    return {field: marker(field) + bodies[field] for field in FIELDS}


def insert(con, table: str, rows: list[dict]) -> None:
    """Insert dict rows; the lineage columns of the canonical tables get a fixed test value."""
    lineage = "_file_hash" in {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    for number, row in enumerate(rows, start=2):
        row = {"_file_hash": "test", "_line": number, **row} if lineage else row
        names = ", ".join(f'"{k}"' for k in row)
        values = [json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v for v in row.values()]
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in row)})", values)


def finding(key, rule_id, severity, occurred_at, subject_type, subject_id, facts, week=WEEK, **ids) -> dict:
    return {
        "finding_id": FINDING_IDS[key], "rule_id": rule_id, "severity": severity, "week": week,
        "occurred_at": occurred_at, "subject_type": subject_type, "subject_id": subject_id, "facts": facts,
        **ids,
    }  # fmt: skip


def build_awkward_warehouse(v: dict[str, str]):
    """An in-memory warehouse whose inputs carry the strings `v` (as made by field_values).

    Staff 1 has one critical access finding, staff 2 two high ones (so the order of the cases does not
    depend on the strings); one disclosure finding, a policy and a log-gap finding (standing), an
    agreement to renew (a notice), a justified break glass, a decision with a note, a quarantined row.
    """
    con = connect(":memory:", TIMEZONE)
    insert(con, "schools", [
        {"school_id": v["school_id_1"], "name": v["school_name_1"], "sector": "PO"},
        {"school_id": v["school_id_2"], "name": v["school_name_2"], "sector": "VO"},
    ])  # fmt: skip
    insert(con, "students", [
        {"student_id": v["student_id_1"], "school_id": v["school_id_1"], "birth_date": "2015-05-02",
         "display_name": v["student_name"]},
        {"student_id": v["student_id_2"], "school_id": v["school_id_2"], "birth_date": "2008-03-14"},
    ])  # fmt: skip
    insert(con, "staff", [
        {"staff_id": v["staff_id_1"], "school_id": v["school_id_1"], "role": "teacher",
         "display_name": v["staff_name_1"]},
        {"staff_id": v["staff_id_2"], "school_id": v["school_id_2"], "role": "care_coordinator",
         "display_name": v["staff_name_2"]},
    ])  # fmt: skip
    insert(con, "guardians", [
        {"guardian_id": v["guardian_id"], "student_id": v["student_id_1"], "relation": "parent",
         "parental_authority": True, "display_name": v["guardian_name"]},
    ])  # fmt: skip
    insert(
        con,
        "documents",
        [{"document_id": v["document_id"], "student_id": v["student_id_2"], "category": "care"}],
    )
    insert(con, "access_log", [
        {"event_id": v["event_id"], "occurred_at": "2026-11-20 11:30:00+00", "actor_id": v["staff_id_2"],
         "actor_type": "staff", "student_id": v["student_id_2"], "action": "view",
         "source_system": v["source_system"], "document_id": v["document_id"], "break_glass": True,
         "justification": v["justification"]},
        {"event_id": v["event_id"] + "-guardian", "occurred_at": "2026-11-21 18:00:00+00",
         "actor_id": v["guardian_id"], "actor_type": "guardian", "student_id": v["student_id_1"],
         "action": "view", "source_system": v["source_system"]},
    ])  # fmt: skip
    source = v["source_system"]
    record_explanations(
        con,
        [
            (WEEK, f"{source}:a1", source, v["school_id_2"], "staff", "care", "finding", None, RULES[0]),
            (WEEK, f"{source}:a2", source, v["school_id_1"], "staff", "progress", "finding", None, RULES[0]),
            (WEEK, f"{source}:a3", source, v["school_id_1"], "staff", "progress", "finding", None, RULES[0]),
            (
                WEEK,
                f"{source}:a4",
                source,
                v["school_id_1"],
                "staff",
                "attendance",
                "involvement",
                "teacher",
                None,
            ),
            (
                WEEK,
                f"{source}:{v['event_id']}",
                source,
                v["school_id_2"],
                "staff",
                "care",
                "break_glass",
                None,
                None,
            ),
        ],
    )
    insert(con, "recipients", [
        {"recipient_id": v["recipient_id"], "name": v["recipient_name"], "kind": "other"},
        {"recipient_id": v["processor_id"], "name": v["processor_name"], "kind": "processor"},
    ])  # fmt: skip
    insert(con, "processor_agreements", [
        {"agreement_id": v["agreement_id"], "recipient_id": v["processor_id"], "signed_at": "2024-01-10",
         "valid_from": "2024-01-01", "valid_to": "2026-12-31", "data_categories": ["progress"]},
    ])  # fmt: skip
    insert(con, "disclosures", [
        {"disclosure_id": v["disclosure_id"], "occurred_at": "2026-11-16 08:00:00+00",
         "student_id": v["student_id_1"], "recipient_id": v["recipient_id"], "purpose": v["purpose"],
         "data_categories": ["care"], "legal_basis": "consent", "consent_id": v["consent_id"],
         "evidence_ref": v["evidence_ref"]},
    ])  # fmt: skip
    policy_subject = f"{v['policy_id']}@{v['policy_version']}@{v['school_id_1']}"
    insert(con, "findings", [
        finding("access_critical", RULES[0], "critical", "2026-11-18 13:00:00+00", "access_event",
                f"{source}:a1",
                {"actor_id": v["staff_id_1"], "category": "care", "student_id": v["student_id_2"],
                 "event_date": "2026-11-18"},
                school_id=v["school_id_2"], actor_id=v["staff_id_1"], student_id=v["student_id_2"]),
        finding("access_high", RULES[0], "high", "2026-11-17 09:15:00+00", "access_event", f"{source}:a2",
                {"actor_id": v["staff_id_2"], "category": "progress", "student_id": v["student_id_1"],
                 "event_date": "2026-11-17"},
                school_id=v["school_id_1"], actor_id=v["staff_id_2"], student_id=v["student_id_1"]),
        finding("access_high_2", RULES[0], "high", "2026-11-19 09:15:00+00", "access_event", f"{source}:a3",
                {"actor_id": v["staff_id_2"], "category": "progress", "student_id": v["student_id_1"],
                 "event_date": "2026-11-19"},
                school_id=v["school_id_1"], actor_id=v["staff_id_2"], student_id=v["student_id_1"]),
        finding("disclosure", RULES[1], "high", "2026-11-16 08:00:00+00", "disclosure", v["disclosure_id"],
                {"categories": ["care"], "recipient_name": v["recipient_name"],
                 "disclosed_at": "2026-11-16T09:00:00+01:00", "consent_id": v["consent_id"]},
                school_id=v["school_id_1"], student_id=v["student_id_1"], recipient_id=v["recipient_id"]),
        finding("policy", RULES[2], "high", None, "policy", policy_subject,
                {"policy_id": v["policy_id"], "version": v["policy_version"], "effective_from": "2026-08-01",
                 "council": "MR"},
                school_id=v["school_id_1"]),
        finding("log_gap", RULES[4], "high", None, "source_system", f"{source}@{LOG_GAP_DAY}",
                {"source_system": source, "day": LOG_GAP_DAY}),
        finding("expiring", RULES[3], "info", None, "agreement", v["agreement_id"],
                {"agreement_id": v["agreement_id"], "valid_to": "2026-12-31"}, recipient_id=v["processor_id"]),
        finding("last_week", RULES[0], "high", "2026-11-10 09:00:00+00", "access_event", f"{source}:a0",
                {"actor_id": v["staff_id_1"], "category": "general", "student_id": v["student_id_1"],
                 "event_date": "2026-11-10"},
                week=PREVIOUS_WEEK, school_id=v["school_id_1"], actor_id=v["staff_id_1"],
                student_id=v["student_id_1"]),
    ])  # fmt: skip
    # in memory, so no decision store beside it: the decision is handed to the connection as the store's
    register_decisions(con, [
        {"decision_id": 1, "finding_id": FINDING_IDS["access_high"], "week": WEEK, "rule_id": RULES[0],
         "subject_type": "access_event", "subject_id": f"{source}:a2", "status": "confirmed",
         "status_before": "open", "decided_by": "fg", "decided_at": "2026-11-23T09:00:00Z",
         "note": v["decision_note"]},
    ])  # fmt: skip
    insert(con, "coverage", [
        {"week": WEEK, "rule_id": rule_id, "status": "evaluated", "subjects_checked": 3, "findings": 1}
        for rule_id in RULES
    ])  # fmt: skip
    insert(con, "quarantine", [
        {"feed": "access_log", "file": v["landing_path"], "line": 4, "column": "actor_type",
         "value": v["quarantined_value"], "reason": "unknown code", "file_hash": "h1"},
    ])  # fmt: skip
    insert(con, "landing_files", [
        {"file_hash": "h1", "feed": "access_log", "path": v["landing_path"], "seq": 1,
         "ingested_at": "2026-11-23 06:00:00+00", "status": "loaded", "rows_read": 3, "rows_loaded": 2,
         "rows_quarantined": 1},
    ])  # fmt: skip
    return con
