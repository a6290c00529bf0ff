"""Writing output files: readable only by their owner, and atomically (a reader never sees half a file).

The out folder and its missing parents are created 0700 (an existing one is left as it is), every week
folder is 0700 and every file in it 0600, whatever the umask (pipelines.private).
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines import faults, private
from pipelines.private import DIR_MODE, FILE_MODE


def write_atomic(target: Path, fill: Callable[[Path], None]) -> Path:
    """Let `fill` write a temporary file next to `target`, then move it into place.

    The temporary file lives in the same folder so that os.replace is an atomic rename.
    """
    handle, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    tmp = Path(tmp_name)
    try:
        fill(tmp)
        os.chmod(tmp, FILE_MODE)  # the writer may have recreated the file with default permissions
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


def write_bytes_atomic(target: Path, data: bytes) -> Path:
    return write_atomic(target, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(target: Path, text: str) -> Path:
    return write_atomic(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


# --- a week's folder replaced as a whole ----------------------------------------------------------
#
# The set of files of a week is written into a fresh sibling folder `.<week>.new-<pid>`, which then
# takes the week folder's place in one step: renameat2(RENAME_EXCHANGE) swaps the two names (the old
# set ends up under the temporary name and is deleted), or a plain rename when there is no week folder
# yet. A reader, or a run killed at any moment, sees the old set or the new one, never a mix.
# Temporary folders of a killed run are deleted by the next run (their process is gone).

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchange(first: Path, second: Path) -> None:
    """Swap two existing paths atomically (Linux renameat2)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = libc.renameat2
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(first), None, str(second))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _leftovers(folder: Path) -> list[Path]:
    """Temporary folders of `folder` whose process is gone (a killed run), or are this process's own."""
    found = []
    for path in folder.parent.glob(f".{folder.name}.new-*"):
        pid = path.name.rsplit("-", 1)[1]
        if not pid.isdigit() or int(pid) == os.getpid() or not _alive(int(pid)):
            found.append(path)
    return found


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


@contextmanager
def replaced_folder(folder: Path) -> Iterator[Path]:
    """Yield a fresh owner-only folder to fill; when the block ends without error it replaces
    `folder` as a whole. On an error `folder` is left as it was, and the new files are deleted."""
    private.restrict_umask()  # also for files a writer creates on its own in the folder
    private.make_dirs(folder.parent)
    for leftover in _leftovers(folder):
        _remove_tree(leftover)
    staging = folder.parent / f".{folder.name}.new-{os.getpid()}"
    staging.mkdir(mode=DIR_MODE)
    os.chmod(staging, DIR_MODE)
    try:
        yield staging
        faults.reached("before-swap")
        _swap_in(staging, folder)
        faults.reached("after-swap")
    finally:
        _remove_tree(staging)  # the old set after a swap, the unfinished new one after an error


def _swap_in(staging: Path, folder: Path) -> None:
    try:
        _exchange(staging, folder)
    except FileNotFoundError:
        os.rename(staging, folder)  # no week folder yet
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.ENOSYS):
            raise
        # A file system without RENAME_EXCHANGE: two renames, so a kill between them leaves no week
        # folder (the next run writes it again); never a mix of old and new files.
        os.rename(folder, staging.with_name(staging.name + "-old"))
        os.rename(staging, folder)
        os.rename(staging.with_name(staging.name + "-old"), staging)
