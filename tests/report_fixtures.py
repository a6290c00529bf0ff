"""A small warehouse for the report tests, filled by inserting rows directly (no ingest, no checks).

The week under test is 2026-W47 (Monday 16 to Sunday 22 November 2026, Europe/Amsterdam), with a few
findings in 2026-W46 for the trend and the "new versus recurring" figures. The rules come from a
temporary catalogue written here (rule ids and families as in spec/rules.md), so that the tests do
not depend on the wording of the real rule files.

Everything that identifies a person, an event or a case, and every piece of free text, is listed in
PERSONAL_VALUES: the council summary must contain none of them.

Test modules load the fixtures with `pytest_plugins = ("report_fixtures",)` and import the constants
directly. PYTEST_DONT_REWRITE: this module asserts nothing, and is imported before pytest loads it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest

from checks import registry
from decisions.store import open_store
from pipelines.settings import Settings
from pipelines.warehouse import connect
from tests.explanation_fixtures import record_explanations

WEEK = "2026-W47"
PREVIOUS_WEEK = "2026-W46"
TIMEZONE = "Europe/Amsterdam"

SCHOOL_LINDE, SCHOOL_NOORD = "07AB", "21CD"
SCHOOL_NAMES = {SCHOOL_LINDE: "Basisschool De Linde", SCHOOL_NOORD: "Lyceum Noord & Zuid"}
STUDENT_ANNA, STUDENT_BRAM = "STU-1001", "STU-1002"
STAFF_PIET, STAFF_KARIN = "STF-0001", "STF-0002"
SCRIPT_NAME = "<script>alert('x')</script> Piet"
GUARDIAN = "GRD-0077"
PROCESSOR, YOUTH_CARE = "RCP-LMS", "RCP-JEUGD"
JUSTIFICATION = "Brandalarm in lokaal 12, dossier nodig voor ontruiming"
QUARANTINED_VALUE = "gisteren-middag"

# Finding ids as the checks stage makes them (stable hashes); written here by hand.
F_ACCESS_HIGH = "f1a0000000000001"  # STF-0001 on STU-1001, Tuesday 10:15 local
F_ACCESS_CRITICAL = "f1a0000000000002"  # STF-0001 on STU-1002 (care), Wednesday
F_DISCLOSURE = "f1a0000000000003"  # to RCP-JEUGD without consent, Monday
F_POLICY = "f1a0000000000004"  # standing, also found last week
F_EXPIRING = "f1a0000000000005"  # info: agreement to renew
F_LAST_WEEK = "f1a0000000000099"
BULK_PREFIX = "f1b00000000000"  # five more access findings at school Noord

PERSONAL_VALUES = (
    STUDENT_ANNA,
    STUDENT_BRAM,
    "Anna Jansen",
    "Bram de Vries",
    STAFF_PIET,
    STAFF_KARIN,
    "Piet",
    "alert(",
    "Karin Smit",
    GUARDIAN,
    "Marco Jansen",
    PROCESSOR,
    YOUTH_CARE,
    "LeerWijs",
    "Jeugdzorg Regio",
    "EVT-",
    "DSC-0001",
    "DOC-",
    "AGR-",
    "CNS-",
    "f1a000",
    "f1b000",
    JUSTIFICATION,
    QUARANTINED_VALUE,
    "2008-03-14",  # a birth date
    "2026-11-1",  # any date of the week, ISO
    "17 November",
    "17 november",
    "10:15",
)

ACCESS_UNINVOLVED = """/* rule
id = "ACCESS-UNINVOLVED"
family = "access"
order = 10
severity = "high"
subject_type = "access_event"
population = "staff_accesses_week"
feeds = ["access_log", "students", "staff", "involvements|oneroster"]
legal_source = "AVG art. 5(1)(f), 32; Normenkader IBP SM.04"
[title]
en = "Access without involvement"
nl = "Inzage zonder betrokkenheid"
[explanation]
en = "{actor_id} viewed {category} data of student {student_id} on {event_date}, with no involvement or role that allows it."
nl = "{actor_id} bekeek gegevens ({category}) van leerling {student_id} op {event_date}, zonder betrokkenheid of rol die dat toestaat."
*/
SELECT NULL AS subject_id, NULL AS severity, NULL AS school_id, NULL AS occurred_at, NULL AS actor_id,
       NULL AS student_id, NULL AS recipient_id, NULL AS facts
WHERE false
"""

SHARE_NO_CONSENT = """/* rule
id = "SHARE-NO-CONSENT"
family = "consent"
order = 1
severity = "high"
subject_type = "disclosure"
population = "consent_disclosures_week"
feeds = ["disclosures", "consents", "students"]
legal_source = "AVG art. 6(1)(a), 7(1)"
[title]
en = "Disclosure without consent"
nl = "Verstrekking zonder toestemming"
[explanation]
en = "Data ({categories}) went to {recipient_name} on {disclosed_at} without the student's consent; consent {consent_id} is not on file."
nl = "Gegevens ({categories}) gingen op {disclosed_at} naar {recipient_name} zonder toestemming; toestemming {consent_id} is niet bekend."
*/
SELECT NULL AS subject_id, NULL AS severity, NULL AS school_id, NULL AS occurred_at, NULL AS actor_id,
       NULL AS student_id, NULL AS recipient_id, NULL AS facts
WHERE false
"""

POLICY_NOT_APPROVED = """/* rule
id = "POLICY-NOT-APPROVED"
family = "standing"
severity = "high"
subject_type = "policy"
population = "policies_in_force"
feeds = ["policies", "council_decisions"]
legal_source = "WMS art. 13(i), 14"
[title]
en = "Privacy policy without the council's consent"
nl = "Privacybeleid zonder instemming van de raad"
[explanation]
en = "Version {version} of {policy_id}, in force since {effective_from}, has no consent of the {council}."
nl = "Versie {version} van {policy_id}, geldig sinds {effective_from}, heeft geen instemming van de {council}."
*/
SELECT NULL AS subject_id, NULL AS severity, NULL AS school_id, NULL AS occurred_at, NULL AS actor_id,
       NULL AS student_id, NULL AS recipient_id, NULL AS facts
WHERE false
"""

AGREEMENT_EXPIRING = """/* rule
id = "PROCESSOR-AGREEMENT-EXPIRING"
family = "standing"
severity = "info"
subject_type = "agreement"
population = "agreements_in_force"
feeds = ["recipients", "processor_agreements"]
legal_source = "AVG art. 28(1)"
[title]
en = "Processor agreement to renew"
nl = "Verwerkersovereenkomst verlengen"
[explanation]
en = "Agreement {agreement_id} ends on {valid_to}."
nl = "Overeenkomst {agreement_id} loopt af op {valid_to}."
*/
SELECT NULL AS subject_id, NULL AS severity, NULL AS school_id, NULL AS occurred_at, NULL AS actor_id,
       NULL AS student_id, NULL AS recipient_id, NULL AS facts
WHERE false
"""

LOG_GAP = """/* rule
id = "LOG-GAP"
family = "standing"
severity = "high"
subject_type = "source_system"
population = "source_system_days"
feeds = ["access_log"]
legal_source = "AVG art. 5(2), 32; Normenkader IBP SM.04"
[title]
en = "Gap in the access register"
nl = "Gat in het register van inzages"
[explanation]
en = "{source_system} logged nothing on {day}."
nl = "{source_system} heeft op {day} niets gelogd."
*/
SELECT NULL AS subject_id, NULL AS severity, NULL AS school_id, NULL AS occurred_at, NULL AS actor_id,
       NULL AS student_id, NULL AS recipient_id, NULL AS facts
WHERE false
"""

RULE_FILES = {
    "ACCESS-UNINVOLVED": ACCESS_UNINVOLVED,
    "SHARE-NO-CONSENT": SHARE_NO_CONSENT,
    "POLICY-NOT-APPROVED": POLICY_NOT_APPROVED,
    "PROCESSOR-AGREEMENT-EXPIRING": AGREEMENT_EXPIRING,
    "LOG-GAP": LOG_GAP,
}


def write_catalogue(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for rule_id, text in RULE_FILES.items():
        (directory / f"{rule_id}.sql").write_text(text, encoding="utf-8")
    return directory


@contextlib.contextmanager
def temporary_catalogue(directory: Path):
    """Point checks.registry at the test catalogue for the duration of the block."""
    write_catalogue(directory)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(registry, "RULES_DIR", directory)
        registry.load_catalogue.cache_clear()
        try:
            yield registry.load_catalogue()
        finally:
            registry.load_catalogue.cache_clear()
    registry.load_catalogue.cache_clear()


def _insert(con, table: str, rows: list[dict]) -> None:
    """Insert dict rows; lineage columns get a fixed test value."""
    for number, row in enumerate(rows, start=2):
        row = {"_file_hash": "test", "_line": number, **row} if _has_lineage(con, table) else row
        names = ", ".join(f'"{k}"' for k in row)
        marks = ", ".join("?" for _ in row)
        values = [json.dumps(v) if isinstance(v, dict) else v for v in row.values()]
        con.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)


def _has_lineage(con, table: str) -> bool:
    columns = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    return "_file_hash" in columns


def _finding(finding_id, rule_id, severity, occurred_at, subject_type, subject_id, facts, week=WEEK, **ids):
    return {
        "finding_id": finding_id,
        "rule_id": rule_id,
        "severity": severity,
        "week": week,
        "occurred_at": occurred_at,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "facts": facts,
        **ids,
    }


def record_decision(warehouse: Path, row: dict) -> None:
    """One decision in the store beside `warehouse`, as written by decisions.store (its own columns)."""
    with open_store(warehouse) as store, store:
        store.execute(
            f"INSERT INTO decisions ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values())
        )


def build_warehouse(path: Path):
    """A warehouse file at `path` with the rows described in this module's docstring."""
    con = connect(path, TIMEZONE)
    _insert(con, "schools", [
        {"school_id": SCHOOL_LINDE, "name": SCHOOL_NAMES[SCHOOL_LINDE], "sector": "PO"},
        {"school_id": SCHOOL_NOORD, "name": SCHOOL_NAMES[SCHOOL_NOORD], "sector": "VO"},
    ])  # fmt: skip
    _insert(con, "students", [
        {"student_id": STUDENT_ANNA, "school_id": SCHOOL_LINDE, "birth_date": "2016-05-02",
         "display_name": "Anna Jansen"},
        {"student_id": STUDENT_BRAM, "school_id": SCHOOL_NOORD, "birth_date": "2008-03-14",
         "display_name": "Bram de Vries"},
    ])  # fmt: skip
    _insert(con, "staff", [
        {"staff_id": STAFF_PIET, "school_id": SCHOOL_LINDE, "role": "teacher", "display_name": SCRIPT_NAME},
        {"staff_id": STAFF_KARIN, "school_id": SCHOOL_LINDE, "role": "teacher", "valid_from": "2020-08-01",
         "display_name": "Karin Smit"},
        {"staff_id": STAFF_KARIN, "school_id": SCHOOL_NOORD, "role": "care_coordinator",
         "valid_from": "2024-08-01", "display_name": "Karin Smit"},
    ])  # fmt: skip
    _insert(con, "guardians", [
        {"guardian_id": GUARDIAN, "student_id": STUDENT_ANNA, "relation": "parent",
         "parental_authority": True, "display_name": "Marco Jansen"},
    ])  # fmt: skip
    _insert(con, "documents", [
        {"document_id": "DOC-0001", "student_id": STUDENT_BRAM, "category": "care"},
    ])  # fmt: skip
    _insert(con, "access_log", [
        # W47: two by Piet (findings), one by Karin (explained), one justified break glass by Karin,
        # one by a guardian; W46: one by Piet.
        {"event_id": "EVT-0001", "occurred_at": "2026-11-17 09:15:00+00", "actor_id": STAFF_PIET,
         "actor_type": "staff", "student_id": STUDENT_ANNA, "action": "view", "source_system": "magister",
         "category": "progress"},
        {"event_id": "EVT-0002", "occurred_at": "2026-11-18 13:00:00+00", "actor_id": STAFF_PIET,
         "actor_type": "staff", "student_id": STUDENT_BRAM, "action": "view", "source_system": "magister",
         "document_id": "DOC-0001"},
        {"event_id": "EVT-0003", "occurred_at": "2026-11-19 08:00:00+00", "actor_id": STAFF_KARIN,
         "actor_type": "staff", "student_id": STUDENT_ANNA, "action": "view", "source_system": "magister",
         "category": "attendance"},
        {"event_id": "EVT-0004", "occurred_at": "2026-11-20 11:30:00+00", "actor_id": STAFF_KARIN,
         "actor_type": "staff", "student_id": STUDENT_BRAM, "action": "view", "source_system": "somtoday",
         "document_id": "DOC-0001", "break_glass": True, "justification": JUSTIFICATION},
        {"event_id": "EVT-0005", "occurred_at": "2026-11-21 18:00:00+00", "actor_id": GUARDIAN,
         "actor_type": "guardian", "student_id": STUDENT_ANNA, "action": "view", "source_system": "somtoday"},
        {"event_id": "EVT-0000", "occurred_at": "2026-11-10 09:00:00+00", "actor_id": STAFF_PIET,
         "actor_type": "staff", "student_id": STUDENT_ANNA, "action": "view", "source_system": "magister"},
    ])  # fmt: skip
    # What the checks recorded as explaining each access (checks.explained), as they would have.
    record_explanations(
        con,
        [
            (WEEK, "magister:EVT-0001", "magister", SCHOOL_LINDE, "staff", "progress", "finding", None,
             "ACCESS-UNINVOLVED"),
            (WEEK, "magister:EVT-0002", "magister", SCHOOL_NOORD, "staff", "care", "finding", None,
             "ACCESS-UNINVOLVED"),
            (WEEK, "magister:EVT-0003", "magister", SCHOOL_LINDE, "staff", "attendance", "involvement", "teacher",
             None),
            (WEEK, "somtoday:EVT-0004", "somtoday", SCHOOL_NOORD, "staff", "care", "break_glass", None, None),
            (WEEK, "somtoday:EVT-0005", "somtoday", SCHOOL_LINDE, "guardian", "general", "guardian",
             "parental_authority", None),
            (PREVIOUS_WEEK, "magister:EVT-0000", "magister", SCHOOL_LINDE, "staff", "general", "finding", None,
             "ACCESS-UNINVOLVED"),
        ],
    )
    _insert(con, "recipients", [
        {"recipient_id": PROCESSOR, "name": "LeerWijs BV", "kind": "processor", "content_chain": True},
        {"recipient_id": "RCP-TOETS", "name": "Toetsbureau", "kind": "processor"},
        {"recipient_id": YOUTH_CARE, "name": "Jeugdzorg Regio", "kind": "other"},
    ])  # fmt: skip
    _insert(con, "processor_agreements", [
        {"agreement_id": "AGR-0001", "recipient_id": PROCESSOR, "signed_at": "2024-01-10",
         "valid_from": "2024-01-01", "valid_to": "2026-12-31", "data_categories": ["progress"]},
        {"agreement_id": "AGR-0002", "recipient_id": "RCP-TOETS", "signed_at": None,
         "valid_from": "2024-01-01"},
    ])  # fmt: skip
    _insert(con, "disclosures", [
        {"disclosure_id": "DSC-0001", "occurred_at": "2026-11-16 08:00:00+00", "student_id": STUDENT_ANNA,
         "recipient_id": YOUTH_CARE, "purpose": "zorgoverleg", "data_categories": ["care", "progress"],
         "legal_basis": "consent", "consent_id": "CNS-0404"},
    ])  # fmt: skip

    _insert(con, "findings", [
        _finding(F_ACCESS_HIGH, "ACCESS-UNINVOLVED", "high", "2026-11-17 09:15:00+00", "access_event",
                 "magister:EVT-0001",
                 {"actor_id": STAFF_PIET, "category": "progress", "student_id": STUDENT_ANNA,
                  "event_date": "2026-11-17", "action": "view", "earlier_involvements": 1234},
                 school_id=SCHOOL_LINDE, actor_id=STAFF_PIET, student_id=STUDENT_ANNA),
        _finding(F_ACCESS_CRITICAL, "ACCESS-UNINVOLVED", "critical", "2026-11-18 13:00:00+00",
                 "access_event", "magister:EVT-0002",
                 {"actor_id": STAFF_PIET, "category": "care", "student_id": STUDENT_BRAM,
                  "event_date": "2026-11-18"},
                 school_id=SCHOOL_NOORD, actor_id=STAFF_PIET, student_id=STUDENT_BRAM),
        _finding(F_DISCLOSURE, "SHARE-NO-CONSENT", "high", "2026-11-16 08:00:00+00", "disclosure", "DSC-0001",
                 {"categories": ["care", "progress"], "recipient_name": "Jeugdzorg Regio",
                  "disclosed_at": "2026-11-16T09:00:00+01:00"},  # consent_id missing on purpose
                 school_id=SCHOOL_LINDE, student_id=STUDENT_ANNA, recipient_id=YOUTH_CARE),
        _finding(F_POLICY, "POLICY-NOT-APPROVED", "high", None, "policy", f"privacy-regulation@2@{SCHOOL_LINDE}",
                 {"policy_id": "privacy-regulation", "version": "2", "effective_from": "2026-08-01",
                  "council": "MR"},
                 school_id=SCHOOL_LINDE),
        _finding(F_EXPIRING, "PROCESSOR-AGREEMENT-EXPIRING", "info", None, "agreement", "AGR-0001",
                 {"agreement_id": "AGR-0001", "valid_to": "2026-12-31"}, recipient_id=PROCESSOR),
        _finding(F_POLICY, "POLICY-NOT-APPROVED", "high", None, "policy", f"privacy-regulation@2@{SCHOOL_LINDE}",
                 {"policy_id": "privacy-regulation", "version": "2", "effective_from": "2026-08-01",
                  "council": "MR"},
                 week=PREVIOUS_WEEK, school_id=SCHOOL_LINDE),
        _finding(F_LAST_WEEK, "ACCESS-UNINVOLVED", "high", "2026-11-10 09:00:00+00", "access_event",
                 "magister:EVT-0000",
                 {"actor_id": STAFF_PIET, "category": "general", "student_id": STUDENT_ANNA,
                  "event_date": "2026-11-10"},
                 week=PREVIOUS_WEEK, school_id=SCHOOL_LINDE, actor_id=STAFF_PIET, student_id=STUDENT_ANNA),
    ])  # fmt: skip
    # Five more medium access findings at school Noord (accesses not in the log: only counts matter),
    # so that one school has a count at the threshold and one below it.
    con.execute(
        """
        INSERT INTO findings
        SELECT printf('%s%02d', $prefix, i), 'ACCESS-UNINVOLVED', 'medium', $week, $school,
               TIMESTAMPTZ '2026-11-19 10:00:00+00' + to_minutes(i), 'access_event',
               'somtoday:EVT-1' || i, $staff, $student, NULL,
               json_object('actor_id', $staff, 'category', 'progress', 'student_id', $student,
                           'event_date', '2026-11-19')
        FROM range(5) t(i)
        """,
        {"prefix": BULK_PREFIX, "week": WEEK, "school": SCHOOL_NOORD, "staff": STAFF_KARIN,
         "student": STUDENT_BRAM},
    )  # fmt: skip
    # The privacy officer's decision lives in the store beside the warehouse (decisions/store.py), with a
    # fixed time so that the reports are the same on every run.
    record_decision(path, {
        "finding_id": F_ACCESS_HIGH, "week": WEEK, "rule_id": "ACCESS-UNINVOLVED", "subject_type": "access_event",
        "subject_id": "magister:EVT-0001", "actor_id": STAFF_PIET, "student_id": STUDENT_ANNA,
        "status": "confirmed", "status_before": "open", "decided_by": "fg", "decided_at": "2026-11-23T09:00:00Z",
        "note": "besproken met Piet",
    })  # fmt: skip
    _insert(con, "coverage", [
        {"week": WEEK, "rule_id": "ACCESS-UNINVOLVED", "status": "evaluated", "subjects_checked": 4,
         "findings": 7},
        {"week": WEEK, "rule_id": "SHARE-NO-CONSENT", "status": "evaluated", "subjects_checked": 1,
         "findings": 1},
        {"week": WEEK, "rule_id": "POLICY-NOT-APPROVED", "status": "evaluated", "subjects_checked": 2,
         "findings": 1},
        {"week": WEEK, "rule_id": "PROCESSOR-AGREEMENT-EXPIRING", "status": "evaluated",
         "subjects_checked": 1, "findings": 1},
        # coverage.csv shows the stored reason; the reports say it from the code, in their language
        {"week": WEEK, "rule_id": "LOG-GAP", "status": "not_evaluated",
         "reason": "feed calendar is empty", "reason_code": "missing_feeds", "reason_feeds": ["calendar"]},
        # 2026-W45 was checked and found nothing; earlier weeks were never checked.
        {"week": "2026-W45", "rule_id": "ACCESS-UNINVOLVED", "status": "evaluated", "subjects_checked": 3,
         "findings": 0},
    ])  # fmt: skip
    # One entry predates reason codes (no reason_code): the report shows its stored sentence.
    _insert(con, "quarantine", [
        {"feed": "students", "file": "students/b.csv", "line": 3, "column": "birth_date",
         "value": "2008-02-30", "reason": "not a date", "reason_code": "invalid_date", "file_hash": "h2"},
        {"feed": "access_log", "file": "access_log/week47.csv", "line": 12, "column": "occurred_at",
         "value": QUARANTINED_VALUE, "reason": "not a timestamp", "file_hash": "h1"},
        {"feed": "access_log", "file": "access_log/week47.csv", "line": 4, "column": "actor_type",
         "value": "robot, \"v2\"", "reason": "unknown code", "reason_code": "unknown_code", "file_hash": "h1"},
        {"feed": "access_log", "file": "access_log/broken.csv", "line": None, "column": None,
         "value": None, "reason": "not UTF-8", "reason_code": "not_text", "file_hash": "h3"},
    ])  # fmt: skip
    _insert(con, "landing_files", [
        {"file_hash": "h1", "feed": "access_log", "path": "access_log/week47.csv", "seq": 1,
         "ingested_at": "2026-11-23 06:00:00+00", "status": "loaded", "rows_read": 8, "rows_loaded": 6,
         "rows_quarantined": 2},
        {"file_hash": "h3", "feed": "access_log", "path": "access_log/broken.csv", "seq": 2,
         "ingested_at": "2026-11-23 06:00:00+00", "status": "rejected", "rows_read": 0, "rows_loaded": 0,
         "rows_quarantined": 1},
    ])  # fmt: skip
    return con


SETTINGS = Settings(timezone=TIMEZONE)

# The PDFs' creation date in the tests (14 November 2023): fixed, so that two renders are identical.
EPOCH = 1_700_000_000


@pytest.fixture(scope="module")
def report_catalogue(tmp_path_factory):
    with temporary_catalogue(tmp_path_factory.mktemp("rules")) as rules:
        yield rules


@pytest.fixture(scope="module")
def report_warehouse(report_catalogue, tmp_path_factory):
    con = build_warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="module")
def report_outputs(report_warehouse, tmp_path_factory) -> dict[str, dict[str, Path]]:
    """write_outputs for both languages: {lang: {file name: path}}."""
    from reports import write_outputs

    out = tmp_path_factory.mktemp("out")
    written = {}
    for lang in ("en", "nl"):
        paths = write_outputs(report_warehouse, WEEK, out / lang, lang, SETTINGS, source_date_epoch=EPOCH)
        written[lang] = {path.name: path for path in paths}
    return written
