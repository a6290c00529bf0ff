"""Owner-only files and folders: what the auditor writes holds students' personal data.

Every file the auditor creates (the warehouse, its WAL and lock file, reports, CSVs, exports, generated
landing data) is 0600 and every folder it creates 0700, whatever the umask of the process. Two layers,
because neither is enough alone:

1. The process umask is made at least 0o077 (`restrict_umask`), at the entry points (the command line's
   `main`, the Dagster code location's `defs`, the bench) and again by every function that opens a
   warehouse or writes output, so that a program that imports the library gets it too. This is what
   protects the files DuckDB creates on its own while a connection is open, at moments we cannot hook:
   the WAL `<db>.wal` (opened with 0666 minus the umask, deleted at each checkpoint and created again at
   the next write) and the spill files in `<db>.tmp/` (a folder made with 0755 minus the umask).
   The umask is set for good and never restored: it belongs to the process, not to a thread, so a block
   that set it and put the old one back at its end would, while another thread (DuckDB's own, a pool of
   boards, Dagster's in-process executor) is still creating files, give that thread the looser one.
   Tightening only ever removes permission bits and is idempotent, so threads may call it at any time.
2. What we create, or own and open, is chmodded 0600 / 0700 afterwards (`make_private`, `make_dirs`,
   `open_private`), so the mode does not rest on the umask alone, and a warehouse or lock file an older
   version left readable by others is tightened the next time it is opened (cheap: one stat).

Folders: only those the auditor creates are made 0700 (`make_dirs`); a folder that already exists, such
as an administrator's /srv/audit, is theirs and left as it is. The week folders are always the
auditor's own (reports.files.replaced_folder creates each one afresh).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
UMASK = 0o077  # no permission at all for group and others


def restrict_umask() -> None:
    """Make the process umask at least 0o077, for good (see the module docstring for why not a block)."""
    old = os.umask(UMASK)  # os.umask can only be read by setting it; this value is never looser
    if old & ~UMASK:
        os.umask(old | UMASK)  # keep what the caller took from the owner too


def make_dirs(folder: str | Path) -> Path:
    """`folder` and its missing parents, each one created 0700; folders that exist are left as they are.

    Raises OSError like Path.mkdir (FileExistsError when `folder` is a file)."""
    folder = Path(folder)
    missing = []
    for path in (folder, *folder.parents):
        if path.is_dir():
            break
        missing.append(path)
    for path in reversed(missing):
        try:
            os.mkdir(path, DIR_MODE)
        except FileExistsError:
            if not path.is_dir():
                raise
            continue  # created by another process at the same time: not ours to change
        os.chmod(path, DIR_MODE)  # the umask may have taken the owner's bits too
    return folder


def make_private(path: str | Path) -> bool:
    """Make a file (0600) or folder (0700) of ours owner-only, when it exists; True when it does.

    A path owned by someone else is left alone (only its owner may change it), and so is one on a
    read-only file system (a warehouse snapshot opened to read: nothing can change it)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        return True
    mode = DIR_MODE if stat.S_ISDIR(info.st_mode) else FILE_MODE
    if stat.S_IMODE(info.st_mode) != mode:
        try:
            os.chmod(path, mode)
        except OSError as exc:
            if exc.errno != errno.EROFS:
                raise
    return True


def open_private(path: str | Path, flags: int = os.O_RDWR) -> int:
    """os.open with O_CREAT, the file 0600 whether new or there before (when ours); a file descriptor."""
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    try:
        info = os.fstat(fd)
        if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd

