"""Guardians: ACCESS-GUARDIAN-NOT-LINKED (6), ACCESS-PARENT-18PLUS (7), ACCESS-PARENT-16PLUS (8) and
ACCESS-PARENT-NO-AUTHORITY (9), with the student's parent_access permission, ages on the local date
(16th and 18th birthdays, 29 February) and time zones."""

import pytest

from pipelines.settings import Settings
from tests.access_fixtures import (
    ACCESS_RULES,
    add_guardian_link,
    add_parent_access_consent,
    explanations,
    judge,
)
from tests.rule_fixtures import (
    add_access,
    add_staff,
    add_student,
    check,
    coverage,
    facts,
    findings,
    render,
    warehouse,
)

NOT_LINKED = "ACCESS-GUARDIAN-NOT-LINKED"
ADULT = "ACCESS-PARENT-18PLUS"
SIXTEEN = "ACCESS-PARENT-16PLUS"
NO_AUTHORITY = "ACCESS-PARENT-NO-AUTHORITY"

STUDENTS = {
    "kid": "2015-01-01",  # 11 in the week
    "teen": "2010-05-01",  # 16
    "older_teen": "2009-05-01",  # 17
    "adult": "2008-05-01",  # 18
    "b16": "2010-11-18",  # turns 16 on Wednesday 2026-11-18
    "b18": "2008-11-18",  # turns 18 on Wednesday 2026-11-18
}


@pytest.fixture
def con():
    """The students above at school A, and guardian g1 (parental authority) linked to each of them."""
    con = warehouse()
    add_staff(con, "t1")  # the access rules need the staff feed
    add_student(con, "s0")
    for student, birth in STUDENTS.items():
        add_student(con, student, birth=birth)
        add_guardian_link(con, "g1", student)
    return con


def guardian_view(
    con, student, category="progress", event="e1", occurred_at="2026-11-18 19:30:00", actor="g1"
):
    add_access(
        con, event, occurred_at, actor=actor, actor_type="guardian", student=student, category=category
    )


def finding(rule, severity, event="e1"):
    return {(rule, f"magister:{event}", severity)}


# --- ACCESS-GUARDIAN-NOT-LINKED ------------------------------------------------------------------------


def test_guardian_viewing_a_student_they_are_not_linked_to(con):
    guardian_view(con, "s0")
    assert judge(con) == finding(NOT_LINKED, "high")
    found = facts(con, NOT_LINKED, "magister:e1")
    assert (found["actor_id"], found["student_id"], found["last_link_end"], found["next_link_start"]) == (
        "g1",
        "s0",
        None,
        None,
    )


def test_linked_guardian_is_fine(con):
    guardian_view(con, "kid", category="care")
    assert judge(con) == set()
    assert explanations(con)["magister:e1"] == ("guardian", "parental_authority", None)


@pytest.mark.parametrize(
    "valid_from, valid_to, is_finding",
    [
        (None, "2026-11-18", False),  # the link ends on the event's day
        (None, "2026-11-17", True),  # ended the day before
        ("2026-11-18", None, False),  # starts on the event's day
        ("2026-11-19", None, True),  # starts the day after
    ],
)
def test_link_must_be_in_force_on_the_events_local_date(con, valid_from, valid_to, is_finding):
    add_guardian_link(con, "g2", "s0", valid_from=valid_from, valid_to=valid_to)
    guardian_view(con, "s0", actor="g2")
    assert judge(con) == (finding(NOT_LINKED, "high") if is_finding else set())
    if is_finding:
        found = facts(con, NOT_LINKED, "magister:e1")
        assert (found["last_link_end"], found["next_link_start"]) == (valid_to, valid_from)


def test_link_is_judged_on_the_local_date(con):
    add_guardian_link(con, "g2", "s0", valid_to="2026-11-17")
    guardian_view(con, "s0", actor="g2", occurred_at="2026-11-17 23:30:00+00")  # 00:30 local on the 18th
    guardian_view(
        con, "s0", actor="g2", event="e2", occurred_at="2026-11-17 22:30:00+00"
    )  # 23:30 on the 17th
    assert judge(con) == finding(NOT_LINKED, "high")


def test_without_guardians_rows_the_guardian_rules_are_not_evaluated(con):
    con.execute("DELETE FROM guardians")
    guardian_view(con, "s0")
    result = check(con, rules=ACCESS_RULES)
    for rule in (NOT_LINKED, ADULT, SIXTEEN, NO_AUTHORITY):
        assert coverage(result, rule)["status"] == "not_evaluated"
        assert coverage(result, rule)["reason"] == "no rows in feed: guardians"
    assert findings(con) == set()
    assert explanations(con)["magister:e1"] == ("not_evaluated", None, None)


# --- ACCESS-PARENT-18PLUS -----------------------------------------------------------------------------


def test_guardian_viewing_an_adult_students_file_without_permission(con):
    guardian_view(con, "adult", category="progress")
    assert judge(con) == finding(ADULT, "high")
    found = facts(con, ADULT, "magister:e1")
    assert (found["student_age"], found["consent_ids"]) == (18, [])


def test_the_students_permission_covers_the_whole_file(con):
    add_parent_access_consent(con, "pa1", student="adult", categories=("progress",))
    guardian_view(con, "adult", category="medical")
    assert judge(con) == set()
    assert explanations(con)["magister:e1"] == ("guardian", "parent_access_consent", None)


@pytest.mark.parametrize(
    "change",
    [
        {"form": "verbal"},
        {"form": "implied"},
        {"form": "opt_out"},
        {"given_by_role": "guardian", "given_by": "g1"},  # given by the guardian, not the student
        {"given_by": "kid"},  # role student, but another student's id
        {"given_at": "2026-11-19"},  # given after the access
        {"withdrawn_at": "2026-11-18"},  # withdrawn on the day
        {"withdrawn_at": "2026-11-01 12:00:00"},
        {"valid_until": "2026-11-17"},  # expired the day before
        {"recipient": "g2"},  # for another guardian
        {"student": "kid"},  # another student's consent (given by that student)
        {"purpose": "newsletter"},
    ],
)
def test_a_permission_that_does_not_count(con, change):
    values = {"student": "adult"} | change
    if "student" in change and "given_by" not in change:
        values["given_by"] = change["student"]
    add_parent_access_consent(con, "pa1", **values)
    guardian_view(con, "adult")
    assert judge(con) == finding(ADULT, "high")
    # the facts list this student's parent_access consents, whether they count or not
    not_on_record = "student" in change or "purpose" in change
    assert facts(con, ADULT, "magister:e1")["consent_ids"] == ([] if not_on_record else ["pa1"])


@pytest.mark.parametrize(
    "change",
    [
        {"form": "digital_signature"},
        {"given_at": "2026-11-18 22:00:00"},  # the same day, later than the access, counts
        {"withdrawn_at": "2026-11-19"},  # withdrawn the day after
        {"valid_until": "2026-11-18"},  # valid through the day
        {"recipient": "g1"},  # for this guardian
        {"recipient": "  "},  # empty: every guardian
        {"categories": None},  # no categories named: still the whole file
        {"purpose": " Parent_Access "},
    ],
)
def test_a_permission_that_counts(con, change):
    add_parent_access_consent(con, "pa1", student="adult", **change)
    guardian_view(con, "adult", category="care")
    assert judge(con) == set()


def test_permission_judged_on_local_dates(con):
    # withdrawn at 23:30 UTC on the 18th = 00:30 local on the 19th: still valid for an access on the 18th
    add_parent_access_consent(con, "pa1", student="adult", withdrawn_at="2026-11-18 23:30:00+00")
    guardian_view(con, "adult", occurred_at="2026-11-18 20:00:00")
    guardian_view(con, "adult", event="e2", occurred_at="2026-11-19 08:00:00")
    assert judge(con) == finding(ADULT, "high", "e2")


@pytest.mark.parametrize(
    "occurred_at, expected",
    [
        ("2026-11-18 19:30:00", ADULT),  # the 18th birthday
        ("2026-11-17 19:30:00", None),  # the day before: 17, and progress is fine
        ("2026-11-17 23:30:00+00", ADULT),  # 00:30 local on the birthday, still the 17th in UTC
        ("2026-11-17 22:59:59+00", None),  # 23:59:59 local on the day before
    ],
)
def test_eighteenth_birthday_on_the_local_date(con, occurred_at, expected):
    guardian_view(con, "b18", category="progress", occurred_at=occurred_at)
    assert judge(con) == (finding(expected, "high") if expected else set())


def test_the_day_before_the_eighteenth_birthday_a_care_view_is_sixteen_plus(con):
    guardian_view(con, "b18", category="care", occurred_at="2026-11-17 12:00:00")
    assert judge(con) == finding(SIXTEEN, "high")
    assert facts(con, SIXTEEN, "magister:e1")["student_age"] == 17


@pytest.mark.parametrize(
    "leap_day_birthday, day, expected",
    [
        ("march_1", "2026-02-28", None),  # still 17 on 28 February of a common year
        ("march_1", "2026-03-01", ADULT),
        ("february_28", "2026-02-28", ADULT),
        ("february_28", "2026-02-27", None),
    ],
)
def test_born_on_29_february(con, leap_day_birthday, day, expected):
    add_student(con, "leap", birth="2008-02-29")
    add_guardian_link(con, "g1", "leap")
    guardian_view(con, "leap", category="progress", occurred_at=f"{day} 12:00:00")
    week = "2026-W09"  # 23 February .. 1 March 2026
    assert judge(con, week, Settings(leap_day_birthday=leap_day_birthday)) == (
        {(expected, "magister:e1", "high")} if expected else set()
    )


def test_unknown_student_has_no_age(con):
    add_guardian_link(con, "g1", "ghost", authority=False)
    guardian_view(con, "ghost", category="care")
    assert judge(con) == set()  # 7, 8 and 9 need the age; the link is there
    assert explanations(con)["magister:e1"] == ("guardian", "link", None)


# --- ACCESS-PARENT-16PLUS ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "student, category, severity",
    [
        ("teen", "care", "high"),  # special categories: high
        ("teen", "psychological_report", "high"),
        ("older_teen", "medical", "high"),
        ("teen", "images", "medium"),
        ("older_teen", "educational_report", "medium"),
        ("teen", "progress", None),  # what a guardian may see of a 16/17-year-old
        ("teen", "attendance", None),
        ("older_teen", "administrative", None),
        ("older_teen", "general", None),
        ("kid", "care", None),  # under 16
    ],
)
def test_sixteen_and_seventeen_year_olds(con, student, category, severity):
    guardian_view(con, student, category=category)
    assert judge(con) == (finding(SIXTEEN, severity) if severity else set())


def test_facts_name_the_allowed_categories(con):
    guardian_view(con, "teen", category="images")
    judge(con)
    found = facts(con, SIXTEEN, "magister:e1")
    assert found["allowed_categories"] == ["administrative", "attendance", "general", "progress"]
    assert (found["student_age"], found["consent_ids"]) == (16, [])


def test_the_students_permission_lifts_it(con):
    add_parent_access_consent(con, "pa1", student="teen", given_at="2026-11-18")
    guardian_view(con, "teen", category="care")
    assert judge(con) == set()
    assert explanations(con)["magister:e1"] == ("guardian", "parent_access_consent", None)


def test_what_a_guardian_may_see_is_a_parameter(con):
    settings = Settings(guardian_16_17_categories=("progress",))
    guardian_view(con, "teen", category="attendance")
    guardian_view(con, "teen", category="progress", event="e2")
    assert judge(con, settings=settings) == finding(SIXTEEN, "medium")
    assert facts(con, SIXTEEN, "magister:e1")["allowed_categories"] == ["progress"]


@pytest.mark.parametrize(
    "occurred_at, expected",
    [
        ("2026-11-18 08:00:00", SIXTEEN),  # the 16th birthday
        ("2026-11-17 20:00:00", None),  # the day before: 15, and g1 has parental authority
        ("2026-11-17 23:30:00+00", SIXTEEN),  # 00:30 local on the birthday is the previous day in UTC
        ("2026-11-17 22:30:00+00", None),  # 23:30 local the day before
    ],
)
def test_sixteenth_birthday_on_the_local_date(con, occurred_at, expected):
    guardian_view(con, "b16", category="care", occurred_at=occurred_at)
    assert judge(con) == (finding(expected, "high") if expected else set())


@pytest.mark.parametrize(
    "birth, occurred_at, week, expected",
    [
        ("2010-06-10", "2026-06-09 22:30:00+00", "2026-W24", SIXTEEN),  # 00:30 summer time (UTC+2)
        ("2010-06-10", "2026-06-09 21:30:00+00", "2026-W24", None),  # 23:30 summer time the day before
        # the nights the clocks change: spring forward on 29 March, fall back on 25 October 2026
        ("2010-03-29", "2026-03-28 23:30:00+00", "2026-W13", SIXTEEN),  # 00:30 CET on the 29th
        ("2010-03-29", "2026-03-28 22:30:00+00", "2026-W13", None),
        ("2010-03-30", "2026-03-29 22:30:00+00", "2026-W14", SIXTEEN),  # 00:30 CEST on the 30th
        ("2010-10-25", "2026-10-24 22:30:00+00", "2026-W43", SIXTEEN),  # 00:30 CEST on the 25th
        ("2010-10-26", "2026-10-25 22:30:00+00", "2026-W43", None),  # 23:30 CET on the 25th
        ("2010-10-26", "2026-10-25 23:30:00+00", "2026-W44", SIXTEEN),  # 00:30 CET on the 26th
    ],
)
def test_sixteenth_birthday_around_summer_time(con, birth, occurred_at, week, expected):
    add_student(con, "june", birth=birth)
    add_guardian_link(con, "g1", "june")
    guardian_view(con, "june", category="care", occurred_at=occurred_at)
    assert judge(con, week) == ({(expected, "magister:e1", "high")} if expected else set())
    if expected:
        assert facts(con, SIXTEEN, "magister:e1", week)["local_date"] == birth.replace("2010", "2026")


@pytest.mark.parametrize("leap_day_birthday, expected", [("march_1", SIXTEEN), ("february_28", ADULT)])
def test_leap_day_birthday_decides_between_seventeen_and_eighteen(con, leap_day_birthday, expected):
    # a 16th birthday is never in a common year (16 is a multiple of 4); the 18th of someone born on
    # 29 February 2008 is: on 28 February 2026 they are 17 or 18 depending on the setting
    add_student(con, "leap", birth="2008-02-29")
    add_guardian_link(con, "g1", "leap")
    guardian_view(con, "leap", category="care", occurred_at="2026-02-28 12:00:00")
    found = judge(con, "2026-W09", Settings(leap_day_birthday=leap_day_birthday))
    assert found == {(expected, "magister:e1", "high")}


# --- ACCESS-PARENT-NO-AUTHORITY -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "category, is_finding",
    [
        ("care", True),
        ("administrative", True),
        ("images", True),
        ("progress", False),
        ("attendance", False),
        ("general", False),
    ],
)
def test_guardian_without_parental_authority(con, category, is_finding):
    add_guardian_link(con, "g2", "kid", relation="foster_parent", authority=False)
    guardian_view(con, "kid", category=category, actor="g2")
    assert judge(con) == (finding(NO_AUTHORITY, "medium") if is_finding else set())
    if not is_finding:
        assert explanations(con)["magister:e1"] == ("guardian", "link", None)


@pytest.mark.parametrize(
    "valid_from, valid_to, is_finding",
    [
        ("2026-01-01", "2026-11-18", False),  # the authority row is in force on the day
        ("2026-01-01", "2026-11-17", True),  # it ended the day before
        ("2026-11-19", None, True),  # it starts the day after
    ],
)
def test_authority_must_be_in_force_that_day(con, valid_from, valid_to, is_finding):
    add_guardian_link(con, "g2", "kid", authority=False)  # linked throughout, without authority
    add_guardian_link(con, "g2", "kid", authority=True, valid_from=valid_from, valid_to=valid_to)
    guardian_view(con, "kid", category="care", actor="g2")
    assert judge(con) == (finding(NO_AUTHORITY, "medium") if is_finding else set())


def test_not_for_adult_students(con):
    add_guardian_link(con, "g2", "adult", authority=False)
    add_parent_access_consent(con, "pa1", student="adult")
    guardian_view(con, "adult", category="care", actor="g2")
    assert judge(con) == set()


def test_a_sixteen_year_olds_permission_does_not_replace_parental_authority(con):
    # spec A9 names no permission: a guardian without authority stays limited until the student is 18
    add_guardian_link(con, "g2", "teen", authority=False)
    add_parent_access_consent(con, "pa1", student="teen")
    guardian_view(con, "teen", category="care", actor="g2")
    assert judge(con) == finding(NO_AUTHORITY, "medium")


# --- precedence among the guardian rules ---------------------------------------------------------------


def test_not_linked_comes_before_the_age_rules(con):
    add_guardian_link(con, "g2", "kid")  # known guardian, but not linked to the adult
    guardian_view(con, "adult", category="care", actor="g2")
    assert judge(con) == finding(NOT_LINKED, "high")


def test_adult_rule_comes_before_no_authority(con):
    add_guardian_link(con, "g2", "adult", authority=False)
    guardian_view(con, "adult", category="care", actor="g2")
    assert judge(con) == finding(ADULT, "high")


def test_sixteen_plus_comes_before_no_authority(con):
    add_guardian_link(con, "g2", "teen", authority=False)
    guardian_view(con, "teen", category="images", actor="g2")
    assert judge(con) == finding(SIXTEEN, "medium")


def test_unknown_guardian_is_unknown_actor_only(con):
    guardian_view(con, "adult", category="care", actor="g9")
    assert judge(con) == finding("ACCESS-UNKNOWN-ACTOR", "high")


# --- explanations --------------------------------------------------------------------------------------


def test_explanations_read_well_in_both_languages(con):
    add_guardian_link(con, "g2", "kid", authority=False)
    add_guardian_link(con, "g3", "s0", valid_to="2026-09-30")
    guardian_view(con, "adult", category="care", event="e1")
    guardian_view(con, "teen", category="images", event="e2")
    guardian_view(con, "kid", category="care", event="e3", actor="g2")
    guardian_view(con, "s0", category="progress", event="e4", actor="g3")
    judge(con)
    assert render(ADULT, facts(con, ADULT, "magister:e1"), "en") == (
        "Guardian g1 accessed data of student adult in the category care on 2026-11-18, when the student was 18"
        " and so an adult, without a valid permission from the student to let this guardian see their file"
        " (permissions for guardians on record for this student: —)."
    )
    assert render(SIXTEEN, facts(con, SIXTEEN, "magister:e2"), "nl") == (
        "Ouder/verzorger g1 heeft op 2026-11-18 gegevens van leerling teen uit de categorie images geraadpleegd"
        " toen de leerling 16 jaar was; zonder toestemming van de leerling mag een ouder/verzorger alleen"
        " gegevens uit de categorieën administrative, attendance, general, progress inzien, en er was geen"
        " geldige toestemming vastgelegd (vastgelegde toestemmingen voor inzage door ouders bij deze leerling: —)."
    )
    assert render(NO_AUTHORITY, facts(con, NO_AUTHORITY, "magister:e3"), "en") == (
        "Guardian g2 accessed data of student kid (aged 11) in the category care on 2026-11-18 without holding"
        " parental authority for this student that day; without it a guardian may see only data in the"
        " categories progress, attendance, general."
    )
    assert render(NOT_LINKED, facts(con, NOT_LINKED, "magister:e4"), "en").endswith(
        "but no guardian record links them to this student on that day (last link ended: 2026-09-30;"
        " next link starts: —)."
    )
    assert "(vorige koppeling eindigde: 2026-09-30; volgende koppeling begint: —)" in render(
        NOT_LINKED, facts(con, NOT_LINKED, "magister:e4"), "nl"
    )
