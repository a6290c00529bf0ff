"""Signals (spec/rules.md, section F): SIGNAL-VOLUME, SIGNAL-BULK-EXPORT, SIGNAL-OWN-CHILD,
SIGNAL-AFTER-LEAVING and SIGNAL-QUIET-HOURS, at every boundary. Signals are computed beside the access
rules: they never change the access findings or what explained an access."""

from __future__ import annotations

import dataclasses

import pytest

from checks.context import SettingsError
from checks.registry import load_catalogue
from pipelines.settings import Settings
from tests.access_fixtures import ACCESS_RULES, add_guardian_link, explanations
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
    insert,
    render,
    warehouse,
)

VOLUME, BULK, OWN_CHILD = "SIGNAL-VOLUME", "SIGNAL-BULK-EXPORT", "SIGNAL-OWN-CHILD"
AFTER_LEAVING, QUIET = "SIGNAL-AFTER-LEAVING", "SIGNAL-QUIET-HOURS"
SIGNALS = [VOLUME, BULK, OWN_CHILD, AFTER_LEAVING, QUIET]
MONDAY, WEDNESDAY, SUNDAY = "2026-11-16", "2026-11-18", "2026-11-22"

_event = iter(range(1, 10**6))


def access(con, actor, student, when=f"{WEDNESDAY} 10:00:00", **values):
    add_access(con, f"e{next(_event)}", when, actor=actor, student=student, **values)


def touch(con, actor, students, when=f"{WEDNESDAY} 10:00:00", first=0, **values):
    """`actor` accesses `students` different students (s<first> ...), once each."""
    for n in range(first, first + students):
        access(con, actor, f"s{n}", when, **values)


def signals(con, rules=SIGNALS, settings=None, week=WEEK) -> set[tuple[str, str, str]]:
    check(con, week, rules=rules, settings=settings)
    return {f for f in findings(con, week) if f[0].startswith("SIGNAL-")}


def subjects(con, rule, **kwargs) -> set[str]:
    return {subject for rule_id, subject, _ in signals(con, [rule], **kwargs) if rule_id == rule}


@pytest.fixture
def con():
    """School A with students s0..s99 (unknown students are simply not added)."""
    con = warehouse()
    for n in range(100):
        add_student(con, f"s{n}")
    return con


# --- the catalogue ---------------------------------------------------------------------------------


def test_signals_are_a_family_of_their_own_without_precedence():
    rules = [r for r in load_catalogue() if r.id.startswith("SIGNAL-")]
    assert sorted(r.id for r in rules) == sorted(SIGNALS)
    for rule in rules:
        assert (rule.family, rule.order, rule.subject_type) == ("signal", None, "account")
        assert rule.feeds == (("access_log",), ("staff",)) + ((("guardians",),) if rule.id == OWN_CHILD else ())
        assert rule.consults == ("students",)
    assert {r.id: r.severity for r in rules} == {
        VOLUME: "medium", BULK: "medium", OWN_CHILD: "medium", AFTER_LEAVING: "high", QUIET: "low"}
    assert [r.family for r in load_catalogue()][-5:] == ["signal"] * 5  # last in the catalogue


# --- SIGNAL-VOLUME ----------------------------------------------------------------------------------


def peers(con, counts, school="A", role="teacher", start=0):
    """Accounts p0, p1, ... (ids from `start`) of one group, each touching its count of students."""
    for n, count in enumerate(counts, start):
        add_staff(con, f"p{n}", school=school, role=role)
        touch(con, f"p{n}", count)


def test_volume_exactly_at_the_minimum_and_the_factor_fires(con):
    peers(con, [10, 10])
    add_staff(con, "v1")
    touch(con, "v1", 30)  # 30 = volume_min_students = 3 x the median 10 of {10, 10, 30}
    assert signals(con) == {(VOLUME, "v1@2026-W47", "medium")}
    row = finding_row(con, VOLUME, "v1@2026-W47")
    assert (row["actor_id"], row["student_id"], row["subject_type"], row["school_id"]) == ("v1", None, "account", None)
    assert facts(con, VOLUME, "v1@2026-W47") == {
        "actor_id": "v1", "week": "2026-W47", "students": 30, "volume_min_students": 30, "volume_factor": 3,
        "peer_groups": 1, "peer_median": 10, "peer_accounts": 3, "peer_role": "teacher", "peer_school": "A"}


def test_volume_just_below_the_minimum_gives_no_signal(con):
    peers(con, [1, 1])
    add_staff(con, "v1")
    touch(con, "v1", 29)
    assert subjects(con, VOLUME) == set()


def test_volume_just_below_the_factor_gives_no_signal(con):
    peers(con, [11, 12])
    add_staff(con, "v1")
    touch(con, "v1", 35)  # median 12: 3 x 12 = 36 > 35
    assert subjects(con, VOLUME) == set()
    con.execute("DELETE FROM access_log WHERE actor_id = 'p1' AND student_id = 's11'")  # median 11: 33 <= 35
    assert subjects(con, VOLUME) == {"v1@2026-W47"}


def test_volume_median_of_an_even_group_is_the_mean_of_the_middle_two(con):
    peers(con, [10, 11, 30])
    add_staff(con, "v1")
    touch(con, "v1", 32)  # median of {10, 11, 30, 32} = 20.5
    assert subjects(con, VOLUME) == set()
    assert subjects(con, VOLUME, settings=Settings(volume_factor=1.5)) == {"v1@2026-W47"}  # 30.75 <= 32
    assert facts(con, VOLUME, "v1@2026-W47")["peer_median"] == 20.5
    assert render(VOLUME, facts(con, VOLUME, "v1@2026-W47"), "en").count("20.5") == 1


def test_volume_group_too_small_or_no_group_gives_no_signal(con):
    peers(con, [1])
    add_staff(con, "v1")
    touch(con, "v1", 60)  # two active accounts in the group: fewer than volume_min_peers 3
    assert subjects(con, VOLUME) == set()
    # with two accounts the median is at least half the account's own count: a lower factor
    assert subjects(con, VOLUME, settings=Settings(volume_min_peers=2, volume_factor=1.5)) == {"v1@2026-W47"}


def test_volume_peers_count_only_accounts_with_a_staff_access_in_the_week(con):
    peers(con, [1])
    add_staff(con, "idle")  # a teacher at A who did not log in this week: not a peer
    add_staff(con, "v1")
    touch(con, "v1", 60)
    assert subjects(con, VOLUME) == set()
    touch(con, "idle", 1)
    assert subjects(con, VOLUME) == {"v1@2026-W47"}


def test_volume_group_of_roles_in_force_on_any_day_of_the_week(con):
    peers(con, [1, 1])
    add_staff(con, "v1", valid_to=MONDAY)  # a teacher at A until Monday, in the group for the week
    add_staff(con, "v1", role="mentor", valid_from="2026-11-17")  # and alone in the mentor group
    touch(con, "v1", 60)
    assert subjects(con, VOLUME) == set()  # one group too small: no comparison
    peers(con, [1, 1], role="mentor", start=10)
    assert subjects(con, VOLUME) == {"v1@2026-W47"}
    # A role that ended before the week puts the account in no group of it.
    con.execute("DELETE FROM staff WHERE staff_id = 'v1' AND role = 'mentor'")
    add_staff(con, "v1", role="mentor", valid_to="2026-11-15")
    add_staff(con, "p20", role="mentor")
    touch(con, "p20", 60)  # would be too big a median for v1, were v1 in that group
    assert "v1@2026-W47" in subjects(con, VOLUME)


def test_volume_account_in_two_groups_must_pass_in_both(con):
    peers(con, [5, 5])  # teachers at A: median 5
    peers(con, [20, 20], school="B", start=10)  # teachers at B: median 20
    add_staff(con, "v1")
    add_staff(con, "v1", school="B")
    touch(con, "v1", 45)  # 45 >= 3 x 5 but < 3 x 20 (the median of {20, 20, 45} is 20)
    assert subjects(con, VOLUME) == set()
    touch(con, "v1", 15, first=45)  # 60 = 3 x 20: passes in both now
    assert subjects(con, VOLUME) == {"v1@2026-W47"}
    found = facts(con, VOLUME, "v1@2026-W47")
    assert (found["peer_groups"], found["peer_school"], found["peer_median"]) == (2, "B", 20)


def test_volume_counts_students_over_all_schools_and_unknown_students(con):
    peers(con, [10, 10])
    add_staff(con, "v1")
    touch(con, "v1", 20)
    for n in range(10):
        access(con, "v1", f"unknown-{n}")  # not in students: counts too
    assert subjects(con, VOLUME) == {"v1@2026-W47"}
    assert facts(con, VOLUME, "v1@2026-W47")["students"] == 30


def test_volume_counts_distinct_students_not_events(con):
    peers(con, [10, 10])
    add_staff(con, "v1")
    for _ in range(3):
        touch(con, "v1", 29)
    assert subjects(con, VOLUME) == set()


# --- who counts: staff, known, personal, in the week -------------------------------------------------


def test_shared_service_and_unknown_accounts_and_other_actors_are_not_counted(con):
    add_staff(con, "desk", account_type="shared")
    add_staff(con, "mixed")  # personal as a teacher, but also a shared row: not a personal account
    add_staff(con, "mixed", role="administration", account_type="shared")
    add_staff(con, "svc", role="it_admin", account_type="service")
    for actor in ("desk", "mixed", "svc", "nobody"):
        touch(con, actor, 25, action="export", when=f"{WEDNESDAY} 02:00:00")
    touch(con, "g1", 25, actor_type="guardian", action="export", when=f"{WEDNESDAY} 02:00:00")
    result = check(con, WEEK, rules=SIGNALS)
    assert {f for f in findings(con) if f[0].startswith("SIGNAL-")} == set()
    assert coverage(result, QUIET)["subjects_checked"] == 0


def test_an_account_without_account_type_is_personal(con):
    insert(con, "staff", staff_id="t9", school_id="A", role="teacher")  # account_type empty: the default
    touch(con, "t9", 20, action="print")
    assert subjects(con, BULK) == {"t9@2026-11-18"}


def test_only_local_dates_of_the_week_count(con):
    add_staff(con, "t1")
    touch(con, "t1", 19, action="export", when="2026-11-22 23:30:00")  # Sunday, local
    touch(con, "t1", 1, first=19, action="export", when="2026-11-22T23:30:00Z")  # Monday 00:30 local: next week
    assert subjects(con, BULK) == set()
    touch(con, "t1", 1, first=19, action="export", when="2026-11-22T22:59:00Z")  # Sunday 23:59 local
    assert subjects(con, BULK) == {"t1@2026-11-22"}


# --- SIGNAL-BULK-EXPORT ------------------------------------------------------------------------------


def test_bulk_export_exactly_at_the_threshold_fires_per_local_date(con):
    add_staff(con, "t1")
    touch(con, "t1", 7, action="export")
    touch(con, "t1", 7, first=7, action="print")
    touch(con, "t1", 6, first=14, action="download", when=f"{WEDNESDAY} 09:00:00")
    assert signals(con) == {(BULK, "t1@2026-11-18", "medium")}
    row = finding_row(con, BULK, "t1@2026-11-18")
    assert str(row["occurred_at"].date()) == WEDNESDAY and row["occurred_at"].hour == 9  # the first that counted
    assert facts(con, BULK, "t1@2026-11-18") == {
        "actor_id": "t1", "day": WEDNESDAY, "export_students": 20, "export_events": 20, "bulk_min_students": 20}


def test_bulk_export_just_below_the_threshold_and_other_actions_give_no_signal(con):
    add_staff(con, "t1")
    touch(con, "t1", 19, action="export")
    touch(con, "t1", 19, action="export")  # the same students again
    touch(con, "t1", 5, first=19, action="view")
    touch(con, "t1", 5, first=24, action="edit")
    touch(con, "t1", 5, first=29, action="search")
    assert subjects(con, BULK) == set()


def test_bulk_export_splits_at_local_midnight_not_utc(con):
    add_staff(con, "t1")
    # 23:30 UTC on Tuesday is 00:30 local on Wednesday: the same local date as the other 10.
    touch(con, "t1", 10, action="export", when="2026-11-17T23:30:00Z")
    touch(con, "t1", 10, first=10, action="export", when=f"{WEDNESDAY} 14:00:00")
    assert subjects(con, BULK) == {"t1@2026-11-18"}
    con.execute("DELETE FROM access_log")
    touch(con, "t1", 10, action="export", when="2026-11-17T22:30:00Z")  # 23:30 local on Tuesday
    touch(con, "t1", 10, first=10, action="export", when=f"{WEDNESDAY} 14:00:00")
    assert subjects(con, BULK) == set()


# --- SIGNAL-QUIET-HOURS ------------------------------------------------------------------------------


def test_quiet_hours_exactly_at_the_thresholds_fire(con):
    add_staff(con, "t1")
    for n, when in enumerate(["00:00", "01:00", "02:00", "03:00", "04:59"]):
        access(con, "t1", f"s{n % 2}", f"2026-11-1{7 + n % 3} {when}:00")
    assert signals(con) == {(QUIET, "t1@2026-W47", "low")}
    found = facts(con, QUIET, "t1@2026-W47")
    assert (found["quiet_events"], found["quiet_students"]) == (5, 2)
    assert finding_row(con, QUIET, "t1@2026-W47")["occurred_at"].hour == 0


def test_quiet_hours_end_is_not_included_and_too_few_events_or_students_give_no_signal(con):
    add_staff(con, "t1")
    for when in ["00:30", "01:00", "02:00", "03:00"]:
        access(con, "t1", "s1" if when == "00:30" else "s2", f"{WEDNESDAY} {when}:00")
    access(con, "t1", "s3", f"{WEDNESDAY} 05:00:00")  # the end of the window: not in it
    access(con, "t1", "s3", f"{WEDNESDAY} 23:59:59")
    assert subjects(con, QUIET) == set()  # 4 events
    access(con, "t1", "s2", f"{WEDNESDAY} 04:59:59")
    assert subjects(con, QUIET) == {"t1@2026-W47"}
    con.execute("UPDATE access_log SET student_id = 's2' WHERE student_id = 's1'")
    assert subjects(con, QUIET) == set()  # 5 events, one student


def test_quiet_hours_are_local_time_of_a_utc_timestamp(con):
    add_staff(con, "t1")
    days = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]
    for n, day in enumerate(days):
        access(con, "t1", f"s{n}", f"{day}T23:30:00Z")  # 00:30 local the next day
    assert subjects(con, QUIET) == {"t1@2026-W47"}
    con.execute("DELETE FROM access_log")
    for n, day in enumerate(days):
        access(con, "t1", f"s{n}", f"{day}T04:30:00Z")  # 05:30 local: outside
    assert subjects(con, QUIET) == set()


def test_quiet_hours_past_midnight(con):
    add_staff(con, "t1")
    late = Settings(quiet_from="22:00", quiet_to="06:00")
    for n, when in enumerate(["22:00:00", "23:59:00", "00:00:00", "05:59:59"]):
        access(con, "t1", f"s{n}", f"{WEDNESDAY} {when}")
    access(con, "t1", "s9", f"{WEDNESDAY} 06:00:00")  # the end: outside
    access(con, "t1", "s9", f"{WEDNESDAY} 21:59:59")
    assert subjects(con, QUIET, settings=late) == set()
    access(con, "t1", "s9", f"{WEDNESDAY} 03:00:00")
    assert subjects(con, QUIET, settings=late) == {"t1@2026-W47"}
    found = facts(con, QUIET, "t1@2026-W47")
    assert (found["quiet_from"], found["quiet_to"], found["quiet_events"]) == ("22:00", "06:00", 5)
    assert subjects(con, QUIET) == set()  # the default window 00:00-05:00 holds only 2 of them


def test_an_occurred_at_without_a_time_of_day_never_reaches_quiet_hours(tmp_path):
    """The contract's occurred_at is a timestamp: a bare date is quarantined at ingest, so it cannot be
    read as local midnight (which lies in the default quiet hours)."""
    from pipelines.ingest import ingest_landing
    from pipelines.warehouse import connect

    landing = tmp_path / "landing"
    for feed, text in {
        "staff": "staff_id,school_id,role\nt1,A,teacher\n",
        "students": "student_id,school_id,birth_date\ns1,A,2010-01-01\ns2,A,2010-01-01\n",
        "access_log": "event_id,occurred_at,actor_id,actor_type,student_id,action,source_system\n"
        + "".join(f"e{n},2026-11-1{6 + n},t1,staff,s{1 + n % 2},view,magister\n" for n in range(5)),
    }.items():
        (landing / feed).mkdir(parents=True)
        (landing / feed / f"{feed}.csv").write_text(text)
    con = connect(tmp_path / "w.duckdb")
    ingest_landing(con, landing, Settings())
    assert con.execute("SELECT count(*) FROM access_log").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM quarantine WHERE feed = 'access_log'").fetchone()[0] == 5
    assert subjects(con, QUIET) == set()


# --- SIGNAL-AFTER-LEAVING ----------------------------------------------------------------------------


def test_after_leaving_fires_the_day_after_the_last_role_ended(con):
    add_staff(con, "t1", valid_from="2020-01-01", valid_to="2026-11-17")
    add_involvement(con, "t1", "s1")
    access(con, "t1", "s1", "2026-11-17 16:00:00")  # the last day of the role: still in force
    assert subjects(con, AFTER_LEAVING) == set()
    access(con, "t1", "s1", "2026-11-18 08:00:00")
    access(con, "t1", "s2", "2026-11-20 08:00:00")
    assert signals(con, [AFTER_LEAVING, *ACCESS_RULES]) >= {(AFTER_LEAVING, "t1@2026-W47", "high")}
    assert facts(con, AFTER_LEAVING, "t1@2026-W47") == {
        "actor_id": "t1", "week": "2026-W47", "days": 2, "first_day": "2026-11-18", "role_ended": "2026-11-17",
        "events": 2, "students": 2}
    assert finding_row(con, AFTER_LEAVING, "t1@2026-W47")["occurred_at"].day == 18


def test_after_leaving_with_one_role_still_in_force_gives_no_signal(con):
    add_staff(con, "t1", valid_to="2026-10-31")  # teacher until October
    add_staff(con, "t1", role="mentor", school="B", valid_from="2026-09-01")  # still mentor elsewhere
    access(con, "t1", "s1")
    assert subjects(con, AFTER_LEAVING) == set()
    con.execute("UPDATE staff SET valid_to = DATE '2026-11-17' WHERE role = 'mentor'")
    assert subjects(con, AFTER_LEAVING) == {"t1@2026-W47"}


def test_after_leaving_needs_a_role_that_ended(con):
    add_staff(con, "t1", valid_from="2026-12-01")  # not yet started: not "after leaving"
    access(con, "t1", "s1")
    assert subjects(con, AFTER_LEAVING) == set()


# --- SIGNAL-OWN-CHILD --------------------------------------------------------------------------------


def own_child_link(con, staff_id="t1", guardian_id="g1", student_id="s1", valid_to=None, relation="parent"):
    insert(con, "guardians", guardian_id=guardian_id, student_id=student_id, relation=relation,
           parental_authority=True, valid_to=valid_to, staff_id=staff_id)


def test_own_child_with_involvement_fires_and_says_it_was_explained(con):
    add_staff(con, "t1")
    add_involvement(con, "t1", "s1")  # a parent who teaches their own child
    own_child_link(con)
    access(con, "t1", "s1", f"{WEDNESDAY} 10:00:00", category="progress")
    access(con, "t1", "s1", "2026-11-19 10:00:00", category="progress")
    found = signals(con, [*ACCESS_RULES, OWN_CHILD])
    assert found == {(OWN_CHILD, "t1@s1@2026-W47", "medium")}
    assert findings(con) == found  # and no access finding: the involvement explains both
    row = finding_row(con, OWN_CHILD, "t1@s1@2026-W47")
    assert (row["actor_id"], row["student_id"], row["school_id"]) == ("t1", "s1", "A")
    assert facts(con, OWN_CHILD, "t1@s1@2026-W47") == {
        "actor_id": "t1", "student_id": "s1", "week": "2026-W47", "relation": "parent", "events": 2,
        "first_day": WEDNESDAY, "explained_events": 2, "explained_by": ["teacher"]}


def test_own_child_without_involvement_fires_beside_the_access_finding(con):
    add_staff(con, "t1")
    add_involvement(con, "t1", "s2")  # involved with another student, not with their own child
    own_child_link(con, valid_to="2020-01-01")  # any dates
    access(con, "t1", "s1", category="care")
    check(con, WEEK, rules=[*ACCESS_RULES, OWN_CHILD])
    assert {f[0] for f in findings(con)} == {"ACCESS-UNINVOLVED", OWN_CHILD}
    assert facts(con, OWN_CHILD, "t1@s1@2026-W47")["explained_events"] == 0
    assert explanations(con)["magister:e" + str(next(_event) - 1)][0] == "finding"  # unchanged by the signal


def test_own_child_needs_the_staff_id_of_this_student(con):
    add_staff(con, "t1")
    own_child_link(con, student_id="s2")  # the child is s2
    own_child_link(con, staff_id=None, guardian_id="t1")  # a guardian id equal to the staff id is no link
    access(con, "t1", "s1")
    assert subjects(con, OWN_CHILD) == set()
    access(con, "t1", "s2")
    assert subjects(con, OWN_CHILD) == {"t1@s2@2026-W47"}


# --- not evaluated, and beside the access rules ------------------------------------------------------


def test_signals_are_not_evaluated_without_their_feeds(con):
    access(con, "t1", "s1")
    result = check(con, WEEK, rules=SIGNALS)
    for rule in SIGNALS:
        row = coverage(result, rule)
        assert row["status"] == "not_evaluated", rule
        assert "staff" in row["reason"], rule
    add_staff(con, "t1")
    result = check(con, WEEK, rules=SIGNALS)
    assert coverage(result, OWN_CHILD)["reason"] == "no rows in feed: guardians"
    assert {coverage(result, r)["status"] for r in SIGNALS if r != OWN_CHILD} == {"evaluated"}
    add_guardian_link(con, "g1", "s1")
    assert coverage(check(con, WEEK, rules=SIGNALS), OWN_CHILD)["status"] == "evaluated"


def test_signals_change_no_access_finding_and_no_explanation(con):
    peers(con, [1, 1])
    add_staff(con, "v1", valid_to="2026-11-17")
    touch(con, "v1", 30, action="export", when=f"{WEDNESDAY} 02:00:00")  # every signal but own child
    add_involvement(con, "v1", "s0")
    check(con, WEEK, rules=ACCESS_RULES)
    alone, explained = findings(con), explanations(con)
    check(con, WEEK)
    together = findings(con)
    assert {f for f in together if not f[0].startswith("SIGNAL-")} == alone
    assert {f[0] for f in together if f[0].startswith("SIGNAL-")} == {VOLUME, BULK, AFTER_LEAVING, QUIET}
    assert explanations(con) == explained


# --- explanations in both languages ------------------------------------------------------------------


def test_explanations_give_the_figures_in_both_languages(con):
    peers(con, [10, 10])
    add_staff(con, "v1", valid_to="2026-11-17")
    touch(con, "v1", 30, action="export", when=f"{WEDNESDAY} 02:00:00")
    add_involvement(con, "v1", "s0")
    own_child_link(con, staff_id="v1", student_id="s0")
    check(con, WEEK)
    expected = {
        VOLUME: ("v1@2026-W47", ["30", "3", "10", "teacher", "A"]),
        BULK: ("v1@2026-11-18", ["30", WEDNESDAY, "20"]),
        QUIET: ("v1@2026-W47", ["30", "00:00", "05:00", "2026-11-18 02:00"]),
        AFTER_LEAVING: ("v1@2026-W47", ["2026-11-18", "2026-11-17", "30"]),
        OWN_CHILD: ("v1@s0@2026-W47", ["s0", "parent", WEDNESDAY]),
    }
    for rule, (subject, figures) in expected.items():
        found = facts(con, rule, subject)
        for lang in ("en", "nl"):
            text = render(rule, found, lang)
            assert "{" not in text and "v1" in text, (rule, lang)
            for figure in figures:
                assert figure in text, (rule, lang, figure, text)
        assert render(rule, found, "en") != render(rule, found, "nl")


def test_the_reports_render_the_explanations_in_each_language(con):
    from reports.i18n import Translator
    from reports.outputs import findings_sql

    peers(con, [10, 10])
    add_staff(con, "v1")
    touch(con, "v1", 30, action="export", when=f"{WEDNESDAY} 02:00:00")
    check(con, WEEK)
    for lang, words in (("en", ("different students", "median", "teacher")),
                        ("nl", ("verschillende leerlingen", "mediaan", "leraar"))):
        t = Translator(lang)
        rows = dict(con.execute(f"SELECT rule_id, explanation FROM ({findings_sql(load_catalogue(), t)})",
                                {"week": WEEK}).fetchall())
        assert set(rows) == {VOLUME, BULK, QUIET}
        for word in words[:2]:
            assert word in rows[VOLUME], (lang, rows[VOLUME])
        assert words[2] in rows[VOLUME].lower() or lang == "nl"


# --- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [{"quiet_from": "24:00"}, {"quiet_to": "5:00"}, {"volume_factor": 0}, {"bulk_min_students": -1},
     {"volume_min_peers": "3"}],
)
def test_bad_signal_parameters_are_refused(con, change):
    with pytest.raises(SettingsError):
        check(con, WEEK, rules=SIGNALS, settings=dataclasses.replace(Settings(), **change))


def test_signal_parameters_are_printed_in_the_appendix():
    rows = dict(Settings().as_rows())
    assert {k: rows[k] for k in ("volume_min_students", "volume_factor", "volume_min_peers", "bulk_min_students",
                                 "quiet_from", "quiet_to", "quiet_min_events", "quiet_min_students")} == {
        "volume_min_students": "30", "volume_factor": "3", "volume_min_peers": "3", "bulk_min_students": "20",
        "quiet_from": "00:00", "quiet_to": "05:00", "quiet_min_events": "5", "quiet_min_students": "2"}


def test_signal_parameters_from_a_config_file(tmp_path):
    from pipelines.settings import ConfigError, load_settings

    path = tmp_path / "c.toml"
    path.write_text('quiet_from = "22:30"\nquiet_to = "06:00"\nvolume_factor = 2.5\nbulk_min_students = 10\n')
    settings = load_settings(path)
    assert (settings.quiet_from, settings.quiet_to, settings.volume_factor, settings.bulk_min_students) == (
        "22:30", "06:00", 2.5, 10)
    assert dict(settings.as_rows())["volume_factor"] == "2.5"
    path.write_text('quiet_to = "25:00"\n')
    with pytest.raises(ConfigError, match="quiet_to"):
        load_settings(path)


def test_quiet_hours_across_the_end_of_summer_time(con):
    """25 October 2026: 03:00 summer time becomes 02:00; the local time of each instant decides."""
    add_staff(con, "t1")
    for n, when in enumerate(["2026-10-24T22:30:00Z",    # 00:30 summer time
                              "2026-10-25T00:30:00Z",    # 02:30 summer time
                              "2026-10-25T01:30:00Z",    # 02:30 winter time: the hour again
                              "2026-10-25T03:59:00Z",    # 04:59
                              "2026-10-25T04:00:00Z"]):  # 05:00: outside
        access(con, "t1", f"s{n}", when)
    assert subjects(con, QUIET, week="2026-W43") == set()
    access(con, "t1", "s9", "2026-10-24T21:59:00Z")  # 23:59 summer time: outside
    assert subjects(con, QUIET, week="2026-W43") == set()
    access(con, "t1", "s9", "2026-10-24T22:00:00Z")  # 00:00 summer time: inside
    assert subjects(con, QUIET, week="2026-W43") == {"t1@2026-W43"}
    assert facts(con, QUIET, "t1@2026-W43", week="2026-W43")["quiet_events"] == 5


def test_each_signal_counts_its_subjects_checked(con):
    """Coverage counts every subject a signal looked at: accounts, account-days, account-student pairs."""
    add_staff(con, "t1")
    add_staff(con, "t2", role="mentor")
    add_staff(con, "svc", account_type="shared")  # not counted
    access(con, "t1", "s1", f"{MONDAY} 10:00:00")
    access(con, "t1", "s1", f"{MONDAY} 11:00:00")
    access(con, "t1", "s2", f"{WEDNESDAY} 10:00:00", action="export")
    access(con, "t1", "s1", f"{SUNDAY} 20:00:00")
    access(con, "t1", "s1", f"{SUNDAY} 23:30:00")  # Monday 00:30 local time: next week
    access(con, "t2", "s3", f"{WEDNESDAY} 03:00:00")
    access(con, "svc", "s4")
    own_child_link(con, staff_id="t9", student_id="s9")  # the guardians feed, for SIGNAL-OWN-CHILD
    result = check(con, WEEK, rules=SIGNALS)
    checked = {rule: coverage(result, rule)["subjects_checked"] for rule in SIGNALS}
    assert checked == {VOLUME: 2, QUIET: 2, AFTER_LEAVING: 2,
                       BULK: 4,        # t1 on Monday, Wednesday and Sunday; t2 on Wednesday
                       OWN_CHILD: 3}   # t1 with s1 and s2; t2 with s3


def test_after_leaving_counts_every_access_of_the_days_not_only_exports_or_night(con):
    add_staff(con, "t1", valid_to="2026-11-17")
    access(con, "t1", "s1", "2026-11-18 03:00:00")           # 04:00 local: quiet hours
    access(con, "t1", "s2", "2026-11-18 09:00:00", action="export")
    access(con, "t1", "s3", "2026-11-19 09:00:00")
    access(con, "t1", "s3", "2026-11-19 10:00:00")
    access(con, "t1", "s9", "2026-11-16 09:00:00")           # Monday: the role is still in force
    assert subjects(con, AFTER_LEAVING) == {"t1@2026-W47"}
    assert facts(con, AFTER_LEAVING, "t1@2026-W47") == {
        "actor_id": "t1", "week": "2026-W47", "days": 2, "first_day": "2026-11-18", "role_ended": "2026-11-17",
        "events": 4, "students": 3}


def test_a_run_without_signal_rules_does_not_build_their_populations(con):
    add_staff(con, "t1")
    access(con, "t1", "s1")
    check(con, WEEK, rules=ACCESS_RULES)
    built = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'signal_access_pairs_week'"
    assert con.execute(built).fetchone()[0] == 0
    check(con, WEEK, rules=[QUIET])
    assert con.execute(built).fetchone()[0] == 1
