"""Helpers of the kill and concurrency tests: a small board, runs of the command line in a work folder,
and a snapshot of everything a run leaves behind (warehouse tables and report files) to compare."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from pipelines.contract import FEEDS
from tests.conftest import DEMO_WEEK, UNTIL

DB = "warehouse.duckdb"
OUT = "reports"
EPOCH = "1700000000"  # SOURCE_DATE_EPOCH: identical PDFs across runs


def _scratch(prefix: str) -> Path:
    """A folder that lives as long as the test session (shared by the modules that use it)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


@functools.cache
def small_board() -> Path:
    """One school, 60 students, two weeks (ends with DEMO_WEEK); generated once per test session."""
    from pipelines.generate import generate

    out = _scratch("schoolaudit-board-")
    return generate(out, schools=1, students=60, weeks=2, seed=5, until=UNTIL).landing


def command(*args: str) -> list[str]:
    script = Path(sys.executable).parent / "schoolaudit"
    return [
        str(script) if script.exists() else sys.executable,
        *([] if script.exists() else ["-m", "pipelines.cli"]),
        *args,
    ]


def run_args(landing: Path, week: str = DEMO_WEEK) -> list[str]:
    return ["run", "--landing", str(landing), "--db", DB, "--out", OUT, "--week", week]


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SCHOOLAUDIT_FAULT_AT"}
    return env | {"SOURCE_DATE_EPOCH": EPOCH} | extra


def start(work: Path, args: list[str], **env: str) -> subprocess.Popen:
    """The command line in `work` (relative --db/--out, so two work folders give the same files)."""
    work.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        command(*args), cwd=work, env=environment(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )  # fmt: skip


def finish(process: subprocess.Popen, timeout: float = 600) -> tuple[int, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out + err


def run(work: Path, args: list[str], **env: str) -> tuple[int, str]:
    return finish(start(work, args, **env))


@functools.cache
def baseline() -> dict:
    """The undisturbed run of the small board: its work folder and snapshot."""
    work = _scratch("schoolaudit-baseline-")
    status, output = run(work, run_args(small_board()))
    assert status == 0, output
    return {"work": work, **snapshot(work)}


# --- what a run leaves behind -----------------------------------------------------------------------


def _wall_clock_columns(con, table: str) -> set[str]:
    """Columns that hold when something happened on this machine (not data): left out of comparisons."""
    if table in FEEDS:
        return set()
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? AND data_type = 'TIMESTAMP WITH TIME ZONE'",
        [table],
    ).fetchall()
    return {name for (name,) in rows if name != "occurred_at"}


def tables(db: Path) -> dict[str, list[tuple]]:
    """Every table of the warehouse as a sorted list of rows, wall-clock columns set to None."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        names = [
            n for (n,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
        ]
        result = {}
        for name in sorted(names):
            hidden = _wall_clock_columns(con, name)
            cursor = con.execute(f'SELECT * FROM "{name}"')
            columns = [d[0] for d in cursor.description]
            rows = [
                tuple(None if column in hidden else value for column, value in zip(columns, row, strict=True))
                for row in cursor.fetchall()
            ]
            result[name] = sorted(rows, key=repr)
        return result
    finally:
        con.close()


def files(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) by relative path."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def snapshot(work: Path) -> dict:
    return {"tables": tables(work / DB), "files": files(work / OUT)}


def differences(left: dict, right: dict) -> list[str]:
    """What differs between two snapshots, named (an empty list when they are identical)."""
    found = []
    for name in sorted(set(left["tables"]) | set(right["tables"])):
        if left["tables"].get(name) != right["tables"].get(name):
            found.append(f"table {name}")
    for name in sorted(set(left["files"]) | set(right["files"])):
        if left["files"].get(name) != right["files"].get(name):
            found.append(f"file {name}")
    return found
