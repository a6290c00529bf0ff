"""Any week the data covers: real bundles and exports carry history, and a complaint can concern a week
years back. The command line checks any week that has ended; Dagster offers weeks from
SCHOOLAUDIT_FIRST_WEEK (default pipelines.assets.DEFAULT_FIRST_WEEK)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from pipelines.assets import DEFAULT_FIRST_WEEK
from pipelines.boards import Board
from pipelines.definitions import build_definitions, first_week_from_env
from pipelines.weeks import partition_key, week_of
from tests.conftest import read_csv, schoolaudit

OLD_WEEK = "2009-W10"  # before DEFAULT_FIRST_WEEK: the command line follows the data there too


@pytest.fixture(scope="module")
def old_board(tmp_path_factory):
    from pipelines.generate import generate

    out = tmp_path_factory.mktemp("old-board")
    return generate(out, students=60, weeks=1, seed=5, until=date(2009, 3, 11))  # a Wednesday: the generated week is the one before


def test_a_week_years_back_is_checked_like_any_other(old_board, tmp_path):
    assert old_board.weeks == [OLD_WEEK]
    done = schoolaudit("run", "--landing", str(old_board.landing), "--db", str(tmp_path / "w.duckdb"),
                       "--out", str(tmp_path / "out"), "--week", OLD_WEEK)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    rows = read_csv(tmp_path / "out" / OLD_WEEK / "findings.csv")
    assert rows and {row["week"] for row in rows} == {OLD_WEEK}
    assert {row["occurred_at"][:4] for row in rows if row["occurred_at"]} == {"2009"}


def test_only_a_week_that_has_not_ended_is_refused(tmp_path):
    this_week = week_of(datetime.now().date() + timedelta(days=1))
    done = schoolaudit("check", "--db", str(tmp_path / "w.duckdb"), "--week", this_week)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "has not ended yet" in done.stderr
    assert "Traceback" not in done.stderr


def test_dagster_offers_weeks_from_the_first_week_setting(monkeypatch):
    board = Board(key="default", landing="", warehouse="w.duckdb", out="out")
    monkeypatch.delenv("SCHOOLAUDIT_FIRST_WEEK", raising=False)
    assert first_week_from_env() == DEFAULT_FIRST_WEEK
    monkeypatch.setenv("SCHOOLAUDIT_FIRST_WEEK", "2016-W33")
    defs = build_definitions([board], first_week=first_week_from_env())
    partitions = defs.resolve_job_def("weekly_audit").partitions_def
    weeks = sorted({key.keys_by_dimension["week"] for key in partitions.get_partition_keys()})
    assert weeks[0] == partition_key("2016-W33") == "2016-08-15"


@pytest.mark.parametrize("value", ["2016-33", "2016-W54", "next week"])
def test_a_bad_first_week_setting_says_so(monkeypatch, value):
    monkeypatch.setenv("SCHOOLAUDIT_FIRST_WEEK", value)
    with pytest.raises(ValueError, match="SCHOOLAUDIT_FIRST_WEEK"):
        first_week_from_env()
