"""Who looked: ACCESS-UNKNOWN-ACTOR (1), ACCESS-SHARED-ACCOUNT (2), ACCESS-BREAK-GLASS-UNJUSTIFIED (3)
and ACCESS-STUDENT-OTHER (5)."""

import pytest

from tests.access_fixtures import ACCESS_RULES, add_guardian_link, explanations, judge
from tests.rule_fixtures import (
    WEEK,
    add_access,
    add_involvement,
    add_staff,
    add_student,
    check,
    coverage,
    facts,
    finding_row,
    findings,
    render,
    warehouse,
)

UNKNOWN = "ACCESS-UNKNOWN-ACTOR"
SHARED = "ACCESS-SHARED-ACCOUNT"
BREAK_GLASS = "ACCESS-BREAK-GLASS-UNJUSTIFIED"
STUDENT_OTHER = "ACCESS-STUDENT-OTHER"


@pytest.fixture
def con():
    """Students s1, s2 at A; teacher t1 involved with both; guardian g1 linked to s1."""
    con = warehouse()
    add_student(con, "s1", birth="2012-03-01")
    add_student(con, "s2", birth="2012-04-01")
    add_staff(con, "t1")
    add_involvement(con, "t1", "s1")
    add_involvement(con, "t1", "s2")
    add_guardian_link(con, "g1", "s1")
    return con


# --- ACCESS-UNKNOWN-ACTOR ---------------------------------------------------------------------------


def test_staff_actor_not_in_staff_is_unknown_with_its_facts(con):
    add_access(con, "e1", "2026-11-18 08:05:00", actor="x9", student="s1", category="progress")
    assert judge(con) == {(UNKNOWN, "magister:e1", "high")}
    row = finding_row(con, UNKNOWN, "magister:e1")
    assert (row["actor_id"], row["student_id"], row["school_id"]) == ("x9", "s1", "A")
    assert facts(con, UNKNOWN, "magister:e1") == {
        "actor_id": "x9",
        "actor_type": "staff",
        "student_id": "s1",
        "category": "progress",
        "local_date": "2026-11-18",
        "action": "view",
        "source_system": "magister",
    }


def test_guardian_actor_not_in_guardians_is_unknown(con):
    add_access(con, "e1", actor="g9", actor_type="guardian", category="progress")
    assert judge(con) == {(UNKNOWN, "magister:e1", "high")}


@pytest.mark.parametrize(
    "valid_from, valid_to",
    [("2020-01-01", "2021-01-01"), ("2027-01-01", None)],  # known whatever its dates
)
def test_a_staff_row_at_any_time_makes_the_actor_known(con, valid_from, valid_to):
    add_staff(con, "t2", valid_from=valid_from, valid_to=valid_to)
    add_involvement(con, "t2", "s1")
    add_access(con, "e1", actor="t2")
    assert judge(con) == set()


def test_a_guardian_row_for_another_student_makes_the_guardian_known(con):
    add_guardian_link(con, "g2", "s2", valid_to="2020-01-01")
    add_access(con, "e1", actor="g2", actor_type="guardian", student="s1", category="progress")
    assert judge(con) == {("ACCESS-GUARDIAN-NOT-LINKED", "magister:e1", "high")}


def test_the_actor_is_looked_up_in_the_list_of_its_type(con):
    add_access(con, "e1", actor="g1", actor_type="staff")  # a guardian id logged as staff
    add_access(con, "e2", actor="t1", actor_type="guardian", category="progress")  # and the reverse
    assert judge(con) == {(UNKNOWN, "magister:e1", "high"), (UNKNOWN, "magister:e2", "high")}


def test_student_actors_are_not_judged_by_this_rule(con):
    add_access(con, "e1", actor="s7", actor_type="student", student="s7")  # unknown student, own file
    result = check(con, rules=[UNKNOWN])
    assert findings(con) == set()
    assert coverage(result, UNKNOWN)["subjects_checked"] == 0


def test_without_guardians_rows_staff_actors_are_judged_and_guardian_actors_are_not(con):
    con.execute("DELETE FROM guardians")
    add_access(con, "e1", actor="x9")
    add_access(con, "e2", actor="g1", actor_type="guardian", category="progress")
    add_access(con, "e3", actor="t1")
    result = check(con, rules=ACCESS_RULES)
    assert findings(con) == {(UNKNOWN, "magister:e1", "high")}
    assert coverage(result, UNKNOWN) == {
        "rule_id": UNKNOWN,
        "status": "evaluated",
        "reason": "guardian actors not evaluated: no rows in feed guardians",
        "subjects_checked": 2,
        "findings": 1,
    }
    stored = con.execute(
        "SELECT status, reason FROM coverage WHERE week = ? AND rule_id = ?", [WEEK, UNKNOWN]
    )
    assert stored.fetchone() == ("evaluated", "guardian actors not evaluated: no rows in feed guardians")
    assert coverage(result, "ACCESS-GUARDIAN-NOT-LINKED")["reason"] == "no rows in feed: guardians"


def test_with_guardians_rows_the_coverage_has_no_reason(con):
    add_access(con, "e1", actor="g1", actor_type="guardian", category="progress")
    result = check(con, rules=[UNKNOWN])
    assert coverage(result, UNKNOWN)["reason"] is None
    assert coverage(result, UNKNOWN)["subjects_checked"] == 1


@pytest.mark.parametrize("feed", ["access_log", "students", "staff"])
def test_not_evaluated_without_a_required_feed(con, feed):
    add_access(con, "e1", actor="x9")
    con.execute(f"DELETE FROM {feed}")
    result = check(con, rules=[UNKNOWN])
    assert coverage(result, UNKNOWN)["status"] == "not_evaluated"
    assert findings(con) == set()


# --- ACCESS-SHARED-ACCOUNT ----------------------------------------------------------------------------


def test_shared_account_is_a_finding(con):
    add_staff(con, "frontdesk", role="administration", account_type="shared")
    add_access(con, "e1", actor="frontdesk", category="attendance")  # its role would allow attendance
    assert judge(con) == {(SHARED, "magister:e1", "high")}
    assert facts(con, SHARED, "magister:e1")["actor_id"] == "frontdesk"


def test_one_shared_row_among_several_makes_the_account_shared(con):
    add_staff(con, "t2", role="teacher", account_type="personal")
    add_staff(con, "t2", role="mentor", account_type="shared", valid_to="2019-07-31")
    add_involvement(con, "t2", "s1")
    add_access(con, "e1", actor="t2")
    assert judge(con) == {(SHARED, "magister:e1", "high")}


@pytest.mark.parametrize("account_type", ["personal", "service", None])
def test_personal_and_service_accounts_are_not_shared(con, account_type):
    add_staff(con, "t2", account_type=account_type)
    add_involvement(con, "t2", "s1")
    add_access(con, "e1", actor="t2")
    assert judge(con) == set()


def test_only_staff_accounts_can_be_shared(con):
    add_staff(con, "g1", account_type="shared")  # the same id, but the guardian g1 logged in
    add_access(con, "e1", actor="g1", actor_type="guardian", category="progress")
    assert judge(con) == set()


# --- ACCESS-BREAK-GLASS-UNJUSTIFIED ------------------------------------------------------------------


@pytest.mark.parametrize(
    "justification, is_finding",
    [
        (None, True),
        ("", True),
        ("   ", True),  # spaces are no justification
        ("child unwell, parents unreachable", False),
    ],
)
def test_break_glass_needs_a_justification(con, justification, is_finding):
    add_access(con, "e1", break_glass=True, justification=justification)  # t1 is involved with s1
    assert judge(con) == ({(BREAK_GLASS, "magister:e1", "high")} if is_finding else set())


def test_no_break_glass_no_finding_even_without_justification(con):
    add_access(con, "e1", break_glass=False)
    add_access(con, "e2")  # break_glass empty = unknown = not used
    assert judge(con) == set()


@pytest.mark.parametrize(
    "actor, actor_type, student", [("g1", "guardian", "s1"), ("s1", "student", "s1"), ("t1", "staff", "s1")]
)
def test_break_glass_applies_to_every_kind_of_actor(con, actor, actor_type, student):
    add_access(
        con, "e1", actor=actor, actor_type=actor_type, student=student, category="progress", break_glass=True
    )
    assert judge(con) == {(BREAK_GLASS, "magister:e1", "high")}
    assert facts(con, BREAK_GLASS, "magister:e1")["actor_type"] == actor_type


# --- ACCESS-STUDENT-OTHER -----------------------------------------------------------------------------


def test_student_viewing_another_students_data(con):
    add_access(con, "e1", actor="s2", actor_type="student", student="s1", category="progress")
    assert judge(con) == {(STUDENT_OTHER, "magister:e1", "high")}
    assert facts(con, STUDENT_OTHER, "magister:e1")["actor_id"] == "s2"


def test_student_viewing_their_own_data_is_fine(con):
    add_access(con, "e1", actor="s1", actor_type="student", student="s1", category="care")
    assert judge(con) == set()
    assert explanations(con)["magister:e1"] == ("own_file", None, None)


def test_an_unknown_student_account_viewing_someone_else(con):
    add_access(con, "e1", actor="s99", actor_type="student", student="s1")
    assert judge(con) == {(STUDENT_OTHER, "magister:e1", "high")}


def test_a_justified_break_glass_by_a_student_gets_no_finding(con):
    add_access(
        con, "e1", actor="s2", actor_type="student", student="s1", break_glass=True, justification="first aid"
    )
    assert judge(con) == set()
    assert explanations(con)["magister:e1"] == ("break_glass", None, None)


# --- explanations --------------------------------------------------------------------------------------


def test_explanations_read_well_in_both_languages(con):
    add_staff(con, "desk", account_type="shared")
    add_access(con, "e1", actor="x9", category="care")
    add_access(con, "e2", actor="desk", category="progress", source_system="somtoday")
    add_access(con, "e3", actor="t1", break_glass=True)
    add_access(con, "e4", actor="s2", actor_type="student", student="s1", category="attendance")
    judge(con)
    assert render(UNKNOWN, facts(con, UNKNOWN, "magister:e1"), "en") == (
        "Account x9 accessed data of student s1 in the category care on 2026-11-18 (system magister), but it is"
        " not a known account of the kind it was logged as (staff member or guardian), so who looked cannot be"
        " established."
    )
    assert render(UNKNOWN, facts(con, UNKNOWN, "magister:e1"), "nl").startswith(
        "Account x9 heeft op 2026-11-18 gegevens van leerling s1 uit de categorie care geraadpleegd"
    )
    assert render(SHARED, facts(con, SHARED, "somtoday:e2"), "nl") == (
        "Het gedeelde account desk heeft op 2026-11-18 gegevens van leerling s1 uit de categorie progress"
        " geraadpleegd (systeem somtoday); omdat meerdere mensen dit account gebruiken, kan het logboek niet"
        " laten zien wie er keek."
    )
    assert render(BREAK_GLASS, facts(con, BREAK_GLASS, "magister:e3"), "en").endswith(
        "on 2026-11-18 (system magister) without giving a justification."
    )
    assert render(STUDENT_OTHER, facts(con, STUDENT_OTHER, "magister:e4"), "en") == (
        "Student s2 accessed data of another student, s1, in the category attendance on 2026-11-18"
        " (system magister)."
    )
