"""The review app's users: who may sign in, with which role, and the lockout after failed sign-ins.

Passwords are kept only as argon2id hashes (argon2-cffi's PasswordHasher, its RFC 9106 defaults).
Every change to an account and every sign-in, failed or not, is an entry in the append-only
`user_events` of the store.

Removing a user deletes their row from `users` (which is not append-only): they can no longer sign in,
and a session they still hold ends at its next request. Their events stay, and so do their names in
the decision log and the app's access register. A removed name is never given to a new user, so that a
name in those logs always means one person.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from decisions.store import ROLES, log_user_event, open_store, store_path

MIN_PASSWORD = 12  # characters
MAX_PASSWORD = 1024  # a longer one is a mistake or an attempt to make hashing slow
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class UserError(ValueError):
    """A user that cannot be added or changed, said in one line."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name or ""):
        raise UserError(
            f"user name {name!r} is not allowed: up to 64 letters, digits and . _ @ -, starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"the password is too short: at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserError(f"the password is too long: at most {MAX_PASSWORD} characters")
    return password


def _by_whom() -> str:
    try:
        return f"on the command line by {getpass.getuser()}"
    except (KeyError, OSError):
        return "on the command line"


def get_user(con: sqlite3.Connection, name: str) -> User | None:
    row = con.execute("SELECT name, role, password_hash FROM users WHERE name = ?", [name]).fetchone()
    return User(row["name"], row["role"], row["password_hash"]) if row else None


def has_users(warehouse: str | Path) -> bool:
    if not store_path(warehouse).exists():
        return False
    with open_store(warehouse) as con:
        return con.execute("SELECT count(*) FROM users").fetchone()[0] > 0


def add_user(warehouse: str | Path, name: str, role: str, password: str, hasher: PasswordHasher) -> None:
    check_name(name)
    if role not in ROLES:
        raise UserError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
    check_password(password)
    password_hash = hasher.hash(password)
    with open_store(warehouse) as con:
        if get_user(con, name):
            raise UserError(f"user {name} exists already (change the password with `schoolaudit users passwd {name}`)")
        removed = con.execute(
            "SELECT max(at) FROM user_events WHERE user_name = ? AND event = 'removed'", [name]
        ).fetchone()[0]
        if removed:
            raise UserError(f"user {name} was removed on {removed[:10]}: names are never reused, so that a name in "
                            "the decision log and the access register means one person; choose another name")  # fmt: skip
        with con:
            con.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)",
                [name, role, password_hash, _iso(datetime.now(UTC))],
            )
        log_user_event(con, name, "added", f"role {role}, {_by_whom()}")


def change_password(warehouse: str | Path, name: str, password: str, hasher: PasswordHasher) -> None:
    """A new password; it also releases a lock, and ends the user's sessions (they hold a key of the old
    hash, see session_key)."""
    check_password(password)
    password_hash = hasher.hash(password)
    with open_store(warehouse) as con:
        with con:
            changed = con.execute(
                "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL WHERE name = ?",
                [password_hash, name],
            ).rowcount
        if not changed:
            raise UserError(f"no user {name} (see `schoolaudit users list`)")
        log_user_event(con, name, "password_changed", _by_whom())


def remove_user(warehouse: str | Path, name: str) -> None:
    with open_store(warehouse) as con:
        with con:
            removed = con.execute("DELETE FROM users WHERE name = ?", [name]).rowcount
        if not removed:
            raise UserError(f"no user {name} (see `schoolaudit users list`)")
        log_user_event(con, name, "removed", _by_whom())


def list_users(warehouse: str | Path) -> list[sqlite3.Row]:
    """name, role, created_at, locked_until, failed_logins and last_login of every user."""
    if not store_path(warehouse).exists():
        return []
    with open_store(warehouse) as con:
        return con.execute(
            """SELECT u.name, u.role, u.created_at, u.locked_until, u.failed_logins,
                      (SELECT max(e.at) FROM user_events e WHERE e.user_name = u.name AND e.event = 'login') AS last_login
               FROM users u ORDER BY u.name"""
        ).fetchall()


# --- signing in -----------------------------------------------------------------------------------


class Authenticator:
    """Checks a name and password against the users table, counting failures and locking an account for
    LOCK_MINUTES after MAX_FAILED_LOGINS of them in a row. `clock` gives the time (aware, UTC), so that
    the tests can move it."""

    def __init__(self, hasher: PasswordHasher, clock):
        self.hasher = hasher
        self.clock = clock
        self._dummy_hash: str | None = None

    def _same_work(self, password: str) -> None:
        """Verify against a hash of nothing: a wrong name or a locked account takes as long as a wrong
        password, so the time of the answer does not tell which names exist."""
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash("not a password of anyone")
        self._verify(self._dummy_hash, password)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def sign_in(self, con: sqlite3.Connection, name: str, password: str) -> User | None:
        """The user, or None (wrong name, wrong password, or locked: the caller says the same for all)."""
        name, password = name[:100], password[:MAX_PASSWORD]
        now = self.clock()
        row = con.execute("SELECT name, role, password_hash, locked_until FROM users WHERE name = ?", [name]).fetchone()
        if row is None:
            self._same_work(password)
            log_user_event(con, name, "login_failed", "unknown name")
            return None
        if row["locked_until"] and _parse(row["locked_until"]) > now:
            self._same_work(password)
            log_user_event(con, name, "login_failed", f"locked until {row['locked_until']}")
            return None
        if not self._verify(row["password_hash"], password):
            self._count_failure(con, name, now)
            return None
        with con:
            con.execute("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE name = ?", [name])
            if self.hasher.check_needs_rehash(row["password_hash"]):  # the hasher's parameters were raised
                con.execute("UPDATE users SET password_hash = ? WHERE name = ?", [self.hasher.hash(password), name])
        log_user_event(con, name, "login")
        return get_user(con, name)

    def _count_failure(self, con: sqlite3.Connection, name: str, now: datetime) -> None:
        locked_until = _iso(now + timedelta(minutes=LOCK_MINUTES))
        with con:  # one statement: two failures at the same moment both count
            row = con.execute(
                """UPDATE users SET
                       failed_logins = CASE WHEN failed_logins + 1 >= ? THEN 0 ELSE failed_logins + 1 END,
                       locked_until = CASE WHEN failed_logins + 1 >= ? THEN ? ELSE NULL END
                   WHERE name = ? RETURNING failed_logins, locked_until""",
                [MAX_FAILED_LOGINS, MAX_FAILED_LOGINS, locked_until, name],
            ).fetchone()
        log_user_event(con, name, "login_failed", "wrong password")
        if row is not None and row["locked_until"]:
            log_user_event(con, name, "locked", f"{MAX_FAILED_LOGINS} failed logins; locked until {locked_until}")


def session_key(secret: bytes, user: User) -> str:
    """What a session holds of its user's password hash: a keyed digest, not the hash (the session cookie
    is signed, not encrypted). A new password changes it, which ends every session of the old one."""
    return hmac.new(secret, user.password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text)
