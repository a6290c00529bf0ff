"""Single figures of the reports, each on a tiny warehouse of its own."""

from __future__ import annotations

from datetime import date

import pytest

from pipelines.warehouse import connect
from reports import report_data as data

DAY = date(2026, 11, 22)  # Sunday of 2026-W47


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb", "Europe/Amsterdam")
    yield con
    con.close()


def add_coverage(con, rule_id, status, week="2026-W47"):
    con.execute("INSERT INTO coverage VALUES (?, ?, ?, NULL, NULL, NULL)", [week, rule_id, status])


def add_finding(con, finding_id, rule_id, week="2026-W47"):
    con.execute(
        "INSERT INTO findings (finding_id, rule_id, severity, week, subject_type, subject_id)"
        " VALUES (?, ?, 'high', ?, 'policy', ?)",
        [finding_id, rule_id, week, finding_id],
    )


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


def test_new_findings_compare_ids_with_the_week_before_only(con):
    add_finding(con, "same", "LOG-GAP", week="2026-W46")
    add_finding(con, "same", "LOG-GAP")
    add_finding(con, "fresh", "LOG-GAP")
    add_finding(con, "older", "LOG-GAP", week="2026-W45")
    add_finding(con, "older", "LOG-GAP")  # found two weeks ago, not last week: new again
    assert data.new_findings(con, "2026-W47", "2026-W46") == 2


def test_explained_share_needs_the_uninvolved_rule_to_have_run(con):
    figures = data.access_figures(con, "2026-W47", date(2026, 11, 16), DAY)
    assert figures["share_computable"] is False
    add_coverage(con, "ACCESS-UNINVOLVED", "evaluated")
    assert data.access_figures(con, "2026-W47", date(2026, 11, 16), DAY)["share_computable"] is True


def test_access_figures_count_what_the_checks_recorded_as_explained(con):
    con.execute("INSERT INTO schools VALUES ('s1', 'Zonnebloem', 'PO', NULL, 't', 1)")
    con.execute("INSERT INTO coverage VALUES ('2026-W47', 'ACCESS-UNINVOLVED', 'evaluated', NULL, 4, 1)")
    con.executemany(
        "INSERT INTO access_explanations (week, subject_id, source_system, school_id, actor_type, category,"
        " explained_by, detail, rule_id) VALUES (?, ?, ?, ?, ?, 'general', ?, NULL, NULL)",
        [
            ("2026-W47", "sis:e1", "sis", "s1", "staff", "involvement"),
            ("2026-W47", "sis:e2", "sis", "s1", "staff", "role_allowance"),
            ("2026-W47", "sis:e3", "sis", "s1", "staff", "finding"),
            ("2026-W47", "sis:e4", "sis", "s1", "guardian", "guardian"),
            ("2026-W47", "lvs:e5", "lvs", None, "staff", "break_glass"),
            ("2026-W46", "sis:e0", "sis", "s1", "staff", "finding"),  # another week
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
    assert table["families"] == ["access", "consent", "exception", "processor", "standing", "other"]
    rows = [(r["kind"], r["name"], r["counts"]["other"], sum(r["counts"].values())) for r in table["rows"]]
    # schools by name (zeros included), then the board, then schools the list lacks; never an id
    assert rows == [
        ("school", "Akker", 0, 0),
        ("school", "Zonnebloem", 1, 1),
        ("board", None, 1, 1),
        ("unknown", None, 1, 1),
    ]
