"""Test data for the review app: the real pipeline run once on the small generated board (the session's
`audited` run of week 47, then `schoolaudit check` of week 46 on a copy of its warehouse, so that the
published copy holds two weeks), and per test a folder with only a copy of the published copy, as the
app sees it: no warehouse at all, so a page that opened the warehouse would fail.

Test modules load these fixtures with `pytest_plugins = ("review_fixtures",)`. PYTEST_DONT_REWRITE: test
modules import it before pytest loads it (its asserts carry their own messages).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from tests.conftest import DEMO_WEEK, schoolaudit

EARLIER_WEEK = "2026-W46"
PASSWORD = "correct horse battery staple"
# Cheap argon2id parameters for the unit tests' many sign-ins; the command line uses the defaults.
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


@pytest.fixture(scope="session")
def review_source(audited, tmp_path_factory) -> dict:
    """{'published': the published copy (two weeks), 'reports': a report folder with two weeks}."""
    work = tmp_path_factory.mktemp("review-source")
    shutil.copy(audited["work"] / "warehouse.duckdb", work / "warehouse.duckdb")
    result = schoolaudit("check", "--db", str(work / "warehouse.duckdb"), "--week", EARLIER_WEEK)
    assert result.returncode == 0, result.stdout + result.stderr
    reports = work / "reports"
    shutil.copytree(audited["work"] / "reports", reports)
    # The earlier week's files: the same files under its name (the app serves files, it does not read them).
    shutil.copytree(reports / DEMO_WEEK, reports / EARLIER_WEEK)
    return {"published": work / "warehouse.published.duckdb", "reports": reports}


@dataclass
class Site:
    db: Path  # the warehouse path: never created; only its published copy and store are beside it
    out: Path


@pytest.fixture
def site(review_source, tmp_path) -> Site:
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(review_source["published"], folder / "warehouse.published.duckdb")
    return Site(db=folder / "warehouse.duckdb", out=review_source["reports"])


class Clock:
    """A clock the tests move: aware UTC datetimes."""

    def __init__(self):
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def csrf_token(text: str) -> str:
    match = TOKEN.search(text)
    assert match, "no CSRF token on the page"
    return match.group(1)
