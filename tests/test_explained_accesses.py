"""Explained accesses: every access event of a checked week gets exactly one access_explanations row,
saying what allowed it or which finding it got; explained_share sums them per school and system."""

from dataclasses import replace

import pytest

from checks import context
from checks.explained import explained_share
from checks.registry import rule_by_id
from checks.runner import RuleError, run_checks
from pipelines.settings import Settings
from pipelines.warehouse import connect
from tests.access_fixtures import (
    ACCESS_RULES,
    add_guardian_link,
    add_parent_access_consent,
    explanations,
    judge,
)
from tests.rule_fixtures import (
    WEEK,
    add_access,
    add_document,
    add_involvement,
    add_roster_involvement,
    add_school,
    add_staff,
    add_student,
    check,
    warehouse,
)


@pytest.fixture
def con():
    """Schools A and B; s1 (11) and adult (18) at A, b1 at B; teacher t1 at A; guardian g1 of s1 and adult."""
    con = warehouse()
    add_school(con, "A")
    add_school(con, "B")
    add_student(con, "s1", school="A", birth="2015-01-01")
    add_student(con, "adult", school="A", birth="2008-05-01")
    add_student(con, "b1", school="B", birth="2014-01-01")
    add_staff(con, "t1", school="A")
    add_guardian_link(con, "g1", "s1")
    add_guardian_link(con, "g1", "adult")
    return con


def explained(con, event="e1"):
    judge(con)
    return explanations(con)[f"magister:{event}"]


# --- what explains an access ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "relations, expected",
    [
        (["teacher"], "teacher"),
        (["mentor", "teacher"], "teacher"),  # a fixed order of relations, not the order of the rows
        (["grant", "mentor"], "mentor"),
        (["substitute", "care_coordinator"], "care_coordinator"),
        (["grant", "assessment"], "assessment"),
        (["grant"], "grant"),
    ],
)
def test_involvement_names_its_relation(con, relations, expected):
    for relation in relations:
        add_involvement(con, "t1", "s1", relation=relation, reason="review" if relation == "grant" else None)
    add_access(con, "e1", actor="t1", category="progress")
    assert explained(con) == ("involvement", expected, None)


def test_roster_comes_after_every_relation_of_the_involvements_feed(con):
    add_roster_involvement(con, "t1", "s1")
    add_involvement(con, "t1", "s1", relation="grant", reason="review")
    add_access(con, "e1", actor="t1")
    add_access(con, "e2", actor="t1", student="adult")
    add_roster_involvement(con, "t1", "adult")
    judge(con)
    assert explanations(con)["magister:e1"] == ("involvement", "grant", None)
    assert explanations(con)["magister:e2"] == ("involvement", "roster", None)


def test_involvement_inside_its_grace_window_explains(con):
    add_involvement(con, "t1", "s1", relation="mentor", valid_from="2025-08-25", valid_to="2026-10-30")
    add_access(con, "e1", actor="t1")
    assert explained(con) == ("involvement", "mentor", None)


def test_role_allowance_names_the_role(con):
    add_involvement(con, "t9", "b1")  # the involvements feed has rows
    add_staff(con, "m1", school="A", role="management")
    add_access(con, "e1", actor="m1", category="progress")
    assert explained(con) == ("role_allowance", "management", None)


def test_involvement_comes_before_role_allowance(con):
    add_staff(con, "t1", school="A", role="management")
    add_involvement(con, "t1", "s1", relation="mentor")
    add_access(con, "e1", actor="t1", category="progress")
    assert explained(con) == ("involvement", "mentor", None)


def test_among_roles_the_first_by_name(con):
    add_involvement(con, "t9", "b1")
    add_staff(con, "m1", school="A", role="management")
    add_staff(con, "m1", school="A", role="administration")
    add_access(con, "e1", actor="m1", category="attendance")
    assert explained(con) == ("role_allowance", "administration", None)


def test_justified_break_glass(con):
    add_involvement(con, "t1", "s1")  # even an involved teacher's override is listed as the override
    add_access(con, "e1", actor="t1", break_glass=True, justification="parents asked by phone, urgent")
    assert explained(con) == ("break_glass", None, None)


def test_own_file(con):
    add_involvement(con, "t9", "b1")
    add_access(con, "e1", actor="s1", actor_type="student", student="s1", category="care")
    assert explained(con) == ("own_file", None, None)


@pytest.mark.parametrize(
    "student, authority, category, consent, detail",
    [
        ("s1", True, "care", False, "parental_authority"),
        ("s1", False, "progress", False, "link"),
        ("adult", True, "progress", True, "parent_access_consent"),
    ],
)
def test_guardian_within_what_they_may_see(con, student, authority, category, consent, detail):
    add_involvement(con, "t9", "b1")
    add_guardian_link(con, "g2", student, authority=authority)
    if consent:
        add_parent_access_consent(con, "pa1", student=student)
    add_access(con, "e1", actor="g2", actor_type="guardian", student=student, category=category)
    assert explained(con) == ("guardian", detail, None)


def test_a_finding_names_its_rule(con):
    add_involvement(con, "t9", "b1")
    add_access(con, "e1", actor="t1", student="b1")  # t1 is at A and not involved with b1
    add_access(con, "e2", actor="g1", actor_type="guardian", student="adult", category="care")
    judge(con)
    assert explanations(con)["magister:e1"] == ("finding", None, "ACCESS-UNINVOLVED")
    assert explanations(con)["magister:e2"] == ("finding", None, "ACCESS-PARENT-18PLUS")


# --- not evaluated ----------------------------------------------------------------------------------------


def test_without_involvements_or_roster_staff_accesses_are_not_evaluated(con):
    add_staff(con, "m1", school="A", role="management")
    add_access(con, "e1", actor="t1")
    add_access(con, "e2", actor="m1", category="progress")  # even what a role would allow
    add_access(con, "e3", actor="x9")  # an unknown actor is still found
    add_access(con, "e4", actor="g1", actor_type="guardian", category="progress")  # guardians are judged
    judge(con)
    assert explanations(con) == {
        "magister:e1": ("not_evaluated", None, None),
        "magister:e2": ("not_evaluated", None, None),
        "magister:e3": ("finding", None, "ACCESS-UNKNOWN-ACTOR"),
        "magister:e4": ("guardian", "parental_authority", None),
    }


def test_without_guardians_rows_guardian_accesses_are_not_evaluated(con):
    con.execute("DELETE FROM guardians")
    add_involvement(con, "t1", "s1")
    add_access(con, "e1", actor="g1", actor_type="guardian", category="progress")
    add_access(con, "e2", actor="g1", actor_type="guardian", break_glass=True, justification="x")
    add_access(con, "e3", actor="g1", actor_type="guardian", break_glass=True)
    add_access(con, "e4", actor="t1")
    judge(con)
    assert explanations(con) == {
        "magister:e1": ("not_evaluated", None, None),
        "magister:e2": ("not_evaluated", None, None),  # whether g1 is a known guardian cannot be told
        "magister:e3": ("finding", None, "ACCESS-BREAK-GLASS-UNJUSTIFIED"),
        "magister:e4": ("involvement", "teacher", None),
    }


def test_rules_left_out_of_a_run_leave_their_accesses_not_evaluated(con):
    add_involvement(con, "t1", "s1")
    add_access(con, "e1", actor="t1")
    add_access(con, "e2", actor="t1", student="b1")
    add_access(con, "e3", actor="s1", actor_type="student", student="s1")
    check(con, rules=["ACCESS-UNINVOLVED"])
    assert explanations(con) == {
        "magister:e1": ("not_evaluated", None, None),  # rules 1-3 did not run
        "magister:e2": ("finding", None, "ACCESS-UNINVOLVED"),
        "magister:e3": ("not_evaluated", None, None),
    }


# --- one row per access, and the sums ----------------------------------------------------------------------


def mixed_week(con):
    """One access of every kind, at both schools and in two systems (and one next week)."""
    add_involvement(con, "t1", "s1")
    add_staff(con, "m1", school="B", role="administration")
    add_staff(con, "desk", school="A", account_type="shared")
    add_document(con, "psy", "s1", category="psychological_report")
    add_access(con, "e1", actor="t1")  # involvement
    add_access(con, "e2", actor="m1", student="b1", category="attendance", source_system="somtoday")  # role
    add_access(con, "e3", actor="m1", student="b1", category="care", source_system="somtoday")  # finding
    add_access(con, "e4", actor="t1", student="adult", break_glass=True, justification="fire")  # break glass
    add_access(con, "e5", actor="s1", actor_type="student", student="s1")  # own file
    add_access(con, "e6", actor="g1", actor_type="guardian", student="s1", category="progress")  # guardian
    add_access(con, "e7", actor="g1", actor_type="guardian", student="adult")  # finding (18+)
    add_access(con, "e8", actor="desk", document_id="psy")  # finding (shared)
    add_access(con, "e9", actor="t1", student="ghost")  # finding (unknown student)
    add_access(con, "e1", actor="t1", source_system="somtoday")  # the same event id in another system
    add_access(con, "e10", "2026-11-23 09:00:00", actor="t1", student="b1")  # next week


def test_every_access_of_the_week_has_exactly_one_row_and_the_counts_add_up(con):
    mixed_week(con)
    result = check(con, rules=ACCESS_RULES)
    context.prepare(con, WEEK, Settings())  # the week's access_week, which the runner built per slice
    rows = con.execute(
        """
        SELECT count(*), count(DISTINCT e.subject_id), count(a.subject_id),
               count(*) FILTER (WHERE e.explained_by = 'finding'),
               count(*) FILTER (WHERE e.explained_by NOT IN ('finding', 'not_evaluated', 'unexplained'))
        FROM access_explanation_events e FULL JOIN access_week a USING (subject_id)
        WHERE e.week = ? OR e.week IS NULL
        """,
        [WEEK],
    ).fetchone()
    accesses, distinct, matched, flagged, explained_count = rows
    assert accesses == distinct == matched == 10
    assert flagged == result.findings == 4
    assert explained_count + flagged == accesses
    stored = con.execute(
        "SELECT count(*) FROM findings f JOIN access_explanation_events e ON e.week = f.week "
        "AND e.subject_id = f.subject_id AND e.rule_id = f.rule_id WHERE f.week = ?",
        [WEEK],
    ).fetchone()[0]
    assert stored == 4  # each finding is the one its access names


def test_counts_carry_school_system_actor_and_category(con):
    mixed_week(con)
    check(con, rules=ACCESS_RULES)
    counts = con.execute(
        "SELECT school_id, source_system, actor_type, category, explained_by, accesses "
        "FROM access_explanation_counts WHERE week = ? ORDER BY ALL", [WEEK]
    ).fetchall()
    assert ("B", "somtoday", "staff", "care", "finding", 1) in counts  # somtoday:e3
    assert [row for row in counts if row[0] is None] == [(None, "magister", "staff", "general", "finding", 1)]  # e9
    assert sum(row[-1] for row in counts) == 10
    stored = con.execute("SELECT explained_by, count(*) FROM access_explanations WHERE week = ? GROUP BY ALL",
                         [WEEK]).fetchall()
    counted = con.execute("SELECT explained_by, sum(accesses) FROM access_explanation_counts WHERE week = ? "
                          "GROUP BY ALL", [WEEK]).fetchall()
    assert sorted(stored) == sorted(counted)


def test_rerun_replaces_the_week_and_leaves_other_weeks(con):
    mixed_week(con)
    check(con, "2026-W48", rules=ACCESS_RULES)
    check(con, rules=ACCESS_RULES)
    add_involvement(con, "m1", "b1")  # e3 becomes explained
    check(con, rules=ACCESS_RULES)
    assert explanations(con)["somtoday:e3"] == ("involvement", "teacher", None)
    assert con.execute("SELECT count(*) FROM access_explanations WHERE week = ?", [WEEK]).fetchone()[0] == 10
    assert explanations(con, "2026-W48") == {"magister:e10": ("finding", None, "ACCESS-UNINVOLVED")}


def test_a_failed_run_keeps_the_previous_explanations(con):
    mixed_week(con)
    check(con, rules=ACCESS_RULES)
    before = explanations(con)
    add_involvement(con, "m1", "b1")  # would explain somtoday:e3
    broken = replace(
        rule_by_id("ACCESS-UNINVOLVED"),
        id="BROKEN",
        family="standing",
        order=None,
        sql="SELECT nothing FROM access_week",
    )
    with pytest.raises(RuleError):
        run_checks(con, WEEK, Settings(), rules=[*ACCESS_RULES, broken])
    assert explanations(con) == before


# --- explained_share -----------------------------------------------------------------------------------------


def test_explained_share_per_school_and_source_system(con):
    mixed_week(con)
    check(con, rules=ACCESS_RULES)
    assert explained_share(con, WEEK) == [
        {
            "school_id": "A",
            "source_system": "magister",
            "accesses": 6,
            "explained": 4,
            "findings": 2,
            "not_evaluated": 0,
            "share": 4 / 6,
        },
        {
            "school_id": "A",
            "source_system": "somtoday",
            "accesses": 1,
            "explained": 1,
            "findings": 0,
            "not_evaluated": 0,
            "share": 1.0,
        },
        {
            "school_id": "B",
            "source_system": "somtoday",
            "accesses": 2,
            "explained": 1,
            "findings": 1,
            "not_evaluated": 0,
            "share": 0.5,
        },
        {
            "school_id": None,
            "source_system": "magister",
            "accesses": 1,
            "explained": 0,
            "findings": 1,
            "not_evaluated": 0,
            "share": 0.0,
        },
    ]


def test_explained_share_of_one_kind_of_actor(con):
    mixed_week(con)
    check(con, rules=ACCESS_RULES)
    guardians = explained_share(con, WEEK, actor_type="guardian")
    assert [(r["school_id"], r["accesses"], r["explained"], r["findings"]) for r in guardians] == [
        ("A", 2, 1, 1)
    ]
    staff = explained_share(con, WEEK, actor_type="staff")
    assert sum(r["accesses"] for r in staff) == 7 and sum(r["explained"] for r in staff) == 4


def test_explained_share_counts_not_evaluated_apart(con):
    mixed_week(con)
    con.execute("DELETE FROM involvements")
    check(con, rules=ACCESS_RULES)
    (b_row,) = [r for r in explained_share(con, WEEK) if r["school_id"] == "B"]
    assert (b_row["accesses"], b_row["explained"], b_row["findings"], b_row["not_evaluated"]) == (2, 0, 0, 2)


def test_explained_share_is_empty_for_a_week_not_checked(con):
    mixed_week(con)
    assert explained_share(con, WEEK) == []


# --- a warehouse written before explanations were compact ---------------------------------------------------


def test_a_warehouse_with_the_former_wide_explanations_is_converted_on_opening(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    mixed_week(con)
    check(con, rules=ACCESS_RULES)
    expected = explanations(con)
    counts = con.execute("SELECT * FROM access_explanation_counts ORDER BY ALL").fetchall()
    # the former layout: one wide row per access, named by subject_id, with its school and category
    rows = con.execute("""
        SELECT e.week, e.subject_id, a.source_system, s.school_id, a.actor_type,
               coalesce(nullif(a.category, ''), d.category, 'general'), e.explained_by, e.detail, e.rule_id
        FROM access_explanation_events e
        JOIN access_log a ON a.source_system || ':' || a.event_id = e.subject_id
        LEFT JOIN students s ON s.student_id = a.student_id
        LEFT JOIN documents d ON d.document_id = a.document_id
    """).fetchall()
    con.execute("DROP VIEW access_explanation_events")
    for table in ("access_explanations", "access_explanation_counts", "access_explanation_files"):
        con.execute(f"DROP TABLE {table}")
    con.execute("""CREATE TABLE access_explanations (week VARCHAR, subject_id VARCHAR, source_system VARCHAR,
                   school_id VARCHAR, actor_type VARCHAR, category VARCHAR, explained_by VARCHAR, detail VARCHAR,
                   rule_id VARCHAR)""")  # without decision_id: the oldest layout
    con.executemany("INSERT INTO access_explanations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.close()

    con = connect(path)  # opening converts it
    assert explanations(con) == expected
    assert con.execute("SELECT * FROM access_explanation_counts ORDER BY ALL").fetchall() == counts
    assert "subject_id" not in {r[0] for r in con.execute("DESCRIBE access_explanations").fetchall()}
