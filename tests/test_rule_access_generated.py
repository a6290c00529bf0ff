"""Section A on a generated board, roughened so that every access rule has work: the catalogue agrees
with the independent reading in tests/generate_oracle.py event by event, and every access of each week
is explained or flagged exactly once."""

from __future__ import annotations

from itertools import pairwise

import pytest

from checks import context, runner
from checks.explained import explained_share
from checks.runner import run_checks
from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from pipelines.warehouse import connect
from tests.access_fixtures import ACCESS_RULES
from tests.generate_oracle import oracle_findings

WEEKS = ["2026-W45", "2026-W46", "2026-W47"]

# Set-based changes to the clean background; `hash` spreads each change over a share of the rows.
ROUGHEN = """
DELETE FROM consents WHERE purpose = 'parent_access' AND hash(consent_id) % 2 = 0;
UPDATE involvements SET valid_to = valid_from + 20
 WHERE relation IN ('teacher', 'mentor', 'assessment') AND hash(staff_id || student_id) % 4 = 0;
UPDATE staff SET account_type = 'shared' WHERE staff_id = (SELECT min(staff_id) FROM staff);
DELETE FROM staff WHERE staff_id = (SELECT max(staff_id) FROM staff);
DELETE FROM guardians WHERE hash(guardian_id) % 13 = 0;
DELETE FROM guardians WHERE hash(guardian_id || student_id) % 11 = 1;
UPDATE guardians SET valid_to = DATE '2026-11-04' WHERE hash(guardian_id || student_id) % 11 = 2;
UPDATE guardians SET parental_authority = false WHERE hash(guardian_id) % 5 = 0;
UPDATE access_log SET break_glass = true,
       justification = CASE WHEN hash(event_id) % 3 = 0 THEN 'urgent, see incident log'
                            WHEN hash(event_id) % 3 = 1 THEN '  ' END
 WHERE hash(event_id) % 97 = 0;
UPDATE access_log SET category = 'psychological_report'
 WHERE actor_type = 'staff' AND hash(event_id) % 29 = 0;
UPDATE access_log SET category = 'care' WHERE actor_type = 'guardian' AND hash(event_id) % 7 = 0;
UPDATE access_log SET actor_id = (SELECT min(student_id) FROM students)
 WHERE actor_type = 'student' AND hash(event_id) % 31 = 0;
UPDATE access_log SET student_id = 'not-a-student' WHERE hash(event_id) % 211 = 0;
"""


@pytest.fixture(scope="module")
def roughened(board, tmp_path_factory):
    con = connect(tmp_path_factory.mktemp("access-generated") / "w.duckdb")
    ingest_landing(con, board.landing, Settings())
    con.execute(ROUGHEN)
    yield con
    con.close()


def access_set(frame):
    return set(frame[["rule_id", "subject_id", "severity"]].itertuples(index=False, name=None))


@pytest.mark.parametrize("week", WEEKS)
def test_the_catalogue_agrees_with_the_oracle(roughened, week):
    con = roughened
    run_checks(con, week, Settings(), rules=ACCESS_RULES)
    found = access_set(
        con.execute("SELECT rule_id, subject_id, severity FROM findings WHERE week = ?", [week]).df()
    )
    oracle = oracle_findings(con, week)
    expected = access_set(oracle[oracle["subject_type"] == "access_event"])
    assert found == expected


def test_every_access_rule_has_work_on_the_roughened_board(roughened):
    con = roughened
    for week in WEEKS:
        run_checks(con, week, Settings(), rules=ACCESS_RULES)
    counts = dict(con.execute("SELECT rule_id, count(*) FROM findings GROUP BY rule_id").fetchall())
    assert set(counts) == set(ACCESS_RULES), counts


@pytest.mark.parametrize("week", WEEKS)
def test_every_access_is_explained_or_flagged_exactly_once(roughened, week):
    con = roughened
    run_checks(con, week, Settings(), rules=ACCESS_RULES)
    context.prepare(con, week, Settings())  # the week's access_week, which the runner built per slice
    accesses, rows, distinct, unmatched = con.execute(
        """
        SELECT (SELECT count(*) FROM access_week),
               count(*), count(DISTINCT e.subject_id),
               count(*) FILTER (WHERE a.subject_id IS NULL)
        FROM access_explanation_events e LEFT JOIN access_week a USING (subject_id)
        WHERE e.week = ?
        """,
        [week],
    ).fetchone()
    assert accesses == rows == distinct > 1000 and unmatched == 0
    kinds = dict(
        con.execute(
            "SELECT explained_by, count(*) FROM access_explanations WHERE week = ? GROUP BY ALL", [week]
        ).fetchall()
    )
    assert "unexplained" not in kinds and "not_evaluated" not in kinds
    findings = con.execute("SELECT count(*) FROM findings WHERE week = ?", [week]).fetchone()[0]
    assert kinds["finding"] == findings
    shares = explained_share(con, week)
    assert sum(r["explained"] + r["findings"] for r in shares) == accesses
    assert {"involvement", "role_allowance", "break_glass", "own_file", "guardian"} <= set(kinds)


def week_tables(con, week):
    """The week's findings, coverage and explanations, as sorted rows (the run's whole result)."""
    return {
        table: con.execute(f"SELECT * EXCLUDE (week) FROM {table} WHERE week = ? ORDER BY ALL", [week]).fetchall()
        for table in ("findings", "coverage", "access_explanations", "access_explanation_counts")
    }


@pytest.mark.parametrize("week", WEEKS)
def test_a_week_judged_in_slices_gives_exactly_the_result_of_one_pass(roughened, week, monkeypatch):
    con = roughened
    run_checks(con, week, Settings())
    whole = week_tables(con, week)
    monkeypatch.setattr(runner, "SLICE_EVENTS", 700)
    context.prepare(con, week, Settings())
    slices = runner._access_slices(con)
    assert len(slices) >= 4  # the events near the week, about 700 per slice
    assert slices[0][0] is None and slices[-1][1] is None  # nothing before the first or after the last cut
    assert all(a[1] == b[0] for a, b in pairwise(slices))
    run_checks(con, week, Settings())
    assert week_tables(con, week) == whole
    assert sum(len(rows) for rows in whole.values()) > 1000
