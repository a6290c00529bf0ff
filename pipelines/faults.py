"""A fault hook for the kill tests (tests/test_faults.py): nothing happens unless it is asked for.

    SCHOOLAUDIT_FAULT_AT=<point>[:<n>]

makes the process kill itself with SIGKILL (as `kill -9` would: no cleanup, no rollback) the n-th time
(default: the first) it reaches the named point:

    before-commit   a warehouse transaction is written but not committed (each ingested file, the
    after-commit    week's checks, the report bookkeeping) / just after it committed
    checks-written  the week's findings, coverage and explanations written, not yet committed
    report-file     a file of the week's set is written into the temporary folder
    before-swap     the whole set is written, the week folder not yet replaced
    after-swap      the week folder is replaced, the old one not yet deleted
    decision-written  a decision is written into the store's transaction, not yet committed
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "SCHOOLAUDIT_FAULT_AT"

_passed: Counter[str] = Counter()


def reached(point: str) -> None:
    spec = os.environ.get(ENV)
    if not spec:
        return
    name, _, count = spec.partition(":")
    if name != point:
        return
    _passed[point] += 1
    if _passed[point] == int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def watch(con):
    """`con` itself; when a commit fault is asked for, a stand-in whose commit() passes the hook."""
    spec = os.environ.get(ENV, "")
    return _CommitWatch(con) if spec.partition(":")[0] in ("before-commit", "after-commit") else con


class _CommitWatch:
    def __init__(self, con):
        self._con = con

    def __getattr__(self, name):
        return getattr(self._con, name)

    def commit(self):
        reached("before-commit")
        self._con.commit()
        reached("after-commit")
        return self
