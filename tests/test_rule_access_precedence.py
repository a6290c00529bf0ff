"""Section A as a whole: each access event gets at most one access finding, the first rule that applies."""

import pytest

from checks.registry import rule_by_id
from tests.access_fixtures import ACCESS_RULES, add_guardian_link, explanations, judge
from tests.rule_fixtures import (
    add_access,
    add_document,
    add_involvement,
    add_staff,
    add_student,
    warehouse,
)

ORDER = [
    ("ACCESS-UNKNOWN-ACTOR", "high"),
    ("ACCESS-SHARED-ACCOUNT", "high"),
    ("ACCESS-BREAK-GLASS-UNJUSTIFIED", "high"),
    ("ACCESS-PSYCH-REPORT", "critical"),
    ("ACCESS-STUDENT-OTHER", "high"),
    ("ACCESS-GUARDIAN-NOT-LINKED", "high"),
    ("ACCESS-PARENT-18PLUS", "high"),
    ("ACCESS-PARENT-16PLUS", "medium"),
    ("ACCESS-PARENT-NO-AUTHORITY", "medium"),
    ("ACCESS-UNINVOLVED", "high"),
]


def test_the_catalogue_holds_section_a_in_the_specs_order_and_severities():
    assert ACCESS_RULES == [rule_id for rule_id, _ in ORDER]
    for order, (rule_id, severity) in enumerate(ORDER, start=1):
        rule = rule_by_id(rule_id)
        assert (rule.family, rule.order, rule.severity, rule.subject_type) == (
            "access",
            order,
            severity,
            "access_event",
        )
        assert rule.title["en"] and rule.title["nl"] and rule.title["en"] != rule.title["nl"]


@pytest.fixture
def con():
    """s1 (11) and adult (18) at A; teacher t1 involved with s1; shared account desk; guardian g1 of s1."""
    con = warehouse()
    add_student(con, "s1", birth="2015-01-01")
    add_student(con, "adult", birth="2008-05-01")
    add_staff(con, "t1")
    add_staff(con, "desk", role="administration", account_type="shared")
    add_involvement(con, "t1", "s1")
    add_guardian_link(con, "g1", "s1")
    add_document(con, "psy", "s1", category="psychological_report", case_id="K1")
    return con


def only(rule_id, severity):
    return {(rule_id, "magister:e1", severity)}


def test_unknown_actor_using_break_glass_is_only_unknown(con):
    add_access(con, "e1", actor="x9", break_glass=True)
    assert judge(con) == only("ACCESS-UNKNOWN-ACTOR", "high")


def test_unknown_actor_with_justified_break_glass_is_still_unknown(con):
    add_access(con, "e1", actor="x9", break_glass=True, justification="fire drill roll call")
    assert judge(con) == only("ACCESS-UNKNOWN-ACTOR", "high")


def test_shared_account_on_a_psychological_report_is_only_shared(con):
    add_access(con, "e1", actor="desk", document_id="psy")
    assert judge(con) == only("ACCESS-SHARED-ACCOUNT", "high")


def test_shared_account_with_unjustified_break_glass_is_only_shared(con):
    add_access(con, "e1", actor="desk", break_glass=True)
    assert judge(con) == only("ACCESS-SHARED-ACCOUNT", "high")


def test_justified_break_glass_by_an_uninvolved_staff_member_is_no_finding(con):
    add_staff(con, "t2")
    add_access(con, "e1", actor="t2", category="care", break_glass=True, justification="student collapsed")
    assert judge(con) == set()
    assert explanations(con)["magister:e1"] == ("break_glass", None, None)


def test_justified_break_glass_on_a_psychological_report_is_no_finding(con):
    add_access(con, "e1", actor="t1", document_id="psy", break_glass=True, justification="crisis")
    assert judge(con) == set()


def test_unjustified_break_glass_by_an_uninvolved_staff_member_is_only_break_glass(con):
    add_staff(con, "t2")
    add_access(con, "e1", actor="t2", category="care", break_glass=True, justification=" ")
    assert judge(con) == only("ACCESS-BREAK-GLASS-UNJUSTIFIED", "high")


def test_unjustified_break_glass_on_a_psychological_report_is_only_break_glass(con):
    add_access(con, "e1", actor="t1", document_id="psy", break_glass=True)
    assert judge(con) == only("ACCESS-BREAK-GLASS-UNJUSTIFIED", "high")


def test_psychological_report_by_an_uninvolved_staff_member_is_only_psych_report(con):
    add_staff(con, "t2")
    add_access(con, "e1", actor="t2", document_id="psy")
    assert judge(con) == only("ACCESS-PSYCH-REPORT", "critical")


def test_psychological_report_by_a_teacher_is_psych_report_although_the_teacher_is_involved(con):
    add_access(con, "e1", actor="t1", document_id="psy")
    assert judge(con) == only("ACCESS-PSYCH-REPORT", "critical")


def test_a_matching_assessment_clears_both_rule_4_and_rule_10(con):
    add_staff(con, "p1", role="psychologist")
    add_involvement(con, "p1", "s1", relation="assessment", valid_from="2026-11-01", case_id="K1")
    add_access(con, "e1", actor="p1", document_id="psy")
    assert judge(con) == set()


def test_student_with_unjustified_break_glass_on_another_file_is_only_break_glass(con):
    add_access(con, "e1", actor="adult", actor_type="student", student="s1", break_glass=True)
    assert judge(con) == only("ACCESS-BREAK-GLASS-UNJUSTIFIED", "high")


def test_unlinked_guardian_of_an_adult_without_authority_is_only_not_linked(con):
    add_access(con, "e1", actor="g1", actor_type="guardian", student="adult", category="care")
    assert judge(con) == only("ACCESS-GUARDIAN-NOT-LINKED", "high")


def test_rules_for_other_actors_do_not_touch_staff_accesses(con):
    add_access(con, "e1", actor="t1", student="adult", category="care")  # uninvolved staff, adult student
    assert judge(con) == only("ACCESS-UNINVOLVED", "critical")


def test_several_events_each_get_their_own_first_rule(con):
    add_access(con, "e1", actor="x9")
    add_access(con, "e2", actor="desk")
    add_access(con, "e3", actor="t1", break_glass=True)
    add_access(con, "e4", actor="t1", document_id="psy")
    add_access(con, "e5", actor="s1", actor_type="student", student="adult")
    add_access(con, "e6", actor="g1", actor_type="guardian", student="adult")
    add_access(con, "e7", actor="t1", student="adult", category="medical")
    add_access(con, "e8", actor="t1", student="s1")  # explained
    assert judge(con) == {
        ("ACCESS-UNKNOWN-ACTOR", "magister:e1", "high"),
        ("ACCESS-SHARED-ACCOUNT", "magister:e2", "high"),
        ("ACCESS-BREAK-GLASS-UNJUSTIFIED", "magister:e3", "high"),
        ("ACCESS-PSYCH-REPORT", "magister:e4", "critical"),
        ("ACCESS-STUDENT-OTHER", "magister:e5", "high"),
        ("ACCESS-GUARDIAN-NOT-LINKED", "magister:e6", "high"),
        ("ACCESS-UNINVOLVED", "magister:e7", "critical"),
    }


def test_every_access_rule_fills_its_templates_from_its_facts(con):
    """One finding of each access rule; each explanation renders in both languages from its facts."""
    import json

    from tests.rule_fixtures import render

    add_student(con, "teen", birth="2010-05-01")
    add_guardian_link(con, "g1", "teen")
    add_guardian_link(con, "g2", "s1", authority=False)
    add_access(con, "e1", actor="x9")
    add_access(con, "e2", actor="desk")
    add_access(con, "e3", actor="t1", break_glass=True)
    add_access(con, "e4", actor="t1", document_id="psy")
    add_access(con, "e5", actor="s1", actor_type="student", student="adult")
    add_access(con, "e6", actor="g2", actor_type="guardian", student="teen")
    add_access(con, "e7", actor="t1", student="adult", category="medical")
    add_guardian_link(con, "g1", "adult")
    add_access(con, "e8", actor="g1", actor_type="guardian", student="adult", source_system="somtoday")
    add_access(con, "e9", actor="g1", actor_type="guardian", student="teen", category="care")
    add_access(con, "e10", actor="g2", actor_type="guardian", student="s1", category="care")
    judge(con)
    stored = con.execute("SELECT rule_id, facts FROM findings").fetchall()
    assert {rule_id for rule_id, _ in stored} == set(ACCESS_RULES)
    for rule_id, facts in stored:
        found = json.loads(facts)
        for lang in ("en", "nl"):
            text = render(rule_id, found, lang)
            assert "{" not in text and text.endswith("."), (rule_id, lang, text)
        assert isinstance(found["local_date"], str) and isinstance(found["student_id"], str)
