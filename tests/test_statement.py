"""The student's statement (spec/statement.md) end to end through `schoolaudit statement`, on the small
warehouse of statement_fixtures: every section, every kind of consultation and disclosure, the privacy
of others, both languages, the PDF's text, the register of requests and its due dates."""

from __future__ import annotations

import html
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from statement_fixtures import (
    ANNA,
    CARLA,
    MANY,
    OTHERS,
    STAFF_NAMES,
    build,
)
from test_reports_pdf_text import pdf_text

from decisions.requests import RequestError, due_date, due_soon, register, requests
from decisions.store import open_store
from statements.dates import age_on
from tests.conftest import read_csv, schoolaudit

pytest_plugins = ("demo_fixtures",)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    folder = tmp_path_factory.mktemp("statement")
    db = folder / "warehouse.duckdb"
    today = build(db)
    return {"db": db, "folder": folder, "today": today}


def make(warehouse, out: Path, *args: str):
    result = schoolaudit("statement", "--db", str(warehouse["db"]), "--out", str(out), *args)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module")
def statements(warehouse):
    """Anna's statement in English, in Dutch, and in English with staff names; drafts all three."""
    made = {}
    for key, args in {"en": ("--lang", "en"), "nl": ("--lang", "nl"), "named": ("--staff-names",)}.items():
        out = warehouse["folder"] / f"out-{key}"
        make(warehouse, out, "--student", ANNA, *args)
        stem = out / "statements" / f"{ANNA}-{warehouse['today'].isoformat()}"
        made[key] = {"html": stem.with_suffix(".html"), "pdf": stem.with_suffix(".pdf"), "out": out}
    return made


def text_of(path: Path) -> str:
    return html.unescape(path.read_text(encoding="utf-8"))


def test_every_section_is_there_in_plain_language(statements):
    text = text_of(statements["en"]["html"])
    for heading in ("1. Who is responsible", "2. What the school holds", "3. Who looked at the file",
                    "4. What left the school", "5. Who processes data for the school",
                    "6. What the privacy audit found", "7. Your rights"):  # fmt: skip
        assert heading in text
    # the controller and the period
    assert "BRD-41" in text and "Basisschool De Linde" in text and "Anna Jansen" in text
    assert "1 September 2026 to 22 November 2026" in text  # the first document to the last access
    # what is held, per category, the special ones said so
    assert "care and support*" in text and "special category of personal data" in text
    assert "Draft." in text


def test_every_kind_of_consultation_with_its_function_and_purpose(statements):
    text = text_of(statements["en"]["html"])
    for purpose in (
        "the student's mentor",  # an involvement
        "teaches the student",  # a OneRoster class (roster) and a teacher involvement
        "part of this function's work at the school",  # a role allowance
        "an emergency access, with a reason recorded",  # justified break glass
        "the student's own file",
        "parent or guardian with parental authority",
        "not explained: looked into by the privacy officer, status: confirmed as a violation",
        "not explained: looked into by the privacy officer, status: not yet decided",
        "not assessed: the information needed to check it was missing",
        "not checked: the privacy audit did not cover this week",
    ):
        assert purpose in text, purpose
    for function in ("mentor", "teacher", "administration", "care coordinator", "the student", "a parent",
                     "another student"):  # fmt: skip
        assert f"<td>{function}</td>" in text, function
    for action in ("viewed", "changed", "downloaded", "printed"):
        assert action in text
    assert "16 November 2026" in text and "08:05" in text and "22:40" in text


def test_many_accesses_by_one_function_on_one_day_are_one_line(statements):
    text = text_of(statements["en"]["html"])
    assert f"08:00 – 08:29 ({MANY} times) · teacher · magister · progress · viewed — teaches the student" in " ".join(text.split())
    # more than the listed times: the first and the last
    assert "08:05" in text and "08:15" not in text


def test_every_disclosure_with_recipient_purpose_categories_identifiers_and_ground(statements):
    text = text_of(statements["en"]["html"])
    assert "Samenwerkingsverband Passend Onderwijs Zuid" in text and "regional partnership for appropriate education" in text
    assert "Lyceum Noord" in text and "another school" in text
    assert "aanvraag ondersteuning" in text and "overstap" in text
    assert "consent given by a parent or guardian on 1 September 2026 (in writing)" in text
    assert "the educational report a new school receives" in text
    assert "citizen service number (BSN)" in text and "date of birth" in text and "chain pseudonym (ECK iD)" in text
    # a consent of another student is not shown as the ground
    assert "consent (not found in the school's records)" in text


def test_processors_and_whether_an_agreement_was_in_force(statements):
    text = text_of(statements["en"]["html"])
    section = text.split('id="processors"')[1].split("</section>")[0]
    assert "LeerWijs" in section and "yes, every time" in section
    assert "OudPlatform" in section and "<td>no</td>" in section


def test_findings_and_what_was_decided_without_the_note(statements):
    text = text_of(statements["en"]["html"])
    section = text.split('id="findings"')[1].split("</section>")[0]
    assert "confirmed as a violation" in section and "decided on 24 November 2026" in section
    assert "not yet decided" in section
    assert section.count("<tr>") == 1 + 4  # header + Anna's four findings, not Bram's


def test_the_rights_and_whom_to_contact(statements):
    text = text_of(statements["en"]["html"])
    for right in ("Rectification", "Erasure", "Objection", "Autoriteit Persoonsgegevens", "privacy officer"):
        assert right in text


@pytest.mark.parametrize("key", ["en", "nl"])
def test_nothing_of_another_student_and_no_free_text_about_others(statements, key):
    for path in (statements[key]["html"],):
        text = text_of(path)
        for value in OTHERS:
            assert value not in text, value
    pdf = pdf_text(statements[key]["pdf"])
    for value in OTHERS:
        assert value not in pdf, value


def test_staff_are_named_only_when_asked(statements):
    named = text_of(statements["named"]["html"])
    for name in STAFF_NAMES.values():
        assert name in named
    for value in OTHERS:
        if value not in STAFF_NAMES.values():
            assert value not in named, value
    assert "Staff are named in this statement." in named


def test_from_16_the_statement_is_addressed_to_the_student_before_to_the_parents(statements, warehouse, tmp_path):
    assert "Dear Anna Jansen," in text_of(statements["en"]["html"])  # 16 today
    make(warehouse, tmp_path, "--student", CARLA)  # 16 tomorrow
    carla = text_of(tmp_path / "statements" / f"{CARLA}-{warehouse['today'].isoformat()}.html")
    assert "To the parents or guardians of Carla Klein," in carla and "Dear" not in carla
    assert "Nobody looked at the student's file in this period." in carla


def test_dutch(statements):
    text = text_of(statements["nl"]["html"])
    assert '<html lang="nl">' in text
    for label in ("Inzage: de persoonsgegevens van Anna Jansen", "Beste Anna Jansen,", "Wie het dossier heeft bekeken",
                  "de mentor van de leerling", "bevestigd als overtreding", "toestemming gegeven door een ouder of verzorger",
                  "ja, elke keer", "Autoriteit Persoonsgegevens", "16 november 2026"):  # fmt: skip
        assert label in text, label


@pytest.mark.parametrize(("key", "phrases"), [
    ("en", ("Who looked at the file", "the student's mentor", "LeerWijs", "Your rights")),
    ("nl", ("Wie het dossier heeft bekeken", "de mentor van de leerling", "LeerWijs", "Uw rechten")),
])  # fmt: skip
def test_the_pdf_says_the_same(statements, key, phrases):
    text = " ".join(pdf_text(statements[key]["pdf"]).split())
    for phrase in phrases:
        assert phrase in text, phrase


def test_files_are_the_owners_only(statements):
    folder = statements["en"]["html"].parent
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in (statements["en"]["html"], statements["en"]["pdf"]):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_period_narrows_consultations_and_disclosures(warehouse, tmp_path):
    make(warehouse, tmp_path, "--student", ANNA, "--from", "2026-11-16", "--to", "2026-11-16")
    text = text_of(tmp_path / "statements" / f"{ANNA}-{warehouse['today'].isoformat()}.html")
    assert "16 November 2026 to 16 November 2026" in text
    assert "aanvraag ondersteuning" in text and "overstap" not in text and "22:40" not in text


def test_a_draft_registers_nothing_and_received_registers_the_request(warehouse, tmp_path):
    def listed():
        result = schoolaudit("requests", "--db", str(warehouse["db"]), "--format", "csv")
        assert result.returncode == 0, result.stderr
        path = tmp_path / "requests.csv"
        path.write_text(result.stdout, encoding="utf-8")
        return read_csv(path)

    before = listed()  # the drafts of the other tests registered nothing
    assert [r for r in before if r["student_id"] == ANNA] == []
    today = warehouse["today"]
    received = today - timedelta(days=3)
    result = make(warehouse, tmp_path, "--student", ANNA, "--received", received.isoformat())
    assert f"due {due_date(received)}" in result.stdout
    assert "Draft." not in text_of(tmp_path / "statements" / f"{ANNA}-{today.isoformat()}.html")
    [row] = [r for r in listed() if r["student_id"] == ANNA]
    assert row["requester"] == "student"  # Anna is 16
    assert (row["received"], row["due"], row["issued"], row["status"]) == (
        received.isoformat(), due_date(received).isoformat(), today.isoformat(), "issued")
    table = schoolaudit("requests", "--db", str(warehouse["db"]))
    assert ANNA in table.stdout and "1 access request" in table.stdout


@pytest.mark.parametrize(("args", "message"), [
    (("--student", "STU-NOBODY"), "unknown student"),
    (("--student", ANNA, "--from", "2026-11-20", "--to", "2026-11-19"), "before it starts"),
    (("--student", ANNA, "--received", "2999-01-01"), "after today"),
    (("--student", ANNA, "--requester", "guardian"), "--received"),
    (("--student", ANNA, "--received", "31-01-2026"), "not a date"),
])  # fmt: skip
def test_mistakes_are_one_line_and_exit_2(warehouse, tmp_path, args, message):
    result = schoolaudit("statement", "--db", str(warehouse["db"]), "--out", str(tmp_path), *args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "statements").exists() or not any((tmp_path / "statements").iterdir())


@pytest.mark.parametrize(("received", "due"), [
    (date(2026, 1, 31), date(2026, 2, 28)),
    (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
    (date(2026, 3, 31), date(2026, 4, 30)),
    (date(2028, 2, 29), date(2028, 3, 29)),
    (date(2026, 12, 31), date(2027, 1, 31)),
    (date(2026, 11, 15), date(2026, 12, 15)),
    (date(2026, 2, 28), date(2026, 3, 28)),
])  # fmt: skip
def test_due_a_calendar_month_later_clamped_to_the_months_last_day(received, due):
    assert due_date(received) == due


@pytest.mark.parametrize(("day", "choice", "age"), [
    (date(2024, 2, 28), "march_1", 15),
    (date(2024, 2, 29), "march_1", 16),
    (date(2025, 2, 28), "march_1", 16),  # born 29 February 2008: 2025 is common, 2024 leap
    (date(2027, 2, 28), "march_1", 18),
    (date(2027, 2, 28), "february_28", 19),
    (date(2027, 3, 1), "march_1", 19),
])  # fmt: skip
def test_age_with_a_leap_day_birthday(day, choice, age):
    born = date(2008, 2, 29)
    assert age_on(born, day, choice) == age


def test_the_register_is_append_only_and_knows_what_is_due(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    today = date(2026, 12, 3)
    with open_store(db) as store:
        soon = register(store, "S1", "guardian", date(2026, 11, 7), "po", today)  # due 7 December: within 7 days
        late = register(store, "S2", "student", date(2026, 10, 31), "po", today)  # due 30 November: overdue
        later = register(store, "S3", "guardian", date(2026, 11, 20), "po", today)  # due 20 December
        done = register(store, "S4", "guardian", date(2026, 11, 1), "po", today, issued_statement="S4.pdf")
        assert [r["request_id"] for r in due_soon(store, today)] == [late, soon]
        assert {r["request_id"]: r["status"] for r in requests(store, today)} == {
            soon: "open", late: "overdue", later: "open", done: "issued"}
        with pytest.raises(RequestError):
            register(store, "S5", "neighbour", date(2026, 11, 1), "po", today)
        with pytest.raises(RequestError):
            register(store, "S5", "student", date(2026, 12, 4), "po", today)
        import sqlite3

        with pytest.raises(sqlite3.DatabaseError, match="never"), store:
            store.execute("UPDATE access_requests SET due = '2027-01-01'")
        with pytest.raises(sqlite3.DatabaseError, match="never"), store:
            store.execute("DELETE FROM access_request_events")


def test_the_privacy_officers_report_lists_requests_due_within_7_days_and_overdue(tmp_path):
    from statement_fixtures import TIMEZONE

    from pipelines.settings import Settings
    from pipelines.warehouse import connect
    from reports import write_outputs

    db = tmp_path / "warehouse.duckdb"
    today = build(db)
    with open_store(db) as store:
        register(store, "STU-SOON", "guardian", received_due(today, 3, 7), "po", today)
        register(store, "STU-LATE", "student", received_due(today, -9, -1), "po", today)
        register(store, "STU-LATER", "guardian", received_due(today, 8, 25), "po", today)
        register(store, "STU-DONE", "guardian", received_due(today, -9, -1), "po", today, issued_statement="x.pdf")
    con = connect(db, TIMEZONE)
    try:
        for lang, due_soon_word, overdue_word in (("en", "due soon", "overdue"), ("nl", "loopt bijna af", "te laat")):
            write_outputs(con, "2026-W47", tmp_path / lang, lang, Settings())
            text = html.unescape((tmp_path / lang / "2026-W47" / "privacy-officer.html").read_text(encoding="utf-8"))
            section = text.split('id="access-requests"')[1].split("</section>")[0]
            assert "STU-SOON" in section and "STU-LATE" in section
            assert "STU-LATER" not in section and "STU-DONE" not in section
            assert due_soon_word in section and overdue_word in section
            assert section.index("STU-LATE") < section.index("STU-SOON")  # the earliest due first
            assert "STU-SOON" not in (tmp_path / lang / "2026-W47" / "council-summary.html").read_text(encoding="utf-8")
    finally:
        con.close()


def received_due(today: date, first: int, last: int) -> date:
    """A day received on or before today whose due date is `first` to `last` days after today."""
    for back in range(60):
        received = today - timedelta(days=back)
        if first <= (due_date(received) - today).days <= last:
            return received
    raise AssertionError((first, last))


def test_thousands_of_accesses_give_a_statement_in_seconds(tmp_path):
    """A school year of 3,000 accesses by four functions: grouped in the database per day and function,
    listed day by day in the annex, rendered in seconds."""
    import time

    from statement_fixtures import ADMIN, CARE, MENTOR, TEACHER, TIMEZONE

    from pipelines.warehouse import connect

    db = tmp_path / "warehouse.duckdb"
    today = build(db)
    con = connect(db, TIMEZONE)
    con.execute(f"""
        INSERT INTO access_log (event_id, occurred_at, actor_id, actor_type, student_id, action, source_system,
                                category, _file_hash, _line)
        SELECT 'P' || i, TIMESTAMPTZ '2025-09-01 08:00:00+02' + to_minutes(CAST((i * 97) % (200 * 24 * 60) AS BIGINT)),
               ['{MENTOR}', '{TEACHER}', '{ADMIN}', '{CARE}'][1 + i % 4], 'staff', '{ANNA}',
               ['view', 'edit', 'print'][1 + i % 3], 'magister', ['progress', 'care', 'attendance'][1 + i % 3], 'x', i
        FROM range(3000) t(i)
    """)  # fmt: skip
    con.close()
    started = time.monotonic()
    make({"db": db}, tmp_path / "out", "--student", ANNA)
    assert time.monotonic() - started < 60  # seconds on a laptop; generous for a busy CI machine
    text = text_of(tmp_path / "out" / "statements" / f"{ANNA}-{today.isoformat()}.html")
    lines = text.count('<p class="access">')
    assert lines < 3000 / 4  # grouped: far fewer lines than accesses
    assert "3,041 accesses" in text  # the fixture's 41 and these


@pytest.mark.parametrize("choice", ["march_1", "february_28"])
def test_the_age_is_the_one_the_rules_compute(choice):
    """statements.dates.age_on agrees with the rules' age_at macro (checks.context) on every day around
    the birthdays that are hard: 29 February, 28 February, 1 March, 31 December."""
    import duckdb

    from checks.context import _age_macro

    con = duckdb.connect()
    con.execute(_age_macro(choice))
    births = [date(2008, 2, 29), date(2009, 2, 28), date(2009, 3, 1), date(2010, 12, 31)]
    days = [date(2023, 12, 25) + timedelta(days=n) for n in range(0, 1600, 1)]
    expected = con.execute(
        "SELECT b, d, age_at(b, d) FROM unnest($b) t(b), unnest($d) u(d) ORDER BY b, d", {"b": births, "d": days}
    ).fetchall()
    assert [(b, d, age_on(b, d, choice)) for b, d, _ in expected] == expected
