"""Concurrency: runs at the same time on one warehouse take turns (one writer per DuckDB file, an
advisory lock on `<db>.lock`) instead of failing or corrupting it; the waiting one says so in one line."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.warehouse import lock_path, open_warehouse, warehouse_lock
from tests.conftest import DEMO_WEEK
from tests.fault_helpers import DB, OUT, baseline, differences, finish, run_args, small_board, snapshot, start

HOLD = """
import sys, time
from pipelines.warehouse import warehouse_lock
with warehouse_lock(sys.argv[1], shared=sys.argv[2] == "shared"):
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
"""


def _holder(db: Path, mode: str = "exclusive", seconds: float = 30) -> subprocess.Popen:
    """Another process holding the warehouse lock; returns once it holds it."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), mode, str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "held"
    return process


def _stop(process: subprocess.Popen) -> None:
    process.kill()
    process.wait()


def test_two_runs_at_once_both_finish_and_equal_a_single_run(tmp_path):
    base = baseline()
    work = tmp_path / "both"
    first = start(work, run_args(small_board()))
    second = start(work, run_args(small_board()))
    for process in (first, second):
        status, output = finish(process)
        assert status == 0, output
        assert "Traceback" not in output and "Could not set lock" not in output, output
    assert differences(snapshot(work), base) == []


def test_a_reader_waits_for_a_writer_and_says_so(tmp_path):
    work = tmp_path / "reader"
    shutil.copytree(baseline()["work"], work)
    holder = _holder(work / DB)
    said = ""
    try:
        report = start(work, ["report", "--db", DB, "--out", OUT, "--week", DEMO_WEEK])
        # Until it says it waits (however long a loaded machine takes to start it): a fixed sleep would
        # let the holder go before the report reached the warehouse.
        deadline = time.monotonic() + 300
        while "waiting for another" not in said and time.monotonic() < deadline:
            ready, _, _ = select.select([report.stderr], [], [], 1)
            if ready:
                said += report.stderr.readline()
        assert report.poll() is None, "the report did not wait for the writer"
    finally:
        _stop(holder)
    status, output = finish(report)
    output = said + output
    assert status == 0, output
    waiting = [line for line in output.splitlines() if line.startswith("waiting for another schoolaudit run")]
    assert len(waiting) == 1, output
    assert f"on {DB} (pid {holder.pid}, started " in waiting[0]


def test_the_wait_line_names_the_holder(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    holder = _holder(db, seconds=1)
    said = []
    started = time.strftime("%H:%M")
    try:
        with warehouse_lock(db, on_wait=said.append):
            pass
    finally:
        _stop(holder)
    assert len(said) == 1
    assert said[0] in (
        f"waiting for another schoolaudit run on {db} (pid {holder.pid}, started {started})...",
        f"waiting for another schoolaudit run on {db} (pid {holder.pid}, started {time.strftime('%H:%M')})...",
    )


def test_a_free_lock_is_taken_without_a_word(tmp_path):
    said = []
    with warehouse_lock(tmp_path / "w.duckdb", on_wait=said.append):
        assert lock_path(tmp_path / "w.duckdb").read_text().split()[0] == str(os.getpid())
    assert said == []
    assert lock_path(tmp_path / "w.duckdb").read_text() == "", "the holder is forgotten on release"


def test_readers_share_the_lock(tmp_path):
    db = tmp_path / "w.duckdb"
    holder = _holder(db, mode="shared")
    said = []
    try:
        with warehouse_lock(db, shared=True, on_wait=said.append):
            pass
        assert said == []
        with pytest.raises(TimeoutError):
            _wait_exclusive_in_child(db, timeout=1.5)
    finally:
        _stop(holder)


def _wait_exclusive_in_child(db: Path, timeout: float) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), "exclusive", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError("a writer waits while a reader holds the lock") from None
    finally:
        _stop(child)


def test_the_lock_is_reentrant_within_a_process(tmp_path):
    db = tmp_path / "w.duckdb"
    said = []
    with (
        warehouse_lock(db, on_wait=said.append),
        warehouse_lock(db, on_wait=said.append),
        warehouse_lock(db, shared=True, on_wait=said.append),
    ):
        pass
    with (
        warehouse_lock(db, shared=True),
        pytest.raises(RuntimeError, match="read-only"),
        warehouse_lock(db),
    ):
        pass
    assert said == []


def test_a_killed_holder_leaves_no_lock_behind(tmp_path):
    db = tmp_path / "w.duckdb"
    holder = _holder(db)
    holder.kill()
    holder.wait()
    said = []
    with warehouse_lock(db, on_wait=said.append):
        pass
    assert said == []


def test_open_warehouse_reads_under_the_shared_lock(tmp_path):
    db = tmp_path / "w.duckdb"
    with open_warehouse(db) as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    holder = _holder(db, mode="shared")
    try:
        with open_warehouse(db, read_only=True) as con:
            assert con.execute("SELECT x FROM t").fetchone() == (1,)
    finally:
        _stop(holder)
