"""The statement of students of the generated board, audited through `schoolaudit run`: the auditor's
own explanations and findings give each access its purpose, and nothing of another student appears."""

from __future__ import annotations

import html

import duckdb
import pytest

from tests.conftest import DEMO_WEEK, schoolaudit


@pytest.fixture(scope="module")
def students(audited):
    con = duckdb.connect(str(audited["work"] / "warehouse.duckdb"), read_only=True)
    try:
        everyone = [row[0] for row in con.execute("SELECT DISTINCT student_id FROM students").fetchall()]
        # of the students whose file got an access finding in the audited week, the one most consulted
        flagged = con.execute(
            """SELECT f.student_id FROM findings f JOIN access_log a ON a.student_id = f.student_id
               WHERE f.week = ? AND f.subject_type = 'access_event'
               GROUP BY f.student_id ORDER BY count(*) DESC, f.student_id LIMIT 1""",
            [DEMO_WEEK],
        ).fetchone()[0]
    finally:
        con.close()
    return {"everyone": everyone, "flagged": flagged}


def test_an_audited_students_statement_names_the_purpose_and_nobody_else(audited, students, tmp_path):
    student = students["flagged"]
    result = schoolaudit("statement", "--student", student, "--db", str(audited["work"] / "warehouse.duckdb"),
                         "--out", str(tmp_path))  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    [page] = (tmp_path / "statements").glob("*.html")
    text = html.unescape(page.read_text(encoding="utf-8"))
    assert "not explained: looked into by the privacy officer, status: not yet decided" in text
    assert any(p in text for p in ("the student's mentor", "teaches the student", "part of this function's work"))
    assert "not checked: the privacy audit did not cover this week" in text  # the weeks before the audited one
    others = [s for s in students["everyone"] if s != student]
    assert [s for s in others if s in text] == []
