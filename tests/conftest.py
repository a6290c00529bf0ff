"""Shared fixtures: one generated board, audited once through the command line, for the end-to-end tests."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
# A fixed end date keeps the generated data, and so the tests, the same on any day.
UNTIL = date(2026, 11, 25)  # a Wednesday: the generated weeks end with 2026-W47
DEMO_WEEK = "2026-W47"


def schoolaudit(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed command line as a user would (falls back to the module when not installed)."""
    script = Path(sys.executable).parent / "schoolaudit"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]
    return subprocess.run(
        command + list(args), check=False, cwd=cwd or ROOT, capture_output=True, text=True, env=env, timeout=900
    )


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def board(tmp_path_factory):
    """A generated two-school board (small), shared read-only by the tests; copy before changing it."""
    from pipelines.generate import generate

    out = tmp_path_factory.mktemp("board")
    return generate(out, students=240, weeks=3, seed=11, until=UNTIL)


@pytest.fixture(scope="session")
def audited(board, tmp_path_factory):
    """The board audited once through `schoolaudit run` for the demo week."""
    work = tmp_path_factory.mktemp("audited")
    result = schoolaudit(
        "run",
        "--landing", str(board.landing),
        "--db", str(work / "warehouse.duckdb"),
        "--out", str(work / "reports"),
        "--week", DEMO_WEEK,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return {"work": work, "result": result, "folder": work / "reports" / DEMO_WEEK}


@pytest.fixture
def landing_copy(board, tmp_path):
    target = tmp_path / "landing"
    shutil.copytree(board.landing, target)
    return target
