"""Signals beyond the rule SQL: the optional guardians.staff_id column of the contract, the privacy
officer's Signals section, the signals family of the council summary, and findings.csv."""

from __future__ import annotations

import csv
import re

from checks.registry import load_catalogue
from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from pipelines.warehouse import connect, ensure_schema
from pipelines.weeks import parse_week
from reports.context import council_context, privacy_officer_context
from reports.i18n import Translator
from reports.outputs import write_findings_csv
from reports.render import render_html
from tests.rule_fixtures import (
    WEEK,
    add_access,
    add_involvement,
    add_school,
    add_staff,
    add_student,
    check,
    insert,
)

WEDNESDAY = "2026-11-18"


# --- guardians.staff_id ------------------------------------------------------------------------------


def _landing(tmp_path, guardians: str):
    landing = tmp_path / "landing"
    for feed, text in {
        "staff": "staff_id,school_id,role\nt1,A,teacher\n",
        "students": "student_id,school_id,birth_date\ns1,A,2012-01-01\n",
        "guardians": guardians,
        "access_log": "event_id,occurred_at,actor_id,actor_type,student_id,action,source_system\n"
        f"e1,{WEDNESDAY}T10:00:00+01:00,t1,staff,s1,view,magister\n",
    }.items():
        (landing / feed).mkdir(parents=True)
        (landing / feed / f"{feed}.csv").write_text(text)
    return landing


def test_a_guardians_file_with_staff_id_gives_the_own_child_signal(tmp_path):
    landing = _landing(tmp_path, "guardian_id,student_id,relation,parental_authority,staff_id\ng1,s1,parent,ja,t1\n")
    con = connect(tmp_path / "w.duckdb")
    ingest_landing(con, landing, Settings())
    assert con.execute("SELECT guardian_id, staff_id FROM guardians").fetchall() == [("g1", "t1")]
    check(con, WEEK, rules=["SIGNAL-OWN-CHILD"])
    assert con.execute("SELECT subject_id FROM findings").fetchall() == [("t1@s1@2026-W47",)]


def test_a_guardians_file_without_staff_id_still_loads(tmp_path):
    landing = _landing(tmp_path, "guardian_id,student_id,relation,parental_authority\ng1,s1,parent,ja\n")
    con = connect(tmp_path / "w.duckdb")
    ingest_landing(con, landing, Settings())
    assert con.execute("SELECT guardian_id, staff_id FROM guardians").fetchall() == [("g1", None)]
    assert con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 0
    result = check(con, WEEK, rules=["SIGNAL-OWN-CHILD"])
    assert result.coverage[0]["status"] == "evaluated" and result.findings == 0


def test_a_warehouse_created_before_the_column_gets_it(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    con.execute("ALTER TABLE guardians DROP COLUMN staff_id")  # as the warehouse was before
    con.execute("INSERT INTO guardians VALUES ('g1', 's1', 'parent', true, NULL, NULL, NULL, 'h', 2)")
    con.close()
    con = connect(path)
    assert con.execute("SELECT guardian_id, staff_id FROM guardians").fetchall() == [("g1", None)]
    ensure_schema(con)  # again: nothing changes
    landing = _landing(tmp_path, "guardian_id,student_id,relation,parental_authority,staff_id\ng2,s1,parent,ja,t1\n")
    ingest_landing(con, landing, Settings())
    assert ("g2", "t1") in con.execute("SELECT guardian_id, staff_id FROM guardians").fetchall()
    check(con, WEEK, rules=["SIGNAL-OWN-CHILD"])
    assert con.execute("SELECT subject_id FROM findings").fetchall() == [("t1@s1@2026-W47",)]


# --- the reports -------------------------------------------------------------------------------------


def _checked_week():
    """Teacher t1 exports 20 students on Wednesday night, each explained by an involvement."""
    con = connect(":memory:")
    add_school(con, "A", "Het Lyceum")
    insert(con, "staff", staff_id="t1", school_id="A", role="teacher", account_type="personal",
           display_name="Jansen, Piet")
    for n in range(20):
        add_student(con, f"s{n}")
        add_involvement(con, "t1", f"s{n}")
        add_access(con, f"e{n}", f"{WEDNESDAY} 02:{n:02d}:00", actor="t1", student=f"s{n}", action="export")
    add_staff(con, "t2")
    check(con, WEEK)
    return con


def _section(html: str, section_id: str) -> str:
    match = re.search(rf'<section id="{section_id}">(.*?)</section>', html, re.DOTALL)
    assert match, section_id
    return match[1]


def test_the_privacy_officer_sees_the_signals_per_account_with_their_figures():
    con = _checked_week()
    monday, sunday = parse_week(WEEK)
    for lang, words in (("en", ("Signals", "20 different students", "not a violation", "18 November 2026")),
                        ("nl", ("Signalen", "20 verschillende leerlingen", "geen overtreding", "18 november 2026"))):
        t = Translator(lang)
        context = privacy_officer_context(con, WEEK, monday, sunday, load_catalogue(), t, Settings())
        html = render_html("privacy-officer.html", t, None, **context)
        signals = _section(html, "signals")
        assert "Jansen, Piet" in signals and "t1" in signals
        assert signals.count('<article class="case') == 1  # one account
        for word in words:
            assert word in signals, (lang, word)
        assert '<a href="#signals">' in html
        # the access cases know nothing of them: every access was explained
        assert "20 different students" not in _section(html, "cases")


def test_the_council_counts_signals_as_a_family_of_their_own():
    con = _checked_week()
    _, sunday = parse_week(WEEK)
    t = Translator("en")
    context = council_context(con, WEEK, sunday, load_catalogue(), t, Settings(small_count_threshold=1))
    assert context["families"][-1] == "signal"
    html = render_html("council-summary.html", t, None, **context)
    assert "Signals: patterns to look into" in html and "not a violation" in html
    # two signals (bulk export, quiet hours), both of the board (no student): its row, signal column
    board_row = next(r for r in context["school_rows"] if r["label"] == t("council.school_board"))
    assert board_row["counts"][-1] == "2"
    small = council_context(con, WEEK, sunday, load_catalogue(), t, Settings())
    board_row = next(r for r in small["school_rows"] if r["label"] == t("council.school_board"))
    assert board_row["counts"][-1] == "fewer than 5"  # the small-count rule applies to signals too
    assert "t1" not in render_html("council-summary.html", t, None, **small)


def test_findings_csv_has_the_account_subjects(tmp_path):
    con = _checked_week()
    path = tmp_path / "findings.csv"
    write_findings_csv(con, WEEK, path, load_catalogue(), Translator("en"))
    rows = {r["rule_id"]: r for r in csv.DictReader(path.open(encoding="utf-8"))}
    assert set(rows) == {"SIGNAL-BULK-EXPORT", "SIGNAL-QUIET-HOURS"}
    bulk = rows["SIGNAL-BULK-EXPORT"]
    assert (bulk["subject_type"], bulk["subject_id"], bulk["actor_id"], bulk["student_id"]) == (
        "account", "t1@2026-11-18", "t1", "")
    assert bulk["occurred_at"] == "2026-11-18T02:00:00+01:00"  # the first access that counted
    assert "20" in bulk["explanation"] and "2026" in bulk["explanation"]
    assert rows["SIGNAL-QUIET-HOURS"]["subject_id"] == "t1@2026-W47"
