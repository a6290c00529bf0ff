"""The review app's users (`schoolaudit users …`), its secret, `schoolaudit serve` refusing to start
without users, its strings in both languages, and its place at the top of the package layering."""

from __future__ import annotations

import ast
import os
import re
import sqlite3
import stat
import string
import subprocess
import sys
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from decisions.store import store_path
from review.secret import load_secret, secret_path
from review.text import APP_I18N_DIR, AppText, app_table
from review.users import UserError, add_user, list_users
from tests.conftest import ROOT

HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def schoolaudit(*args: str, input: str = "") -> subprocess.CompletedProcess:
    """The command line, with `input` as its stdin (never the terminal the tests run on)."""
    script = Path(sys.executable).parent / "schoolaudit"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "pipelines.cli"]
    return subprocess.run(command + list(args), check=False, cwd=ROOT, capture_output=True, text=True, input=input,
                          timeout=300)  # fmt: skip


def events(db: Path) -> list[tuple[str, str]]:
    con = sqlite3.connect(store_path(db))
    try:
        return con.execute("SELECT user_name, event FROM user_events ORDER BY event_id").fetchall()
    finally:
        con.close()


def test_a_password_is_kept_only_as_an_argon2id_hash(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    add_user(db, "anna", "privacy_officer", "twelve chars", HASHER)  # exactly 12: enough
    con = sqlite3.connect(store_path(db))
    (password_hash,) = con.execute("SELECT password_hash FROM users").fetchone()
    con.close()
    assert password_hash.startswith("$argon2id$") and "twelve chars" not in password_hash
    assert HASHER.verify(password_hash, "twelve chars")
    with pytest.raises(UserError, match="at least 12"):
        add_user(db, "bram", "council", "eleven char", HASHER)
    with pytest.raises(UserError, match="unknown role"):
        add_user(db, "bram", "admin", "long enough password", HASHER)
    assert [row["name"] for row in list_users(db)] == ["anna"]


def test_users_on_the_command_line(tmp_path):
    db = str(tmp_path / "warehouse.duckdb")
    added = schoolaudit("users", "add", "anna", "--role", "privacy_officer", "--password-stdin", "--db", db,
                        input="a long enough password\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "added privacy_officer anna" in added.stdout
    schoolaudit("users", "add", "rik", "--role", "council", "--password-stdin", "--db", db, input="another good password\n")
    listed = schoolaudit("users", "list", "--db", db)
    assert re.search(r"^anna\s+privacy_officer\s", listed.stdout, re.MULTILINE) and re.search(r"^rik\s+council\s", listed.stdout, re.MULTILINE)
    assert "password" not in listed.stdout.split("\n", 1)[1]  # no hash, no password: only names and times

    again = schoolaudit("users", "add", "anna", "--role", "council", "--password-stdin", "--db", db, input="x" * 20 + "\n")
    assert again.returncode == 2 and "exists already" in again.stderr
    short = schoolaudit("users", "add", "bram", "--role", "council", "--password-stdin", "--db", db, input="too short\n")
    assert short.returncode == 2 and "at least 12 characters" in short.stderr and "Traceback" not in short.stderr
    no_terminal = schoolaudit("users", "add", "bram", "--role", "council", "--db", db, input="")
    assert no_terminal.returncode == 2 and "--password-stdin" in no_terminal.stderr
    bad_name = schoolaudit("users", "add", "an na", "--role", "council", "--password-stdin", "--db", db, input="x" * 20)
    assert bad_name.returncode == 2 and "not allowed" in bad_name.stderr

    passwd = schoolaudit("users", "passwd", "rik", "--password-stdin", "--db", db, input="a new good password\n")
    assert passwd.returncode == 0 and "sessions have ended" in passwd.stdout
    removed = schoolaudit("users", "remove", "rik", "--db", db)
    assert removed.returncode == 0
    assert "rik" not in schoolaudit("users", "list", "--db", db).stdout
    gone = schoolaudit("users", "remove", "rik", "--db", db)
    assert gone.returncode == 2 and "no user rik" in gone.stderr
    reused = schoolaudit("users", "add", "rik", "--role", "council", "--password-stdin", "--db", db, input="x" * 20)
    assert reused.returncode == 2 and "never reused" in reused.stderr
    assert events(Path(db)) == [("anna", "added"), ("rik", "added"), ("rik", "password_changed"), ("rik", "removed")]
    assert stat.S_IMODE(os.stat(store_path(db)).st_mode) == 0o600


def test_serve_refuses_to_start_without_users(tmp_path):
    db = str(tmp_path / "warehouse.duckdb")
    result = schoolaudit("serve", "--db", db, "--port", "0")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no users yet" in result.stderr
    assert f"schoolaudit users add NAME --role privacy_officer --db {db}" in result.stderr
    bad_port = schoolaudit("serve", "--db", db, "--port", "70000")
    assert bad_port.returncode == 2 and "0 to 65535" in bad_port.stderr


def test_the_secret_is_made_once_and_kept_owner_only(tmp_path):
    db = tmp_path / "data" / "warehouse.duckdb"
    first = load_secret(db)
    path = secret_path(db)
    assert path.name == "warehouse.review-secret" and len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    assert load_secret(db) == first  # a restart keeps the sessions valid
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # and a file left readable is tightened
    path.write_text("cut short")
    assert load_secret(db) != first and len(load_secret(db)) == 32


# --- strings --------------------------------------------------------------------------------------


def test_the_app_strings_exist_in_both_languages_with_the_same_placeholders():
    en, nl = app_table("en"), app_table("nl")
    assert set(en) == set(nl)
    assert all(key.startswith("app.") for key in en)

    def names(text):
        return {field for _, field, _, _ in string.Formatter().parse(text) if field}

    for key, value in en.items():
        assert isinstance(value, str) and value.strip() and nl[key].strip(), key
        assert names(value) == names(nl[key]), key


def test_every_label_the_app_uses_exists():
    used = set()
    for path in [*(APP_I18N_DIR.parent / "templates").glob("*.html"), *APP_I18N_DIR.parent.glob("*.py")]:
        used |= set(re.findall(r"\bt\('([a-z0-9_.]+)'\s*[,)]", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r'\bt\("([a-z0-9_.]+)"\s*[,)]', path.read_text(encoding="utf-8")))
    assert len(used) > 50
    text = AppText("nl", "Europe/Amsterdam")
    missing = {key for key in used if key not in text.table}
    assert not missing


# --- layering -------------------------------------------------------------------------------------


def test_nothing_imports_the_review_app_but_the_command_line():
    importers = set()
    for folder in ("pipelines", "checks", "reports", "decisions"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                    [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])  # fmt: skip
                if any(name == "review" or name.startswith("review.") for name in names):
                    importers.add(str(path.relative_to(ROOT)))
    assert importers == {"pipelines/cli.py"}
