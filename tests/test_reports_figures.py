"""Single figures of the reports, each on a tiny warehouse of its own."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.warehouse import connect
from reports import report_data as data
from reports.i18n import Translator
from tests.explanation_fixtures import record_explanations

DAY = date(2026, 11, 22)  # Sunday of 2026-W47


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb", "Europe/Amsterdam")
    yield con
    con.close()


def add_coverage(con, rule_id, status, week="2026-W47"):
    con.execute("INSERT INTO coverage (week, rule_id, status) VALUES (?, ?, ?)", [week, rule_id, status])


def add_finding(con, finding_id, rule_id, week="2026-W47", severity="high", subject_type="policy", **ids):
    """A finding; its subject is its id unless `subject_id` is given; actor_id, recipient_id as given."""
    con.execute(
        "INSERT INTO findings (finding_id, rule_id, severity, week, subject_type, subject_id, actor_id,"
        " recipient_id, school_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [finding_id, rule_id, severity, week, subject_type, ids.get("subject_id", finding_id),
         ids.get("actor_id"), ids.get("recipient_id"), ids.get("school_id")],
    )  # fmt: skip


def test_policy_not_checked_without_coverage(con):
    assert data.policy_status(con, "2026-W47") == "not_checked"
    add_coverage(con, "POLICY-NOT-APPROVED", "not_evaluated")
    assert data.policy_status(con, "2026-W47") == "not_checked"


def test_policy_approved_when_checked_without_finding(con):
    add_coverage(con, "POLICY-NOT-APPROVED", "evaluated")
    add_finding(con, "other", "LOG-GAP")  # another rule's finding does not count
    add_finding(con, "last-week", "POLICY-NOT-APPROVED", week="2026-W46")  # nor another week's
    assert data.policy_status(con, "2026-W47") == "approved"


def test_policy_not_approved_with_a_finding(con):
    add_coverage(con, "POLICY-NOT-APPROVED", "evaluated")
    add_finding(con, "p1", "POLICY-NOT-APPROVED")
    assert data.policy_status(con, "2026-W47") == "not_approved"


def processor(con, recipient_id, kind="processor"):
    con.execute(
        "INSERT INTO recipients (recipient_id, name, kind, _file_hash, _line) VALUES (?, ?, ?, 't', 1)",
        [recipient_id, recipient_id, kind],
    )


def agreement(con, recipient_id, signed_at, valid_from, valid_to=None):
    con.execute(
        "INSERT INTO processor_agreements (agreement_id, recipient_id, signed_at, valid_from, valid_to,"
        " _file_hash, _line) VALUES (?, ?, ?, ?, ?, 't', 1)",
        [f"a-{recipient_id}-{valid_from}", recipient_id, signed_at, valid_from, valid_to],
    )


@pytest.mark.parametrize(
    ("signed_at", "valid_from", "valid_to", "in_force"),
    [
        ("2026-01-01", "2026-01-01", None, True),  # open-ended
        ("2026-11-22", "2026-11-22", "2026-11-22", True),  # every bound on the day itself
        (None, "2026-01-01", None, False),  # not signed
        ("2026-11-23", "2026-01-01", None, False),  # signed after the day
        ("2026-01-01", "2026-11-23", None, False),  # not yet valid
        ("2026-01-01", "2025-01-01", "2026-11-21", False),  # expired the day before
    ],
)
def test_processor_agreement_in_force_at_the_week_end(con, signed_at, valid_from, valid_to, in_force):
    processor(con, "p1")
    agreement(con, "p1", signed_at, valid_from, valid_to)
    assert data.processors_with_agreement(con, DAY) == {"total": 1, "with_agreement": int(in_force)}


def test_processors_are_counted_once_and_only_processors(con):
    processor(con, "p1")
    processor(con, "p2")
    processor(con, "school", kind="school")
    agreement(con, "p1", "2026-01-01", "2026-01-01")
    agreement(con, "p1", "2026-02-01", "2026-02-01")  # two agreements, one processor
    agreement(con, "school", "2026-01-01", "2026-01-01")  # not a processor
    assert data.processors_with_agreement(con, DAY) == {"total": 2, "with_agreement": 1}


# ---- new versus recurring -------------------------------------------------------------------------


def recurrence(con, week="2026-W47"):
    return data.new_and_recurring(con, week, Translator("en"))


def access(con, finding_id, actor, week="2026-W47", severity="high"):
    add_finding(con, finding_id, "ACCESS-UNINVOLVED", week, severity, "access_event", actor_id=actor)


def test_an_access_finding_recurs_when_an_earlier_week_had_one_for_the_same_account(con):
    access(con, "before", "m1", week="2026-W46")
    access(con, "now", "m1")
    access(con, "other", "m2")  # another account: new
    assert recurrence(con) == {"high": {"new": 1, "recurring": 1}}


def test_an_earlier_finding_two_weeks_back_counts_and_a_later_one_does_not(con):
    access(con, "two-back", "m1", week="2026-W45")
    access(con, "later", "m2", week="2026-W48")  # after the week: not earlier
    access(con, "now-1", "m1")
    access(con, "now-2", "m2", severity="critical")
    assert recurrence(con) == {"high": {"new": 0, "recurring": 1}, "critical": {"new": 1, "recurring": 0}}


def test_a_year_boundary_is_an_earlier_week(con):
    access(con, "before", "m1", week="2025-W52")
    access(con, "now", "m1", week="2026-W01")
    assert recurrence(con, "2026-W01") == {"high": {"new": 0, "recurring": 1}}


def test_disclosures_recur_per_recipient_and_standing_findings_per_rule_and_subject(con):
    add_finding(con, "d-before", "SHARE-NO-CONSENT", "2026-W46", subject_type="disclosure", recipient_id="r1")
    add_finding(con, "d-now", "SHARE-NO-CONSENT", subject_type="disclosure", recipient_id="r1")
    add_finding(con, "d-other", "SHARE-NO-CONSENT", subject_type="disclosure", recipient_id="r2")
    # the same recipient id as an account: another kind of key, so no recurrence
    access(con, "a-now", "r2")
    add_finding(con, "p-before", "POLICY-NOT-APPROVED", "2026-W46", "medium", subject_id="p@1@board")
    add_finding(con, "p-now", "POLICY-NOT-APPROVED", severity="medium", subject_id="p@1@board")
    add_finding(con, "g-now", "LOG-GAP", severity="medium", subject_id="p@1@board")  # another rule: new
    assert recurrence(con) == {"high": {"new": 2, "recurring": 1}, "medium": {"new": 1, "recurring": 1}}


def test_notices_recur_only_for_the_same_subject_and_do_not_make_a_recipient_recurring(con):
    notice = {"subject_type": "disclosure", "recipient_id": "r1"}
    add_finding(con, "n-before", "SHARE-CONSENT-AGE-TRANSITION", "2026-W46", "info", **notice)
    add_finding(con, "d-now", "SHARE-NO-CONSENT", **notice)
    add_finding(con, "e-before", "PROCESSOR-AGREEMENT-EXPIRING", "2026-W46", "info", "agreement", subject_id="a1")
    add_finding(con, "e-now", "PROCESSOR-AGREEMENT-EXPIRING", severity="info", subject_type="agreement",
                subject_id="a1")  # fmt: skip
    assert recurrence(con) == {"high": {"new": 1, "recurring": 0}, "info": {"new": 0, "recurring": 1}}


def test_an_access_finding_without_an_account_is_new(con):
    access(con, "before", None, week="2026-W46")
    access(con, "now", None)
    assert recurrence(con) == {"high": {"new": 1, "recurring": 0}}


def test_explained_share_needs_the_uninvolved_rule_to_have_run(con):
    figures = data.access_figures(con, "2026-W47", date(2026, 11, 16), DAY)
    assert figures["share_computable"] is False
    add_coverage(con, "ACCESS-UNINVOLVED", "evaluated")
    assert data.access_figures(con, "2026-W47", date(2026, 11, 16), DAY)["share_computable"] is True


def test_access_figures_count_what_the_checks_recorded_as_explained(con):
    con.execute("INSERT INTO schools VALUES ('s1', 'Zonnebloem', 'PO', NULL, 't', 1)")
    add_coverage(con, "ACCESS-UNINVOLVED", "evaluated")
    record_explanations(
        con,
        [
            (week, subject, system, school, kind, "general", explained)
            for week, subject, system, school, kind, explained in [
                ("2026-W47", "sis:e1", "sis", "s1", "staff", "involvement"),
                ("2026-W47", "sis:e2", "sis", "s1", "staff", "role_allowance"),
                ("2026-W47", "sis:e3", "sis", "s1", "staff", "finding"),
                ("2026-W47", "sis:e4", "sis", "s1", "guardian", "guardian"),
                ("2026-W47", "lvs:e5", "lvs", None, "staff", "break_glass"),
                ("2026-W46", "sis:e0", "sis", "s1", "staff", "finding"),  # another week
            ]
        ],
    )
    figures = data.access_figures(con, "2026-W47", date(2026, 11, 16), DAY)
    assert (figures["accesses"], figures["staff_accesses"], figures["explained"]) == (5, 4, 3)
    assert figures["share_computable"]
    assert [(r["school"], r["source_system"], r["staff_accesses"], r["explained"]) for r in figures["per_source"]] == [
        ("Zonnebloem", "sis", 3, 2),
        (None, "lvs", 1, 1),
    ]


def test_counts_per_school_list_every_school_and_keep_board_and_unknown_apart(con):
    con.execute(
        "INSERT INTO schools VALUES ('s1', 'Zonnebloem', 'PO', NULL, 't', 1), ('s2', 'Akker', 'PO', NULL, 't', 2)"
    )
    con.execute(
        "INSERT INTO findings (finding_id, rule_id, severity, week, school_id, subject_type, subject_id)"
        " VALUES ('a', 'X', 'high', '2026-W47', 's1', 'policy', 'a'),"
        "        ('b', 'X', 'high', '2026-W47', NULL, 'policy', 'b'),"
        "        ('c', 'X', 'high', '2026-W47', 'gone', 'policy', 'c'),"
        "        ('d', 'X', 'high', '2026-W46', 's2', 'policy', 'd')"
    )
    table = data.counts_per_school_and_family(con, "2026-W47", rules=())
    assert table["families"] == ["access", "consent", "exception", "processor", "standing", "signal", "other"]
    rows = [(r["kind"], r["name"], r["counts"]["other"], sum(r["counts"].values())) for r in table["rows"]]
    # schools by name (zeros included), then the board, then schools the list lacks; never an id
    assert rows == [
        ("school", "Akker", 0, 0),
        ("school", "Zonnebloem", 1, 1),
        ("board", None, 1, 1),
        ("unknown", None, 1, 1),
    ]


def test_notices_are_not_counted_for_the_council(con):
    con.execute("INSERT INTO schools VALUES ('s1', 'Zonnebloem', 'PO', NULL, 't', 1)")
    add_finding(con, "a", "X", school_id="s1")
    add_finding(con, "n", "X", severity="info", school_id="s1")
    add_finding(con, "m", "X", severity="info")
    table = data.counts_per_school_and_family(con, "2026-W47", rules=())
    assert [(r["name"], sum(r["counts"].values())) for r in table["rows"]] == [("Zonnebloem", 1)]
    assert data.notices_count(con, "2026-W47") == 2
    assert data.notices_count(con, "2026-W46") == 0


# ---- the council's trend per rule family -----------------------------------------------------------


def test_trend_per_family_counts_findings_and_tells_weeks_not_checked(con):
    from checks.registry import load_catalogue

    rules = load_catalogue()
    weeks = ["2026-W45", "2026-W46", "2026-W47"]
    add_coverage(con, "ACCESS-UNINVOLVED", "evaluated")
    add_coverage(con, "LOG-GAP", "not_evaluated")  # standing: not checked by this rule...
    access(con, "a1", "m1")
    access(con, "a2", "m1")
    add_finding(con, "e1", "PROCESSOR-AGREEMENT-EXPIRING", severity="info", subject_type="agreement")
    # ... but a notice of the standing family shows it was checked: 0 findings, not "not checked"
    add_finding(con, "c1", "SHARE-NO-CONSENT", "2026-W46", subject_type="disclosure")  # no coverage kept
    add_coverage(con, "SHARE-NO-CONSENT", "not_evaluated", week="2026-W45")
    add_finding(con, "x1", "LOG-GAP", "2026-W44")  # outside the weeks asked for
    trend = data.family_trend(con, weeks, rules)
    assert trend["families"] == ["access", "consent", "exception", "processor", "standing", "signal"]
    assert trend["weeks"]["2026-W47"] == {
        "access": 2, "consent": None, "exception": None, "processor": None, "standing": 0, "signal": None,
    }  # fmt: skip
    assert trend["weeks"]["2026-W46"] == {
        "access": None, "consent": 1, "exception": None, "processor": None, "standing": None, "signal": None,
    }  # fmt: skip
    assert set(trend["weeks"]["2026-W45"].values()) == {None}


# ---- coverage reasons in the report language -------------------------------------------------------


def add_reason(con, rule_id, status, code, feeds, reason="stored reason"):
    con.execute(
        "INSERT INTO coverage (week, rule_id, status, reason, reason_code, reason_feeds)"
        " VALUES ('2026-W47', ?, ?, ?, ?, ?)",
        [rule_id, status, reason, code, feeds],
    )


def reasons(con, lang):
    rows = data.coverage_rows(con, "2026-W47", (), Translator(lang))
    return {row["rule_id"]: (row["reason"], row["plain_reason"]) for row in rows}


def test_coverage_reasons_are_given_in_the_report_language(con):
    add_reason(con, "GAP", "not_evaluated", "missing_feeds", ["calendar"])
    add_reason(con, "POLICY", "not_evaluated", "missing_feeds", ["policies", "council_decisions"])
    add_reason(con, "UNINVOLVED", "not_evaluated", "missing_feeds", ["involvements|oneroster"])
    add_reason(con, "UNKNOWN", "evaluated", "partial", ["guardians"])
    add_reason(con, "OLD", "not_evaluated", None, None, reason="feed calendar is empty")  # before codes
    add_reason(con, "FINE", "evaluated", None, None, reason=None)
    assert reasons(con, "nl") == {
        "GAP": ("geen rijen in aanlevering: calendar", "geen rijen in aanlevering: schoolkalender"),
        "POLICY": (
            "geen rijen in aanleveringen: policies; council_decisions",
            "geen rijen in aanleveringen: privacybeleid; besluiten van de medezeggenschapsraad",
        ),
        "UNINVOLVED": (
            "geen rijen in aanlevering: involvements of oneroster",
            "geen rijen in aanlevering: wie bij welke leerling betrokken is of klassenlijsten (OneRoster)",
        ),
        "UNKNOWN": (
            "accounts van ouders en verzorgers niet beoordeeld: geen rijen in aanlevering guardians",
            "accounts van ouders en verzorgers niet beoordeeld: geen rijen in aanlevering ouders en verzorgers",
        ),
        "OLD": ("feed calendar is empty", "feed calendar is empty"),
        "FINE": (None, None),
    }
    english = reasons(con, "en")
    assert english["GAP"] == ("no rows in feed: calendar", "no rows in feed: school calendar")
    assert english["UNKNOWN"][0] == "guardian actors not evaluated: no rows in feed guardians"


def test_the_checks_store_the_reason_code_and_feeds_beside_the_english_reason(con):
    from checks.runner import run_checks
    from pipelines.settings import Settings

    def row(table, **values):
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"INSERT INTO {table} ({names}, _file_hash, _line) VALUES ({marks}, 't', 1)", list(values.values()))

    # access_log, students and staff have rows; guardians, involvements, calendar, ... have none
    row("students", student_id="s1", school_id="x", birth_date="2010-01-01")
    row("staff", staff_id="m1", school_id="x", role="teacher")
    row("access_log", event_id="e1", occurred_at="2026-11-17 10:00:00+01", actor_id="m1", actor_type="staff",
        student_id="s1", action="view", source_system="sis", category="general")  # fmt: skip
    run_checks(con, "2026-W47", Settings(), rules=["ACCESS-UNKNOWN-ACTOR", "ACCESS-UNINVOLVED", "POLICY-NOT-APPROVED"])
    stored = {
        rule_id: (status, reason, code, feeds)
        for rule_id, status, reason, code, feeds in con.execute(
            "SELECT rule_id, status, reason, reason_code, reason_feeds FROM coverage WHERE week = '2026-W47'"
        ).fetchall()
    }
    assert stored == {
        "ACCESS-UNKNOWN-ACTOR": (
            "evaluated", "guardian actors not evaluated: no rows in feed guardians", "partial", ["guardians"],
        ),
        "ACCESS-UNINVOLVED": (
            "not_evaluated", "no rows in feed: involvements or oneroster", "missing_feeds",
            ["involvements|oneroster"],
        ),
        "POLICY-NOT-APPROVED": (
            "not_evaluated", "no rows in feeds: policies; council_decisions", "missing_feeds",
            ["policies", "council_decisions"],
        ),
    }  # fmt: skip
    assert reasons(con, "nl")["ACCESS-UNINVOLVED"][0] == "geen rijen in aanlevering: involvements of oneroster"


def test_an_older_warehouse_gets_the_coverage_columns_when_opened(tmp_path):
    import duckdb

    path = tmp_path / "old.duckdb"
    old = duckdb.connect(str(path))
    old.execute(
        "CREATE TABLE coverage (week VARCHAR NOT NULL, rule_id VARCHAR NOT NULL, status VARCHAR NOT NULL,"
        " reason VARCHAR, subjects_checked BIGINT, findings BIGINT, PRIMARY KEY (week, rule_id))"
    )
    old.execute("INSERT INTO coverage VALUES ('2026-W47', 'LOG-GAP', 'not_evaluated', 'no rows in feed: calendar', NULL, NULL)")
    old.close()
    con = connect(path, "Europe/Amsterdam")
    try:
        assert reasons(con, "nl") == {"LOG-GAP": ("no rows in feed: calendar", "no rows in feed: calendar")}
    finally:
        con.close()
