"""Atomicity: a run killed at any point (kill -9) leaves the warehouse and the week's report folder as
before or as after, never half, and the next run completes normally, with the same warehouse and
byte-identical files as a run that was never disturbed.

One warehouse goes through a chain of killed runs, each picking up where the last one died: at named
points (SCHOOLAUDIT_FAULT_AT, pipelines/faults.py: mid-ingest, checks written but not committed,
between report files, around the folder swap) and at seeded random moments. After each kill the state
is checked; the last run is left alone and must equal the undisturbed baseline.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
from pathlib import Path

import duckdb
import pytest

from pipelines.contract import FEEDS
from tests.conftest import DEMO_WEEK
from tests.fault_helpers import (
    DB,
    OUT,
    baseline,
    differences,
    files,
    finish,
    run,
    run_args,
    small_board,
    snapshot,
    start,
)

WEEK_TABLES = ("coverage", "findings", "access_explanations")


def _read(work: Path, sql: str, params=()) -> list[tuple]:
    con = duckdb.connect(str(work / DB), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _landing(work: Path) -> list[tuple]:
    return _read(work, "SELECT seq, file_hash, feed, path, status FROM landing_files ORDER BY seq")


def _week_rows(work: Path, table: str) -> list[tuple]:
    return sorted(_read(work, f"SELECT * FROM {table} WHERE week = ?", [DEMO_WEEK]), key=repr)


def _week_files(work: Path) -> dict[str, bytes]:
    return files(work / OUT / DEMO_WEEK)


def _leftovers(work: Path) -> list[str]:
    return sorted(p.name for p in (work / OUT).glob(".*")) if (work / OUT).exists() else []


def assert_before_or_after(work: Path, base: dict, older: dict[str, bytes] | None = None) -> None:
    """Whatever moment the run died at: every stored unit is whole, old or new, never a mix.

    `older`: files of an earlier report set still in the week folder (the set is then the old one)."""
    if not (work / DB).exists():
        assert not (work / OUT / DEMO_WEEK).exists()
        return
    # Ingest: the first k deliveries of the undisturbed run, each file with all of its rows.
    landing = _landing(work)
    assert landing == _landing(base["work"])[: len(landing)]
    for feed in FEEDS:
        unbalanced = _read(
            work,
            f"""SELECT f.path FROM landing_files f
                WHERE f.feed = ? AND f.status = 'loaded' AND f.rows_loaded <>
                      (SELECT count(*) FROM "{feed}" t WHERE t._file_hash = f.file_hash)
                    + (SELECT count(*) FROM replacements r WHERE r.old_file_hash = f.file_hash)""",
            [feed],
        )
        assert unbalanced == [], f"{feed}: files with rows missing or extra: {unbalanced}"
        orphans = _read(
            work,
            f'SELECT count(*) FROM "{feed}" WHERE _file_hash NOT IN (SELECT file_hash FROM landing_files)',
        )
        assert orphans == [(0,)], f"{feed}: rows of a file the warehouse does not know"
    assert _read(
        work, "SELECT count(*) FROM quarantine WHERE file_hash NOT IN (SELECT file_hash FROM landing_files)"
    ) == [(0,)]
    # Checks: the week's findings, coverage and explanations all there, or none of them.
    checked = [_week_rows(work, table) for table in WEEK_TABLES]
    assert checked in ([[], [], []], [_week_rows(base["work"], table) for table in WEEK_TABLES])
    # Reports: the week folder absent or the complete new set; reported only once it is in place.
    week_files = _week_files(work)
    new_set = _week_files(base["work"])
    assert week_files in ({}, new_set, new_set | (older or {}))
    if _read(work, "SELECT count(*) FROM audit_runs WHERE week = ? AND stage = 'report'", [DEMO_WEEK]) != [
        (0,)
    ]:
        assert week_files


def _killed_at(work: Path, point: str) -> None:
    status, output = run(work, run_args(small_board()), SCHOOLAUDIT_FAULT_AT=point)
    assert status == -signal.SIGKILL, f"the run was not killed at {point}:\n{output}"


def _killed_after(work: Path, seconds: float) -> None:
    process = start(work, run_args(small_board()))
    try:
        process.wait(timeout=seconds)  # finished before the kill: the state is simply 'after'
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
    status, output = finish(process)
    assert status in (0, -signal.SIGKILL), output


@pytest.fixture(scope="module")
def base():
    return baseline()


def test_a_run_killed_at_any_point_leaves_before_or_after_and_the_next_run_completes(base, tmp_path):
    work = tmp_path / "killed"
    deliveries = len(_landing(base["work"]))
    moments = random.Random(20261128)

    _killed_at(work, "after-commit:5")  # mid-ingest: five files in, the rest not
    assert len(_landing(work)) == 5
    assert_before_or_after(work, base)

    _killed_after(work, moments.uniform(3, 15))
    assert_before_or_after(work, base)

    # The remaining files ingested, the checks written but not committed: the week's checks are as they
    # were before this run (none, unless the run killed at a random moment got past them).
    coverage_before = _week_rows(work, "coverage")
    _killed_at(work, "checks-written")
    assert len(_landing(work)) == deliveries
    assert _week_rows(work, "coverage") == coverage_before
    assert_before_or_after(work, base)

    # The new set just renamed into place, not yet recorded. When the run killed at a random moment got
    # as far as its reports, that earlier set was exchanged out and is not yet deleted.
    had_set = bool(_week_files(work))
    _killed_at(work, "after-swap")
    assert _week_rows(work, "coverage") != []
    assert _week_files(work) == _week_files(base["work"])
    assert len(_leftovers(work)) == (1 if had_set else 0)
    assert_before_or_after(work, base)

    # A kill between report files leaves the previous set whole (marked, to tell it from the new one).
    older = {"from-an-older-version.txt": b"old"}
    (work / OUT / DEMO_WEEK / "from-an-older-version.txt").write_bytes(b"old")
    _killed_at(work, "report-file:3")  # CSVs and one report written in the temporary folder
    assert _week_files(work) == _week_files(base["work"]) | older
    assert _leftovers(work), "the killed run's temporary folder"
    assert_before_or_after(work, base, older)

    _killed_after(work, moments.uniform(3, 20))
    assert_before_or_after(work, base, older)

    _killed_at(work, "after-swap")  # exchanged with the old set, which is not yet deleted
    assert _week_files(work) == _week_files(base["work"]), "the new set replaces the old one as a whole"
    assert len(_leftovers(work)) == 1, "only this run's: the earlier runs' temporary folders are cleaned up"
    assert_before_or_after(work, base)

    status, output = run(work, run_args(small_board()))
    assert status == 0, output
    assert _leftovers(work) == []
    assert differences(snapshot(work), base) == []


def test_the_fault_hook_does_nothing_unless_asked(monkeypatch):
    from pipelines import faults

    monkeypatch.delenv(faults.ENV, raising=False)
    faults.reached("after-swap")  # still alive
    sentinel = object()
    assert faults.watch(sentinel) is sentinel
    monkeypatch.setenv(faults.ENV, "report-file:3")
    assert faults.watch(sentinel) is sentinel
    faults.reached("after-swap")
    monkeypatch.setenv(faults.ENV, "before-commit:2")
    assert faults.watch(sentinel) is not sentinel


# --- the week folder replaced as a whole (reports.files.replaced_folder) ------------------------------


def _fill(folder: Path, **contents: str) -> None:
    for name, text in contents.items():
        (folder / name).write_text(text)


def test_a_new_week_folder_appears_whole_and_private(tmp_path):
    from reports.files import replaced_folder

    week = tmp_path / "out" / DEMO_WEEK
    with replaced_folder(week) as staging:
        _fill(staging, a="1")
        assert not week.exists(), "nothing is visible before the block ends"
    assert files(week) == {"a": b"1"}
    assert os.stat(week).st_mode & 0o777 == 0o700
    assert [p.name for p in week.parent.iterdir()] == [DEMO_WEEK]


def test_the_old_set_is_replaced_not_merged(tmp_path):
    from reports.files import replaced_folder

    week = tmp_path / DEMO_WEEK
    week.mkdir()
    _fill(week, a="old", stale="old")
    with replaced_folder(week) as staging:
        _fill(staging, a="new")
    assert files(week) == {"a": b"new"}
    assert [p.name for p in tmp_path.iterdir()] == [DEMO_WEEK], "the old set is deleted"


def test_an_error_while_writing_leaves_the_old_set(tmp_path):
    from reports.files import replaced_folder

    week = tmp_path / DEMO_WEEK
    week.mkdir()
    _fill(week, a="old")
    with pytest.raises(RuntimeError), replaced_folder(week) as staging:
        _fill(staging, a="new")
        raise RuntimeError("the PDF renderer broke")
    assert files(week) == {"a": b"old"}
    assert [p.name for p in tmp_path.iterdir()] == [DEMO_WEEK]


def test_leftovers_of_dead_runs_are_removed_those_of_live_ones_kept(tmp_path):
    from reports.files import replaced_folder

    dead = subprocess.Popen(["true"])
    dead.wait()
    week = tmp_path / DEMO_WEEK
    for pid in (dead.pid, os.getppid()):
        leftover = tmp_path / f".{DEMO_WEEK}.new-{pid}"
        leftover.mkdir()
        _fill(leftover, a="half")
    other_week = tmp_path / f".2026-W01.new-{dead.pid}"
    other_week.mkdir()
    with replaced_folder(week) as staging:
        _fill(staging, a="new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [DEMO_WEEK, f".{DEMO_WEEK}.new-{os.getppid()}", other_week.name]
    )


def test_without_rename_exchange_two_renames_still_never_mix(tmp_path, monkeypatch):
    import errno

    from reports import files as report_files

    def unsupported(first, second):
        raise OSError(errno.EINVAL, "not supported")

    monkeypatch.setattr(report_files, "_exchange", unsupported)
    week = tmp_path / DEMO_WEEK
    week.mkdir()
    _fill(week, a="old", stale="old")
    with report_files.replaced_folder(week) as staging:
        _fill(staging, a="new")
    assert files(week) == {"a": b"new"}
    assert [p.name for p in tmp_path.iterdir()] == [DEMO_WEEK]
