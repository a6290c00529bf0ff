"""A small warehouse for the statement tests, filled by inserting rows (no ingest, no checks), with the
auditor's own tables (access_explanations, findings) and a decision store written as a run and the
privacy officer would have.

The student under test is Anna (STU-A1). Her file was consulted in every way the auditor explains an
access, and her data left the school on every kind of ground; the other student, Bram, and everything
of his (his id, name, documents, disclosures), the break-glass justification and the decision's note
must never appear in Anna's statement: they are listed in OTHERS.

Anna turns 16 on the day of the tests (so she is addressed herself); Carla (STU-C3), who has no
records at all, turns 16 tomorrow (her statement goes to her parents).

PYTEST_DONT_REWRITE: this module asserts nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from decisions.requests import local_today
from decisions.store import open_store
from pipelines.warehouse import connect
from tests.explanation_fixtures import record_explanations
from tests.report_fixtures import _insert

TIMEZONE = "Europe/Amsterdam"
ANNA, BRAM, CARLA = "STU-A1", "STU-B2", "STU-C3"
SCHOOL, BOARD = "07AB", "BRD-41"
MENTOR, TEACHER, ADMIN, CARE, STRANGER = "STF-M1", "STF-T1", "STF-A1", "STF-C1", "STF-X1"
STAFF_NAMES = {MENTOR: "Mira Mentor", TEACHER: "Theo Leraar", ADMIN: "Ada Admin", CARE: "Cor Zorg",
               STRANGER: "Xander Vreemd"}  # fmt: skip
PARENT = "GRD-P1"
JUSTIFICATION = "Brandalarm: dossier nodig voor Bram Overig"
NOTE = "Xander keek ook bij Bram Overig; besproken met Karin"
F_CONFIRMED, F_OPEN, F_DISCLOSURE, F_BRAM = "fa00000000000001", "fa00000000000002", "fa00000000000003", "fb00000000000001"
MANY = 30  # the teacher's accesses on one day: one line

# Nothing of these may appear in Anna's statement (staff names only with --staff-names: STAFF_NAMES).
OTHERS = (BRAM, "Bram Overig", "DOC-B", "Jeugdzorg Regio", "CNS-B", JUSTIFICATION, "Brandalarm", NOTE, "Karin",
          PARENT, "Marco Ouder", "DOC-A", "DSC-", "CNS-A", "fa0000", "fb0000", *STAFF_NAMES, "EVT-")  # fmt: skip


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def at(day: str, time: str) -> str:
    return f"{day} {time}:00+01:00"  # November: Amsterdam is UTC+1


def build(path):
    """The warehouse at `path` and its decision store; returns the day of the tests."""
    today = local_today(TIMEZONE)
    con = connect(path, TIMEZONE)
    _insert(con, "schools", [{"school_id": SCHOOL, "name": "Basisschool De Linde", "sector": "VO", "board_id": BOARD}])
    _insert(con, "students", [
        {"student_id": ANNA, "school_id": SCHOOL, "birth_date": years_before(today, 16), "display_name": "Anna Jansen"},
        {"student_id": BRAM, "school_id": SCHOOL, "birth_date": "2011-02-03", "display_name": "Bram Overig"},
        {"student_id": CARLA, "school_id": SCHOOL, "birth_date": years_before(today + timedelta(days=1), 16),
         "display_name": "Carla Klein"},
    ])  # fmt: skip
    _insert(con, "staff", [
        {"staff_id": MENTOR, "school_id": SCHOOL, "role": "teacher", "display_name": STAFF_NAMES[MENTOR]},
        {"staff_id": TEACHER, "school_id": SCHOOL, "role": "teacher", "display_name": STAFF_NAMES[TEACHER]},
        {"staff_id": ADMIN, "school_id": SCHOOL, "role": "administration", "display_name": STAFF_NAMES[ADMIN]},
        {"staff_id": CARE, "school_id": SCHOOL, "role": "care_coordinator", "display_name": STAFF_NAMES[CARE]},
        {"staff_id": STRANGER, "school_id": SCHOOL, "role": "teacher", "display_name": STAFF_NAMES[STRANGER]},
    ])  # fmt: skip
    _insert(con, "guardians", [
        {"guardian_id": PARENT, "student_id": ANNA, "relation": "parent", "parental_authority": True,
         "display_name": "Marco Ouder"},
    ])  # fmt: skip
    _insert(con, "documents", [
        {"document_id": "DOC-A1", "student_id": ANNA, "category": "care", "created_at": at("2026-09-01", "09:00")},
        {"document_id": "DOC-A2", "student_id": ANNA, "category": "progress", "created_at": at("2026-10-01", "09:00")},
        {"document_id": "DOC-B1", "student_id": BRAM, "category": "medical", "created_at": at("2026-09-02", "09:00")},
    ])  # fmt: skip
    # (event, when, actor, actor type, action, category, document, break glass, explained_by, detail, rule)
    events = [
        ("EVT-01", at("2026-11-16", "08:05"), MENTOR, "staff", "view", "progress", None, False, "involvement", "mentor", None),
        ("EVT-02", at("2026-11-16", "09:10"), TEACHER, "staff", "view", None, "DOC-A2", False, "involvement", "roster", None),
        ("EVT-03", at("2026-11-17", "10:15"), ADMIN, "staff", "edit", "administrative", None, False, "role_allowance", "administration", None),
        ("EVT-04", at("2026-11-17", "22:40"), CARE, "staff", "view", None, "DOC-A1", True, "break_glass", None, None),
        ("EVT-05", at("2026-11-18", "19:00"), ANNA, "student", "view", "progress", None, False, "own_file", None, None),
        ("EVT-06", at("2026-11-18", "20:30"), PARENT, "guardian", "view", "attendance", None, False, "guardian", "parental_authority", None),
        ("EVT-07", at("2026-11-19", "11:11"), STRANGER, "staff", "download", "care", None, False, "finding", None, "ACCESS-UNINVOLVED"),
        ("EVT-08", at("2026-11-20", "12:12"), STRANGER, "staff", "print", "progress", None, False, "finding", None, "ACCESS-UNINVOLVED"),
        ("EVT-09", at("2026-11-21", "13:13"), BRAM, "student", "view", "progress", None, False, "finding", None, "ACCESS-STUDENT-OTHER"),
        ("EVT-10", at("2026-11-22", "14:14"), MENTOR, "staff", "view", "medical", None, False, "not_evaluated", None, None),
        ("EVT-11", at("2026-11-09", "15:15"), MENTOR, "staff", "view", "progress", None, False, None, None, None),  # week not checked
        ("EVT-B1", at("2026-11-16", "08:06"), MENTOR, "staff", "view", None, "DOC-B1", False, "involvement", "mentor", None),
    ] + [
        (f"EVT-T{n:02d}", at("2026-11-19", f"08:{n:02d}"), TEACHER, "staff", "view", "progress", None, False, "involvement", "teacher", None)
        for n in range(MANY)
    ]  # fmt: skip
    _insert(con, "access_log", [
        {"event_id": e, "occurred_at": when, "actor_id": actor, "actor_type": kind,
         "student_id": BRAM if e == "EVT-B1" else ANNA, "action": action, "source_system": "magister",
         "category": category, "document_id": document, "break_glass": glass,
         "justification": JUSTIFICATION if glass else None}
        for e, when, actor, kind, action, category, document, glass, *_ in events
    ])  # fmt: skip
    record_explanations(
        con,
        [("2026-W47", f"magister:{e}", "magister", SCHOOL, kind, category or "general", explained, detail, rule)
         for e, when, actor, kind, action, category, document, glass, explained, detail, rule in events if explained],
    )  # fmt: skip
    _insert(con, "recipients", [
        {"recipient_id": "RCP-SWV", "name": "Samenwerkingsverband Passend Onderwijs Zuid", "kind": "samenwerkingsverband"},
        {"recipient_id": "RCP-SCH", "name": "Lyceum Noord", "kind": "school"},
        {"recipient_id": "RCP-LMS", "name": "LeerWijs", "kind": "processor"},
        {"recipient_id": "RCP-OLD", "name": "OudPlatform", "kind": "processor"},
        {"recipient_id": "RCP-JEUGD", "name": "Jeugdzorg Regio", "kind": "child_protection"},
    ])  # fmt: skip
    _insert(con, "consents", [
        {"consent_id": "CNS-A1", "student_id": ANNA, "given_by_id": PARENT, "given_by_role": "guardian",
         "purpose": "swv", "form": "written", "given_at": "2026-09-01"},
        {"consent_id": "CNS-B1", "student_id": BRAM, "given_by_id": BRAM, "given_by_role": "student",
         "purpose": "jeugdzorg", "form": "written", "given_at": "2026-09-02"},
    ])  # fmt: skip
    _insert(con, "processor_agreements", [
        {"agreement_id": "AGR-1", "recipient_id": "RCP-LMS", "signed_at": "2026-01-10", "valid_from": "2026-01-10"},
    ])  # fmt: skip
    _insert(con, "disclosures", [
        {"disclosure_id": "DSC-A1", "occurred_at": at("2026-11-16", "10:00"), "student_id": ANNA, "recipient_id": "RCP-SWV",
         "purpose": "aanvraag ondersteuning", "data_categories": ["care", "progress"], "legal_basis": "consent",
         "consent_id": "CNS-A1", "identifiers": ["name", "birth_date"]},
        {"disclosure_id": "DSC-A2", "occurred_at": at("2026-11-17", "10:00"), "student_id": ANNA, "recipient_id": "RCP-SCH",
         "purpose": "overstap", "data_categories": ["educational_report"], "legal_basis": "educational_report",
         "identifiers": ["name", "bsn"]},
        {"disclosure_id": "DSC-A3", "occurred_at": at("2026-11-18", "10:00"), "student_id": ANNA, "recipient_id": "RCP-LMS",
         "purpose": "leerplatform", "data_categories": ["progress"], "legal_basis": "processor", "identifiers": ["eck_id"]},
        {"disclosure_id": "DSC-A4", "occurred_at": at("2026-11-19", "10:00"), "student_id": ANNA, "recipient_id": "RCP-OLD",
         "purpose": "oefenprogramma", "data_categories": ["progress"], "legal_basis": "processor",
         "identifiers": ["student_number"]},
        {"disclosure_id": "DSC-A5", "occurred_at": at("2026-11-20", "10:00"), "student_id": ANNA, "recipient_id": "RCP-SWV",
         "purpose": "melding", "data_categories": ["care"], "legal_basis": "consent", "consent_id": "CNS-B1"},
        {"disclosure_id": "DSC-B1", "occurred_at": at("2026-11-16", "11:00"), "student_id": BRAM, "recipient_id": "RCP-JEUGD",
         "purpose": "zorgmelding Bram", "data_categories": ["medical"], "legal_basis": "consent", "consent_id": "CNS-B1"},
    ])  # fmt: skip
    _insert(con, "findings", [
        {"finding_id": F_CONFIRMED, "rule_id": "ACCESS-UNINVOLVED", "severity": "high", "week": "2026-W47",
         "school_id": SCHOOL, "subject_type": "access_event", "subject_id": "magister:EVT-07", "actor_id": STRANGER,
         "student_id": ANNA, "facts": '{"staff_name": "Xander Vreemd"}'},
        {"finding_id": F_OPEN, "rule_id": "ACCESS-UNINVOLVED", "severity": "high", "week": "2026-W47",
         "school_id": SCHOOL, "subject_type": "access_event", "subject_id": "magister:EVT-08", "actor_id": STRANGER,
         "student_id": ANNA, "facts": "{}"},
        {"finding_id": "fa00000000000009", "rule_id": "ACCESS-STUDENT-OTHER", "severity": "high", "week": "2026-W47",
         "school_id": SCHOOL, "subject_type": "access_event", "subject_id": "magister:EVT-09", "actor_id": BRAM,
         "student_id": ANNA, "facts": '{"other": "STU-B2"}'},
        {"finding_id": F_DISCLOSURE, "rule_id": "SHARE-CONSENT-WRONG-PARTY", "severity": "high", "week": "2026-W47",
         "school_id": SCHOOL, "subject_type": "disclosure", "subject_id": "DSC-A5", "recipient_id": "RCP-SWV",
         "student_id": ANNA, "facts": "{}"},
        {"finding_id": F_BRAM, "rule_id": "SHARE-NO-CONSENT", "severity": "critical", "week": "2026-W47",
         "school_id": SCHOOL, "subject_type": "disclosure", "subject_id": "DSC-B1", "recipient_id": "RCP-JEUGD",
         "student_id": BRAM, "facts": "{}"},
    ])  # fmt: skip
    con.close()
    with open_store(path) as store, store:
        store.execute(
            "INSERT INTO decisions (finding_id, week, rule_id, subject_type, subject_id, actor_id, student_id, status,"
            " status_before, decided_by, decided_at, note) VALUES (?, '2026-W47', 'ACCESS-UNINVOLVED', 'access_event',"
            " 'magister:EVT-07', ?, ?, 'confirmed', 'open', 'privacy officer', '2026-11-24T09:00:00.000000Z', ?)",
            [F_CONFIRMED, STRANGER, ANNA, NOTE],
        )
    return today
