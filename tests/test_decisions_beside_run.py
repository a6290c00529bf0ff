"""The privacy officer decides while a run writes the warehouse: neither waits for the other, and no
decision is lost when either side is killed (DuckDB allows one writing process per warehouse file, so
decisions live in a store of their own and deciding reads only the published copy)."""

from __future__ import annotations

import csv
import shutil
import signal
import time

import duckdb
import pytest

from decisions.store import decision_log, open_store
from pipelines.published import published_path
from pipelines.warehouse import warehouse_lock
from tests.conftest import DEMO_WEEK, read_csv
from tests.fault_helpers import DB, OUT, baseline, finish, run, run_args, small_board, start


@pytest.fixture
def work(tmp_path):
    """A copy of the small board's audited work folder: its warehouse, published copy and reports."""
    source = baseline()["work"]
    shutil.copytree(source, tmp_path / "work")
    return tmp_path / "work"


def finding_ids(work, count: int) -> list[str]:
    rows = read_csv(work / OUT / DEMO_WEEK / "findings.csv")
    ids = [r["finding_id"] for r in rows if r["subject_type"] == "access_event"][:count]
    assert len(ids) == count
    return ids


def logged(work) -> list[tuple[str, str]]:
    with open_store(work / DB) as con:
        return [(row["finding_id"], row["status"]) for row in decision_log(con)]


def test_a_decision_is_made_while_a_run_holds_the_warehouse(work):
    [finding] = finding_ids(work, 1)
    # What a writing run holds: the warehouse's exclusive lock and DuckDB's own lock on the file.
    with warehouse_lock(work / DB), duckdb.connect(str(work / DB)):
        began = time.monotonic()
        status, output = run(work, ["decide", finding, "--status", "under_review", "--by", "pvo", "--db", DB])
        took = time.monotonic() - began
    assert status == 0, output
    assert took < 60, f"deciding waited {took:.0f} s"  # it never took the warehouse lock
    assert "waiting for another schoolaudit run" not in output
    assert logged(work) == [(finding, "under_review")]


def test_a_run_killed_mid_write_loses_no_decision(work):
    first, second = finding_ids(work, 2)
    assert run(work, ["decide", first, "--status", "justified", "--by", "pvo", "--db", DB])[0] == 0

    killed = start(work, run_args(small_board()), SCHOOLAUDIT_FAULT_AT="checks-written")
    # Meanwhile, another decision (the run may be anywhere: ingesting, checking, killed).
    assert run(work, ["decide", second, "--status", "confirmed", "--by", "pvo", "--db", DB])[0] == 0
    status, _ = finish(killed)
    assert status == -signal.SIGKILL

    assert logged(work) == [(first, "justified"), (second, "confirmed")]
    status, output = run(work, run_args(small_board()))  # the next run completes, with both decisions
    assert status == 0, output
    assert logged(work) == [(first, "justified"), (second, "confirmed")]
    assert published_path(work / DB).exists()


def test_a_decision_killed_mid_write_leaves_nothing_half_written(work, tmp_path):
    ids = finding_ids(work, 3)
    batch = tmp_path / "batch.csv"
    with batch.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["finding_id", "status", "note"])
        writer.writerows([finding, "justified", f"case {n}"] for n, finding in enumerate(ids))

    status, _ = run(work, ["decide", "--from-csv", str(batch), "--by", "pvo", "--db", DB],
                    SCHOOLAUDIT_FAULT_AT="decision-written:2")  # fmt: skip
    assert status == -signal.SIGKILL
    assert logged(work) == []  # the transaction never committed: none of the three

    status, output = run(work, ["decide", "--from-csv", str(batch), "--by", "pvo", "--db", DB])
    assert status == 0, output  # nothing left locked
    assert logged(work) == [(finding, "justified") for finding in ids]
