"""The rule runner and the week's context: precedence, feeds, replacement, stable ids, macros."""

import hashlib
import json
import textwrap
from datetime import date

import pytest

from checks import context
from checks.registry import load_catalogue, parse_rule_file
from checks.runner import RuleError, finding_id, run_checks
from pipelines.settings import Settings
from pipelines.weeks import WeekError
from tests.rule_fixtures import (
    WEEK,
    add_access,
    add_document,
    add_involvement,
    add_staff,
    add_student,
    check,
    coverage,
    findings,
    render,
    warehouse,
)

UNINVOLVED = "ACCESS-UNINVOLVED"


def make_rule(
    tmp_path,
    rule_id,
    sql,
    family="access",
    order=None,
    feeds=("access_log",),
    population="access_week",
    subject_type="access_event",
):
    """A rule file written for the test, parsed by the real registry."""
    order_line = f"order = {order}" if order is not None else ""
    feed_list = ", ".join(f'"{f}"' for f in feeds)
    path = tmp_path / f"{rule_id}.sql"
    path.write_text(
        textwrap.dedent(
            f"""\
            /* rule
            id = "{rule_id}"
            family = "{family}"
            {order_line}
            severity = "high"
            subject_type = "{subject_type}"
            population = "{population}"
            feeds = [{feed_list}]
            legal_source = "test"
            [title]
            en = "t"
            nl = "t"
            [explanation]
            en = "{{actor_id}}"
            nl = "{{actor_id}}"
            */
            """
        )
        + sql,
        encoding="utf-8",
    )
    return parse_rule_file(path)


def every_access(where="true", severity="'high'"):
    return f"""
        SELECT subject_id, {severity} AS severity, school_id, occurred_at, actor_id, student_id,
               NULL AS recipient_id, json_object('actor_id', actor_id) AS facts
        FROM access_week WHERE {where}
    """


@pytest.fixture
def con():
    """t1 accesses s1's file without involvement (an ACCESS-UNINVOLVED finding in WEEK)."""
    con = warehouse()
    add_student(con, "s1")
    add_staff(con, "t1")
    add_involvement(con, "t9", "s9")
    add_access(con, "e1")
    return con


# --- finding ids -------------------------------------------------------------------------------------


def test_finding_id_is_the_first_16_hex_of_sha256_of_rule_and_subject():
    expected = hashlib.sha256(b"ACCESS-UNINVOLVED|magister:e1").hexdigest()[:16]
    assert finding_id("ACCESS-UNINVOLVED", "magister:e1") == expected
    assert len(finding_id("X", "ü")) == 16


def test_sql_and_python_give_the_same_stable_ids_across_runs(con):
    add_access(con, "ü-ß 1")  # non-ASCII subject: both sides hash UTF-8
    check(con)
    first = dict(con.execute("SELECT subject_id, finding_id FROM findings").fetchall())
    check(con)
    second = dict(con.execute("SELECT subject_id, finding_id FROM findings").fetchall())
    assert first == second == {s: finding_id(UNINVOLVED, s) for s in ("magister:e1", "magister:ü-ß 1")}


def test_the_same_subject_keeps_its_id_in_another_week(con):
    check(con, "2026-W47")
    ids_w47 = con.execute("SELECT finding_id FROM findings WHERE week = '2026-W47'").fetchall()
    # the event moves (a corrected redelivery) into the next week: same rule, same subject, same id
    con.execute("UPDATE access_log SET occurred_at = TIMESTAMPTZ '2026-11-24 10:00:00+01'")
    check(con, "2026-W48")
    assert con.execute("SELECT finding_id FROM findings WHERE week = '2026-W48'").fetchall() == ids_w47


# --- replacing a week --------------------------------------------------------------------------------


def test_rerun_replaces_the_weeks_findings(con):
    check(con)
    add_staff(con, "t2")  # a known staff member, so ACCESS-UNINVOLVED (not UNKNOWN-ACTOR) is the finding
    add_access(con, "e2", actor="t2")
    result = check(con)
    assert findings(con) == {(UNINVOLVED, "magister:e1", "high"), (UNINVOLVED, "magister:e2", "high")}
    assert result.findings == 2
    # the access turns out to be explained: the finding goes (decisions live in their own store,
    # which a check only reads: tests/test_grants.py)
    add_involvement(con, "t1", "s1")
    check(con)
    assert findings(con) == {(UNINVOLVED, "magister:e2", "high")}
    assert con.execute("SELECT count(*) FROM coverage WHERE week = ?", [WEEK]).fetchone()[0] == len(
        load_catalogue()
    )


def test_other_weeks_are_left_alone(con):
    add_access(con, "e0", "2026-11-10 10:00:00")  # week 46
    # only the access rule: LOG-GAP would rightly flag the silent weekdays of this tiny register
    for week in ("2026-W46", "2026-W47", "2026-W47"):
        run_checks(con, week, Settings(), rules=[UNINVOLVED])
    assert findings(con, "2026-W46") == {(UNINVOLVED, "magister:e0", "high")}
    assert findings(con, "2026-W47") == {(UNINVOLVED, "magister:e1", "high")}


def test_a_failing_rule_rolls_back_and_keeps_the_previous_result(con, tmp_path):
    check(con)
    broken = make_rule(tmp_path, "BROKEN", "SELECT no_such_column FROM access_week", family="standing")
    with pytest.raises(RuleError, match="BROKEN"):
        run_checks(con, WEEK, Settings(), rules=[load_catalogue()[0], broken])
    assert findings(con) == {(UNINVOLVED, "magister:e1", "high")}
    assert con.execute("SELECT count(*) FROM coverage WHERE week = ?", [WEEK]).fetchone()[0] == len(
        load_catalogue()
    )


# --- precedence ---------------------------------------------------------------------------------------


def test_lowest_order_in_a_family_wins_per_subject(con, tmp_path):
    add_access(con, "e2", actor="t2")
    earlier = make_rule(tmp_path, "ACCESS-EARLIER", every_access("actor_id = 't1'"), order=1)
    later = make_rule(tmp_path, "ACCESS-LATER", every_access(), order=10)
    result = run_checks(con, WEEK, Settings(), rules=[later, earlier])
    assert findings(con) == {
        ("ACCESS-EARLIER", "magister:e1", "high"),
        ("ACCESS-LATER", "magister:e2", "high"),
    }
    assert coverage(result, "ACCESS-LATER")["findings"] == 1  # counted after precedence
    assert coverage(result, "ACCESS-EARLIER")["findings"] == 1


def test_an_earlier_access_rule_claims_the_event_from_access_uninvolved(con, tmp_path):
    claims = make_rule(tmp_path, "ACCESS-CLAIM", every_access(), order=1)
    rules = [r for r in load_catalogue() if r.id == UNINVOLVED] + [claims]
    run_checks(con, WEEK, Settings(), rules=rules)
    assert findings(con) == {("ACCESS-CLAIM", "magister:e1", "high")}


def test_rules_without_order_or_in_another_family_are_independent(con, tmp_path):
    first = make_rule(tmp_path, "ACCESS-FIRST", every_access(), order=1)
    unordered = make_rule(tmp_path, "ACCESS-ALSO", every_access())
    other_family = make_rule(tmp_path, "OTHER-RULE", every_access(), family="standing", order=1)
    run_checks(con, WEEK, Settings(), rules=[first, unordered, other_family])
    assert findings(con) == {
        ("ACCESS-FIRST", "magister:e1", "high"),
        ("ACCESS-ALSO", "magister:e1", "high"),
        ("OTHER-RULE", "magister:e1", "high"),
    }


# --- feeds and coverage -------------------------------------------------------------------------------


def test_a_not_evaluated_rule_is_not_run(con, tmp_path):
    broken = make_rule(
        tmp_path,
        "NEEDS-POLICIES",
        "SELECT this is not sql",
        family="standing",
        feeds=("policies", "council_decisions"),
    )
    result = run_checks(con, WEEK, Settings(), rules=[broken])
    assert coverage(result, "NEEDS-POLICIES") == {
        "rule_id": "NEEDS-POLICIES",
        "status": "not_evaluated",
        "reason": "no rows in feeds: policies; council_decisions",
        "subjects_checked": None,
        "findings": None,
    }
    stored = con.execute(
        "SELECT status, reason, subjects_checked, findings FROM coverage WHERE week = ?", [WEEK]
    ).fetchall()
    assert stored == [("not_evaluated", "no rows in feeds: policies; council_decisions", None, None)]


def test_coverage_counts_the_population_and_the_findings(con):
    add_access(con, "e2", actor="g1", actor_type="guardian")  # in access_week, not a staff access
    add_involvement(con, "t2", "s1")
    add_staff(con, "t2")
    add_access(con, "e3", actor="t2")  # explained
    result = check(con, rules=[UNINVOLVED])
    assert coverage(result, UNINVOLVED) == {
        "rule_id": UNINVOLVED,
        "status": "evaluated",
        "reason": None,
        "subjects_checked": 2,
        "findings": 1,
    }
    assert result.by_severity == {"critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0}


def test_whole_catalogue_by_default_in_catalogue_order(con):
    result = check(con)
    assert [row["rule_id"] for row in result.coverage] == [r.id for r in load_catalogue()]


def test_rules_can_be_given_by_id(con):
    result = check(con, rules=[UNINVOLVED])
    assert [row["rule_id"] for row in result.coverage] == [UNINVOLVED]


@pytest.mark.parametrize(
    "sql, message",
    [
        (every_access(severity="'severe'"), "unknown severity 'severe'"),
        (every_access() + " UNION ALL " + every_access(), "more than once"),
        (every_access().replace("SELECT subject_id,", "SELECT NULL AS subject_id,"), "without subject_id"),
    ],
)
def test_malformed_rule_output_is_refused(con, tmp_path, sql, message):
    rule = make_rule(tmp_path, "ACCESS-BAD", sql)
    with pytest.raises(RuleError, match=message):
        run_checks(con, WEEK, Settings(), rules=[rule])


def test_malformed_week_is_refused_before_any_work(con):
    with pytest.raises(WeekError):
        check(con, "2026-47")
    assert con.execute("SELECT count(*) FROM coverage").fetchone()[0] == 0


# --- context ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "birth, day, choice, age",
    [
        ("2010-05-01", "2026-04-30", "march_1", 15),
        ("2010-05-01", "2026-05-01", "march_1", 16),
        ("2008-02-29", "2026-02-28", "march_1", 17),
        ("2008-02-29", "2026-03-01", "march_1", 18),
        ("2008-02-29", "2026-02-28", "february_28", 18),
        ("2008-02-29", "2026-02-27", "february_28", 17),
        ("2008-02-29", "2028-02-28", "february_28", 19),  # leap year: the birthday is the 29th
        ("2008-02-29", "2028-02-29", "march_1", 20),
    ],
)
def test_age_at_honours_the_leap_day_choice(birth, day, choice, age):
    con = warehouse()
    context.prepare(con, WEEK, Settings(leap_day_birthday=choice))
    assert con.execute("SELECT age_at(?::DATE, ?::DATE)", [birth, day]).fetchone()[0] == age


@pytest.mark.parametrize(
    "settings, message",
    [
        (Settings(leap_day_birthday="whenever"), "leap_day_birthday"),
        (Settings(timezone="Europe/Atlantis"), "timezone"),
        (Settings(grace_before_days=-1), "grace_before_days"),
    ],
)
def test_unusable_settings_are_a_clear_error(settings, message):
    con = warehouse()
    with pytest.raises(context.SettingsError, match=message):
        context.prepare(con, WEEK, settings)


def test_audit_week_and_in_force_macro():
    con = warehouse()
    context.prepare(con, "2026-W13", Settings())
    week_start, week_end = con.execute("SELECT week_start, week_end FROM audit_week").fetchone()
    assert (week_start, week_end) == (date(2026, 3, 23), date(2026, 3, 29))
    rows = con.execute(
        "SELECT in_force(NULL, NULL, DATE '2026-03-23'), in_force(DATE '2026-03-24', NULL, DATE '2026-03-23'),"
        " in_force(NULL, DATE '2026-03-23', DATE '2026-03-23'),"
        " agreement_in_force(NULL, DATE '2026-01-01', NULL, DATE '2026-03-23'),"
        " agreement_in_force(DATE '2026-03-23', DATE '2026-01-01', NULL, DATE '2026-03-23')"
    ).fetchone()
    assert rows == (True, False, True, False, True)


def test_access_week_resolves_subject_category_school_and_break_glass():
    con = warehouse()
    add_student(con, "s1", school="B")
    add_staff(con, "t1", account_type="shared")
    add_document(con, "d1", "s1", category="care")
    add_access(con, "e1", document_id="d1", break_glass=True, justification="fire alarm, evacuation list")
    add_access(con, "e2", student="ghost", category="progress", break_glass=True, justification=" ")
    add_access(con, "e3", "2026-11-22 23:30:00+00")  # next week
    context.prepare(con, WEEK, Settings())
    rows = con.execute(
        "SELECT subject_id, category, is_special, school_id, student_known, justified_break_glass,"
        " actor_known, shared_account FROM access_week ORDER BY subject_id"
    ).fetchall()
    assert rows == [
        ("magister:e1", "care", True, "B", True, True, True, True),
        ("magister:e2", "progress", False, None, False, False, True, True),
    ]


def test_every_rule_names_only_facts_its_query_provides(con):
    """Each rule's facts hold every value its templates name (a missing one would be a KeyError)."""
    from tests.rule_fixtures import add_agreement, add_consent, add_disclosure, add_recipient

    add_recipient(con, "p1", kind="processor")
    add_recipient(con, "p2", kind="processor")
    add_agreement(con, "a2", recipient="p2", signed_at=None)
    add_consent(con, "c1", student="other")
    add_disclosure(con, "x1", recipient="p1")
    add_disclosure(con, "x2", recipient="p2")
    add_disclosure(con, "x3", legal_basis="consent", consent_id="c1")
    add_disclosure(con, "x4", legal_basis="emergency", recipient="p1")
    check(con)
    stored = con.execute("SELECT rule_id, facts FROM findings").fetchall()
    planted = {"ACCESS-UNINVOLVED", "SHARE-NO-CONSENT", "SHARE-EXCEPTION-UNSUPPORTED", "PROCESSOR-NO-AGREEMENT",
               "PROCESSOR-AGREEMENT-NOT-IN-FORCE"}  # fmt: skip
    assert planted <= {rule_id for rule_id, _ in stored}  # each rule this fixture plants found its case
    for rule_id, facts in stored:
        found = json.loads(facts)
        for lang in ("en", "nl"):
            assert "{" not in render(rule_id, found, lang)
        if rule_id in planted:
            assert all(isinstance(found[k], str) for k in ("student_id", "local_date"))
