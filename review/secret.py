"""The review app's secret: generated once, kept owner-only beside the store (`<warehouse>.review-secret`,
0600), so that a restart of the app keeps its sessions and forms valid.

The session cookie and the CSRF tokens are signed with keys derived from it (one per use), and a
session's key of its user's password hash (review.users.session_key) too. Whoever can read this file can
forge a session: it is the owner's only, like everything else the auditor writes.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from pipelines.private import make_dirs, make_private, open_private, restrict_umask

_SECRET = re.compile(r"[0-9a-f]{64}")


class SecretError(Exception):
    """The secret file cannot be read or written: one line for the user."""


def secret_path(warehouse: str | Path) -> Path:
    """`data/warehouse.duckdb` -> `data/warehouse.review-secret`."""
    warehouse = Path(warehouse)
    return warehouse.with_name(f"{warehouse.stem}.review-secret")


def load_secret(warehouse: str | Path) -> bytes:
    """The app's secret, created when there is none (or when the file holds no valid one)."""
    path = secret_path(warehouse)
    restrict_umask()
    try:
        existing = _read(path)
        if existing:
            return existing
        make_dirs(path.parent)
        staging = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = open_private(staging, os.O_WRONLY | os.O_TRUNC)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A link fails when the file exists: two apps started at once keep the same secret.
            os.link(staging, path)
        except FileExistsError:
            if not _read(path):  # a file without a valid secret (cut short): replace it
                os.replace(staging, path)
        finally:
            staging.unlink(missing_ok=True)
        secret = _read(path)
    except OSError as exc:
        raise SecretError(f"the app's secret {path} cannot be kept: {exc.strerror or exc}") from None
    if not secret:
        raise SecretError(f"the app's secret {path} is not usable: delete it and start again")
    return secret


def derived_key(secret: bytes, use: str) -> str:
    """A key for one use (session, csrf, ...): so that no two signatures share a key."""
    return hmac.new(secret, use.encode(), hashlib.sha256).hexdigest()


def _read(path: Path) -> bytes | None:
    if not path.exists():
        return None
    make_private(path)  # a file left readable by others is tightened
    text = path.read_text(encoding="ascii", errors="replace").strip()
    return bytes.fromhex(text) if _SECRET.fullmatch(text) else None
