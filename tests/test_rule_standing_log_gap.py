"""Section E: LOG-GAP: a source system that logged in the look-back (14 days before the week's Monday)
logged nothing on a weekday of the week that no board-wide calendar row marks holiday, study day or
outage. One finding per source system and date.

2026-W47 runs from Monday 16 to Sunday 22 November 2026; its look-back from 2 to 15 November.
"""

import itertools
from datetime import date, timedelta

import pytest

from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from pipelines.warehouse import connect
from tests.rule_fixtures import (
    WEEK,
    add_access,
    add_calendar,
    check,
    coverage,
    facts,
    finding_row,
    findings,
    render,
    warehouse,
)

RULE = "LOG-GAP"
WEEKDAYS = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]
_event = itertools.count(1)


def log(con, system, *moments):
    """One access event per moment: a date (logged at 10:00 local) or a full timestamp."""
    for moment in moments:
        occurred_at = f"{moment} 10:00:00" if len(moment) == 10 else moment
        add_access(con, f"e{next(_event)}", occurred_at=occurred_at, source_system=system)


def lookback_weekdays(monday="2026-11-16", days=14):
    start = date.fromisoformat(monday) - timedelta(days=days)
    return [(start + timedelta(d)).isoformat() for d in range(days) if (start + timedelta(d)).weekday() < 5]


@pytest.fixture
def con():
    """magister logged every weekday of the look-back."""
    con = warehouse()
    log(con, "magister", *lookback_weekdays())
    return con


def flagged(con, week=WEEK, settings=None):
    check(con, week, rules=[RULE], settings=settings)
    return findings(con, week)


def gaps(*subjects):
    return {(RULE, subject, "high") for subject in subjects}


def test_a_system_that_logged_every_weekday(con):
    log(con, "magister", *WEEKDAYS)
    result = check(con, rules=[RULE])
    assert findings(con) == set()
    assert coverage(result, RULE)["subjects_checked"] == 5  # one system, five working days


def test_a_silent_weekday_is_a_gap(con):
    log(con, "magister", "2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20")
    assert flagged(con) == gaps("magister@2026-11-18")
    found = facts(con, RULE, "magister@2026-11-18")
    assert found == {
        "source_system": "magister",
        "day": "2026-11-18",
        "lookback_events": 10,
        "lookback_days": 14,
        "last_logged": "2026-11-17",
    }
    assert render(RULE, found, "en") == (
        "Source system magister logged no access at all on 2026-11-18 (a weekday that the calendar does not mark"
        " as a holiday, study day or outage), although it did log in the 14 days before the week (events: 10; last"
        " logged before the gap: 2026-11-17). The register of who viewed what has a hole."
    )
    assert render(RULE, found, "nl") == (
        "Bronsysteem magister heeft op 2026-11-18 (een werkdag die de kalender niet als vakantie, studiedag of"
        " storing aanmerkt) helemaal geen inzage gelogd, terwijl het in de 14 dagen vóór de week wel logde"
        " (gebeurtenissen: 10; laatst gelogd vóór het gat: 2026-11-17). Het register van wie wat heeft ingezien heeft"
        " een gat."
    )
    row = finding_row(con, RULE, "magister@2026-11-18")
    assert (
        row["subject_type"],
        row["occurred_at"],
        row["school_id"],
        row["actor_id"],
        row["student_id"],
    ) == ("source_system", None, None, None, None)


def test_one_finding_per_system_and_day(con):
    log(con, "somtoday", "2026-11-05", "2026-11-16", "2026-11-17", "2026-11-18", "2026-11-20")
    log(con, "magister", "2026-11-18", "2026-11-19", "2026-11-20")
    assert flagged(con) == gaps("magister@2026-11-16", "magister@2026-11-17", "somtoday@2026-11-19")
    assert facts(con, RULE, "magister@2026-11-17")["last_logged"] == "2026-11-13"


def test_weekend_days_are_not_judged(con):
    log(con, "magister", *WEEKDAYS)  # nothing on Saturday 21 or Sunday 22
    assert flagged(con) == set()


@pytest.mark.parametrize(
    "calendar, expected",
    [
        ({"kind": "holiday"}, set()),
        ({"kind": "study_day"}, set()),
        ({"kind": "outage"}, set()),
        ({"kind": "holiday", "school_id": ""}, set()),  # an empty school_id means every school
        ({"kind": "holiday", "school_id": "10AD"}, gaps("magister@2026-11-18")),  # one school's holiday
        ({"kind": "holiday", "date_from": "2026-11-17", "date_to": "2026-11-19"}, set()),  # a range
        (
            {"kind": "holiday", "date_from": "2026-11-12", "date_to": "2026-11-17"},
            gaps("magister@2026-11-18"),
        ),
    ],
)
def test_board_wide_calendar_days_are_excused(con, calendar, expected):
    calendar.setdefault("date_from", "2026-11-18")
    log(con, "magister", "2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20")
    add_calendar(con, **calendar)
    assert flagged(con) == expected


def test_a_system_silent_during_the_whole_look_back_is_not_judged(con):
    log(con, "newsystem", "2026-11-16", "2026-10-30")  # in the week, and 17 days before it
    log(con, "magister", *WEEKDAYS)
    result = check(con, rules=[RULE])
    assert findings(con) == set()
    assert coverage(result, RULE)["subjects_checked"] == 5


def test_the_look_back_on_local_dates():
    # one system per case, each with its only look-back event at the moment given, silent on Wednesday
    cases = {
        "first-day": ("2026-11-02", True),  # the look-back's first day
        "last-day": ("2026-11-15", True),  # the Sunday before the week
        "too-early": ("2026-11-01", False),  # a day too early
        "utc-evening": ("2026-11-01 23:30:00+00", True),  # 00:30 on 2 November local
        "local-evening": ("2026-11-01 22:30:00+00", False),  # 23:30 on 1 November local
    }
    con = warehouse()
    for system, (moment, _) in cases.items():
        log(con, system, moment, "2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20")
    assert flagged(con) == gaps(*(f"{system}@2026-11-18" for system, (_, active) in cases.items() if active))


def test_the_look_back_is_a_parameter():
    con = warehouse()
    log(con, "seven-days", "2026-11-09", "2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20")
    log(con, "eight-days", "2026-11-08", "2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20")
    assert flagged(con, settings=Settings(log_gap_lookback_days=7)) == gaps("seven-days@2026-11-18")
    assert facts(con, RULE, "seven-days@2026-11-18")["lookback_days"] == 7


@pytest.mark.parametrize(
    "wednesday_event, expected",
    [
        ("2026-11-17 23:30:00+00", set()),  # 00:30 on Wednesday local
        ("2026-11-18 23:30:00+00", gaps("magister@2026-11-18")),  # 00:30 on Thursday local
    ],
)
def test_a_day_is_a_local_date(con, wednesday_event, expected):
    log(con, "magister", "2026-11-16", "2026-11-17", "2026-11-19", "2026-11-20", wednesday_event)
    assert flagged(con) == expected


@pytest.mark.parametrize(
    "week, monday, monday_utc_midnight, sunday_late",
    [
        # 2026-W14 starts the day after summer time began (Sunday 29 March, UTC+2)
        ("2026-W14", "2026-03-30", "2026-03-29 22:30:00+00", "2026-03-29 21:30:00+00"),
        # 2026-W44 starts the day after winter time began (Sunday 25 October, UTC+1)
        ("2026-W44", "2026-10-26", "2026-10-25 23:30:00+00", "2026-10-25 22:30:00+00"),
    ],
)
def test_daylight_saving_weeks(week, monday, monday_utc_midnight, sunday_late):
    """Both systems log Tuesday to Friday and once in the look-back; 'early' logs at 00:30 on Monday local
    (still Sunday in UTC), 'late' only at 23:30 on the Sunday before."""
    first = date.fromisoformat(monday)
    rest = [(first + timedelta(days=d)).isoformat() for d in range(1, 5)]
    lookback = (first - timedelta(days=10)).isoformat()
    con = warehouse()
    log(con, "early", lookback, monday_utc_midnight, *rest)
    log(con, "late", lookback, sunday_late, *rest)
    assert flagged(con, week) == gaps(f"late@{monday}")


def test_quarantined_rows_do_not_count_as_logged(tmp_path):
    landing = tmp_path / "landing"
    (landing / "access_log").mkdir(parents=True)
    header = "event_id,occurred_at,actor_id,actor_type,student_id,action,source_system\n"
    rows = [
        f"e{i},{day}T10:00:00,t1,staff,s1,view,magister\n" for i, day in enumerate(["2026-11-10", *WEEKDAYS])
    ]
    rows[3] = "e3,2026-11-18T10:00:00,t1,staff,s1,peek,magister\n"  # Wednesday's only row: an unknown action
    (landing / "access_log" / "export.csv").write_text(header + "".join(rows), encoding="utf-8")
    con = connect(tmp_path / "w.duckdb")
    ingest_landing(con, landing, Settings())
    assert con.execute("SELECT count(*) FROM quarantine WHERE feed = 'access_log'").fetchone()[0] == 1
    assert flagged(con) == gaps("magister@2026-11-18")


def test_not_evaluated_without_access_log_and_calendar_only_consulted(con):
    log(con, "magister", "2026-11-16")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["status"] == "evaluated"  # no calendar rows: every weekday counts
    assert len(findings(con)) == 4
    con.execute("DELETE FROM access_log")
    result = check(con, rules=[RULE])
    assert coverage(result, RULE)["status"] == "not_evaluated"
    assert coverage(result, RULE)["reason"] == "no rows in feed: access_log"
    assert findings(con) == set()
