"""The published copy (pipelines.published) brought up to date by the next run is the copy a new build
would make, table for table and row for row: after a later delivery replaced an access, a new access
arrived and a week was checked again, while another checked week stayed as it was."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from checks.runner import run_checks
from pipelines import published
from pipelines.ingest import ingest_landing
from pipelines.settings import Settings
from pipelines.warehouse import connect
from tests.conftest import DEMO_WEEK
from tests.fault_helpers import DB, baseline, small_board

EARLIER_WEEK = "2026-W46"


def contents(path: Path) -> dict[str, list[tuple]]:
    """Every table of a DuckDB file, its rows sorted."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        names = [n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {name: sorted(con.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}
    finally:
        con.close()


@pytest.fixture
def work(tmp_path):
    """The small board's audited warehouse and published copy, and a copy of its landing folder."""
    source = baseline()["work"]
    shutil.copy(source / DB, tmp_path / DB)
    shutil.copy(published.published_path(source / DB), published.published_path(tmp_path / DB))
    shutil.copytree(small_board(), tmp_path / "landing")
    return tmp_path


def _deliver_correction(landing: Path) -> tuple[dict, dict]:
    """A later access-log file: one access of the week delivered again with another action (it replaces
    the first delivery's row), and one access not seen before. Returns both rows."""
    delivered = max((landing / "access_log").glob("*.csv"))
    with delivered.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    replaced = dict(rows[-1], action="print" if rows[-1]["action"] != "print" else "view")
    new = dict(rows[-1], event_id=rows[-1]["event_id"] + "-new")
    with (landing / "access_log" / "zz-correction.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([replaced, new])
    return replaced, new


def test_the_copy_brought_up_to_date_is_the_copy_a_new_build_makes(work, monkeypatch):
    db = work / DB
    con = connect(db)
    try:
        run_checks(con, EARLIER_WEEK, Settings())
        published.publish(con, db)  # brought up to date: the earlier week's explanations added
        earlier = contents(published.published_path(db))["statement_explanations"]
        assert {row[0] for row in earlier} == {EARLIER_WEEK, DEMO_WEEK}

        replaced, new = _deliver_correction(work / "landing")
        ingest_landing(con, work / "landing", Settings())
        run_checks(con, DEMO_WEEK, Settings())

        def never(_con):
            raise AssertionError("the copy was built anew, not brought up to date")

        with monkeypatch.context() as patch:
            patch.setattr(published, "_build", never)
            published.publish(con, db)
        updated = contents(published.published_path(db))

        published.published_path(db).unlink()
        published.publish(con, db)  # no copy before: built anew
        built = contents(published.published_path(db))
    finally:
        con.close()

    differing = [name for name in sorted(set(updated) | set(built)) if updated.get(name) != built.get(name)]
    assert differing == []
    # what the test made happen is in it: the replacing row, not the replaced one; the new access; and
    # one explanation per access of each checked week
    access = contents(published.published_path(db))["statement_access"]
    keyed = {(row[0], row[1]): row[6] for row in access}  # (source_system, event_id): action
    assert keyed[(replaced["source_system"], replaced["event_id"])] == replaced["action"]
    assert (new["source_system"], new["event_id"]) in keyed
    assert len(keyed) == len(access)  # no event twice
    state = updated["published_weeks"]
    assert sorted(week for week, _ in state) == [EARLIER_WEEK, DEMO_WEEK]


@pytest.mark.parametrize(
    "made_by", ["another format", "code from before copies were brought up to date", "no DuckDB at all"]
)
def test_a_copy_the_code_cannot_bring_up_to_date_is_built_anew_in_a_new_file(work, made_by):
    db, target = work / DB, published.published_path(work / DB)
    if made_by == "no DuckDB at all":
        target.write_bytes(b"what a former format held, in a file DuckDB cannot open" * 100)
    else:
        old = duckdb.connect(str(target))
        if made_by == "another format":
            old.execute("UPDATE published_format SET format = 'another'")
        else:
            old.execute("DROP TABLE published_format")
        old.execute("CREATE TABLE leftover AS SELECT 'what a former format held' AS text")
        old.close()

    con = connect(db)
    try:
        published.publish(con, db)
    finally:
        con.close()
    tables = contents(target)
    assert "leftover" not in tables
    assert tables["published_format"] == [(published.FORMAT,)]
    assert b"what a former format held" not in target.read_bytes()
