"""Everything the auditor writes is the owner's only: files 0600, the folders it creates 0700, whatever the
umask of the process (pipelines.private). DuckDB creates its files with 0666 minus the umask, so these
tests run at umask 000, where nothing but the auditor's own care keeps a file private."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines import private
from pipelines.warehouse import connect, lock_path, open_warehouse, warehouse_lock
from tests.conftest import DEMO_WEEK, ROOT

SAMPLE_LANDING = ROOT / "data" / "sample" / "landing"
REPORT_FILES = {"findings.csv", "coverage.csv", "quarantine.csv", "privacy-officer.html", "privacy-officer.pdf",
                "council-summary.html", "council-summary.pdf"}  # fmt: skip


def wal_path(db: Path) -> Path:
    return Path(f"{db}.wal")  # DuckDB's write-ahead log beside the database file


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def tree(root: Path) -> dict[Path, int]:
    """Every path under `root` (not `root` itself) with its mode."""
    found = {}
    for folder, folders, files in os.walk(root):
        for name in folders + files:
            path = Path(folder, name)
            found[path] = mode(path)
    return found


def not_private(modes: dict[Path, int]) -> dict[str, str]:
    """The paths whose mode is not 0700 (folder) or 0600 (file), as {path: mode}."""
    return {
        str(path): oct(m) for path, m in modes.items()
        if m != (private.DIR_MODE if path.is_dir() else private.FILE_MODE)
    }  # fmt: skip


@pytest.fixture
def umask():
    """Set the process umask for one test (the code under test may tighten it); the old one comes back."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def cli(*args: str) -> subprocess.CompletedProcess:
    """The command line as a user with umask 000 runs it."""
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *args], check=False, cwd=ROOT, capture_output=True, text=True,
        timeout=600, preexec_fn=lambda: os.umask(0),
    )  # fmt: skip


# --- the primitives -------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [0o000, 0o022, 0o002])
def test_restrict_umask_takes_every_bit_from_group_and_others(umask, start):
    umask(start)
    private.restrict_umask()
    assert os.umask(0o077) == 0o077


def test_restrict_umask_keeps_a_stricter_umask(umask):
    umask(0o277)
    private.restrict_umask()
    private.restrict_umask()
    assert os.umask(0o077) == 0o277


@pytest.mark.parametrize("start", [0o000, 0o022])
def test_make_dirs_creates_missing_folders_0700_and_leaves_existing_ones(umask, tmp_path, start):
    umask(start)
    existing = tmp_path / "srv"
    existing.mkdir()
    os.chmod(existing, 0o755)
    made = private.make_dirs(existing / "audit" / "reports")
    assert made == existing / "audit" / "reports"
    assert mode(existing / "audit") == 0o700 and mode(made) == 0o700
    assert mode(existing) == 0o755, "a folder the auditor did not create is not its to change"
    private.make_dirs(existing)
    assert mode(existing) == 0o755


def test_make_dirs_refuses_a_file_in_the_way(tmp_path):
    (tmp_path / "report").write_text("x")
    with pytest.raises(FileExistsError):
        private.make_dirs(tmp_path / "report")
    with pytest.raises(OSError):
        private.make_dirs(tmp_path / "report" / "below")


@pytest.mark.parametrize("start", [0o000, 0o022])
def test_make_private_tightens_files_and_folders(umask, tmp_path, start):
    umask(start)
    file, folder = tmp_path / "findings.csv", tmp_path / "week"
    file.write_text("x")
    folder.mkdir()
    os.chmod(file, 0o666)
    os.chmod(folder, 0o777)
    assert private.make_private(file) and private.make_private(folder)
    assert mode(file) == 0o600 and mode(folder) == 0o700
    assert private.make_private(tmp_path / "missing") is False


def test_make_private_leaves_what_is_not_ours(tmp_path):
    target = tmp_path / "theirs.csv"
    target.write_text("x")
    os.chmod(target, 0o644)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    private.make_private(link)
    assert mode(target) == 0o644, "a symlink is not followed"
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    os.chown(target, 65534, 65534)
    private.make_private(target)
    assert mode(target) == 0o644


@pytest.mark.parametrize("start", [0o000, 0o022])
def test_open_private_creates_0600_and_tightens_an_existing_file(umask, tmp_path, start):
    umask(start)
    new = tmp_path / "new.lock"
    os.close(private.open_private(new))
    assert mode(new) == 0o600
    old = tmp_path / "old.lock"
    old.write_text("1 2\n")
    os.chmod(old, 0o644)
    os.close(private.open_private(old))
    assert mode(old) == 0o600 and old.read_text() == "1 2\n"


# --- the warehouse: file, WAL, lock file, spill folder --------------------------------------------


@pytest.mark.parametrize("start", [0o000, 0o022])
def test_a_new_warehouse_its_wal_and_its_folders_are_private(umask, tmp_path, start):
    umask(start)
    db = tmp_path / "audit" / "data" / "warehouse.duckdb"
    with open_warehouse(db) as con:
        con.execute("BEGIN")
        con.execute("INSERT INTO audit_runs VALUES ('2026-W47', 'test', now(), NULL)")
        con.execute("COMMIT")
        # DuckDB writes the WAL while the connection is open and removes it at the last checkpoint.
        assert wal_path(db).is_file(), "the test needs a WAL to look at"
        assert mode(wal_path(db)) == 0o600
        assert mode(db) == 0o600 and mode(lock_path(db)) == 0o600
    assert mode(db.parent) == 0o700 and mode(db.parent.parent) == 0o700
    assert not_private(tree(tmp_path / "audit")) == {}


def test_spill_files_are_private(umask, tmp_path):
    umask(0)
    db = tmp_path / "warehouse.duckdb"
    con = connect(db)
    try:
        con.execute("SET memory_limit = '32MB'; SET threads = 1; SET preserve_insertion_order = false")
        con.execute("CREATE TEMP TABLE big AS SELECT md5(CAST(range AS VARCHAR)) AS s FROM range(400000)")
        con.execute("SELECT s, count(*) FROM big GROUP BY s ORDER BY s LIMIT 1").fetchall()
        spill = Path(f"{db}.tmp")
        assert spill.is_dir() and any(spill.iterdir()), "the query did not spill: the test needs it to"
        assert mode(spill) == 0o700
        assert not_private(tree(spill)) == {}
    finally:
        con.close()


def test_an_existing_warehouse_left_open_is_tightened(umask, tmp_path):
    umask(0o022)
    folder = tmp_path / "srv-audit"
    folder.mkdir(mode=0o755)
    db = folder / "warehouse.duckdb"
    import duckdb

    duckdb.connect(str(db)).close()  # as an older version left it: 0644
    lock_path(db).write_text("")
    assert mode(db) == 0o644 and mode(lock_path(db)) == 0o644
    with open_warehouse(db, read_only=True):
        pass
    assert mode(db) == 0o600 and mode(lock_path(db)) == 0o600
    assert mode(folder) == 0o755, "the administrator's folder is left as it is"


def test_the_dagster_warehouse_resource_is_private(umask, tmp_path):
    from pipelines.resources import Warehouse

    umask(0)
    db = tmp_path / "new" / "warehouse.duckdb"
    with Warehouse(database=str(db)).connection() as con:
        con.execute("INSERT INTO audit_runs VALUES ('2026-W47', 'test', now(), NULL)")
        assert wal_path(db).is_file()
        assert not_private(tree(tmp_path / "new")) == {}
    assert mode(tmp_path / "new") == 0o700 and mode(db) == 0o600


def test_the_lock_taken_alone_is_private(umask, tmp_path):
    umask(0)
    with warehouse_lock(tmp_path / "w.duckdb"):
        assert mode(lock_path(tmp_path / "w.duckdb")) == 0o600


def test_loading_the_code_location_tightens_the_umask(umask, monkeypatch, tmp_path):
    from pipelines.definitions import defs

    monkeypatch.setenv("SCHOOLAUDIT_DB", str(tmp_path / "w.duckdb"))
    monkeypatch.setenv("SCHOOLAUDIT_EXECUTOR", "in_process")
    umask(0)
    defs()
    assert os.umask(0o077) == 0o077


# --- the reports ----------------------------------------------------------------------------------


def test_report_files_and_folders_are_private(umask, tmp_path):
    from reports.files import replaced_folder, write_text_atomic

    umask(0)
    out = tmp_path / "out" / "reports"
    for _ in range(2):  # a new week folder, then one replaced
        with replaced_folder(out / DEMO_WEEK) as staging:
            write_text_atomic(staging / "privacy-officer.html", "<p>x</p>")
            (staging / "written-by-a-library.csv").write_text("a,b\n")  # no chmod of ours: the umask's
    assert mode(tmp_path / "out") == 0o700 and mode(out) == 0o700
    assert {p.name for p in tree(out)} == {DEMO_WEEK, "privacy-officer.html", "written-by-a-library.csv"}
    assert not_private(tree(tmp_path / "out")) == {}


# --- the command line, end to end, at umask 000 ---------------------------------------------------


@pytest.fixture(scope="module")
def audited_at_umask_000(tmp_path_factory):
    """`schoolaudit run` on the sample landing folder, by a user with umask 000, into folders it creates
    below one that exists (0755, like /srv)."""
    root = tmp_path_factory.mktemp("umask000")
    os.chmod(root, 0o755)
    db, out = root / "audit" / "data" / "warehouse.duckdb", root / "audit-out" / "reports"
    result = cli("run", "--landing", str(SAMPLE_LANDING), "--db", str(db), "--out", str(out), "--week", DEMO_WEEK)
    assert result.returncode == 0, result.stdout + result.stderr
    return {"root": root, "db": db, "out": out}


def test_run_at_umask_000_writes_only_private_files(audited_at_umask_000):
    root, db, out = audited_at_umask_000["root"], audited_at_umask_000["db"], audited_at_umask_000["out"]
    written = tree(root)
    assert {db, lock_path(db)} <= set(written)
    assert {p.name for p in written if p.parent == out / DEMO_WEEK} == REPORT_FILES
    assert not_private(written) == {}
    assert mode(root) == 0o755, "the folder that was there is left as it is"


def test_generate_at_umask_000_writes_only_private_files(tmp_path):
    os.chmod(tmp_path, 0o755)
    out = tmp_path / "new" / "board"
    result = cli("generate", "--out", str(out), "--schools", "1", "--students", "30", "--weeks", "1",
                 "--until", "2026-11-25")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    written = tree(tmp_path)
    names = {p.name for p in written}
    assert {"landing", "access_log", "students", "expected-findings.csv", "near-misses.csv", "generated.json"} <= names
    assert any(p.suffix == ".jsonl" for p in written) and any(p.suffix == ".csv" and "landing" in p.parts for p in written)
    assert not_private(written) == {}
    assert mode(tmp_path) == 0o755
